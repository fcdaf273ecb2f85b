package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Builds the BuildEvent payload of `POST /api/v1/events` from the resolved options and the running build.
 */
class BuildEvents implements Serializable {

    private static final long serialVersionUID = 1L

    /**
     * Reads what the event needs from the running build (CPS code: `currentBuild` and `params` are pipeline
     * globals). Returns a plain map for {@link #event}.
     */
    static Map readBuild(steps) {
        Map build = [
                currentResult: steps.currentBuild.currentResult as String,
                durationMs   : steps.currentBuild.duration as Long,
                parameters   : [:],
                cause        : null,
        ]
        build.parameters = plainParameters(steps.params)
        try {
            List causes = steps.currentBuild.getBuildCauses() as List
            build.cause = firstCause(causes)
        } catch (Exception ignored) {
            // getBuildCauses() needs workflow-support 3.x; the cause is optional.
        }
        return build
    }

    /**
     * The event payload (contract: BuildEvent). Options given to the step win over what was read from the build.
     */
    @NonCPS
    static Map event(String eventName, String status, Map cfg, Map environment, Map build) {
        Map payload = [
                jenkins_url: cfg.jenkinsUrl.toString(),
                job        : environment.JOB_NAME.toString(),
                build      : environment.BUILD_NUMBER.toString() as int,
                event      : eventName,
                status     : status,
        ]
        Object duration = cfg.durationMs != null ? cfg.durationMs : build.durationMs
        if (eventName == 'completed' && duration != null) {
            payload.duration_ms = duration as long
        }
        putIfPresent(payload, 'url', environment.BUILD_URL)
        if (cfg.stages) {
            payload.stages = cfg.stages.collect { Map stage ->
                Map result = [name: stage.name.toString(), status: stage.status.toString()]
                if (stage.durationMs != null) {
                    result.duration_ms = stage.durationMs as long
                }
                return result
            }
        }
        Map parameters = cfg.parameters != null ? plainParameters(cfg.parameters as Map) : build.parameters
        if (parameters) {
            payload.parameters = parameters
        }
        putIfPresent(payload, 'commit', cfg.commit ?: environment.GIT_COMMIT)
        putIfPresent(payload, 'branch', cfg.branch ?: environment.BRANCH_NAME ?: environment.GIT_BRANCH)
        putIfPresent(payload, 'cause', cfg.cause ?: build.cause)
        if (cfg.attempt != null && (cfg.attempt as int) > 1) {
            payload.attempt = cfg.attempt as int  // a retried body's failure: its own event and analysis
        }
        return payload
    }

    /**
     * Build parameters as strings. Only strings, booleans and numbers are sent: a password parameter is a
     * hudson.util.Secret (or another type) and is dropped rather than leaked to the assistant.
     */
    @NonCPS
    static Map plainParameters(Map parameters) {
        Map result = [:]
        (parameters ?: [:]).each { key, value ->
            if (value instanceof CharSequence || value instanceof Boolean || value instanceof Number) {
                result[key.toString()] = value.toString()
            }
        }
        return result
    }

    /**
     * The result a build gets from an exception escaping the pipeline body: the result an abort or a `timeout`
     * carries (usually ABORTED), FAILURE for anything else.
     */
    @NonCPS
    static String resultOf(Throwable error) {
        if (error.getClass().name == 'org.jenkinsci.plugins.workflow.steps.FlowInterruptedException') {
            Object result = error.result
            return result != null ? result.toString() : 'ABORTED'
        }
        return 'FAILURE'
    }

    @NonCPS
    private static String firstCause(List causes) {
        Object first = causes ? causes[0] : null
        return first instanceof Map && first.shortDescription ? first.shortDescription.toString() : null
    }

    @NonCPS
    private static void putIfPresent(Map payload, String key, Object value) {
        if (value != null && !value.toString().trim().isEmpty()) {
            payload[key] = value.toString()
        }
    }
}
