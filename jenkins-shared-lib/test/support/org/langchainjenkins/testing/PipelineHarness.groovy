package org.langchainjenkins.testing

import groovy.json.JsonSlurperClassic
import org.codehaus.groovy.runtime.InvokerHelper

/**
 * A small pipeline runner in the style of JenkinsPipelineUnit: it loads the library's `vars/*.groovy` scripts
 * into one binding, binds stub steps and records every call, so tests assert on what a step did.
 *
 * Two ways to answer HTTP: in unit tests `httpHandler` and `shHandler` are closures a test sets (no sockets);
 * with `live = true` the `httpRequest` stub makes a real HTTP request and the `sh` stub runs the script with
 * `sh -xe`, as Jenkins does, so the real curl script talks to a real server (the e2e test).
 *
 * Jenkins behaviour kept on purpose: `error` throws an AbortException; a step that is not installed throws
 * NoSuchMethodError ("No such DSL method"); withCredentials puts the secret in the environment only for its
 * body and fails for an unknown credentials id; `env.X` is null when X is unset. Unlike Jenkins, nothing is
 * masked: a leaked token shows up in `console` and `calls`, where tests look for it.
 */
class PipelineHarness {

    /** Every step call in order: [step: name, args: [...]]. */
    final List<Map> calls = []
    /** The build log: echo text, sh stderr/stdout shown by Jenkins, unstable/error messages. */
    final List<String> console = []
    final Map<String, String> env = [:]
    /** credentials id -> secret text, as the Jenkins credentials store would hold them. */
    final Map<String, String> credentials = [:]
    final Map params = [:]
    final FakeBuild currentBuild = new FakeBuild()

    boolean unix = true
    boolean httpRequestInstalled = true
    boolean live = false
    /** (Map options) -> [status: int, content: String]; may throw like the plugin does (timeouts, refused). */
    Closure httpHandler = { Map options -> throw new ConnectException('Connection refused (no httpHandler set)') }
    /** (Map options, Map environment) -> stdout of the script. */
    Closure shHandler = { Map options, Map environment -> throw new AbortException('script returned exit code 1') }
    /** Seconds slept through the `sleep` step (only really slept when live). */
    long sleptSeconds = 0

    /**
     * Compiled library code, shared by every harness of this JVM: src/ classes and vars/ scripts compile once,
     * each harness gets fresh script instances bound to its own stubs.
     */
    private static final Map<String, GroovyClassLoader> LOADERS = [:]
    private static final Map<String, Class> SCRIPT_CLASSES = [:]

    private final File libraryRoot
    private final Binding binding = new Binding()
    private final GroovyShell shell
    private final Map<String, Script> steps = [:]

    PipelineHarness(File libraryRoot) {
        this.libraryRoot = libraryRoot.canonicalFile
        shell = new GroovyShell(loaderFor(this.libraryRoot), binding)
        bindGlobals()
        bindSteps()
        bindLibrarySteps()
    }

    /** Calls a library step as a Jenkinsfile would: `run('analyzeFailure', [timeout: 10])`. */
    Object run(String step, Object... args) {
        return binding.getVariable(step).call(args)
    }

    /**
     * Runs a scripted Jenkinsfile against the harness. `@Library` lines are dropped: the library is already
     * loaded, as Jenkins would have done before running the script.
     */
    Object runJenkinsfile(String text) {
        String script = text.readLines().findAll { !it.trim().startsWith('@Library(') }.join('\n')
        return shell.parse(script, 'Jenkinsfile').run()
    }

    List<Map> callsTo(String step) {
        return calls.findAll { it.step == step }
    }

    String consoleText() {
        return console.join('\n')
    }

    /** Everything a step could leak a secret into: the log and every argument of every call. */
    String everythingRecorded() {
        return consoleText() + '\n' + calls.collect { it.step + ' ' + String.valueOf(it.args) }.join('\n')
    }

    private void record(String step, Object args) {
        calls << [step: step, args: args]
    }

    private void bindGlobals() {
        binding.setVariable('env', env)
        binding.setVariable('params', params)
        binding.setVariable('currentBuild', currentBuild)
    }

    private void bindSteps() {
        bind('echo') { Object message ->
            record('echo', message)
            console << String.valueOf(message)
            return null
        }
        bind('error') { Object message ->
            record('error', message)
            console << 'ERROR: ' + message
            throw new AbortException(String.valueOf(message))
        }
        bind('unstable') { Object options ->
            String message = options instanceof Map ? options.message : String.valueOf(options)
            record('unstable', message)
            console << 'WARNING: ' + message
            currentBuild.result = worse(currentBuild.result, 'UNSTABLE')
            return null
        }
        bind('isUnix') { ->
            record('isUnix', [])
            return unix
        }
        bind('sleep') { Object options ->
            long seconds = options instanceof Map ? options.time as long : options as long
            record('sleep', options)
            sleptSeconds += seconds
            if (live) {
                Thread.sleep(seconds * 1000L)
            }
            return null
        }
        bind('timeout') { Map options, Closure body ->
            record('timeout', options)
            return body.call()
        }
        bind('node') { Object... args ->
            record('node', args.length > 1 ? args[0] : null)
            return (args[-1] as Closure).call()
        }
        bind('stage') { String name, Closure body ->
            record('stage', name)
            console << "[Pipeline] { (${name})".toString()
            return body.call()
        }
        bind('readJSON') { Map options ->
            record('readJSON', options)
            return new JsonSlurperClassic().parseText(options.text as String)
        }
        bind('string') { Map options ->
            record('string', options)
            return [kind: 'string'] + options
        }
        bind('withCredentials') { List bindings, Closure body ->
            record('withCredentials', bindings)
            Map saved = [:]
            bindings.each { Map b ->
                if (!credentials.containsKey(b.credentialsId)) {
                    throw new AbortException("Could not find credentials entry with ID '${b.credentialsId}'")
                }
                saved[b.variable] = env[b.variable]
                env[b.variable] = credentials[b.credentialsId]
            }
            try {
                return body.call()
            } finally {
                saved.each { key, value -> value == null ? env.remove(key) : env.put(key, value) }
            }
        }
        bind('withEnv') { List overrides, Closure body ->
            record('withEnv', overrides)
            Map saved = [:]
            overrides.each { String entry ->
                int at = entry.indexOf('=')
                String key = entry.substring(0, at)
                saved[key] = env[key]
                env[key] = entry.substring(at + 1)
            }
            try {
                return body.call()
            } finally {
                saved.each { key, value -> value == null ? env.remove(key) : env.put(key, value) }
            }
        }
        bind('sh') { Object options ->
            Map opts = options instanceof Map ? options : [script: options]
            record('sh', opts)
            Map environment = new LinkedHashMap(env)
            return live ? runShell(opts, environment) : shHandler.call(opts, environment)
        }
        bind('httpRequest') { Map options ->
            if (!httpRequestInstalled) {
                throw new NoSuchMethodError("No such DSL method 'httpRequest' found among steps [echo, sh, ...]")
            }
            record('httpRequest', options)
            return live ? realHttpRequest(options) : httpHandler.call(options)
        }
    }

    private void bindLibrarySteps() {
        new File(libraryRoot, 'vars').listFiles().findAll { it.name.endsWith('.groovy') }.sort().each { File file ->
            String name = file.name - '.groovy'
            Class scriptClass = SCRIPT_CLASSES.computeIfAbsent(file.canonicalPath) { shell.classLoader.parseClass(file) }
            Script script = InvokerHelper.createScript(scriptClass, binding)
            steps[name] = script
            bind(name) { Object[] args ->
                record(name, args.toList())
                return script.invokeMethod('call', args)
            }
        }
    }

    private static synchronized GroovyClassLoader loaderFor(File libraryRoot) {
        return LOADERS.computeIfAbsent(libraryRoot.path) {
            GroovyClassLoader loader = new GroovyClassLoader(PipelineHarness.classLoader)
            loader.addClasspath(new File(libraryRoot, 'src').path)
            return loader
        }
    }

    private void bind(String name, Closure stub) {
        binding.setVariable(name, stub)
    }

    /** Runs a script as Jenkins' sh step does (`sh -xe`), with the build's environment. */
    private Object runShell(Map options, Map environment) {
        File scriptFile = File.createTempFile('lj-sh', '.sh')
        try {
            scriptFile.text = options.script
            ProcessBuilder builder = new ProcessBuilder('sh', '-xe', scriptFile.path)
            builder.environment().putAll(environment.findAll { it.value != null }
                    .collectEntries { key, value -> [key.toString(), value.toString()] })
            Process process = builder.start()
            StringBuffer stdout = new StringBuffer()
            StringBuffer stderr = new StringBuffer()
            // waitForProcessOutput(out, err) joins its reader threads; consumeProcessOutput + waitFor did not, so
            // under load the output could be read before the threads had appended it (an empty curl answer).
            process.waitForProcessOutput(stdout, stderr)
            int exitCode = process.waitFor()
            if (stderr) {
                console.addAll(stderr.toString().readLines())
            }
            if (!options.returnStdout && stdout) {
                console.addAll(stdout.toString().readLines())
            }
            if (exitCode != 0 && !options.returnStatus) {
                throw new AbortException("script returned exit code ${exitCode}")
            }
            return options.returnStatus ? exitCode : (options.returnStdout ? stdout.toString() : null)
        } finally {
            scriptFile.delete()
        }
    }

    /** What the HTTP Request plugin does with the options the library passes. */
    private static Map realHttpRequest(Map options) {
        HttpURLConnection connection = (HttpURLConnection) new URL(options.url as String).openConnection()
        int timeoutMs = ((options.timeout ?: 30) as int) * 1000
        connection.connectTimeout = timeoutMs
        connection.readTimeout = timeoutMs
        connection.requestMethod = options.httpMode ?: 'GET'
        if (options.acceptType == 'APPLICATION_JSON') {
            connection.setRequestProperty('Accept', 'application/json')
        }
        (options.customHeaders ?: []).each { Map header ->
            connection.setRequestProperty(header.name as String, header.value as String)
        }
        if (options.requestBody != null) {
            connection.doOutput = true
            connection.setRequestProperty('Content-Type', 'application/json; charset=UTF-8')
            connection.outputStream.withStream { it.write((options.requestBody as String).getBytes('UTF-8')) }
        }
        int status = connection.responseCode
        InputStream stream = status >= 400 ? connection.errorStream : connection.inputStream
        String content = stream == null ? '' : stream.getText('UTF-8')
        return [status: status, content: content]
    }

    private static String worse(String current, String candidate) {
        List order = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']
        return current == null || order.indexOf(candidate) > order.indexOf(current) ? candidate : current
    }
}
