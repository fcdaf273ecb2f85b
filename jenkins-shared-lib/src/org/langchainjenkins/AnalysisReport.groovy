package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

import java.util.regex.Matcher
import java.util.regex.Pattern

/**
 * Turns an Analysis document (the API's `analysis` object) into console text and a build description.
 *
 * Every field is optional here: the API may add fields (similar failures, explanation, failed stage) or omit
 * them, and a report with less in it is better than a step that throws.
 */
class AnalysisReport implements Serializable {

    private static final long serialVersionUID = 1L

    /**
     * The marked block of the build description. The worker writes the same block through the Jenkins REST API
     * (worker/jenkins/description.py); whichever writes last replaces the other's block instead of adding a
     * second one, and text outside the block (a deploy note, say) stays.
     */
    static final String MARK_START = '<!-- langchain-jenkins -->'
    static final String MARK_END = '<!-- /langchain-jenkins -->'
    static final int MAX_SUMMARY_CHARS = 200
    static final int MAX_BLOCK_CHARS = 1000

    /**
     * The console report: category, summary, failed stage, causes with their fixes, the excerpt blocks with
     * line numbers, similar past failures and the explanation.
     */
    @NonCPS
    static String console(Map analysis, String title, int maxExcerptLines, String detailsUrl) {
        List<String> out = []
        out << "========== langchain-jenkins: failure analysis of ${title} ==========".toString()
        out << "Category: ${analysis.category ?: 'unknown'}".toString()
        if (analysis.summary) {
            out << "Summary:  ${analysis.summary}".toString()
        }
        String stage = stageText(analysis.failed_stage)
        if (stage) {
            out << "Failed stage: ${stage}".toString()
        }
        for (Object cause : list(analysis.causes)) {
            if (!(cause instanceof Map)) {
                continue
            }
            String where = cause.line ? " (line ${cause.line})" : ''
            out << "Cause:    ${cause.description ?: cause.id}${where}".toString()
            if (cause.fix) {
                out << "Fix:      ${cause.fix}".toString()
            }
        }
        out.addAll(excerptLines(list(analysis.excerpt), maxExcerptLines))
        for (Object similar : list(analysis.similar)) {
            if (similar instanceof Map) {
                String score = similar.score instanceof Number ? String.format('%.2f', similar.score as double) : '?'
                String fix = similar.fix ? "; fixed by: ${similar.fix}" : ''
                out << "Similar:  ${similar.job} #${similar.build} (score ${score}): ${similar.summary ?: ''}${fix}"
                        .toString()
            }
        }
        if (analysis.explanation) {
            out << 'Explanation:'
            out.addAll(explanationText(analysis.explanation).readLines().collect { '  ' + it })
        }
        if (detailsUrl) {
            out << "Details:  ${detailsUrl}".toString()
        }
        out << '=' * 70
        return out.join('\n')
    }

    /** The excerpt blocks, best first, each line prefixed with its 1-based line number in the console log. */
    @NonCPS
    static List<String> excerptLines(List blocks, int maxLines) {
        List<String> out = []
        int budget = maxLines
        int skipped = 0
        for (Object block : blocks) {
            if (!(block instanceof Map)) {
                continue
            }
            if (budget <= 0) {
                skipped++
                continue
            }
            int start = (block.start_line ?: 1) as int
            List<String> lines = (block.text ?: '').toString().readLines()
            int end = start + lines.size() - 1
            int width = Math.max(String.valueOf(end).length(), 4)
            out << "Excerpt (lines ${start}-${end}):".toString()
            int shown = Math.min(lines.size(), budget)
            for (int i = 0; i < shown; i++) {
                out << "  ${String.valueOf(start + i).padLeft(width)} | ${lines[i]}".toString()
            }
            budget -= shown
            if (shown < lines.size()) {
                out << "  ${' ' * width} | ... (${lines.size() - shown} more lines)".toString()
            }
        }
        if (skipped > 0) {
            out << "(${skipped} more excerpt block${skipped == 1 ? '' : 's'} in the full analysis)".toString()
        }
        return out
    }

    /** How our plain-text lines start; the worker writes the same (worker/jenkins/description.py). */
    static final String TEXT_PREFIX = 'AI analysis: '
    static final String TEXT_LINK_PREFIX = 'Full analysis: '

    /**
     * The build description: `existing` with our block set to the analysis' one, in the form the controller's
     * markup formatter shows (`analysis.description`: [format: 'text'|'html', block: ...], as the worker wrote
     * it to Jenkins). Plain text: two lines (category and cause, the page link) that replace our earlier lines
     * wherever they are. HTML (Safe HTML formatter): a block between two HTML comments, which that formatter
     * hides. Either way text outside our block (a deploy note, say) stays, and our block is never doubled.
     */
    @NonCPS
    static String description(Map analysis, String existing, String link) {
        Map given = analysis.description instanceof Map ? analysis.description as Map : [:]
        String format = given.format == 'html' ? 'html' : 'text'
        String block = given.block ? given.block.toString() : textBlock(analysis, link)
        block = block.replace(MARK_START, '').replace(MARK_END, '').trim()
        if (block.length() > MAX_BLOCK_CHARS) {
            block = block.substring(0, MAX_BLOCK_CHARS - 1).trim() + '\u2026'
        }
        if (format == 'text') {
            String rest = removeTextLines(removeMarked(existing ?: '')).replaceAll(/\s+$/, '')
            return rest.trim() ? rest + '\n' + block : block
        }
        String current = removeTextLines(existing ?: '')
        String marked = MARK_START + block + MARK_END
        Matcher matcher = markedPattern().matcher(current)
        if (matcher.find()) {
            // Keep the first block's place, drop stray duplicates.
            String before = current.substring(0, matcher.start())
            String after = markedPattern().matcher(current.substring(matcher.end())).replaceAll('')
            return before + marked + after
        }
        return current.trim() ? current.replaceAll(/\s+$/, '') + '\n' + marked : marked
    }

    /** The plain-text block when the API sent none (an older assistant): category, cause, page link. */
    @NonCPS
    static String textBlock(Map analysis, String link) {
        String summary = (analysis.summary ?: 'no cause found').toString().replaceAll(/\s+/, ' ').trim()
        if (summary.length() > MAX_SUMMARY_CHARS) {
            summary = summary.substring(0, MAX_SUMMARY_CHARS - 1) + '\u2026'
        }
        String text = TEXT_PREFIX + "${analysis.category ?: 'unknown'} - ${summary}".toString()
        return link ? text + '\n' + TEXT_LINK_PREFIX + link : text
    }

    @NonCPS
    private static Pattern markedPattern() {
        return Pattern.compile(Pattern.quote(MARK_START) + '.*?' + Pattern.quote(MARK_END), Pattern.DOTALL)
    }

    @NonCPS
    private static String removeMarked(String text) {
        return markedPattern().matcher(text).replaceAll('')
    }

    @NonCPS
    private static String removeTextLines(String text) {
        Pattern ours = Pattern.compile('^(?:' + Pattern.quote(TEXT_PREFIX) + '.*|' + Pattern.quote(TEXT_LINK_PREFIX) +
                'https?://\\S*)[ \\t]*(?:\\r?\\n|$)', Pattern.MULTILINE)
        return ours.matcher(text).replaceAll('')
    }

    @NonCPS
    private static String stageText(Object stage) {
        if (stage instanceof Map) {
            String text = (stage.name ?: '').toString()
            if (stage.step) {
                text += " (${stage.step})"
            }
            return text
        }
        return stage ? stage.toString() : null
    }

    @NonCPS
    private static String explanationText(Object explanation) {
        if (explanation instanceof Map) {
            return (explanation.text ?: explanation.answer ?: explanation.summary ?: Json.write(explanation))
                    .toString()
        }
        return explanation.toString()
    }

    @NonCPS
    private static List list(Object value) {
        return value instanceof List ? value as List : []
    }
}
