import org.langchainjenkins.AnalysisReport
import org.langchainjenkins.ApiPaths
import org.langchainjenkins.AssistantClient
import org.langchainjenkins.BuildEvents
import org.langchainjenkins.Config

/**
 * Submits a failed (or unstable) build to the assistant, waits for its analysis and prints it: category,
 * summary, causes with fixes, and the excerpt of the console log with line numbers. Sets the build description
 * unless setDescription: false.
 *
 * Typical use: `post { failure { analyzeFailure() } unstable { analyzeFailure() } }`. The assistant being down
 * or slow never fails the build unless failOnError: true; it prints a warning (markUnstable: true also marks the
 * build unstable).
 *
 * @return the analysis map (with page_url, the link to its page, and retryable: whether running the build again
 *         may pass), or null when there is none (not a failure, assistant unreachable, timed out)
 */
Map call(Map args = [:]) {
    Map environment = Config.readEnvironment(this)
    Map cfg = Config.resolve(args, environment)
    String invalid = Config.validate('analyzeFailure', args, cfg) ?:
            Config.validateBuild('analyzeFailure', cfg, environment)
    if (invalid) {
        error(invalid)
    }

    Map build = BuildEvents.readBuild(this)
    String status = cfg.status ?: build.currentResult
    String title = "${environment.JOB_NAME} #${environment.BUILD_NUMBER}"
    if (status != 'FAILURE' && status != 'UNSTABLE') {
        echo("analyzeFailure: ${title} is ${status}; only FAILURE and UNSTABLE builds are analyzed")
        return null
    }

    AssistantClient client = new AssistantClient(this, 'analyzeFailure', cfg)
    Map payload = BuildEvents.event('completed', status, cfg, environment, build)
    Map sent = client.request('POST', ApiPaths.events(), payload)
    if (sent.status != 202 && sent.status != 200) {
        client.problem("could not submit ${title} for analysis: ${sent.error}")
        return null
    }
    echo("analyzeFailure: submitted ${title} (${status}); waiting up to ${cfg.timeout}s for the analysis")

    // This controller's build: another controller may have a job of the same name and number.
    String path = ApiPaths.build(environment.JOB_NAME as String, environment.BUILD_NUMBER, cfg.jenkinsUrl as String)
    Map polled = client.poll(path, 'analysis', (cfg.attempt ?: 1) as int)
    if (polled.error) {
        client.problem("no analysis of ${title}: ${polled.error}")
        return null
    }
    Map analysis = polled.data.analysis as Map
    if (polled.data.build.analysis_status == 'failed' || analysis == null) {
        client.problem("the assistant could not analyze ${title} (analysis_status ${polled.data.build.analysis_status})")
        return null
    }

    // The page for people (a signed link that opens without an API token); the JSON route would answer 401.
    String link = analysis.page_url ?: null
    analysis.page_url = link
    analysis.retryable = analysis.retryable == true
    echo(AnalysisReport.console(analysis, title, cfg.maxExcerptLines as int, link))
    if (cfg.setDescription) {
        currentBuild.description = AnalysisReport.description(analysis, currentBuild.description as String, link)
    }
    return analysis
}
