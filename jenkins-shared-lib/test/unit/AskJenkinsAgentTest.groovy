import static groovy.test.GroovyAssert.shouldFail
import static org.langchainjenkins.testing.FakeApi.accepted
import static org.langchainjenkins.testing.FakeApi.ok

import org.junit.Test
import org.langchainjenkins.testing.AbortException
import org.langchainjenkins.testing.PipelineTestCase

class AskJenkinsAgentTest extends PipelineTestCase {

    private static final String TASK_PATH = '/api/v1/tasks/task-1'

    private void taskSucceedsAfterOnePoll() {
        api.on('POST /api/v1/tasks', accepted([task_id: 'task-1', status_url: TASK_PATH]))
        api.on('GET ' + TASK_PATH, ok([task_id: 'task-1', status: 'running', result: null]),
                ok([task_id: 'task-1', status: 'succeeded', kind: 'agents.handle_task',
                    result: [agent: 'build', answer: 'The Test stage failed: 1 assertion.', actions: []], error: null]))
    }

    @Test
    void submits_the_task_with_build_context_and_returns_the_finished_task() {
        taskSucceedsAfterOnePoll()

        Map task = harness.run('askJenkinsAgent', [task: 'Why did this build fail?', context: [stage: 'Test']])

        assert task.status == 'succeeded'
        assert task.result.answer == 'The Test stage failed: 1 assertion.'
        assert api.requestsTo('POST', '/api/v1/tasks')[0].body == [
                task   : 'Why did this build fail?',
                context: [job: 'team/api-service', build: 42, jenkins_url: 'http://jenkins.example:8080/', stage: 'Test']]
        assert api.requestsTo('GET', TASK_PATH).size() == 2
        assert harness.consoleText().contains('askJenkinsAgent: task task-1 succeeded')
        assertTokenNeverLeaked()
    }

    @Test
    void context_given_by_the_caller_wins() {
        taskSucceedsAfterOnePoll()

        harness.run('askJenkinsAgent', [task: 'status?', context: [job: 'other/job']])

        assert api.requests[0].body.context.job == 'other/job'
    }

    @Test
    void returns_right_away_when_not_waiting() {
        taskSucceedsAfterOnePoll()

        Map task = harness.run('askJenkinsAgent', [task: 'List outdated plugins', wait: false])

        assert task == [task_id: 'task-1', status: 'queued', status_url: TASK_PATH]
        assert api.requestsTo('GET', TASK_PATH).isEmpty()
    }

    @Test
    void returns_a_rejected_task_as_it_is() {
        api.on('POST /api/v1/tasks', accepted([task_id: 'task-1', status_url: TASK_PATH]))
        api.on('GET ' + TASK_PATH, ok([task_id: 'task-1', status: 'rejected', error: 'install_plugin needs confirm']))

        Map task = harness.run('askJenkinsAgent', [task: 'install the git plugin'])

        assert task.status == 'rejected'
        assert task.error == 'install_plugin needs confirm'
    }

    @Test
    void warns_and_returns_null_when_the_api_is_down() {
        api.on('POST /api/v1/tasks', { throw new ConnectException('Connection refused') })

        assert harness.run('askJenkinsAgent', [task: 'hello']) == null

        assert harness.consoleText().contains('WARNING: askJenkinsAgent: could not submit the task: no response')
    }

    @Test
    void fails_on_a_slow_answer_when_fail_on_error_is_set() {
        api.on('POST /api/v1/tasks', accepted([task_id: 'task-1', status_url: TASK_PATH]))
        api.on('GET ' + TASK_PATH, ok([task_id: 'task-1', status: 'running']))

        AbortException e = shouldFail(AbortException) {
            harness.run('askJenkinsAgent', [task: 'hello', timeout: 10, interval: 5, failOnError: true])
        }

        assert e.message == 'askJenkinsAgent: no answer to task task-1: no result after 10s (last: status running)'
        assert harness.sleptSeconds == 10
    }

    @Test
    void a_plan_needing_confirmation_is_returned_and_confirmed_with_the_task() {
        Map planned = [task_id: 'task-1', status: 'succeeded', kind: 'agents.handle_task', error: null,
                       result : [agent       : 'build', status: 'needs_confirmation',
                                 answer      : 'I would rebuild api-service #42 with DEBUG=false.',
                                 confirmation: [token: 'tok-0123456789abcdef', confirm_url: TASK_PATH + '/confirm']]]
        api.on('POST /api/v1/tasks', accepted([task_id: 'task-1', status_url: TASK_PATH]))
        api.on('GET ' + TASK_PATH, ok(planned))
        api.on('POST ' + TASK_PATH + '/confirm', accepted([task_id: 'task-2', status_url: '/api/v1/tasks/task-2']))
        api.on('GET /api/v1/tasks/task-2', ok([task_id: 'task-2', status: 'succeeded', kind: 'agents.confirm_task',
                                               result : [status: 'done', answer: 'Rebuilt api-service #42.']]))

        Map task = harness.run('askJenkinsAgent', [task: 'rebuild api-service #42'])
        assert task.result.status == 'needs_confirmation'
        assert harness.consoleText().contains('task task-1 needs confirmation; nothing was changed')
        assert api.requestsTo('POST', TASK_PATH + '/confirm').isEmpty()

        Map confirmed = harness.run('askJenkinsAgent', [confirm: task])
        assert confirmed.result.answer == 'Rebuilt api-service #42.'
        assert api.requestsTo('POST', TASK_PATH + '/confirm')[0].body == [token: 'tok-0123456789abcdef']
        assertTokenNeverLeaked()
    }

    @Test
    void confirm_needs_a_task_with_a_token_and_not_a_task_text() {
        AbortException e = shouldFail(AbortException) {
            harness.run('askJenkinsAgent', [confirm: [task_id: 'task-1']])
        }
        assert e.message.startsWith('askJenkinsAgent: confirm must be the task a previous askJenkinsAgent returned')

        e = shouldFail(AbortException) {
            harness.run('askJenkinsAgent', [task: 'x', confirm: [task_id: 'task-1', token: 't']])
        }
        assert e.message == 'askJenkinsAgent: give either task or confirm, not both'
    }
}
