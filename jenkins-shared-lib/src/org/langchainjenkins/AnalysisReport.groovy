package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Turns an Analysis document (the API's `analysis` object) into console text and a build description.
 *
 * Every field is optional here: the API may add fields (similar failures, explanation, failed stage) or omit
 * them, and a report with less in it is better than a step that throws.
 */
class AnalysisReport implements Serializable {

    private static final long serialVersionUID = 1L

    /** Marks the line of the build description this library owns, so a rerun replaces it. */
    static final String DESCRIPTION_PREFIX = 'AI analysis: '
    static final int MAX_DESCRIPTION_CHARS = 300

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

    /**
     * The build description: the existing text with this library's line replaced (or added), so that text
     * other tools wrote stays.
     */
    @NonCPS
    static String description(Map analysis, String existing) {
        String line = DESCRIPTION_PREFIX + (analysis.category ?: 'unknown')
        if (analysis.summary) {
            line += ': ' + analysis.summary.toString().replaceAll(/\s+/, ' ').trim()
        }
        if (line.length() > MAX_DESCRIPTION_CHARS) {
            line = line.substring(0, MAX_DESCRIPTION_CHARS - 3) + '...'
        }
        List<String> kept = (existing ?: '').readLines().findAll { String l -> !l.startsWith(DESCRIPTION_PREFIX) }
        kept.removeAll { String l -> l.trim().isEmpty() }
        kept << line
        return kept.join('\n')
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
