/*
 * Runs every test/unit/*Test.groovy with JUnit 4 and prints one closing line "N passed, N failed".
 * Usage (from run-tests.sh): groovy -cp src:test/support test/RunTests.groovy [library root] [name filter]
 */
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.Request
import org.junit.runner.Result
import org.junit.runner.manipulation.Filter
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

File root = new File(args.length > 0 ? args[0] : '.').canonicalFile
String only = args.length > 1 ? args[1] : null
System.setProperty('lj.libraryRoot', root.path)

GroovyClassLoader loader = new GroovyClassLoader(this.class.classLoader)
List<Class> classes = new File(root, 'test/unit').listFiles()
        .findAll { it.name.endsWith('Test.groovy') }
        .sort { it.name }
        .collect { loader.parseClass(it) }

JUnitCore core = new JUnitCore()
core.addListener(new RunListener() {
    private final Set<Description> failed = [] as Set

    @Override
    void testFailure(Failure failure) {
        failed << failure.description
        println "FAIL ${failure.description.className}.${failure.description.methodName}"
    }

    @Override
    void testFinished(Description description) {
        if (!failed.contains(description)) {
            println "ok   ${description.className}.${description.methodName}"
        }
    }
})

Request request = Request.classes(classes as Class[])
if (only) {
    request = request.filterWith(new Filter() {
        @Override
        boolean shouldRun(Description description) {
            return description.isSuite() || "${description.className}.${description.methodName}".contains(only)
        }

        @Override
        String describe() {
            return "tests matching ${only}"
        }
    })
}
Result result = core.run(request)
result.failures.each { Failure failure ->
    println ''
    println "---- ${failure.testHeader}"
    println failure.trace.readLines().findAll { !it.contains('org.codehaus.groovy.') && !it.contains('sun.reflect') &&
            !it.contains('java.base/') && !it.contains('org.junit.') }.take(25).join('\n')
}
int failedCount = result.failureCount
println ''
println "${result.runCount - failedCount} passed, ${failedCount} failed"
System.exit(failedCount == 0 && result.runCount > 0 ? 0 : 1)
