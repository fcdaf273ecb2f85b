import static groovy.test.GroovyAssert.shouldFail
import static org.langchainjenkins.testing.FakeApi.accepted

import org.junit.Test
import org.langchainjenkins.testing.AbortException
import org.langchainjenkins.testing.PipelineTestCase

/** The scripted sample job of the compose controller (jenkins/sample-jobs) runs as its comments say. */
class SampleJenkinsfileTest extends PipelineTestCase {

    @Test
    void scripted_sample_fails_for_its_own_reason_and_prints_the_analysis() {
        File jenkinsfile = new File(System.getProperty('lj.libraryRoot', '.'),
                '../jenkins/sample-jobs/scripted-with-agent.Jenkinsfile')
        api.on('POST /api/v1/events', accepted([accepted: true]))
        api.on('GET ' + BUILD_PATH, buildAnswer('done', sampleAnalysis()))
        // The build's own sh step fails like the real one (exit 1); the library uses httpRequest, not sh.
        harness.shHandler = { Map options, Map environment ->
            assert options.script.contains('COMPILATION ERROR'): "unexpected sh step: ${options.script}"
            throw new AbortException('script returned exit code 1')
        }

        AbortException e = shouldFail(AbortException) { harness.runJenkinsfile(jenkinsfile.text) }

        assert e.message == 'script returned exit code 1'
        assert harness.callsTo('stage')*.args == ['Compile']
        assert api.requestsTo('POST', '/api/v1/events')*.body*.event == ['started', 'completed']
        assert harness.consoleText().contains('Category: test')
        assert harness.currentBuild.description.contains('AI analysis: test')
    }
}
