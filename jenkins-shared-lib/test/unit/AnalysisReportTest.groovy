import org.junit.Test
import org.langchainjenkins.AnalysisReport
import org.langchainjenkins.ApiPaths
import org.langchainjenkins.AssistantClient

/** The pure helpers: report text, description block, URL paths, curl output. */
class AnalysisReportTest {

    @Test
    void numbers_excerpt_lines_and_cuts_at_the_line_budget() {
        List blocks = [[start_line: 998, text: 'a\nb\nc\nd'], [start_line: 5, text: 'x\ny'], [start_line: 50, text: 'z']]

        List<String> lines = AnalysisReport.excerptLines(blocks, 5)

        assert lines == ['Excerpt (lines 998-1001):', '   998 | a', '   999 | b', '  1000 | c', '  1001 | d',
                         'Excerpt (lines 5-6):', '     5 | x', '       | ... (1 more lines)',
                         '(1 more excerpt block in the full analysis)']
    }

    @Test
    void prints_what_it_has_and_skips_what_is_missing() {
        String text = AnalysisReport.console([category: 'infrastructure', explanation: 'The agent ran out of disk.'],
                'a #1', 40, null)

        assert text.readLines() == ['========== langchain-jenkins: failure analysis of a #1 ==========',
                                    'Category: infrastructure', 'Explanation:', '  The agent ran out of disk.',
                                    '=' * 70]
    }

    @Test
    void plain_text_description_lines_are_added_once_and_replaced_later() {
        Map lint = [category: 'lint', description: [format: 'text', block: 'AI analysis: lint - ruff: 3 errors']]
        String first = AnalysisReport.description(lint, 'deployed to staging', null)
        assert first == 'deployed to staging\nAI analysis: lint - ruff: 3 errors'

        Map test = [description: [format: 'text', block: 'AI analysis: test - 1 failure\nFull analysis: http://x/a']]
        String second = AnalysisReport.description(test, first + '\nsigned off by ops', 'http://x/a')
        assert second == 'deployed to staging\nsigned off by ops\nAI analysis: test - 1 failure\nFull analysis: http://x/a'
        assert !second.contains('<')
    }

    @Test
    void plain_text_replaces_an_html_block_and_html_replaces_plain_lines() {
        String html = '<!-- langchain-jenkins --><b>AI analysis: test</b> - x<!-- /langchain-jenkins -->'
        String text = AnalysisReport.description(
                [description: [format: 'text', block: 'AI analysis: test - y']], 'note\n' + html + '\n' + html, null)
        assert text == 'note\nAI analysis: test - y'

        String back = AnalysisReport.description([description: [format: 'html', block: '<b>AI analysis: test</b> - z']],
                text, null)
        assert back == 'note\n<!-- langchain-jenkins --><b>AI analysis: test</b> - z<!-- /langchain-jenkins -->'
    }

    @Test
    void without_a_block_from_the_api_the_text_is_one_short_line_and_the_link() {
        String summary = 'line one\nline two <!-- /langchain-jenkins --> ' + 'x' * 300

        String description = AnalysisReport.description([category: 'test', summary: summary], '', 'http://x/p')

        assert !description.contains('<!--')
        assert description.readLines().size() == 2
        assert description.readLines()[0].startsWith('AI analysis: test - line one line two ')
        assert description.contains('\u2026')
        assert description.readLines()[1] == 'Full analysis: http://x/p'
    }

    @Test
    void encodes_each_job_segment_on_its_own() {
        assert ApiPaths.build('team/api-service', 7) == '/api/v1/jobs/team/api-service/builds/7'
        assert ApiPaths.build('a b/c+d/feature%2Fx', '12') == '/api/v1/jobs/a%20b/c%2Bd/feature%252Fx/builds/12'
        assert ApiPaths.build('caf\u00e9/~tilde*', 1) == '/api/v1/jobs/caf%C3%A9/~tilde%2A/builds/1'
        assert ApiPaths.task('a/b') == '/api/v1/tasks/a%2Fb'
    }

    @Test
    void reads_body_status_and_exit_code_from_the_curl_script_output() {
        assert AssistantClient.parseCurlOutput('{"a":1}\n202\n0\n') == [status: 202, data: [a: 1], error: null]
        assert AssistantClient.parseCurlOutput('{"a":\n1}\n200\n0') == [status: 200, data: [a: 1], error: null]
        assert AssistantClient.parseCurlOutput('\n000\n28\n') ==
                [status: 0, data: null, error: 'no response (curl exit 28: the API did not answer in time)']
        assert AssistantClient.parseCurlOutput('<html>bad gateway</html>\n502\n0\n') ==
                [status: 502, data: null, error: 'HTTP 502: <html>bad gateway</html>']
        assert AssistantClient.parseCurlOutput('').error.startsWith('unexpected output from curl')
    }
}
