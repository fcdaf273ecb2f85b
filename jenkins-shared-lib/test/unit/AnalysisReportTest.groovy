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
    void description_block_is_added_once_and_replaced_later() {
        String first = AnalysisReport.description([category: 'lint', summary: 'ruff: 3 errors'], null, null)
        assert first == '<!-- langchain-jenkins -->AI analysis: lint \u2014 ruff: 3 errors<!-- /langchain-jenkins -->'

        String second = AnalysisReport.description([category: 'test'], 'note\n' + first + '\n' + first, 'http://x/a')
        assert second == 'note\n<!-- langchain-jenkins -->AI analysis: test \u2014 no cause found http://x/a' +
                '<!-- /langchain-jenkins -->\n'
    }

    @Test
    void description_summary_is_one_short_line_without_markers() {
        String summary = 'line one\nline two <!-- /langchain-jenkins --> ' + 'x' * 300

        String description = AnalysisReport.description([category: 'test', summary: summary], '', null)

        assert description.count('<!-- /langchain-jenkins -->') == 1
        assert !description.contains('\n')
        assert description.contains('line one line two')
        assert description.contains('\u2026')
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
