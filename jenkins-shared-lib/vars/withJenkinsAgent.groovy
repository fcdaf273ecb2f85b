import org.langchainjenkins.BuildEvents
import org.langchainjenkins.Config

/**
 * Wraps a pipeline body: sends the started event, runs the body, then analyzes a failed or unstable build
 * (analyzeFailure, which also sends the completed event) or sends the completed event of any other result.
 *
 * The body's own exception is always the one rethrown: if the assistant also fails (failOnError: true), its
 * error is attached to it as suppressed, because the build is failing for the body's reason anyway.
 *
 * Scripted use: `node { withJenkinsAgent(timeout: 120) { sh 'mvn -B verify' } }`.
 *
 * @return the body's value
 */
def call(Map args = [:], Closure body) {
    String invalid = Config.validate('withJenkinsAgent', args, Config.resolve(args, Config.readEnvironment(this)))
    if (invalid) {
        error(invalid)
    }
    if (body == null) {
        error('withJenkinsAgent: a body is required: withJenkinsAgent(timeout: 120) { ... }')
    }

    publishBuildEvent(Config.only(args, Config.STEP_KEYS.publishBuildEvent as List) + [event: 'started'])
    def result
    try {
        result = body()
    } catch (Throwable failure) {
        try {
            finish(args, BuildEvents.resultOf(failure))
        } catch (Throwable assistantFailure) {
            failure.addSuppressed(assistantFailure)
        }
        throw failure
    }
    finish(args, currentBuild.currentResult as String)
    return result
}

/** `withJenkinsAgent(timeout: 120)` without a body: say so instead of Groovy's "no signature of method". */
def call(Map args) {
    error('withJenkinsAgent: a body is required: withJenkinsAgent(timeout: 120) { ... }')
}

/** Analyzes a FAILURE or UNSTABLE build (which sends the completed event too); reports any other result. */
private void finish(Map args, String status) {
    if (status == 'FAILURE' || status == 'UNSTABLE') {
        analyzeFailure(Config.only(args, Config.STEP_KEYS.analyzeFailure as List) + [status: status])
    } else {
        publishBuildEvent(Config.only(args, Config.STEP_KEYS.publishBuildEvent as List) +
                [event: 'completed', status: status])
    }
}
