import org.langchainjenkins.BuildEvents
import org.langchainjenkins.Config

/**
 * Wraps a pipeline body: sends the started event, runs the body, then analyzes a failed or unstable build
 * (analyzeFailure, which also sends the completed event) or sends the completed event of any other result.
 * The body's own exception is always rethrown; the assistant never adds one unless failOnError: true.
 *
 * Scripted use: `node { withJenkinsAgent(timeout: 120) { sh 'mvn -B verify' } }`.
 */
def call(Map args = [:], Closure body) {
    String invalid = Config.validate('withJenkinsAgent', args, Config.resolve(args, Config.readEnvironment(this)))
    if (invalid) {
        error(invalid)
    }
    if (body == null) {
        error('withJenkinsAgent: a body is required: withJenkinsAgent { ... }')
    }
    Map eventArgs = Config.only(args, Config.STEP_KEYS.publishBuildEvent as List)
    Map analysisArgs = Config.only(args, Config.STEP_KEYS.analyzeFailure as List)

    publishBuildEvent(eventArgs + [event: 'started'])
    String thrownResult = null
    try {
        return body()
    } catch (Throwable e) {
        thrownResult = BuildEvents.resultOf(e)
        throw e
    } finally {
        String status = thrownResult ?: currentBuild.currentResult
        if (status == 'FAILURE' || status == 'UNSTABLE') {
            analyzeFailure(analysisArgs + [status: status])
        } else {
            publishBuildEvent(eventArgs + [event: 'completed', status: status])
        }
    }
}
