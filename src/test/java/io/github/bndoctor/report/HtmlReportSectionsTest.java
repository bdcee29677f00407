package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTML report's optional parts on hand-made reports: each appears exactly when its data is
 * there (recommendations per run, the decay chart only when the decay changed, the comparison
 * table), and missing values print as a dash, never as "null" or "NaN".
 */
@Tag("unit")
class HtmlReportSectionsTest {
    private static final String DECAY_CHART = "BN decay in force for each layer over iterations";

    private static LayerEntry layer(String name, Double emaLag, Double decay) {
        return new LayerEntry(name, emaLag, null, null, null, null, null, null, decay);
    }

    private static CheckpointEntry cp(long it, Double ratio, List<LayerEntry> layers) {
        return new CheckpointEntry(it, 1.0, 2.0, 1.0, null, ratio, null, null, null, null, null, null, "EMA_LAG", layers);
    }

    private static DiagnosisReport report(List<CheckpointEntry> cps, List<String> recs, List<RunSummary> comparisons) {
        return new DiagnosisReport(3, "EMA_LAG", "FAIL", "MSE", Map.of("name", "seed"), cps, List.of(), recs, List.of(),
                comparisons);
    }

    private static int count(String text, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void theDecayChartAppearsOnlyWhenTheDecayChanged() {
        String one = HtmlReport.render(report(List.of(cp(10, 2.0, List.of(layer("a", 0.1, 0.997), layer("b", 0.2, 0.997)))),
                List.of(), List.of()));
        assertThat(one).doesNotContain(DECAY_CHART);
        String none = HtmlReport.render(report(List.of(cp(10, 2.0, List.of(layer("a", 0.1, null)))), List.of(), List.of()));
        assertThat(none).doesNotContain(DECAY_CHART);
        String two = HtmlReport.render(report(List.of(cp(10, 2.0, List.of(layer("a", 0.1, 0.997))),
                cp(20, 2.0, List.of(layer("a", 0.1, 0.99)))), List.of(), List.of()));
        assertThat(two).contains(DECAY_CHART);
        assertThat(count(two, "<img ")).isEqualTo(count(one, "<img ") + 1);
    }

    @Test
    void recommendationsAreListedOnceForTheRunUnderTest() {
        String html = HtmlReport.render(report(List.of(cp(10, 2.0, List.of())), List.of("raise <decay>"), List.of(
                new RunSummary("fixed", "HEALTHY", "PASS", Map.of(), List.of(cp(10, 1.0, List.of())), List.of(),
                        List.of("keep it")),
                new RunSummary("plain", "HEALTHY", "PASS", Map.of(), List.of(cp(10, 1.0, List.of())), List.of(),
                        List.of()))));
        // once, at the top: not again in the run's section, and not the compared fixes' own advice
        assertThat(count(html, "<li>raise &lt;decay&gt;</li>")).isEqualTo(1);
        assertThat(html.indexOf("<li>raise &lt;decay&gt;</li>")).isLessThan(html.indexOf("<h2>Runs compared</h2>"));
        assertThat(count(html, "<li>keep it</li>")).isZero();
        String quiet = HtmlReport.render(report(List.of(cp(10, 2.0, List.of())), List.of(), List.of()));
        assertThat(quiet).doesNotContain("<li>");
    }

    @Test
    void missingValuesPrintAsADashAndMediansSkipMissingLayers() {
        // emaLag 0.1, -, 0.4: median of the two present is 0.25; a checkpoint with none has no median
        DiagnosisReport r = report(List.of(cp(10, null, List.of(layer("a", 0.1, 0.9), layer("b", null, 0.9),
                layer("c", 0.4, 0.9))), cp(20, 3.0, List.of(layer("a", null, 0.9)))), List.of(), List.of(
                new RunSummary("other", null, "PASS", Map.of(), List.of(cp(10, null, List.of()), cp(20, 1.5, List.of())),
                        List.of(), List.of())));
        String html = HtmlReport.render(r);
        // the text, not the base64 of the embedded images (which may spell anything)
        assertThat(html.replaceAll("data:image/png;base64,[A-Za-z0-9+/=]+", "")).doesNotContain("null")
                .doesNotContain("NaN");
        assertThat(html).contains("<td class=\"l\">EMA_LAG</td><td>0.2500</td></tr>");
        assertThat(html).contains("<td class=\"l\">EMA_LAG</td><td>&ndash;</td></tr>");
        // comparison table: each run's own gate next to what the demo expects of it; worst eval/train over the
        // checkpoints that have one, eval/precise there (2.0 / 1.0), and the last one
        assertThat(html).contains("<tr><td class=\"l\">seed</td><td><a href=\"" + Explanations.verdictUrl("EMA_LAG")
                + "\">EMA_LAG</a></td><td class=\"FAIL\">FAIL</td><td>FAIL (the seed configuration)</td><td>3.000</td>"
                + "<td>2.000</td><td>3.000</td></tr>");
        assertThat(html).contains("<tr><td class=\"l\">other</td><td></td><td class=\"PASS\">PASS</td><td>PASS (a fix)</td>"
                + "<td>1.500</td><td>2.000</td><td>1.500</td></tr>");
        assertThat(html).contains("<h2>other:  (gate PASS)</h2>");
    }
}
