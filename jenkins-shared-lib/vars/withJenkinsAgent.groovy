import com.cloudbees.groovy.cps.NonCPS
import org.langchainjenkins.BuildEvents
import org.langchainjenkins.Config

/**
 * Wraps a pipeline body: sends the started event, runs the body, then analyzes a failed or unstable build
 * (analyzeFailure, which also sends the completed event) or sends the completed event of any other result.
 *
 * With retryTransient: N the body runs again, up to N more times, when it failed and the analysis says the
 * failure is transient (retryable: infrastructure such as a lost agent, the network or a registry; a timeout;
 * a failure known to come and go). It says why in the console, both when it retries and when it does not. A
 * failure the analysis does not call transient, an abort, or no analysis at all (the assistant is down) is never
 * retried.
 *
 * The body's own exception is always the one rethrown: if the assistant also fails (failOnError: true), its
 * error is attached to it as suppressed, because the build is failing for the body's reason anyway.
 *
 * Scripted use: `node { withJenkinsAgent(timeout: 120, retryTransient: 1) { sh 'mvn -B verify' } }`.
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
    int retries = (args.retryTransient ?: 0) as int
    Map stepArgs = args.findAll { key, value -> key != 'retryTransient' }

    publishBuildEvent(Config.only(stepArgs, Config.STEP_KEYS.publishBuildEvent as List) + [event: 'started'])
    int attempt = 1
    while (true) {
        def result
        Throwable failure = null
        try {
            result = body()
        } catch (Throwable thrown) {
            failure = thrown
        }
        if (failure == null) {
            finish(stepArgs, currentBuild.currentResult as String, attempt)
            return result
        }
        String status = BuildEvents.resultOf(failure)
        Map analysis = null
        try {
            analysis = finish(stepArgs, status, attempt)
        } catch (Throwable assistantFailure) {
            failure.addSuppressed(assistantFailure)
            throw failure
        }
        // Each attempt's failure is analysed on its own (the log it added); an older analysis coming back
        // (an assistant that does not know attempts) says nothing about this one and justifies no retry.
        boolean stale = attempt > 1 && analysis != null && ((analysis.attempt ?: 1) as int) < attempt
        Map decision = retryDecision(status, stale ? null : analysis, attempt, retries, stale)
        if (decision.message) {
            echo(decision.message as String)
        }
        if (!decision.retry) {
            throw failure
        }
        attempt++
    }
}

/** `withJenkinsAgent(timeout: 120)` without a body: say so instead of Groovy's "no signature of method". */
def call(Map args) {
    error('withJenkinsAgent: a body is required: withJenkinsAgent(timeout: 120) { ... }')
}

/** Analyzes a FAILURE or UNSTABLE build (which sends the completed event too); reports any other result. */
private Map finish(Map args, String status, int attempt) {
    if (status == 'FAILURE' || status == 'UNSTABLE') {
        Map extra = attempt > 1 ? [status: status, attempt: attempt] : [status: status]
        return analyzeFailure(Config.only(args, Config.STEP_KEYS.analyzeFailure as List) + extra)
    }
    publishBuildEvent(Config.only(args, Config.STEP_KEYS.publishBuildEvent as List) +
            [event: 'completed', status: status])
    return null
}

/**
 * Whether to run the body again after attempt `attempt` failed, and what to say about it in the console:
 * [retry: true|false, message: the reason, or null when no retry was asked for].
 */
@NonCPS
static Map retryDecision(String status, Map analysis, int attempt, int retries, boolean stale = false) {
    if (retries <= 0) {
        return [retry: false, message: null]
    }
    String prefix = "withJenkinsAgent: attempt ${attempt} of ${retries + 1} failed"
    if (status != 'FAILURE') {
        return [retry: false, message: "${prefix} (${status}); not retrying: only a failure the analysis calls " +
                'transient is retried']
    }
    if (attempt > retries) {
        return [retry: false, message: "${prefix}; not retrying: ${retries} retr${retries == 1 ? 'y' : 'ies'} used up"
                .toString()]
    }
    if (stale) {
        return [retry: false, message: "${prefix}; not retrying: no analysis of this attempt came back (only an " +
                "earlier attempt's), so nothing says it failed for a transient reason"]
    }
    if (analysis == null) {
        return [retry: false, message: "${prefix}; not retrying: there is no analysis to say the failure is transient"
                .toString()]
    }
    String what = "${analysis.category ?: 'unknown'}: ${analysis.summary ?: 'no cause found'}".toString()
    if (analysis.retryable != true) {
        return [retry: false, message: "${prefix}; not retrying: the analysis does not call it transient (${what})"
                .toString()]
    }
    return [retry: true, message: "${prefix}; retrying: the analysis calls it transient " +
            "(${analysis.retry_reason ?: analysis.category}; ${what})"]
}
