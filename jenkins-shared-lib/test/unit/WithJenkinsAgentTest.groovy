import static groovy.test.GroovyAssert.shouldFail
import static org.langchainjenkins.testing.FakeApi.accepted

import org.jenkinsci.plugins.workflow.steps.FlowInterruptedException
import org.junit.Test
import org.langchainjenkins.testing.AbortException
import org.langchainjenkins.testing.PipelineTestCase

class WithJenkinsAgentTest extends PipelineTestCase {

    private List<String> events() {
        return api.requestsTo('POST', '/api/v1/events').collect { "${it.body.event}:${it.body.status}".toString() }
    }

    @Test
    void reports_start_and_success_around_the_body_and_returns_its_value() {
        api.on('POST /api/v1/events', accepted([accepted: true]))

        Object value = harness.run('withJenkinsAgent', [timeout: 30], { -> 'built' })

        assert value == 'built'
        assert events() == ['started:IN_PROGRESS', 'completed:SUCCESS']
        assert api.requestsTo('GET', '/api/v1/jobs').isEmpty()
        assert harness.callsTo('analyzeFailure').isEmpty()
    }

    @Test
    void analyzes_a_failing_body_and_rethrows_its_exception() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', sampleAnalysis()))
        AbortException failure = new AbortException('script returned exit code 1')

        AbortException thrown = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', { -> throw failure })
        }

        assert thrown.is(failure)
        assert events() == ['started:IN_PROGRESS', 'completed:FAILURE']
        assert harness.callsTo('analyzeFailure')*.args == [[[status: 'FAILURE']]]
        assert harness.consoleText().contains('Category: test')
    }

    @Test
    void analyzes_a_body_that_marked_the_build_unstable() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', sampleAnalysis()))

        harness.run('withJenkinsAgent', [setDescription: false], { -> harness.currentBuild.result = 'UNSTABLE' })

        assert events() == ['started:IN_PROGRESS', 'completed:UNSTABLE']
        assert harness.callsTo('analyzeFailure')*.args == [[[setDescription: false, status: 'UNSTABLE']]]
        assert harness.currentBuild.description == null
    }

    @Test
    void rethrows_the_body_failure_when_the_assistant_is_down_too() {
        api.on('POST /api/v1/events', { throw new ConnectException('Connection refused') })

        AbortException thrown = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', { -> throw new AbortException('compilation failed') })
        }

        assert thrown.message == 'compilation failed'
        assert harness.consoleText().count('WARNING: ') == 2
    }

    @Test
    void reports_an_abort_as_aborted_without_analysis() {
        api.on('POST /api/v1/events', accepted([accepted: true]))

        shouldFail(FlowInterruptedException) {
            harness.run('withJenkinsAgent', { -> throw new FlowInterruptedException('ABORTED') })
        }

        assert events() == ['started:IN_PROGRESS', 'completed:ABORTED']
    }

    @Test
    void passes_each_step_only_the_options_it_knows() {
        api.on('POST /api/v1/events', accepted([accepted: true]))

        harness.run('withJenkinsAgent', [apiUrl: API, interval: 2, maxExcerptLines: 10, commit: 'c0ffee'], { -> null })

        assert harness.callsTo('publishBuildEvent')*.args*.getAt(0) == [
                [apiUrl: API, commit: 'c0ffee', event: 'started'],
                [apiUrl: API, commit: 'c0ffee', event: 'completed', status: 'SUCCESS']]
    }

    @Test
    void keeps_the_body_failure_when_the_assistant_fails_the_build_too() {
        api.on('POST /api/v1/events', accepted([accepted: true]), { throw new ConnectException('Connection refused') })

        AbortException thrown = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [failOnError: true], { -> throw new AbortException('tests failed') })
        }

        assert thrown.message == 'tests failed'
        assert thrown.suppressed*.message == ['analyzeFailure: could not submit team/api-service #42 for analysis: ' +
                                              'no response (ConnectException: Connection refused)']
    }

    @Test
    void says_that_a_body_is_needed() {
        AbortException e = shouldFail(AbortException) { harness.run('withJenkinsAgent', [timeout: 30]) }

        assert e.message == 'withJenkinsAgent: a body is required: withJenkinsAgent(timeout: 120) { ... }'
        assert api.requests.isEmpty()
    }

    private static Map transientAnalysis() {
        return sampleAnalysis() + [category: 'infrastructure', retryable: true, updated_at: '2026-12-04T06:00:00Z',
                                   retry_reason: 'failure classified as infrastructure',
                                   summary: 'The Jenkins agent went offline']
    }

    @Test
    void retries_a_transient_failure_and_says_why() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', transientAnalysis()))
        int runs = 0

        Object value = harness.run('withJenkinsAgent', [retryTransient: 2], { ->
            runs++
            if (runs == 1) {
                throw new AbortException('agent-3 went offline')
            }
            return 'built'
        })

        assert value == 'built' && runs == 2
        assert harness.consoleText().contains('withJenkinsAgent: attempt 1 of 3 failed; retrying: the analysis ' +
                'calls it transient (failure classified as infrastructure; infrastructure: The Jenkins agent went offline)')
        assert events() == ['started:IN_PROGRESS', 'completed:FAILURE', 'completed:SUCCESS']
    }

    @Test
    void never_retries_a_failure_the_analysis_does_not_call_transient() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', sampleAnalysis()))
        int runs = 0

        shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [retryTransient: 3], { -> runs++; throw new AbortException('tests failed') })
        }

        assert runs == 1
        assert harness.consoleText().contains('withJenkinsAgent: attempt 1 of 4 failed; not retrying: the analysis ' +
                'does not call it transient (test: Tests run: 12, Failures: 1 in com.example.CalculatorTest)')
    }

    @Test
    void stops_when_the_retries_are_used_up() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', transientAnalysis()))
        int runs = 0

        AbortException thrown = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [retryTransient: 1], { -> runs++; throw new AbortException("try ${runs}") })
        }

        assert runs == 2 && thrown.message == 'try 2'
        assert harness.consoleText().contains('withJenkinsAgent: attempt 2 of 2 failed; not retrying: 1 retry used up')
    }

    @Test
    void does_not_retry_without_an_analysis_and_never_fails_for_the_assistant() {
        api.on('POST /api/v1/events', { throw new ConnectException('Connection refused') })
        int runs = 0

        AbortException thrown = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [retryTransient: 2], { -> runs++; throw new AbortException('boom') })
        }

        assert runs == 1 && thrown.message == 'boom'
        assert harness.consoleText().contains('not retrying: there is no analysis to say the failure is transient')
    }

    @Test
    void rejects_a_bad_retry_count() {
        AbortException e = shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [retryTransient: -1], { -> null })
        }
        assert e.message == "withJenkinsAgent: retryTransient must be a whole number of retries from 0 to 5, got '-1'"
    }

    @Test
    void each_attempt_waits_for_its_own_analysis_and_only_a_transient_one_is_retried() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        Map second = sampleAnalysis() + [attempt: 2, retryable: false]
        // The first attempt's analysis is still "done" when attempt 2 polls: the step waits for attempt 2's.
        api.on('GET ' + BUILD_PATH, buildAnswer('done', transientAnalysis()), buildAnswer('done', transientAnalysis()),
                buildAnswer('done', second))
        int runs = 0

        shouldFail(AbortException) {
            harness.run('withJenkinsAgent', [retryTransient: 3, interval: 1], { -> runs++; throw new AbortException("try ${runs}") })
        }

        assert runs == 2
        assert api.requestsTo('POST', '/api/v1/events')*.body*.attempt == [null, null, 2]
        assert api.requestsTo('GET', BUILD_PATH).size() == 3
        assert harness.consoleText().contains('withJenkinsAgent: attempt 2 of 4 failed; not retrying: the analysis ' +
                'does not call it transient (test: Tests run: 12, Failures: 1 in com.example.CalculatorTest)')
    }

    @Test
    void a_transient_failure_again_is_retried_again() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', transientAnalysis()),
                buildAnswer('done', transientAnalysis() + [attempt: 2]))
        int runs = 0

        Object value = harness.run('withJenkinsAgent', [retryTransient: 2], { ->
            runs++
            if (runs < 3) {
                throw new AbortException("agent lost ${runs}")
            }
            return 'built'
        })

        assert value == 'built' && runs == 3
        assert harness.consoleText().contains('withJenkinsAgent: attempt 2 of 3 failed; retrying')
    }
}
