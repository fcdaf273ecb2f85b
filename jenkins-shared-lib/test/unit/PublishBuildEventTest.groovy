import static org.langchainjenkins.testing.FakeApi.accepted
import static org.langchainjenkins.testing.FakeApi.error

import org.junit.Test
import org.langchainjenkins.testing.PipelineTestCase

class PublishBuildEventTest extends PipelineTestCase {

    @Test
    void sends_the_completed_event_with_result_duration_stages_and_parameters() {
        api.on('POST /api/v1/events', accepted([accepted: true, task_id: 't-9', status_url: BUILD_PATH]))
        harness.currentBuild.result = 'UNSTABLE'
        harness.params.putAll(TARGET: 'staging', DRY_RUN: true, RETRIES: 3, PASSWORD: new Object())

        Map answer = harness.run('publishBuildEvent', [stages: [[name: 'Build', status: 'SUCCESS', durationMs: 1200],
                                                                [name: 'Test', status: 'UNSTABLE']]])

        assert answer == [accepted: true, task_id: 't-9', status_url: BUILD_PATH]
        Map event = api.requests[0].body
        assert event.event == 'completed'
        assert event.status == 'UNSTABLE'
        assert event.duration_ms == 61000
        assert event.stages == [[name: 'Build', status: 'SUCCESS', duration_ms: 1200],
                                [name: 'Test', status: 'UNSTABLE']]
        assert event.parameters == [TARGET: 'staging', DRY_RUN: 'true', RETRIES: '3']: 'a Secret-typed value is dropped'
        assert harness.consoleText().contains(
                'publishBuildEvent: sent the completed event of team/api-service #42 (UNSTABLE)')
        assertTokenNeverLeaked()
    }

    @Test
    void sends_a_started_event_without_duration() {
        api.on('POST /api/v1/events', accepted([accepted: true]))

        harness.run('publishBuildEvent', [event: 'started'])

        Map event = api.requests[0].body
        assert event.event == 'started'
        assert event.status == 'IN_PROGRESS'
        assert !event.containsKey('duration_ms')
    }

    @Test
    void step_arguments_override_what_the_build_reports() {
        api.on('POST /api/v1/events', accepted([accepted: true]))
        harness.params.TARGET = 'staging'

        harness.run('publishBuildEvent', [status: 'ABORTED', durationMs: 5, commit: 'abc', branch: 'release',
                                          cause: 'timer', parameters: [ONLY: 'this'],
                                          jenkinsUrl: 'https://ci.example/'])

        Map event = api.requests[0].body
        assert event.subMap(['status', 'duration_ms', 'commit', 'branch', 'cause', 'parameters', 'jenkins_url']) ==
                [status: 'ABORTED', duration_ms: 5, commit: 'abc', branch: 'release', cause: 'timer',
                 parameters: [ONLY: 'this'], jenkins_url: 'https://ci.example/']
    }

    @Test
    void warns_when_the_event_is_rejected_and_returns_null() {
        api.on('POST /api/v1/events', error(503, 'broker_unavailable', 'the task queue is unavailable'))

        assert harness.run('publishBuildEvent') == null

        assert harness.consoleText().contains('WARNING: publishBuildEvent: could not send the completed event of ' +
                'team/api-service #42: HTTP 503 broker_unavailable: the task queue is unavailable')
        assert harness.currentBuild.result == null
    }

    @Test
    void uses_curl_when_http_request_is_missing_and_sends_the_same_event() {
        withoutHttpRequestPlugin()
        api.on('POST /api/v1/events', accepted([accepted: true]))

        harness.run('publishBuildEvent', [event: 'started'])

        assert api.requests[0].transport == 'curl'
        assert api.requests[0].body.job == 'team/api-service'
        assert harness.callsTo('withEnv')[0].args.find { it.startsWith('LJ_HTTP_BODY=') }.contains('"event":"started"')
        assertTokenNeverLeaked()
    }

    @Test
    void uses_curl_only_when_told_to_even_with_the_plugin_installed() {
        api.on('POST /api/v1/events', accepted([accepted: true]))

        harness.run('publishBuildEvent', [httpClient: 'curl'])

        assert harness.callsTo('httpRequest').isEmpty()
        assert api.requests[0].transport == 'curl'
    }

    @Test
    void reports_a_missing_plugin_when_http_request_is_required() {
        withoutHttpRequestPlugin()

        harness.run('publishBuildEvent', [httpClient: 'httpRequest'])

        assert harness.callsTo('sh').isEmpty()
        assert harness.consoleText().contains("httpClient 'httpRequest' needs the HTTP Request plugin (http_request)")
    }
}
