package org.langchainjenkins.testing

import org.junit.Before

/**
 * Base of the step tests: a harness with the environment of a running build, the token in the credentials
 * store and a FakeApi answering both transports.
 */
abstract class PipelineTestCase {

    static final String TOKEN = 'tok-5e6f7a8b9c0d-SECRET'
    static final String API = 'http://assistant.example:8000'
    static final String BUILD_PATH = '/api/v1/jobs/team/api-service/builds/42'
    static final String PAGE_URL = 'http://assistant.example:8000/analyses/WyJodHRw.sig'

    PipelineHarness harness
    FakeApi api

    @Before
    void setUpHarness() {
        harness = new PipelineHarness(new File(System.getProperty('lj.libraryRoot', '.')))
        harness.env.putAll(
                JOB_NAME: 'team/api-service',
                BUILD_NUMBER: '42',
                JENKINS_URL: 'http://jenkins.example:8080/',
                BUILD_URL: 'http://jenkins.example:8080/job/team/job/api-service/42/',
                LANGCHAIN_JENKINS_URL: API,
                GIT_COMMIT: '3f2a9c1',
                BRANCH_NAME: 'main',
        )
        harness.credentials['langchain-jenkins-api-token'] = TOKEN
        api = new FakeApi(TOKEN)
        api.attach(harness)
    }

    /** Runs the steps through the curl fallback instead of the HTTP Request plugin. */
    void withoutHttpRequestPlugin() {
        harness.httpRequestInstalled = false
    }

    /** A build document as `GET /api/v1/jobs/<job>/builds/<n>` returns it. */
    static List buildAnswer(String analysisStatus, Map analysis = null) {
        return FakeApi.ok([build   : [job: 'team/api-service', number: 42, status: 'FAILURE',
                                      analysis_status: analysisStatus],
                           analysis: analysis])
    }

    static Map sampleAnalysis() {
        return [
                category    : 'test',
                summary     : 'Tests run: 12, Failures: 1 in com.example.CalculatorTest',
                failed_stage: [name: 'Test', status: 'FAILED', step: "sh 'mvn -B verify'"],
                causes      : [[id: 'junit-assertion', category: 'test', line: 118,
                                description: 'A JUnit assertion failed',
                                fix: 'Run CalculatorTest locally and fix the expectation or the code']],
                excerpt     : [[start_line: 117, end_line: 119, score: 0.93,
                                text: '[ERROR] Tests run: 12, Failures: 1\n[ERROR] testAdd(com.example.CalculatorTest)' +
                                        '  Time elapsed: 0.01 s  <<< FAILURE!\njava.lang.AssertionError: expected:<4> but was:<5>']],
                similar     : [[job: 'team/api-service', build: 37, score: 1.0, summary: 'same assertion',
                                fix: 'reverted the rounding change']],
                fingerprint : 'ab12cd34',
                page_url    : PAGE_URL,
                retryable   : false,
                retry_reason: null,
                description : [format: 'text',
                               block : 'AI analysis: test - Tests run: 12, Failures: 1 in com.example.CalculatorTest\n' +
                                       'Full analysis: ' + PAGE_URL],
        ]
    }

    /**
     * Fails when the token appears anywhere a Jenkins user could read it: the log, or any argument of any step
     * (sh scripts, withEnv entries, echo text). The one allowed place is the masked Authorization header.
     */
    void assertTokenNeverLeaked() {
        assert !harness.consoleText().contains(TOKEN)
        harness.calls.each { Map call ->
            Object args = call.args
            if (call.step == 'httpRequest') {
                Map header = args.customHeaders.find { it.name == 'Authorization' }
                assert header.maskValue == true
                args = args.findAll { it.key != 'customHeaders' }
            }
            assert !String.valueOf(args).contains(TOKEN): "the token leaked into a ${call.step} call"
        }
    }
}
