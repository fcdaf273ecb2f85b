package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Talks to the assistant's HTTP API from inside a Pipeline.
 *
 * Requests go through the HTTP Request plugin (`httpRequest`) when it is installed, otherwise through `curl` in
 * a single-quoted `sh`. The API token lives only in the environment variable that `withCredentials` binds for
 * the duration of one request: the curl script reads it from there (through `--config -`, so it is on no command
 * line either), and `httpRequest` gets it in a masked header. It is never part of an interpolated Groovy string
 * and never echoed.
 *
 * Transport problems never throw: {@link #request} returns `[status: 0, error: '...']`, and the step decides,
 * through {@link #problem}, whether that is a warning or (with failOnError) an error. Aborts and timeouts of the
 * build itself are rethrown so that a user's "Abort" still works.
 *
 * The object is serializable (the pipeline may be resumed after a controller restart): it keeps the CPS
 * script to call steps on, the resolved options and the transport it settled on.
 */
class AssistantClient implements Serializable {

    private static final long serialVersionUID = 1L

    /** The environment variable withCredentials binds the token to, for one request at a time. */
    static final String TOKEN_VARIABLE = 'LJ_API_TOKEN'

    /**
     * The curl request. Single-quoted on purpose: Groovy interpolates nothing; the shell reads every value from
     * the environment. `set +x` stops Jenkins' `sh -x` from tracing the command. The output is the body, then
     * the HTTP status and curl's exit code on lines of their own (curl's own message goes to the console).
     */
    static final String CURL_SCRIPT = '''set +x
# curl's config syntax needs '\\' and '"' escaped; sed reads the token on stdin, never from its arguments.
token=$(printf '%s' "$LJ_API_TOKEN" | sed 's/[\\\\"]/\\\\&/g')
# The body is always a JSON object or array (never "@file", which curl would read as a file name).
if [ -n "${LJ_HTTP_BODY:-}" ]; then
  set -- --header 'Content-Type: application/json' --data-binary "$LJ_HTTP_BODY"
else
  set --
fi
rc=0
curl --silent --show-error --max-time "$LJ_HTTP_TIMEOUT" --request "$LJ_HTTP_METHOD" \\
  --header 'Accept: application/json' --write-out '\\n%{http_code}' --config - "$@" "$LJ_HTTP_URL" <<LJ_EOF || rc=$?
header = "Authorization: Bearer $token"
LJ_EOF
printf '\\n%s\\n' "$rc"
'''

    private final def steps
    private final String stepName
    private final Map cfg
    /** 'httpRequest' or 'curl' once known; null until the first request in 'auto' mode. */
    private String transport

    AssistantClient(steps, String stepName, Map cfg) {
        this.steps = steps
        this.stepName = stepName
        this.cfg = cfg
        this.transport = cfg.httpClient == 'auto' ? null : cfg.httpClient
    }

    String getTransport() {
        return transport
    }

    /**
     * Sends one request to the API.
     *
     * @return [status: HTTP status or 0 when there was no response, data: parsed JSON body or null,
     *          error: a one-line description when status is 0 or >= 400, else null]
     */
    Map request(String method, String path, Object body) {
        String url = cfg.apiUrl + path
        String payload = body == null ? null : Json.write(body)
        try {
            return steps.withCredentials([steps.string(credentialsId: cfg.credentialsId, variable: TOKEN_VARIABLE)]) {
                return send(method, url, payload)
            }
        } catch (Throwable e) {
            if (isInterruption(e)) {
                throw e
            }
            return [status: 0, data: null, error: describe(e)]
        }
    }

    /**
     * Reports a problem with the assistant: an error when failOnError is set, otherwise a console warning and,
     * with markUnstable, an UNSTABLE result. Never fails the build by default.
     */
    void problem(String message) {
        String text = stepName + ': ' + message
        if (cfg.failOnError) {
            steps.error(text)
        }
        if (cfg.markUnstable) {
            steps.unstable(message: text)
        } else {
            steps.echo('WARNING: ' + text + ' (the build is not affected; failOnError: true would fail it)')
        }
    }

    /**
     * Polls `GET path` every `interval` seconds until the resource is finished (see {@link #isFinished}) or
     * `timeout` seconds have passed, counting both the time slept and the wall clock (a slow API counts too).
     *
     * @return [data: the finished document] or [error: why there is none, timedOut: true|false]
     */
    Map poll(String path, String kind, int attempt = 1) {
        long startedAt = System.currentTimeMillis()
        long timeoutMs = (cfg.timeout as long) * 1000L
        long intervalMs = (cfg.interval as long) * 1000L
        long sleptMs = 0L
        String last = 'no answer yet'
        while (true) {
            Map response = request('GET', path, null)
            if (response.status == 200 && isFinished(kind, response.data, attempt)) {
                return [data: response.data]
            }
            if (response.status == 401 || response.status == 403) {
                // The token will not get better by waiting.
                return [error: response.error, timedOut: false]
            }
            last = response.error ?: progress(kind, response.data)
            long elapsedMs = Math.max(sleptMs, System.currentTimeMillis() - startedAt)
            if (elapsedMs + intervalMs > timeoutMs) {
                return [error: "no result after ${cfg.timeout}s (last: ${last})".toString(), timedOut: true]
            }
            steps.sleep(time: cfg.interval, unit: 'SECONDS')
            sleptMs += intervalMs
        }
    }

    /** Whether a polled document is final: an analysis that is done or failed, a task that ended. */
    @NonCPS
    static boolean isFinished(String kind, Object data, int attempt = 1) {
        if (!(data instanceof Map)) {
            return false
        }
        if (kind == 'analysis') {
            if (!(data.build instanceof Map) || !['done', 'failed'].contains(data.build.analysis_status)) {
                return false
            }
            // A retried attempt waits for its own analysis, not the previous attempt's one that is done already.
            Object analysed = data.analysis instanceof Map ? (data.analysis.attempt ?: 1) : null
            return data.build.analysis_status == 'failed' || analysed == null || (analysed as int) >= attempt
        }
        return ['succeeded', 'failed', 'rejected'].contains(data.status)
    }

    @NonCPS
    private static String progress(String kind, Object data) {
        if (!(data instanceof Map)) {
            return 'not found yet'
        }
        if (kind == 'analysis') {
            return "analysis_status ${data.build instanceof Map ? data.build.analysis_status : '?'}".toString()
        }
        return "status ${data.status}".toString()
    }

    private Map send(String method, String url, String payload) {
        if (transport == null || transport == 'httpRequest') {
            try {
                Map response = viaHttpRequest(method, url, payload)
                transport = 'httpRequest'
                return response
            } catch (NoSuchMethodError e) {
                // "No such DSL method 'httpRequest'": the HTTP Request plugin is not installed.
                if (cfg.httpClient == 'httpRequest') {
                    return [status: 0, data: null,
                            error: "httpClient 'httpRequest' needs the HTTP Request plugin (http_request)"]
                }
                transport = 'curl'
            }
        }
        return viaCurl(method, url, payload)
    }

    private Map viaHttpRequest(String method, String url, String payload) {
        Map options = [
                url                   : url,
                httpMode              : method,
                acceptType            : 'APPLICATION_JSON',
                // Every status is a "valid" response here: this class turns 4xx/5xx into warnings itself.
                validResponseCodes    : '100:599',
                consoleLogResponseBody: false,
                quiet                 : true,
                timeout               : cfg.httpTimeout,
                // Concatenated (not interpolated) inside withCredentials, and masked in the step's log.
                customHeaders         : [[name: 'Authorization', value: 'Bearer ' + steps.env.LJ_API_TOKEN,
                                          maskValue: true]],
        ]
        if (payload != null) {
            options.contentType = 'APPLICATION_JSON_UTF8'
            options.requestBody = payload
        }
        def response = steps.httpRequest(options)
        return toResponse(response.status as int, response.content as String)
    }

    private Map viaCurl(String method, String url, String payload) {
        if (!steps.isUnix()) {
            return [status: 0, data: null,
                    error: 'the curl fallback needs a Unix agent: install the HTTP Request plugin (http_request)']
        }
        List environment = [
                'LJ_HTTP_METHOD=' + method,
                'LJ_HTTP_URL=' + url,
                'LJ_HTTP_TIMEOUT=' + cfg.httpTimeout,
                'LJ_HTTP_BODY=' + (payload ?: ''),
        ]
        String output = steps.withEnv(environment) {
            return steps.sh(script: CURL_SCRIPT, returnStdout: true, label: 'langchain-jenkins API request')
        }
        return parseCurlOutput(output)
    }

    /** Splits the curl script's output into body, HTTP status and curl exit code. */
    @NonCPS
    static Map parseCurlOutput(String output) {
        List<String> lines = (output ?: '').replaceAll(/\s+$/, '').readLines()
        if (lines.size() < 2 || !(lines[-1] ==~ /\d+/) || !(lines[-2] ==~ /\d{3}/)) {
            return [status: 0, data: null, error: 'unexpected output from curl: ' + abbreviate(output ?: '', 200)]
        }
        int exitCode = lines[-1] as int
        int status = lines[-2] as int
        if (exitCode != 0 || status == 0) {
            return [status: 0, data: null, error: describeCurlExit(exitCode)]
        }
        return toResponse(status, lines.size() > 2 ? lines[0..-3].join('\n') : '')
    }

    @NonCPS
    static Map toResponse(int status, String text) {
        Object data = Json.parse(text)
        String error = status >= 400 ? describeHttpError(status, data, text) : null
        return [status: status, data: data, error: error]
    }

    /** "HTTP 422 validation_error: ... (job: missing)" from the API's error body. */
    @NonCPS
    static String describeHttpError(int status, Object data, String text) {
        if (data instanceof Map && data.error instanceof Map) {
            Map error = data.error as Map
            String message = "HTTP ${status} ${error.code ?: 'error'}: ${error.message ?: ''}".toString().trim()
            if (error.fields instanceof List && !error.fields.isEmpty()) {
                message += ' (' + error.fields.collect { it instanceof Map ? "${it.field}: ${it.rule}" : it }
                        .join(', ') + ')'
            }
            return message
        }
        return "HTTP ${status}: ${abbreviate(text ?: '', 200)}".toString()
    }

    @NonCPS
    static String describeCurlExit(int exitCode) {
        Map known = [
                6 : 'could not resolve the API host',
                7 : 'could not connect to the API',
                28: 'the API did not answer in time',
                35: 'TLS handshake with the API failed',
                60: 'the API TLS certificate is not trusted',
        ]
        return "no response (curl exit ${exitCode}: ${known[exitCode] ?: 'see the curl message above'})".toString()
    }

    @NonCPS
    static String describe(Throwable e) {
        String message = e.message ?: ''
        return "no response (${e.getClass().simpleName}${message ? ': ' + abbreviate(message, 300) : ''})".toString()
    }

    /** True for a build abort or a `timeout` step firing: those must propagate, not become warnings. */
    @NonCPS
    static boolean isInterruption(Throwable e) {
        return e instanceof InterruptedException ||
                e.getClass().name == 'org.jenkinsci.plugins.workflow.steps.FlowInterruptedException'
    }

    @NonCPS
    static String abbreviate(String text, int max) {
        String flat = text.replaceAll(/\s+/, ' ').trim()
        return flat.length() <= max ? flat : flat.substring(0, max - 3) + '...'
    }
}
