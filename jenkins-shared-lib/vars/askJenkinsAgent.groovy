import org.langchainjenkins.ApiPaths
import org.langchainjenkins.AssistantClient
import org.langchainjenkins.Config

/**
 * Hands a task in plain language to the assistant's agents and returns the task document for scripted use:
 * [task_id: ..., status: 'succeeded'|'failed'|'rejected', result: [answer: ..., ...], error: ...].
 *
 * Inside a build the context gets job, build and jenkins_url unless it already has them. With wait: false it
 * returns right after submitting ([task_id: ..., status: 'queued', status_url: ...]). An unreachable or slow
 * assistant gives a warning and null unless failOnError: true.
 *
 * A task that would change Jenkins (trigger, rebuild, abort, plugin install) changes nothing: it returns
 * result.status 'needs_confirmation' with the plan. askJenkinsAgent(confirm: thatTask) runs exactly those actions,
 * once (the token works a single time), and returns the confirming task.
 */
Map call(Map args = [:]) {
    Map environment = Config.readEnvironment(this)
    Map cfg = Config.resolve(args, environment)
    String invalid = Config.validate('askJenkinsAgent', args, cfg)
    if (invalid) {
        error(invalid)
    }

    AssistantClient client = new AssistantClient(this, 'askJenkinsAgent', cfg)
    Map submitted
    if (cfg.confirm != null) {
        // Runs exactly the actions the earlier task planned, once: the token works a single time.
        Map target = Config.confirmationOf(cfg.confirm)
        submitted = client.request('POST', ApiPaths.taskConfirm(target.taskId), [token: target.token])
        if (submitted.status == 409) {
            client.problem("the confirmation of task ${target.taskId} was refused: the token is unknown, expired " +
                    'or already used; ask again for a new plan')
            return null
        }
    } else {
        Map context = [:]
        if (environment.JOB_NAME) {
            context.job = environment.JOB_NAME
        }
        if (environment.BUILD_NUMBER ==~ /[1-9][0-9]*/) {
            context.build = environment.BUILD_NUMBER as int
        }
        if (cfg.jenkinsUrl) {
            context.jenkins_url = cfg.jenkinsUrl
        }
        context.putAll((cfg.context ?: [:]) as Map)
        submitted = client.request('POST', ApiPaths.tasks(), [task: cfg.task, context: context])
    }
    if (submitted.status != 202 && submitted.status != 200 || !(submitted.data instanceof Map)) {
        client.problem("could not submit the task: ${submitted.error ?: 'unexpected answer'}")
        return null
    }
    String taskId = submitted.data.task_id
    if (!cfg.wait) {
        echo("askJenkinsAgent: submitted task ${taskId}")
        return [task_id: taskId, status: 'queued', status_url: submitted.data.status_url]
    }
    echo("askJenkinsAgent: submitted task ${taskId}; waiting up to ${cfg.timeout}s for the answer")
    Map polled = client.poll(ApiPaths.task(taskId), 'task')
    if (polled.error) {
        client.problem("no answer to task ${taskId}: ${polled.error}")
        return null
    }
    echo("askJenkinsAgent: task ${taskId} ${polled.data.status}")
    Map result = polled.data.result instanceof Map ? (Map) polled.data.result : [:]
    if (result.status == 'needs_confirmation') {
        // Nothing was changed: the answer is the plan. The caller confirms with askJenkinsAgent(confirm: task).
        echo("askJenkinsAgent: task ${taskId} needs confirmation; nothing was changed. " +
                "Run askJenkinsAgent(confirm: <this task>) to do exactly this:\n${result.answer}")
    }
    return polled.data as Map
}
