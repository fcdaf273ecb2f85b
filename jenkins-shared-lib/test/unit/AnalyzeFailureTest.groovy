import static groovy.test.GroovyAssert.shouldFail
import static org.langchainjenkins.testing.FakeApi.accepted
import static org.langchainjenkins.testing.FakeApi.error

import org.jenkinsci.plugins.workflow.steps.FlowInterruptedException
import org.junit.Test
import org.langchainjenkins.testing.AbortException
import org.langchainjenkins.testing.PipelineTestCase

class AnalyzeFailureTest extends PipelineTestCase {

    private void analysisReadyAfterTwoPolls() {
        api.on('POST /api/v1/events', accepted([accepted: true, task_id: 't-1', status_url: BUILD_PATH]))
        api.on('GET ' + BUILD_PATH, error(404, 'not_found', 'unknown build'), buildAnswer('pending'),
                buildAnswer('done', sampleAnalysis()))
        harness.currentBuild.result = 'FAILURE'
    }

    @Test
    void submits_the_failed_build_and_prints_the_analysis() {
        analysisReadyAfterTwoPolls()

        Map analysis = harness.run('analyzeFailure', [interval: 3])

        assert analysis.category == 'test'
        Map event = api.requestsTo('POST', '/api/v1/events')[0].body
        assert event == [jenkins_url: 'http://jenkins.example:8080/', job: 'team/api-service', build: 42,
                         event: 'completed', status: 'FAILURE', duration_ms: 61000,
                         url: 'http://jenkins.example:8080/job/team/job/api-service/42/', commit: '3f2a9c1',
                         branch: 'main', cause: 'Started by user admin']
        assert api.requestsTo('GET', BUILD_PATH).size() == 3
        assert harness.callsTo('sleep')*.args == [[time: 3, unit: 'SECONDS'], [time: 3, unit: 'SECONDS']]
        String console = harness.consoleText()
        assert console.contains('Category: test')
        assert console.contains('Summary:  Tests run: 12, Failures: 1 in com.example.CalculatorTest')
        assert console.contains("Failed stage: Test (sh 'mvn -B verify')")
        assert console.contains('Cause:    A JUnit assertion failed (line 118)')
        assert console.contains('Fix:      Run CalculatorTest locally and fix the expectation or the code')
        assert console.contains('Excerpt (lines 117-119):')
        assert console.contains('   117 | [ERROR] Tests run: 12, Failures: 1')
        assert console.contains('   119 | java.lang.AssertionError: expected:<4> but was:<5>')
        assert console.contains('Similar:  team/api-service #37 (score 1.00): same assertion; fixed by: reverted')
        assert console.contains('Details:  ' + PAGE_URL)
        assert harness.currentBuild.description == 'AI analysis: test - Tests run: 12, Failures: 1 in ' +
                'com.example.CalculatorTest\nFull analysis: ' + PAGE_URL
        assert analysis.page_url == PAGE_URL && analysis.retryable == false
        // It polled the build of this controller (another may have a job of the same name and number).
        assert api.requestsTo('GET', BUILD_PATH)*.query.unique() == ['jenkins_url=http%3A%2F%2Fjenkins.example%3A8080%2F']
        assert harness.currentBuild.result == 'FAILURE'
        assertTokenNeverLeaked()
    }

    @Test
    void sends_the_token_as_a_masked_bearer_header_through_http_request() {
        analysisReadyAfterTwoPolls()

        harness.run('analyzeFailure')

        Map request = harness.callsTo('httpRequest')[0].args
        assert request.customHeaders == [[name: 'Authorization', value: 'Bearer ' + TOKEN, maskValue: true]]
        assert request.quiet && !request.consoleLogResponseBody
        assert harness.callsTo('withCredentials')[0].args ==
                [[kind: 'string', credentialsId: 'langchain-jenkins-api-token', variable: 'LJ_API_TOKEN']]
        assert harness.env.LJ_API_TOKEN == null: 'the token must not outlive withCredentials'
        assert harness.callsTo('sh').isEmpty()
    }

    @Test
    void falls_back_to_curl_with_the_token_only_in_the_environment() {
        withoutHttpRequestPlugin()
        analysisReadyAfterTwoPolls()

        Map analysis = harness.run('analyzeFailure')

        assert analysis.category == 'test'
        assert api.requests*.transport.unique() == ['curl']
        Map sh = harness.callsTo('sh')[0].args
        assert sh.returnStdout
        assert sh.script.contains('$LJ_API_TOKEN') && sh.script.startsWith('set +x')
        List withEnv = harness.callsTo('withEnv')[0].args
        assert withEnv.contains('LJ_HTTP_METHOD=POST')
        assert withEnv.contains('LJ_HTTP_URL=' + API + '/api/v1/events')
        assert harness.consoleText().contains('Category: test')
        assertTokenNeverLeaked()
    }

    @Test
    void warns_and_keeps_the_build_result_when_the_api_is_unreachable() {
        api.on('POST /api/v1/events', { throw new ConnectException('Connection refused') })
        harness.currentBuild.result = 'FAILURE'

        Object analysis = harness.run('analyzeFailure')

        assert analysis == null
        String warning = harness.callsTo('echo')*.args.find { it.startsWith('WARNING:') }
        assert warning.contains('analyzeFailure: could not submit team/api-service #42 for analysis')
        assert warning.contains('ConnectException: Connection refused')
        assert harness.callsTo('error').isEmpty()
        assert harness.currentBuild.result == 'FAILURE'
        assert harness.currentBuild.description == null
        assertTokenNeverLeaked()
    }

    @Test
    void warns_when_curl_cannot_connect() {
        withoutHttpRequestPlugin()
        api.on('POST /api/v1/events', { throw new ConnectException('refused') })
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure') == null

        assert harness.consoleText().contains('no response (curl exit 7: could not connect to the API)')
        assertTokenNeverLeaked()
    }

    @Test
    void gives_up_after_the_timeout_when_the_analysis_stays_pending() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('pending'))
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure', [timeout: 20, interval: 5]) == null

        assert harness.sleptSeconds == 20: 'polls at 0, 5, 10, 15 and 20 s, then stops'
        assert api.requestsTo('GET', BUILD_PATH).size() == 5
        assert harness.consoleText().contains(
                'WARNING: analyzeFailure: no analysis of team/api-service #42: no result after 20s ' +
                        '(last: analysis_status pending)')
        assert harness.currentBuild.result == 'FAILURE'
    }

    @Test
    void fails_the_build_when_the_api_is_down_and_fail_on_error_is_set() {
        api.on('POST /api/v1/events', { throw new SocketTimeoutException('Read timed out') })
        harness.currentBuild.result = 'FAILURE'

        AbortException e = shouldFail(AbortException) { harness.run('analyzeFailure', [failOnError: true]) }

        assert e.message.startsWith('analyzeFailure: could not submit team/api-service #42 for analysis')
        assert e.message.contains('Read timed out')
        assertTokenNeverLeaked()
    }

    @Test
    void marks_the_build_unstable_only_when_asked() {
        api.on('POST /api/v1/events', { throw new ConnectException('Connection refused') })
        harness.currentBuild.result = 'UNSTABLE'

        harness.run('analyzeFailure', [markUnstable: true])

        assert harness.callsTo('unstable')*.args[0].startsWith('analyzeFailure: could not submit')
        assert harness.currentBuild.result == 'UNSTABLE'
    }

    @Test
    void stops_polling_at_once_when_the_token_is_rejected() {
        harness.credentials['langchain-jenkins-api-token'] = 'wrong-token'
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure') == null

        assert api.requests.size() == 1
        assert harness.consoleText().contains(
                'could not submit team/api-service #42 for analysis: HTTP 401 unauthorized: missing or invalid bearer token')
    }

    @Test
    void names_the_field_and_rule_the_api_rejected() {
        api.on('POST /api/v1/events', error(422, 'validation_error', 'invalid build event',
                [[field: 'jenkins_url', rule: 'url', message: 'must be an http(s) URL']]))
        harness.currentBuild.result = 'FAILURE'

        harness.run('analyzeFailure')

        assert harness.consoleText().contains('HTTP 422 validation_error: invalid build event (jenkins_url: url)')
    }

    @Test
    void reports_an_analysis_the_worker_could_not_finish() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('failed'))
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure') == null

        assert harness.consoleText().contains(
                'WARNING: analyzeFailure: the assistant could not analyze team/api-service #42 (analysis_status failed)')
    }

    @Test
    void leaves_the_description_alone_when_told_to() {
        analysisReadyAfterTwoPolls()
        harness.currentBuild.description = 'deployed to staging'

        harness.run('analyzeFailure', [setDescription: false])

        assert harness.currentBuild.description == 'deployed to staging'
    }

    @Test
    void keeps_other_description_text_and_replaces_our_lines() {
        analysisReadyAfterTwoPolls()
        // The worker may already have written its lines through the REST API while the step was polling.
        harness.currentBuild.description = 'deployed to staging\nAI analysis: compilation - old\n' +
                'Full analysis: http://assistant.example:8000/analyses/old\n(kept)'

        harness.run('analyzeFailure')

        assert harness.currentBuild.description == 'deployed to staging\n(kept)\nAI analysis: test - Tests run: ' +
                '12, Failures: 1 in com.example.CalculatorTest\nFull analysis: ' + PAGE_URL
    }

    @Test
    void analyzes_unstable_builds_too() {
        analysisReadyAfterTwoPolls()
        harness.currentBuild.result = 'UNSTABLE'

        harness.run('analyzeFailure')

        assert api.requestsTo('POST', '/api/v1/events')[0].body.status == 'UNSTABLE'
    }

    @Test
    void does_nothing_for_a_successful_build() {
        assert harness.run('analyzeFailure') == null

        assert api.requests.isEmpty()
        assert harness.consoleText().contains(
                'analyzeFailure: team/api-service #42 is SUCCESS; only FAILURE and UNSTABLE builds are analyzed')
    }

    @Test
    void warns_when_the_credentials_id_is_not_in_the_store() {
        harness.credentials.clear()
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure') == null

        assert harness.consoleText().contains("Could not find credentials entry with ID 'langchain-jenkins-api-token'")
    }

    @Test
    void warns_that_curl_needs_a_unix_agent() {
        withoutHttpRequestPlugin()
        harness.unix = false
        harness.currentBuild.result = 'FAILURE'

        harness.run('analyzeFailure')

        assert harness.consoleText().contains('the curl fallback needs a Unix agent')
        assert harness.callsTo('sh').isEmpty()
    }

    @Test
    void lets_a_build_abort_through() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, { throw new FlowInterruptedException('ABORTED') })
        harness.currentBuild.result = 'FAILURE'

        shouldFail(FlowInterruptedException) { harness.run('analyzeFailure') }
    }

    @Test
    void encodes_folder_and_branch_segments_of_the_job_name() {
        harness.env.JOB_NAME = 'team a/repo/feature%2Flogin'
        String path = '/api/v1/jobs/team%20a/repo/feature%252Flogin/builds/42'
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + path, buildAnswer('done', sampleAnalysis()))
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure').category == 'test'

        assert api.requestsTo('POST', '/api/v1/events')[0].body.job == 'team a/repo/feature%2Flogin'
    }

    @Test
    void keeps_polling_through_rate_limits_and_server_errors() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, error(429, 'rate_limited', 'slow down'), error(503, 'unavailable', 'restarting'),
                buildAnswer('done', sampleAnalysis()))
        harness.currentBuild.result = 'FAILURE'

        assert harness.run('analyzeFailure', [interval: 2]).category == 'test'

        assert harness.sleptSeconds == 4
        assert !harness.consoleText().contains('WARNING')
    }

    @Test
    void prints_no_more_excerpt_lines_than_asked() {
        analysisReadyAfterTwoPolls()

        harness.run('analyzeFailure', [maxExcerptLines: 1])

        String console = harness.consoleText()
        assert console.contains('   117 | [ERROR] Tests run: 12, Failures: 1')
        assert !console.contains('   118 |')
        assert console.contains('... (2 more lines)')
    }
}
