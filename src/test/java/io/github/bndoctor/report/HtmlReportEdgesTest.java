package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTML report's edges on hand-made reports and real files: what a previous report is (and what
 * is not), the file form of the report, the banner of a demo and of a single run, the snapshot of a
 * saved model against the plots of a run, and the glossary.
 */
@Tag("unit")
class HtmlReportEdgesTest {
    @TempDir
    Path dir;

    private static LayerEntry layer(String name, Double rotation, Double predicted, Double decay) {
        return new LayerEntry(name, 0.2, 0.05, rotation, predicted, null, 0.3, 0.01, decay);
    }

    /** train 1, eval 3, precise 1, zeros 2: eval/train 3, eval/precise 3. */
    private static CheckpointEntry cp(long it, String verdict, List<LayerEntry> layers) {
        return new CheckpointEntry(it, 1.0, 3.0, 1.0, 2.0, 3.0, 1.5, 0.9, 0.1, 4.0, 5.0, 6.0, verdict, layers);
    }

    private static DiagnosisReport report(String verdict, Map<String, Object> config, List<CheckpointEntry> cps,
                                          List<RunSummary> comparisons) {
        return new DiagnosisReport(3, verdict, "FAIL", DiagnosisReport.LOSS_LABELS, config, cps, List.of(), List.of(),
                List.of(), comparisons);
    }

    private static DiagnosisReport single(List<CheckpointEntry> cps) {
        return report("EMA_LAG", Map.of("name", "seed"), cps, List.of());
    }

    private static String text(String html) {
        return html.replaceAll("data:image/png;base64,[A-Za-z0-9+/=]+", "");
    }

    @Test
    void onlyADirectoryHoldingJustAReportsIndexIsAPreviousReport() throws IOException {
        Path written = HtmlReport.write(single(List.of(cp(10, "EMA_LAG", List.of()))), dir.resolve("r"));
        assertThat(written).isEqualTo(dir.resolve("r").resolve(HtmlReport.FILE_NAME).toAbsolutePath());
        assertThat(HtmlReport.isPreviousReport(dir.resolve("r"))).isTrue();
        String html = Files.readString(written);

        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThat(HtmlReport.isPreviousReport(empty)).isFalse();
        assertThat(HtmlReport.isPreviousReport(dir.resolve("missing"))).isFalse();
        Path two = Files.createDirectory(dir.resolve("two"));
        Files.writeString(two.resolve("index.html"), html);
        Files.writeString(two.resolve("notes.txt"), "mine");
        assertThat(HtmlReport.isPreviousReport(two)).isFalse();
        Path renamed = Files.createDirectory(dir.resolve("renamed"));
        Files.writeString(renamed.resolve("report.html"), html);
        assertThat(HtmlReport.isPreviousReport(renamed)).isFalse();
        Path nested = Files.createDirectories(dir.resolve("nested").resolve("index.html"));
        assertThat(HtmlReport.isPreviousReport(nested.getParent())).isFalse();
        Path linked = Files.createDirectory(dir.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("index.html"), written);
        assertThat(HtmlReport.isPreviousReport(linked)).isFalse();
        Path foreign = Files.createDirectory(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("index.html"), "<!DOCTYPE html>\n<html><body>my page</body></html>\n");
        assertThat(HtmlReport.isPreviousReport(foreign)).isFalse();
        // the head cut one byte short of its end is not a report's head
        Path cut = Files.createDirectory(dir.resolve("cut"));
        String head = html.substring(0, html.indexOf("bn-doctor report: ") + "bn-doctor report: ".length());
        Files.writeString(cut.resolve("index.html"), head.substring(0, head.length() - 1));
        assertThat(HtmlReport.isPreviousReport(cut)).isFalse();
        Files.writeString(cut.resolve("index.html"), head);
        assertThat(HtmlReport.isPreviousReport(cut)).isTrue();
        // a foreign page is refused and left as it was
        assertThatThrownBy(() -> HtmlReport.requireWritable(foreign)).isInstanceOf(BnDoctorException.class)
                .hasMessageContaining("holds other files");
        assertThat(Files.readString(foreign.resolve("index.html"))).contains("my page");
    }

    @Test
    void theFileFormWritesTheRenderedTextAndNeedsAnExistingParent() throws IOException {
        DiagnosisReport r = single(List.of(cp(10, "EMA_LAG", List.of())));
        Path file = HtmlReport.writeFile(r, dir.resolve("out.html"));
        assertThat(file).isEqualTo(dir.resolve("out.html").toAbsolutePath());
        assertThat(text(Files.readString(file, StandardCharsets.UTF_8))).isEqualTo(text(HtmlReport.render(r)));
        assertThatThrownBy(() -> HtmlReport.writeFile(r, dir.resolve("no").resolve("out.html")))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("parent directory does not exist");
        assertThatThrownBy(() -> HtmlReport.writeFile(r, Path.of("/"))).isInstanceOf(BnDoctorException.class)
                .hasMessageContaining("parent directory does not exist");
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> HtmlReport.writeFile(r, plain.resolve("out.html"))).isInstanceOf(BnDoctorException.class);
        assertThat(Files.readString(plain)).isEqualTo("x");
    }

    @Test
    void theBannerOfADemoNamesTheSeedAndTheAdviceIsAboutIt() {
        Map<String, Object> scenario = new LinkedHashMap<>();
        scenario.put("name", "seed");
        scenario.put("optimizer", "adam");
        scenario.put("learningRate", 0.001);
        scenario.put("bnDecay", 0.997);
        List<CheckpointEntry> cps = List.of(cp(10, "EMA_LAG", List.of()), cp(20, "EMA_LAG", List.of()));
        String demo = HtmlReport.render(report("EMA_LAG", scenario, cps, List.of(new RunSummary("fix", "HEALTHY", "PASS",
                Map.of(), List.of(cp(10, "HEALTHY", List.of())), List.of(), List.of()))));
        assertThat(demo).contains("<p class=\"key\">Seed configuration, worst checkpoint (iteration 10)")
                .contains("<h2 id=\"recommendations\">What to do about the seed configuration</h2>")
                .contains("<div id=\"commands\">");
        String run = HtmlReport.render(report("EMA_LAG", scenario, cps, List.of()));
        assertThat(run).contains("<p class=\"key\">Worst checkpoint (iteration 10)")
                .contains("<h2 id=\"recommendations\">What to do</h2>")
                .contains("<p class=\"verdict\">Verdict <a href=\"" + Explanations.verdictUrl("EMA_LAG") + "\">EMA_LAG</a>: "
                        + Explanations.verdict("EMA_LAG") + "</p>")
                .contains("<h2>seed: <a href=\"" + Explanations.verdictUrl("EMA_LAG") + "\">EMA_LAG</a> (gate FAIL)</h2>");
        // nothing to run (no scenario settings): no command block
        assertThat(HtmlReport.render(single(cps))).doesNotContain("<div id=\"commands\">");
    }

    @Test
    void aVerdictTheGlossaryDoesNotKnowIsShownPlain() {
        String html = HtmlReport.render(report("CUSTOM", Map.of("name", "seed"),
                List.of(cp(10, "EMA_LAG", List.of()), cp(20, "EMA_LAG", List.of())), List.of()));
        assertThat(html).contains("<p class=\"verdict\">Verdict CUSTOM</p>").contains("<h2>seed: CUSTOM (gate FAIL)</h2>");
    }

    @Test
    void theMeaningAtTheEdgesOfItsRatios() {
        assertThat(HtmlReport.meaning(new CheckpointEntry(1, 0.0, 1.0, 1.0, 1.0, null, null, null, null, null, null, null,
                "DIVERGED", List.of()), DiagnosisReport.LOSS_LABELS))
                .isEqualTo("The ratio is not defined here (a training-mode loss of 0 or not finite).");
        // eval/precise exactly at the gap threshold 1.5 (3 / 2): not above it, so not the moving statistics
        assertThat(HtmlReport.meaning(new CheckpointEntry(1, 1.0, 3.0, 2.0, 1.0, 3.0, null, null, null, null, null, null,
                "BATCH_NOISE", List.of()), DiagnosisReport.LOSS_LABELS))
                .endsWith("; precise statistics do no better, so recalibration will not help: the model relies on"
                        + " per-batch statistics.");
    }

    @Test
    void aSnapshotShowsItsValuesAsTablesAndSaysWhatWasNotMeasured() {
        String html = text(HtmlReport.render(single(List.of(cp(10, "EMA_LAG", List.of(layer("bn1", null, null, 0.9)))))));
        assertThat(html).contains("<tr><td class=\"l\">training mode (batch statistics)</td><td>1.000</td><td>4.000</td></tr>")
                .contains("<tr><td class=\"l\">inference mode (moving statistics)</td><td>3.000</td><td>5.000</td></tr>")
                .contains("<tr><td class=\"l\">precise statistics</td><td>1.000</td><td>6.000</td></tr>")
                .contains("<tr><td class=\"l\">all-zeros output</td><td>2.000</td><td>0.000</td></tr>")
                .contains("Rotation and lag angle: not measured")
                .doesNotContain("<h3>Checkpoints</h3>");
        String turning = HtmlReport.render(single(List.of(cp(10, "EMA_LAG", List.of(layer("bn1", 0.1, null, 0.9))))));
        assertThat(turning).doesNotContain("Rotation and lag angle: not measured");
    }

    @Test
    void aRunWithEveryMeasurementDrawsEveryPlotAndOmitsNone() {
        List<CheckpointEntry> cps = List.of(cp(10, "EMA_LAG", List.of(layer("bn1", 0.1, 2.0, 0.9), layer("bn2", 0.2, 3.0, 0.9))),
                cp(20, "EMA_LAG", List.of(layer("bn1", 0.1, 2.5, 0.9), layer("bn2", 0.3, 3.5, 0.9))));
        String html = text(HtmlReport.render(single(cps)));
        assertThat(html).doesNotContain("class=\"omitted\"").doesNotContain("class=\"nochart\"")
                .contains("<img alt=\"Largest absolute output per mode")
                .contains("<img alt=\"EMA lag error of each BN layer over iterations for seed\"")
                .contains("<img alt=\"Rotation in degrees per iteration")
                .contains("<img alt=\"Lag angle in degrees")
                .contains("<h3>Checkpoints</h3>")
                // one decay in force throughout: no decay chart
                .doesNotContain("BN decay in force for each layer");
        List<CheckpointEntry> bare = List.of(cp(10, "EMA_LAG", List.of()), cp(20, "EMA_LAG", List.of()));
        assertThat(text(HtmlReport.render(single(bare)))).contains("rotation: not measured")
                .contains("EMA lag per layer: not measured").contains("lag angle: not measured");
    }

    @Test
    void theGlossaryListsEveryMetricAndVerdictWithItsLink() {
        String html = HtmlReport.render(single(List.of(cp(10, "EMA_LAG", List.of()))));
        assertThat(html).contains("<h2 id=\"glossary\">Metrics and verdicts</h2>");
        Explanations.metrics().forEach((k, v) -> assertThat(html).contains("<dt><a href=\"" + Explanations.metricUrl(k)
                + "\">"));
        assertThat(html).contains("<dt><a href=\"" + Explanations.metricUrl("rotation") + "\">rotation</a></dt><dd>"
                + Explanations.metrics().get("rotation") + "</dd>");
        assertThat(html).endsWith(".</p>\n</body></html>\n");
    }
}
