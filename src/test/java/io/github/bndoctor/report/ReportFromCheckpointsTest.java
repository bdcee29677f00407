package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.remedy.Recommendations;
import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The report on synthetic checkpoints whose numbers are chosen by hand: the run's verdict and
 * gate by the documented rules, the JSON mapping field by field (non-finite numbers as null), the
 * round trip, the HTML text and its charts, which must be real PNGs showing each series' colour.
 */
@Tag("unit")
class ReportFromCheckpointsTest {
    @TempDir
    Path dir;

    private static LayerCheckpoint layer(String name, double lag, double rotation) {
        return new LayerCheckpoint(new LayerDecomposition(name, 10, 0.25, 1.5, 0.5, lag, 0.125, 0, 0), rotation,
                rotation * 9);
    }

    private static Checkpoint cp(long it, double train, double eval, double precise, Verdict v) {
        return new Checkpoint(it, new OutputGap(train, eval, precise), List.of(layer("bn1", 0.75, 0.5),
                layer("bn2", 0.25, Double.NaN)), v);
    }

    @Test
    void theWorstCheckpointAfterWarmupDecides() {
        Checkpoint warm = cp(1, 1, 9, 1, Verdict.EMA_WARMUP);
        Checkpoint mild = cp(2, 1, 2, 1, Verdict.EMA_LAG);
        Checkpoint bad = cp(3, 1, 4, 1, Verdict.EMA_LAG);
        Checkpoint ok = cp(4, 1, 1, 1, Verdict.HEALTHY);
        assertThat(RunVerdict.worst(List.of(warm, mild, bad, ok))).isSameAs(bad);
        // warm-up checkpoints only: the largest ratio among them
        Checkpoint warmer = cp(5, 1, 12, 1, Verdict.EMA_WARMUP);
        assertThat(RunVerdict.worst(List.of(warm, warmer))).isSameAs(warmer);
        // the first diverged checkpoint wins over any ratio
        Checkpoint div1 = cp(6, Double.NaN, 1, 1, Verdict.DIVERGED);
        Checkpoint div2 = cp(7, Double.NaN, 1, 1, Verdict.DIVERGED);
        assertThat(RunVerdict.worst(List.of(bad, div1, div2))).isSameAs(div1);
        // a NaN ratio counts as the smallest
        Checkpoint nan = cp(8, 0, 0, 1, Verdict.HEALTHY);
        assertThat(RunVerdict.worst(List.of(nan, ok))).isSameAs(ok);
        assertThat(RunVerdict.worst(List.of(ok, nan))).isSameAs(ok);
        assertThatThrownBy(() -> RunVerdict.worst(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no checkpoints");
    }

    @Test
    void theGateFailsOnFailingVerdictsOrAFailAlarm() {
        Alarm warn = new Alarm(1, "bn1", "emaLag", 1, 0.5, AlarmLevel.WARN);
        Alarm fail = new Alarm(1, "bn1", "evalPreciseRatio", 9, 5, AlarmLevel.FAIL);
        for (Verdict v : Verdict.values()) {
            boolean failing = v == Verdict.EMA_LAG || v == Verdict.BATCH_NOISE || v == Verdict.DIVERGED;
            assertThat(RunVerdict.gateFails(v, List.of(warn))).as(v.name()).isEqualTo(failing);
            assertThat(RunVerdict.gateFails(v, List.of(warn, fail))).as(v.name()).isTrue();
        }
        assertThat(RunVerdict.gateName(true)).isEqualTo("FAIL");
        assertThat(RunVerdict.gateName(false)).isEqualTo("PASS");
    }

    private static ReportAssembler.Run run(String name, List<Checkpoint> cps, List<Alarm> alarms) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", name);
        config.put("optimizer", "adam <1e-3>");
        return ReportAssembler.Run.of(name, config, cps, alarms, 0.99);
    }

    private static DiagnosisReport report() {
        List<Checkpoint> cps = List.of(cp(10, 2, 4, 2, Verdict.EMA_LAG), cp(20, 2, 10, 2, Verdict.EMA_LAG));
        List<Alarm> alarms = List.of(new Alarm(10, "bn1", "evalPreciseRatio", 2, 1.5, AlarmLevel.WARN),
                new Alarm(20, "bn1", "evalPreciseRatio", 5.5, 5, AlarmLevel.FAIL));
        ReportAssembler.Run fix = run("fix & co", List.of(cp(10, 2, 2, 2, Verdict.HEALTHY)), List.of());
        return ReportAssembler.report(run("seed", cps, alarms), DiagnosisReport.LOSS_LABELS,
                List.of(new Lint("bn1", "GRAD_NORM", "gradient normalisation corrupts the moving statistics")),
                List.of(fix));
    }

    @Test
    void theJsonModelCarriesEveryNumberAndNullForNonFinite() throws IOException {
        DiagnosisReport r = report();
        assertThat(r.schemaVersion()).isEqualTo(2);
        assertThat(r.verdict()).isEqualTo("EMA_LAG");
        assertThat(r.gate()).isEqualTo("FAIL");
        assertThat(r.lossKind()).isEqualTo("labelMse");
        assertThat(r.config()).containsEntry("optimizer", "adam <1e-3>");
        assertThat(r.checkpoints()).extracting(CheckpointEntry::iteration, CheckpointEntry::trainModeLoss,
                CheckpointEntry::evalModeLoss, CheckpointEntry::preciseLoss, CheckpointEntry::evalToTrainRatio,
                CheckpointEntry::verdict).containsExactly(tuple(10L, 2.0, 4.0, 2.0, 2.0, "EMA_LAG"),
                tuple(20L, 2.0, 10.0, 2.0, 5.0, "EMA_LAG"));
        assertThat(r.checkpoints().get(0).layers()).containsExactly(
                new LayerEntry("bn1", 0.75, 0.125, 0.5, 4.5, null, 1.5, 0.5, null),
                new LayerEntry("bn2", 0.25, 0.125, null, null, null, 1.5, 0.5, null));
        assertThat(r.alarms()).containsExactly(new AlarmEntry(10, "bn1", "evalPreciseRatio", 2.0, 1.5, "WARN"),
                new AlarmEntry(20, "bn1", "evalPreciseRatio", 5.5, 5.0, "FAIL"));
        assertThat(r.lints()).extracting(DiagnosisReport.LintEntry::layer, DiagnosisReport.LintEntry::rule)
                .containsExactly(tuple("bn1", "GRAD_NORM"));
        // recommendations for the worst checkpoint (iteration 20): recalibrate, with its losses
        assertThat(r.recommendations()).isEqualTo(Recommendations.from(cp(20, 2, 10, 2, Verdict.EMA_LAG),
                cp(20, 2, 10, 2, Verdict.EMA_LAG), 0.99));
        assertThat(r.recommendations().get(0)).contains("iteration 20", "loss 2.000 vs 10.00");
        assertThat(r.comparisons()).extracting(RunSummary::name, RunSummary::verdict, RunSummary::gate)
                .containsExactly(tuple("fix & co", "HEALTHY", "PASS"));
        assertThat(ReportAssembler.finite(Double.NaN)).isNull();
        assertThat(ReportAssembler.finite(Double.NEGATIVE_INFINITY)).isNull();
        assertThat(ReportAssembler.finite(-2.5)).isEqualTo(-2.5);

        Path file = dir.resolve("r.json");
        ReportJson.write(r, file);
        assertThat(ReportJson.read(file)).isEqualTo(r);
        String json = Files.readString(file);
        assertThat(json).contains("\"rotationDegPerIter\" : null").startsWith("{\n  \"schemaVersion\" : 2,");
        assertThat(ReportJson.toJson(r)).isEqualTo(json);
        // unknown fields from a later minor version are ignored
        Files.writeString(file, json.replaceFirst("\\{", "{\"futureField\": 1,"));
        assertThat(ReportJson.read(file)).isEqualTo(r);
    }

    @Test
    void aShownGapReplacesTheLossesButNotTheVerdict() {
        Checkpoint c = cp(10, 2, 4, 2, Verdict.EMA_LAG);
        CheckpointEntry e = ReportAssembler.checkpoint(c, new OutputGap(1, Double.POSITIVE_INFINITY, 3));
        assertThat(e.trainModeLoss()).isEqualTo(1.0);
        assertThat(e.evalModeLoss()).isNull();
        assertThat(e.preciseLoss()).isEqualTo(3.0);
        assertThat(e.evalToTrainRatio()).isEqualTo(2.0);
        assertThat(e.verdict()).isEqualTo("EMA_LAG");
    }

    private static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(img).as("a decodable PNG").isNotNull();
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(420);
        return img;
    }

    private static boolean shows(BufferedImage img, int rgb) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void theLossChartShowsEachModeAndAlarmInItsColour() throws IOException {
        DiagnosisReport r = report();
        RunSummary main = new RunSummary("seed", r.verdict(), r.gate(), r.config(), r.checkpoints(), r.alarms(),
                r.recommendations());
        BufferedImage img = decode(Charts.losses(main));
        assertThat(shows(img, 0x1f77b4)).as("training mode").isTrue();
        assertThat(shows(img, 0xd62728)).as("inference mode").isTrue();
        assertThat(shows(img, 0x2ca02c)).as("precise").isTrue();
        assertThat(shows(img, 0xff7f0e)).as("WARN marker").isTrue();
        RunSummary noAlarms = new RunSummary("seed", r.verdict(), r.gate(), r.config(), r.checkpoints(), List.of(),
                r.recommendations());
        assertThat(shows(decode(Charts.losses(noAlarms)), 0xff7f0e)).as("no WARN marker without alarms").isFalse();
        BufferedImage ratio = decode(Charts.ratioComparison(List.of(main)));
        assertThat(ratio.getRGB(0, 0) & 0xffffff).as("white background").isEqualTo(0xffffff);
        decode(Charts.perLayer(main, "lag", "lag", LayerEntry::emaLag));
        decode(Charts.perLayer(main, "nothing", "none", l -> null));
    }

    @Test
    void theHtmlNamesVerdictGateAlarmsLintsAndRunsAndEscapesText() throws IOException {
        DiagnosisReport r = report();
        String html = HtmlReport.render(r);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</body></html>\n");
        assertThat(html).contains("<title>bn-doctor report: EMA_LAG</title>",
                "<p class=\"verdict FAIL\">Verdict <b>EMA_LAG</b>, gate <b>FAIL</b></p>",
                "Losses: labelMse. Schema version 2.",
                "<h2>seed: EMA_LAG (gate FAIL)</h2>",
                "<h2>fix &amp; co: HEALTHY (gate PASS)</h2>",
                "<td class=\"l\">adam &lt;1e-3&gt;</td>",
                "<li><b>bn1</b> GRAD_NORM: gradient normalisation corrupts the moving statistics</li>",
                "<td>20</td><td class=\"l\">bn1</td><td class=\"l\">evalPreciseRatio</td><td>5.500</td><td>5.000</td><td>FAIL</td>",
                // worst and last eval/train of the runs compared
                "<td class=\"l\">seed</td><td>EMA_LAG</td><td>FAIL</td><td>5.000</td><td>5.000</td>",
                "<td class=\"l\">fix &amp; co</td><td>HEALTHY</td><td>PASS</td><td>1.000</td><td>1.000</td>",
                // checkpoint row with the median EMA lag of 0.75 and 0.25; eval 4 = train 2 x EMA factor 2 x
                // noise factor 1 (precise = train): EMA share 1, batch-noise share 0
                "<td>10</td><td>2.000</td><td>4.000</td><td>2.000</td><td>2.000</td><td>1.000</td><td>0.000</td><td class=\"l\">EMA_LAG</td><td>0.5000</td>",
                "<p>None.</p>");
        // 1 comparison chart + 4 per run (losses, EMA lag, rotation, lag angle), for 2 runs; no decay chart,
        // since no decay varies
        assertThat(html.split("<img ", -1)).hasSize(1 + 1 + 4 * 2);
        Path out = HtmlReport.write(r, dir.resolve("report"));
        assertThat(out).isEqualTo(dir.resolve("report").resolve(HtmlReport.FILE_NAME).toAbsolutePath());
        assertThat(Files.readString(out)).isEqualTo(html);
        // an existing directory is reused
        assertThat(HtmlReport.write(r, dir.resolve("report"))).exists();
        assertThatThrownBy(() -> HtmlReport.write(r, dir.resolve("no/such/report")))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("parent directory does not exist");
    }
}
