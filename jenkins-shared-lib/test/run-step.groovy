/*
 * Runs one library step in the pipeline harness, driven by a JSON file, for tests outside Groovy (the pytest
 * e2e test). With "live": true the harness makes real HTTP requests (httpRequest) or runs the real curl
 * script (sh), so the step talks to a real API.
 *
 * Usage: groovy -cp src:test/support test/run-step.groovy SPEC.json RESULT.json
 * SPEC:   {"step": "analyzeFailure", "args": {...}, "env": {...}, "credentials": {"id": "secret"},
 *          "currentBuild": {"result": "FAILURE", "description": null, "duration": 1000,
 *                           "causes": [{"shortDescription": "Started by user admin"}]}, "params": {...},
 *          "httpRequestInstalled": true, "live": true}
 * RESULT: {"ok": true|false, "error": "Class: message"|null, "returned": ..., "console": [...],
 *          "calls": [{"step": ..., "args": "..."}], "currentBuild": {"result": ..., "description": ...}}
 * Exit status: 0 when the step returned, 1 when it threw (the result file is written either way).
 */
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic
import org.langchainjenkins.testing.PipelineHarness

if (args.length != 2) {
    System.err.println('usage: run-step.groovy SPEC.json RESULT.json')
    System.exit(2)
}
Map spec = new JsonSlurperClassic().parse(new File(args[0]), 'UTF-8') as Map
File libraryRoot = new File(getClass().protectionDomain.codeSource?.location?.path ?: '.').parentFile?.parentFile
if (spec.library) {
    libraryRoot = new File(spec.library as String)
}

PipelineHarness harness = new PipelineHarness(libraryRoot)
harness.live = spec.live != false
harness.httpRequestInstalled = spec.httpRequestInstalled != false
harness.unix = spec.unix != false
harness.env.putAll((spec.env ?: [:]) as Map)
harness.credentials.putAll((spec.credentials ?: [:]) as Map)
harness.params.putAll((spec.params ?: [:]) as Map)
Map build = (spec.currentBuild ?: [:]) as Map
harness.currentBuild.result = build.result
harness.currentBuild.description = build.description
harness.currentBuild.buildCauses = (build.causes ?: []) as List
if (build.duration != null) {
    harness.currentBuild.duration = build.duration as long
}

Map result = [ok: true, error: null, returned: null]
try {
    result.returned = harness.run(spec.step as String, (spec.args ?: [:]) as Map)
} catch (Throwable e) {
    result.ok = false
    result.error = "${e.getClass().name}: ${e.message}".toString()
}
result.console = harness.console
result.calls = harness.calls.collect { [step: it.step, args: String.valueOf(it.args)] }
result.currentBuild = [result: harness.currentBuild.result, description: harness.currentBuild.description]
result.transport = harness.callsTo('sh') ? 'curl' : 'httpRequest'
new File(args[1]).setText(JsonOutput.prettyPrint(JsonOutput.toJson(result)), 'UTF-8')
System.exit(result.ok ? 0 : 1)
