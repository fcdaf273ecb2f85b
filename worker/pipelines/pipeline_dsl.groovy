// Compiles and runs Jenkinsfiles against stub pipeline DSL bindings, in one JVM for all of them.
//
// Used by worker/pipelines/groovy.py. Usage: groovy pipeline_dsl.groovy FILE...   -> one line per file: "OK <file> <steps>" or "FAIL <file>\t<error>"
// Every unknown method (pipeline, agent, stages, stage, steps, sh, withCredentials, ...) is recorded and, when its
// last argument is a closure, runs that closure with the DSL as delegate, so the whole file is compiled by the
// real Groovy compiler and every block is executed once.

class DslValue {
    final String path
    DslValue(String path) { this.path = path }
    def propertyMissing(String name) { new DslValue(path + '.' + name) }
    def methodMissing(String name, args) { new DslValue(path + '.' + name + '()') }
    String toString() { path }
}

class PipelineDsl {
    List<String> calls = []
    Map<String, Object> assigned = [:]

    def methodMissing(String name, args) {
        calls << name
        def list = args as List
        if (list && list[-1] instanceof Closure) {
            Closure body = (Closure) list[-1].clone()
            body.delegate = this
            body.resolveStrategy = Closure.DELEGATE_FIRST
            body.call()
        }
        return new DslValue(name)
    }

    def propertyMissing(String name) { new DslValue(name) }
    def propertyMissing(String name, value) { assigned[name] = value.toString() }
}

abstract class PipelineScript extends Script {
    PipelineDsl dsl = new PipelineDsl()
    def methodMissing(String name, args) { dsl.methodMissing(name, args) }
    def propertyMissing(String name) { dsl.propertyMissing(name) }
}

def config = new org.codehaus.groovy.control.CompilerConfiguration()
config.scriptBaseClass = PipelineScript.name
def shell = new GroovyShell(this.class.classLoader, new Binding(), config)
int failures = 0
args.each { String path ->
    try {
        def script = (PipelineScript) shell.parse(new File(path).getText('UTF-8'), 'Jenkinsfile')
        script.run()
        if (!script.dsl.calls.contains('pipeline')) {
            throw new IllegalStateException('no pipeline block was executed')
        }
        println "OK ${path} ${script.dsl.calls.size()}"
    } catch (Throwable e) {
        failures++
        println "FAIL ${path}\t${e.class.name}: ${e.message?.replace('\n', ' ')}"
    }
}
System.exit(failures ? 1 : 0)
