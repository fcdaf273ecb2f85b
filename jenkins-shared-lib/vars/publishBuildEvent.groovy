import org.langchainjenkins.ApiPaths
import org.langchainjenkins.AssistantClient
import org.langchainjenkins.BuildEvents
import org.langchainjenkins.Config

/**
 * Sends a build event (started, or completed with its result and duration) to the assistant.
 *
 * Typical use: `post { always { publishBuildEvent() } }`. Missing configuration is an error; an unreachable
 * assistant is a warning unless failOnError is set.
 *
 * @return the API's answer ([accepted: true, task_id: ..., status_url: ...]) or null when nothing was sent
 */
Map call(Map args = [:]) {
    Map environment = Config.readEnvironment(this)
    Map cfg = Config.resolve(args, environment)
    String invalid = Config.validate('publishBuildEvent', args, cfg) ?:
            Config.validateBuild('publishBuildEvent', cfg, environment)
    if (invalid) {
        error(invalid)
    }

    Map build = BuildEvents.readBuild(this)
    String eventName = cfg.event ?: 'completed'
    String status = cfg.status ?: (eventName == 'started' ? 'IN_PROGRESS' : build.currentResult)
    Map payload = BuildEvents.event(eventName, status, cfg, environment, build)
    String title = "${payload.job} #${payload.build}"

    AssistantClient client = new AssistantClient(this, 'publishBuildEvent', cfg)
    Map response = client.request('POST', ApiPaths.events(), payload)
    if (response.status != 202 && response.status != 200) {
        client.problem("could not send the ${eventName} event of ${title}: ${response.error}")
        return null
    }
    echo("publishBuildEvent: sent the ${eventName} event of ${title} (${status})")
    return response.data as Map
}
