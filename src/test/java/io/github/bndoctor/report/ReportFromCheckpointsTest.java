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
 * round trip, the HTML text and its charts, which must be real PNGs showing each series' colour;
 * the run's name written first in its config unless the config or the run has none, a monitor
 * without checkpoints refused, and a staged JSON report written only at the commit.
 */
@Tag("unit")
class ReportFromCheckpointsTest {
    @TempDir
    Path dir;

    private static LayerCheckpoint layer(String name, double lag, double rotation) {
        return layer(name, lag, rotation, 0.25);
    }

    private static LayerCheckpoint layer(String name, double lag, double rotation, double priorWeight) {
        return new LayerCheckpoint(new LayerDecomposition(name, 10, priorWeight, 1.5, 0.5, lag, 0.125, 0, 0), rotation,
                rotation * 9);
    }

    /** A checkpoint whose first layer's prior still holds 0.5 of its weight: within the warm-up window (above e^-1). */
    private static Checkpoint warmCp(long it, double train, double eval, double precise, Verdict v) {
        return new Checkpoint(it, new OutputGap(train, eval, precise, ZEROS, TRAIN_MAX, EVAL_MAX, PRECISE_MAX),
                List.of(layer("bn1", 0.75, 0.5, 0.5), layer("bn2", 0.25, Double.NaN)), v);
    }

    /** All-zeros loss 8 and largest outputs 0.5, 2^-20, 0.25 (training, inference, precise): exact in binary and in print. */
    static final double ZEROS = 8;
    static final double TRAIN_MAX = 0.5;
    static final double EVAL_MAX = 0x1p-20;
    static final double PRECISE_MAX = 0.25;

    private static Checkpoint cp(long it, double train, double eval, double precise, Verdict v) {
        return new Checkpoint(it, new OutputGap(train, eval, precise, ZEROS, TRAIN_MAX, EVAL_MAX, PRECISE_MAX),
                List.of(layer("bn1", 0.75, 0.5), layer("bn2", 0.25, Double.NaN)), v);
    }

    @Test
    void theWorstCheckpointAfterWarmupDecides() {
        Checkpoint warm = warmCp(1, 1, 9, 1, Verdict.EMA_WARMUP);
        Checkpoint mild = cp(2, 1, 2, 1, Verdict.EMA_LAG);
        Checkpoint bad = cp(3, 1, 4, 1, Verdict.EMA_LAG);
        Checkpoint ok = cp(4, 1, 1, 1, Verdict.HEALTHY);
        assertThat(RunVerdict.worst(List.of(warm, mild, bad, ok))).isSameAs(bad);
        // warm-up checkpoints only: the largest ratio among them
        Checkpoint warmer = warmCp(5, 1, 12, 1, Verdict.EMA_WARMUP);
        assertThat(RunVerdict.worst(List.of(warm, warmer))).isSameAs(warmer);
        // past the warm-up window (prior weight 0.25 <= e^-1) an EMA_WARMUP checkpoint is no longer excused
        Checkpoint stale = cp(10, 1, 7, 1, Verdict.EMA_WARMUP);
        assertThat(RunVerdict.worst(List.of(warm, bad, stale, ok))).isSameAs(stale);
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
        // a training-mode loss of 0 under a positive inference-mode loss: an infinite ratio, the worst
        Checkpoint overZero = cp(9, 0, 1, 1, Verdict.EMA_LAG);
        assertThat(RunVerdict.worst(List.of(bad, overZero, mild))).isSameAs(overZero);
        // the report's entries (ratios written as null when not finite) pick the same checkpoint
        for (List<Checkpoint> run : List.of(List.of(warm, mild, bad, ok), List.of(warm, warmer), List.of(bad, div1, div2),
                List.of(nan, ok), List.of(ok, nan), List.of(bad, overZero, mild), List.of(overZero, nan))) {
            List<CheckpointEntry> entries = run.stream().map(c -> ReportAssembler.checkpoint(c, c.gap())).toList();
            assertThat(RunVerdict.worstEntry(entries).iteration()).isEqualTo(RunVerdict.worst(run).iteration());
        }
        assertThatThrownBy(() -> RunVerdict.worstEntry(List.of())).isInstanceOf(IllegalArgumentException.class);
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
        assertThat(r.schemaVersion()).isEqualTo(3);
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
        // after what happened when, and the persistent gap (5 > 2 at 1 of 2 checkpoints, past the window)
        assertThat(r.recommendations().subList(2, r.recommendations().size())).isEqualTo(Recommendations.from(
                cp(20, 2, 10, 2, Verdict.EMA_LAG), cp(20, 2, 10, 2, Verdict.EMA_LAG), 0.99));
        assertThat(r.recommendations().get(0)).isEqualTo("Over the run: eval/train worst 5.00 at iteration 20 (EMA_LAG),"
                + " last 5.00 at iteration 20 (EMA_LAG), trend rising; above 2 at 1 of 2 checkpoints.");
        assertThat(r.recommendations().get(1)).startsWith("Inference is broken: eval/train above 2 at 1 of 2 checkpoints")
                .contains("from iteration 20");
        assertThat(r.recommendations().get(2)).contains("iteration 20", "loss 2.000 vs 10.00");
        assertThat(r.comparisons()).extracting(RunSummary::name, RunSummary::verdict, RunSummary::gate)
                .containsExactly(tuple("fix & co", "HEALTHY", "PASS"));
        assertThat(ReportAssembler.finite(Double.NaN)).isNull();
        assertThat(ReportAssembler.finite(Double.NEGATIVE_INFINITY)).isNull();
        assertThat(ReportAssembler.finite(-2.5)).isEqualTo(-2.5);

        // all-zeros loss, eval/zeros (4/8 and 10/8) and the largest output per mode
        assertThat(r.checkpoints()).extracting(CheckpointEntry::zerosLoss, CheckpointEntry::evalToZerosRatio,
                CheckpointEntry::trainModeMaxAbsOutput, CheckpointEntry::evalModeMaxAbsOutput,
                CheckpointEntry::preciseMaxAbsOutput).containsExactly(tuple(ZEROS, 0.5, TRAIN_MAX, EVAL_MAX, PRECISE_MAX),
                tuple(ZEROS, 1.25, TRAIN_MAX, EVAL_MAX, PRECISE_MAX));

        Path file = dir.resolve("r.json");
        ReportJson.write(r, file);
        assertThat(ReportJson.read(file)).isEqualTo(r);
        String json = Files.readString(file);
        assertThat(json).contains("\"zerosLoss\" : 8.0", "\"evalToZerosRatio\" : 1.25", "\"trainModeMaxAbsOutput\" : 0.5",
                "\"evalModeMaxAbsOutput\" : 9.5367431640625E-7", "\"preciseMaxAbsOutput\" : 0.25");
        assertThat(json).contains("\"rotationDegPerIter\" : null").startsWith("{\n  \"schemaVersion\" : 3,");
        assertThat(ReportJson.toJson(r)).isEqualTo(json);
        // unknown fields from a later minor version are ignored
        Files.writeString(file, json.replaceFirst("\\{", "{\"futureField\": 1,"));
        assertThat(ReportJson.read(file)).isEqualTo(r);
    }

    @Test
    void theRunsNameIsWrittenFirstInItsConfigUnlessTheConfigNamesItOrTheRunHasNoName() {
        List<Checkpoint> cps = List.of(cp(10, 2, 4, 2, Verdict.EMA_LAG));
        Map<String, Object> unnamed = new LinkedHashMap<>();
        unnamed.put("optimizer", "adam");
        unnamed.put("seed", 7);
        DiagnosisReport r = ReportAssembler.report(ReportAssembler.Run.of("seed 7", unnamed, cps, List.of(), 0.99),
                DiagnosisReport.LOSS_LABELS, List.of(), List.of());
        assertThat(r.config()).containsExactly(Map.entry("name", "seed 7"), Map.entry("optimizer", "adam"),
                Map.entry("seed", 7));
        assertThat(unnamed).doesNotContainKey("name");
        // a config that holds a name keeps it, in its place
        Map<String, Object> named = new LinkedHashMap<>(unnamed);
        named.put("name", "from the config");
        DiagnosisReport kept = ReportAssembler.report(ReportAssembler.Run.of("seed 7", named, cps, List.of(), 0.99),
                DiagnosisReport.LOSS_LABELS, List.of(), List.of());
        assertThat(kept.config()).containsExactly(Map.entry("optimizer", "adam"), Map.entry("seed", 7),
                Map.entry("name", "from the config"));
        // a run without a name adds none
        DiagnosisReport anonymous = ReportAssembler.report(ReportAssembler.Run.of(null, unnamed, cps, List.of(), 0.99),
                DiagnosisReport.LOSS_LABELS, List.of(), List.of());
        assertThat(anonymous.config()).containsExactly(Map.entry("optimizer", "adam"), Map.entry("seed", 7));
    }

    @Test
    void aMonitorWithoutCheckpointsIsNoRunToReport() {
        io.github.bndoctor.monitor.BnMonitor idle = io.github.bndoctor.monitor.BnMonitor.builder(
                        org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 2),
                        org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 2))
                .preciseData(() -> List.<org.nd4j.linalg.api.ndarray.INDArray[]>of().iterator()).build();
        assertThatThrownBy(() -> ReportAssembler.Run.named("idle", idle)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("run 'idle' has no checkpoint to report");
    }

    @Test
    void aStagedJsonReportAppearsOnlyAtTheCommit() throws IOException {
        DiagnosisReport r = report();
        Path file = dir.resolve("staged.json");
        Path direct = dir.resolve("direct.json");
        ReportJson.write(r, direct);
        try (AtomicOutputs outs = new AtomicOutputs()) {
            ReportJson.stage(outs, r, file);
            assertThat(file).doesNotExist();
            outs.commit();
        }
        assertThat(Files.readString(file)).startsWith("{\n  \"schemaVersion\" : 3,").isEqualTo(Files.readString(direct));
        assertThat(ReportJson.read(file)).isEqualTo(r);
    }

    @Test
    void allZeroLabelsWriteAnAllZerosLossOfZeroAndANullRatioAndUnmeasuredLevelsWriteNull() throws IOException {
        Checkpoint c = new Checkpoint(10, new OutputGap(2, 4, 2, 0, 0.5, 0, Double.NaN), List.of(), Verdict.EMA_LAG);
        CheckpointEntry e = ReportAssembler.checkpoint(c, c.gap());
        assertThat(e.zerosLoss()).isZero();
        assertThat(e.evalToZerosRatio()).isNull();
        assertThat(e.evalModeMaxAbsOutput()).isZero();
        assertThat(e.preciseMaxAbsOutput()).isNull();
        assertThat(CollapseSummary.of(e)).isEqualTo("iteration 10: inference-mode loss 4.00, all-zeros-output loss 0.00"
                + " (no ratio: not positive); largest |output|: training mode 0.500, inference mode 0.00, precise statistics n/a");
        CheckpointEntry unmeasured = ReportAssembler.checkpoint(c, new OutputGap(2, 4, 2));
        assertThat(List.of(unmeasured)).extracting(CheckpointEntry::zerosLoss, CheckpointEntry::evalToZerosRatio,
                CheckpointEntry::trainModeMaxAbsOutput, CheckpointEntry::evalModeMaxAbsOutput,
                CheckpointEntry::preciseMaxAbsOutput).containsExactly(tuple(null, null, null, null, null));
        assertThat(CollapseSummary.of(List.of(unmeasured))).contains("all-zeros-output loss not measured",
                "training mode n/a, inference mode n/a, precise statistics n/a");
        // charts still draw: the zero level is left off the log axis, the zero output off the log chart
        RunSummary run = new RunSummary("zeros", "EMA_LAG", "FAIL", Map.of(), List.of(e), List.of(), List.of());
        assertThat(shows(decode(Charts.losses(run)), 0x17becf)).as("no all-zeros line at 0 on a log axis").isFalse();
        BufferedImage largest = decode(Charts.largestOutputs(run));
        assertThat(shows(largest, 0x1f77b4)).as("training mode").isTrue();
        assertThat(shows(largest, 0xd62728)).as("inference mode 0 cannot be drawn on a log axis").isFalse();
        assertThat(Charts.largestOutputs(new RunSummary("none", "EMA_LAG", "FAIL", Map.of(), List.of(unmeasured), List.of(),
                List.of()))).as("nothing measured: no chart").isNull();
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
        assertThat(shows(img, 0x17becf)).as("all-zeros output line").isTrue();
        RunSummary unmeasured = new RunSummary("seed", r.verdict(), r.gate(), r.config(), r.checkpoints().stream()
                .map(c -> new CheckpointEntry(c.iteration(), c.trainModeLoss(), c.evalModeLoss(), c.preciseLoss(), null,
                        c.evalToTrainRatio(), null, c.emaShare(), c.batchNoiseShare(), null, null, null, c.verdict(),
                        c.layers())).toList(), List.of(), r.recommendations());
        assertThat(shows(decode(Charts.losses(unmeasured)), 0x17becf)).as("no line without an all-zeros loss").isFalse();
        BufferedImage largest = decode(Charts.largestOutputs(main));
        assertThat(shows(largest, 0x1f77b4)).as("largest training-mode output").isTrue();
        assertThat(shows(largest, 0xd62728)).as("largest inference-mode output").isTrue();
        assertThat(shows(largest, 0x2ca02c)).as("largest precise output").isTrue();
        assertThat(Charts.largestOutputs(unmeasured)).as("not measured: no chart").isNull();
        BufferedImage ratio = decode(Charts.ratioComparison(List.of(main)));
        assertThat(ratio.getRGB(0, 0) & 0xffffff).as("white background").isEqualTo(0xffffff);
        decode(Charts.perLayer(main, "lag", "lag", LayerEntry::emaLag));
        assertThat(Charts.perLayer(main, "nothing", "none", l -> null)).isNull();
    }

    @Test
    void theHtmlNamesVerdictGateAlarmsLintsAndRunsAndEscapesText() throws IOException {
        DiagnosisReport r = report();
        String html = HtmlReport.render(r);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</body></html>\n");
        // with comparisons the report is the demo's: the seed configuration fails as expected and the fix passes
        assertThat(html).contains("<title>bn-doctor report: PASS, EMA_LAG</title>",
                "<div id=\"banner\" class=\"PASS\" data-outcome=\"PASS\" data-exit-code=\"0\">",
                "<b>PASS: every fix passes the gate; the seed configuration fails as expected (EMA_LAG).</b> (exit code 0)",
                "Losses: labelMse. Schema version 3.",
                "<h2>seed: <a href=\"" + Explanations.verdictUrl("EMA_LAG") + "\">EMA_LAG</a> (gate FAIL)</h2>",
                "<h2>fix &amp; co: <a href=\"" + Explanations.verdictUrl("HEALTHY") + "\">HEALTHY</a> (gate PASS)</h2>",
                "<td class=\"l\">adam &lt;1e-3&gt;</td>",
                "<li><b>bn1</b> GRAD_NORM: gradient normalisation corrupts the moving statistics</li>",
                "<td>20</td><td class=\"l\">bn1</td><td class=\"l\">evalPreciseRatio</td><td>5.500</td><td>5.000</td><td>FAIL</td>",
                // each run's own gate and what the demo expects of it
                "<td class=\"FAIL\">FAIL</td><td>FAIL (the seed configuration)</td><td>5.000</td>",
                "<td class=\"PASS\">PASS</td><td>PASS (a fix)</td><td>1.000</td>",
                // checkpoint row with the median EMA lag of 0.75 and 0.25; eval 4 = train 2 x EMA factor 2 x
                // noise factor 1 (precise = train): EMA share 1, batch-noise share 0
                // all-zeros loss 8 (eval/zeros 4/8), largest outputs 0.5, 2^-20, 0.25
                "<td>10</td><td>2.000</td><td>4.000</td><td>2.000</td><td>8.000</td><td>2.000</td><td>0.5000</td><td>1.000</td>"
                        + "<td>0.000</td><td>0.5000</td><td>9.537e-07</td><td>0.2500</td><td class=\"l\">EMA_LAG</td><td>0.5000</td>",
                // the worst checkpoint (iteration 20: eval/train 5) in one line
                "<p class=\"collapse\">Worst checkpoint, iteration 20: inference-mode loss 10.0 = 1.25 x the all-zeros-output"
                        + " loss 8.00; largest |output|: training mode 0.500, inference mode 9.54e-07, precise statistics 0.250</p>",
                "<p>None.</p>");
        // 1 comparison chart; the seed's 5 (losses, largest outputs, EMA lag, rotation, lag angle), each drawn or left
        // out with one line saying what was not measured; the fix has one checkpoint: a snapshot with two bar charts
        // and its layers' rotation in its table (bn1 turned 0.5 deg/iter, so nothing to say is missing); no decay
        // chart, since no decay varies
        int images = html.split("<img ", -1).length - 1;
        int omitted = html.split("<p class=\"omitted\">", -1).length - 1;
        assertThat(images + omitted).isEqualTo(1 + 5 + 2);
        assertThat(html).contains("<table id=\"snapshot\">", "<th>rotation (deg/iter)</th>")
                .doesNotContain("because one weight snapshot gives no rotation");
        assertThat(images).as("the comparison, and each run's losses at least").isGreaterThanOrEqualTo(3);
        Path out = HtmlReport.write(r, dir.resolve("report"));
        assertThat(out).isEqualTo(dir.resolve("report").resolve(HtmlReport.FILE_NAME).toAbsolutePath());
        assertThat(Files.readString(out)).isEqualTo(html);
        // an existing directory is reused
        assertThat(HtmlReport.write(r, dir.resolve("report"))).exists();
        assertThatThrownBy(() -> HtmlReport.write(r, dir.resolve("no/such/report")))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("does not exist");
    }
}
