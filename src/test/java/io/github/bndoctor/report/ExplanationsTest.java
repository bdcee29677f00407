package io.github.bndoctor.report;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The report's sentences and links agree with the page they point to: every metric and verdict has
 * a heading in {@code docs/metrics.md} whose anchor (GitHub's rule: lower case, punctuation dropped,
 * spaces to hyphens) is the one linked, in the page's order; unknown names are refused.
 */
@Tag("unit")
class ExplanationsTest {
    private static final String METRICS_HTML = Explanations.DOCS_URL + "metrics.html";

    /** The level-3 headings of one level-2 section of {@code docs/metrics.md}, in order. */
    private static List<String> headings(String section) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("docs", "metrics.md"));
        int start = lines.indexOf("## " + section);
        assertThat(start).as("section %s", section).isNotNegative();
        List<String> out = new java.util.ArrayList<>();
        for (String l : lines.subList(start + 1, lines.size())) {
            if (l.startsWith("## ")) {
                break;
            }
            if (l.startsWith("### ")) {
                out.add(l.substring(4).trim());
            }
        }
        return out;
    }

    /** GitHub's heading anchor: lower case, characters other than letters, digits, space, - and _ dropped. */
    private static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }

    @Test
    void everyMetricLinksToItsHeadingInThePagesOrder() throws IOException {
        List<String> names = headings("Metrics");
        assertThat(Explanations.metrics().keySet()).containsExactlyElementsOf(names);
        for (String m : names) {
            assertThat(Explanations.metricUrl(m)).isEqualTo(METRICS_HTML + "#" + anchor(m));
            assertThat(Explanations.metrics().get(m)).as(m).isNotBlank().doesNotContain("null");
        }
        assertThat(Explanations.metrics().get("eval/train")).startsWith("inference-mode loss (moving statistics)");
        assertThatThrownBy(() -> Explanations.metricUrl("eval/zeros")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("eval/zeros");
    }

    @Test
    void everyVerdictLinksToItsHeadingAndUnknownOnesAreRefused() throws IOException {
        List<String> names = headings("Verdicts");
        assertThat(Explanations.verdicts().keySet()).containsExactlyInAnyOrderElementsOf(names);
        for (String v : names) {
            assertThat(Explanations.knows(v)).isTrue();
            assertThat(Explanations.verdictUrl(v)).isEqualTo(METRICS_HTML + "#" + anchor(v));
            assertThat(Explanations.verdict(v)).isEqualTo(Explanations.verdicts().get(v)).isNotBlank();
        }
        assertThat(Explanations.verdict("HEALTHY")).contains("eval/train within 1.5");
        assertThat(Explanations.knows(null)).isFalse();
        assertThat(Explanations.knows("SICK")).isFalse();
        assertThatThrownBy(() -> Explanations.verdict("SICK")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SICK");
        assertThatThrownBy(() -> Explanations.verdictUrl("SICK")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMarkdownPageIsLinkedAsItsHtmlAndAnyOtherPageAsNamed() {
        assertThat(Explanations.docs("metrics.md", null)).isEqualTo(METRICS_HTML);
        assertThat(Explanations.docs("guide.md", "gate")).isEqualTo(Explanations.DOCS_URL + "guide.html#gate");
        assertThat(Explanations.docs("schema.json", null)).isEqualTo(Explanations.DOCS_URL + "schema.json");
        // ".md" only as the ending
        assertThat(Explanations.docs("md.txt", "a")).isEqualTo(Explanations.DOCS_URL + "md.txt#a");
    }
}
