import static groovy.test.GroovyAssert.shouldFail

import org.junit.Test
import org.langchainjenkins.Config
import org.langchainjenkins.testing.AbortException
import org.langchainjenkins.testing.PipelineTestCase

/** Missing or wrong configuration stops the step with error() naming the option, before any request. */
class GuardClausesTest extends PipelineTestCase {

    private String errorOf(String step, Map args) {
        harness.calls.clear()
        AbortException e = shouldFail(AbortException) {
            step == 'withJenkinsAgent' ? harness.run(step, args, { -> 'body' }) : harness.run(step, args)
        }
        assert api.requests.isEmpty(): 'no request may be sent with a bad configuration'
        assert harness.callsTo('error')*.args == [e.message]
        return e.message
    }

    @Test
    void requires_an_api_url() {
        harness.env.remove('LANGCHAIN_JENKINS_URL')
        for (String step : ['publishBuildEvent', 'analyzeFailure', 'askJenkinsAgent']) {
            String message = errorOf(step, step == 'askJenkinsAgent' ? [task: 'hello'] : [:])
            assert message.startsWith("${step}: the assistant API URL is not set")
            assert message.contains("apiUrl: '<url>'") && message.contains('LANGCHAIN_JENKINS_URL')
        }
    }

    @Test
    void rejects_an_api_url_that_is_not_http() {
        assert errorOf('analyzeFailure', [apiUrl: 'ftp://assistant']) ==
                "analyzeFailure: apiUrl 'ftp://assistant' must be an http:// or https:// URL"
    }

    @Test
    void names_an_unknown_option() {
        String message = errorOf('analyzeFailure', [failOnErorr: true])
        assert message.startsWith("analyzeFailure: unknown option 'failOnErorr' (known options: apiUrl, ")
        assert message.contains('failOnError')
    }

    @Test
    void rejects_a_blank_credentials_id() {
        assert errorOf('publishBuildEvent', [credentialsId: ' ']).startsWith('publishBuildEvent: credentialsId is blank')
    }

    @Test
    void requires_jenkins_url_for_build_events() {
        harness.env.remove('JENKINS_URL')
        assert errorOf('publishBuildEvent', [:]).startsWith(
                'publishBuildEvent: JENKINS_URL is not set: set the Jenkins URL in Manage Jenkins > System')
    }

    @Test
    void requires_a_running_build() {
        harness.env.remove('BUILD_NUMBER')
        assert errorOf('analyzeFailure', [:]).startsWith(
                "analyzeFailure: env.BUILD_NUMBER 'null' is not a build number")
        harness.env.remove('JOB_NAME')
        assert errorOf('analyzeFailure', [:]) ==
                'analyzeFailure: env.JOB_NAME is not set: this step must run inside a Pipeline build'
    }

    @Test
    void checks_numbers_and_flags() {
        assert errorOf('analyzeFailure', [timeout: 0]) ==
                "analyzeFailure: timeout must be a positive whole number of seconds, got '0'"
        assert errorOf('analyzeFailure', [interval: '5']) ==
                "analyzeFailure: interval must be a positive whole number of seconds, got '5'"
        assert errorOf('analyzeFailure', [setDescription: 'no']) ==
                "analyzeFailure: setDescription must be true or false, got 'no'"
        assert errorOf('analyzeFailure', [httpClient: 'wget']) ==
                "analyzeFailure: httpClient must be one of auto, httpRequest, curl, got 'wget'"
    }

    @Test
    void checks_event_fields() {
        assert errorOf('publishBuildEvent', [status: 'BROKEN']).startsWith(
                "publishBuildEvent: status must be one of IN_PROGRESS, SUCCESS, FAILURE")
        assert errorOf('publishBuildEvent', [event: 'finished']) ==
                "publishBuildEvent: event must be 'started' or 'completed', got 'finished'"
        assert errorOf('publishBuildEvent', [stages: [[name: 'Build']]]).startsWith(
                'publishBuildEvent: every entry of stages needs a name and a status')
        assert errorOf('publishBuildEvent', [durationMs: -1]) ==
                "publishBuildEvent: durationMs must be a number >= 0, got '-1'"
    }

    @Test
    void requires_a_task_within_the_api_limit() {
        assert errorOf('askJenkinsAgent', [:]).startsWith('askJenkinsAgent: task is required')
        assert errorOf('askJenkinsAgent', [task: '   ']).startsWith('askJenkinsAgent: task is required')
        assert errorOf('askJenkinsAgent', [task: 'x' * 4001]) ==
                'askJenkinsAgent: task must be at most 4000 characters, got 4001'
        assert errorOf('askJenkinsAgent', [task: 'hi', context: 'job']).startsWith(
                'askJenkinsAgent: context must be a map')
    }

    @Test
    void checks_the_options_of_with_jenkins_agent_before_running_the_body() {
        assert errorOf('withJenkinsAgent', [timeout: -5]).startsWith('withJenkinsAgent: timeout must be')
    }

    @Test
    void step_arguments_win_over_the_environment_which_wins_over_defaults() {
        Map environment = [LANGCHAIN_JENKINS_URL: 'http://from-env:8000/', LANGCHAIN_JENKINS_CREDENTIALS_ID: 'env-id',
                           JENKINS_URL: 'http://jenkins/']
        assert Config.resolve([:], [:]).credentialsId == 'langchain-jenkins-api-token'
        assert Config.resolve([:], environment).apiUrl == 'http://from-env:8000'
        assert Config.resolve([:], environment).credentialsId == 'env-id'
        Map fromArgs = Config.resolve([apiUrl: 'https://from-args/', credentialsId: 'arg-id', timeout: 9], environment)
        assert fromArgs.apiUrl == 'https://from-args'
        assert fromArgs.credentialsId == 'arg-id'
        assert fromArgs.timeout == 9
        assert fromArgs.interval == 5
    }

    @Test
    void uses_the_credentials_id_from_the_environment() {
        harness.env.LANGCHAIN_JENKINS_CREDENTIALS_ID = 'team-token'
        harness.credentials['team-token'] = TOKEN
        api.on('POST /api/v1/events', [202, [accepted: true]])

        harness.run('publishBuildEvent')

        assert harness.callsTo('withCredentials')[0].args[0].credentialsId == 'team-token'
    }
}
