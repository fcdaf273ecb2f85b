package org.langchainjenkins.testing

import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

/**
 * The assistant API as the unit tests need it: canned answers per "METHOD /path", the requests it received,
 * and the bearer-token check of the real API. It answers both transports of the library: the `httpRequest`
 * stub (the token in the Authorization header) and the `sh` stub running the curl script (the token in the
 * LJ_API_TOKEN variable the script reads; the request in LJ_HTTP_*), so one test can run either way.
 */
class FakeApi {

    final String token
    /** [method:, path:, body: parsed JSON or null, transport: 'httpRequest'|'curl'] */
    final List<Map> requests = []
    private final Map<String, List> routes = [:]

    FakeApi(String token) {
        this.token = token
    }

    /**
     * Queues answers for a route; the last one repeats. An answer is [status, body] or a Closure that throws
     * (connection refused, read timeout).
     */
    FakeApi on(String route, Object... answers) {
        routes[route] = answers.toList()
        return this
    }

    static List ok(Object body) {
        return [200, body]
    }

    static List accepted(Object body) {
        return [202, body]
    }

    static List error(int status, String code, String message, List fields = []) {
        return [status, [error: [code: code, message: message, fields: fields]]]
    }

    void attach(PipelineHarness harness) {
        harness.httpHandler = { Map options ->
            String header = (options.customHeaders ?: []).find { it.name == 'Authorization' }?.value
            List answer = answer(options.httpMode as String, options.url as String, options.requestBody as String,
                    header == 'Bearer ' + token, 'httpRequest')
            return [status: answer[0], content: answer[1] == null ? '' : JsonOutput.toJson(answer[1])]
        }
        harness.shHandler = { Map options, Map environment ->
            assert options.script.contains('curl') : 'the sh stub only knows the curl script'
            List answer = answer(environment.LJ_HTTP_METHOD as String, environment.LJ_HTTP_URL as String,
                    environment.LJ_HTTP_BODY as String, environment.LJ_API_TOKEN == token, 'curl')
            if (answer[0] == 0) {
                return '\n000\n7\n'   // curl: (7) Failed to connect
            }
            return (answer[1] == null ? '' : JsonOutput.toJson(answer[1])) + "\n${answer[0]}\n0\n"
        }
    }

    List<Map> requestsTo(String method, String pathPrefix) {
        return requests.findAll { it.method == method && it.path.startsWith(pathPrefix) }
    }

    private List answer(String method, String url, String body, boolean authorized, String transport) {
        URI uri = new URI(url)
        String path = uri.rawPath
        requests << [method: method, path: path, body: body ? new JsonSlurperClassic().parseText(body) : null,
                     transport: transport, query: uri.rawQuery]
        if (!authorized) {
            return error(401, 'unauthorized', 'missing or invalid bearer token')
        }
        List answers = routes[method + ' ' + path]
        if (answers == null) {
            return error(404, 'not_found', "no route ${method} ${path}")
        }
        Object next = answers.size() > 1 ? answers.remove(0) : answers[0]
        if (next instanceof Closure) {
            if (transport == 'curl') {
                return [0, null]
            }
            next.call()
        }
        return next as List
    }
}
