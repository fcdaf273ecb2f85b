package org.jenkinsci.plugins.workflow.steps

/**
 * Stand-in for the exception Jenkins throws when a build is aborted or a `timeout` step fires. The library
 * recognises it by class name (it cannot import it outside Jenkins), so tests need the same name.
 */
class FlowInterruptedException extends InterruptedException {
    final Object result

    FlowInterruptedException(Object result) {
        super("Interrupted (${result})")
        this.result = result
    }
}
