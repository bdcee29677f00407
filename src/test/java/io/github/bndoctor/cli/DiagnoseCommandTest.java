package io.github.bndoctor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import io.github.bndoctor.report.ReportJson;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code diagnose} on saved models and a short scenario run; the JSON carries every schema field and round-trips. */
final class DiagnoseCommandTest {
    @TempDir
    Path dir;

    static final List<String> TOP = List.of("schemaVersion", "verdict", "gate", "lossKind", "config", "checkpoints",
            "alarms", "recommendations", "lints", "comparisons");
    static final List<String> CHECKPOINT = List.of("iteration", "trainModeLoss", "evalModeLoss", "preciseLoss",
            "zerosLoss", "evalToTrainRatio", "evalToZerosRatio", "emaShare", "batchNoiseShare", "trainModeMaxAbsOutput",
            "evalModeMaxAbsOutput", "preciseMaxAbsOutput", "verdict", "layers");
    static final List<String> LAYER = List.of("name", "emaLag", "batchNoise", "rotationDegPerIter", "predictedLag",
            "measuredLag", "emaError", "warmupError", "decay");
    static final List<String> ALARM = List.of("iteration", "layer", "metric", "value", "threshold", "level");

    @Test
    void savedModelWithLabelsWritesEverySchemaField() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "g.zip", NetworkKind.GRAPH);
        Path x = CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
        Path y = CliFixtures.labels(dir, 64);
        Path json = dir.resolve("d.json");
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--labels",
                y.toString(), "--json", json.toString());
        JsonNode root = ReportJson.mapper().readTree(json.toFile());
        assertThat(root.get("schemaVersion").asInt()).isEqualTo(DiagnosisReport.SCHEMA_VERSION).isEqualTo(3);
        TOP.forEach(f -> assertThat(root.has(f)).as(f).isTrue());
        assertThat(root.get("lossKind").asText()).isEqualTo(DiagnosisReport.LOSS_LABELS);
        assertThat(root.get("checkpoints")).hasSize(1);
        JsonNode cp = root.get("checkpoints").get(0);
        assertThat(root.get("verdict").asText()).isEqualTo(cp.get("verdict").asText()).isEqualTo(verdictByTheRules(cp));
        assertThat(root.get("alarms")).hasSize(expectedAlarms(cp));
        assertGateAndExitCode(root, r);
        CHECKPOINT.forEach(f -> assertThat(cp.has(f)).as(f).isTrue());
        // one-hot rows of 2 classes: the mean squared label, the loss of all-zero outputs, is exactly 1/2;
        // softmax rows of 2 classes peak in [0.5, 1]
        assertThat(cp.get("zerosLoss").asDouble()).isEqualTo(0.5);
        assertThat(cp.get("evalToZerosRatio").asDouble()).isEqualTo(cp.get("evalModeLoss").asDouble() / 0.5);
        for (String f : List.of("trainModeMaxAbsOutput", "evalModeMaxAbsOutput", "preciseMaxAbsOutput")) {
            assertThat(cp.get(f).asDouble()).as(f).isBetween(0.5, 1.0);
        }
        assertThat(r.out()).contains("worst checkpoint at iteration ");
        if (cp.get("verdict").asText().equals("HEALTHY")) {
            // a pass reads as agreement with training mode, not against the all-zeros level
            assertThat(r.out()).contains(" within 1.50 x the training-mode loss ", "inference agrees with training mode")
                    .doesNotContain("x the all-zeros-output loss");
        } else {
            assertThat(r.out()).contains(" = ", " x the all-zeros-output loss 0.500");
        }
        assertThat(cp.get("layers")).hasSize(2);
        LAYER.forEach(f -> assertThat(cp.get("layers").get(0).has(f)).as(f).isTrue());

        DiagnosisReport read = ReportJson.read(json);
        assertThat(ReportJson.toJson(read)).isEqualTo(ReportJson.toJson(ReportJson.mapper().readValue(
                ReportJson.toJson(read), DiagnosisReport.class)));
        assertThat(read.checkpoints().get(0).layers()).hasSize(2);
    }

    @Test
    void withoutLabelsComparesOutputsWithTrainingMode() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        Path x = CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
        Path json = dir.resolve("d.json");
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--json",
                json.toString());
        DiagnosisReport read = ReportJson.read(json);
        assertGateAndExitCode(ReportJson.mapper().readTree(json.toFile()), r);
        assertThat(read.lossKind()).isEqualTo(DiagnosisReport.LOSS_OUTPUT_DEVIATION);
        assertThat(read.checkpoints().get(0).trainModeLoss()).isZero();
        assertThat(read.checkpoints().get(0).evalToTrainRatio()).isGreaterThanOrEqualTo(1.0);
        assertThat(r.out()).contains("no labels");
    }

    @Test
    void shortScenarioRunGatesItsConfiguration() throws Exception {
        Path json = dir.resolve("s.json");
        Path report = dir.resolve("report");
        CliRunner.Result r = CliFixtures.run("diagnose", "--optimizer", "adam", "--iterations", "40", "--probe-every", "20",
                "--json", json.toString(), "--report", report.toString());
        assertThat(r.err()).contains("iter 20/40", "ETA");
        DiagnosisReport read = ReportJson.read(json);
        assertThat(read.checkpoints()).extracting(DiagnosisReport.CheckpointEntry::iteration).containsExactly(20L, 40L);
        assertThat(read.checkpoints().get(1).layers().get(0).rotationDegPerIter()).isNotNull().isPositive();
        assertThat(read.config()).containsEntry("optimizer", "adam").containsEntry("iterations", 40);
        assertThat(read.comparisons()).isEmpty();
        assertThat(report.resolve("index.html")).exists();
        JsonNode root = ReportJson.mapper().readTree(json.toFile());
        assertGateAndExitCode(root, r);
        int expected = 0;
        for (JsonNode cp : root.get("checkpoints")) {
            assertThat(cp.get("verdict").asText()).as("iteration %s", cp.get("iteration")).isEqualTo(verdictByTheRules(cp));
            expected += expectedAlarms(cp);
        }
        // the alarm list is exactly what the default policy gives on the checkpoints' own numbers
        assertThat(root.get("alarms")).hasSize(expected);
        for (JsonNode a : root.get("alarms")) {
            ALARM.forEach(f -> assertThat(a.has(f)).as(f).isTrue());
            assertThat(a.get("value").asDouble()).isGreaterThan(a.get("threshold").asDouble());
        }
    }

    /**
     * The demo trains its runs in parallel; each run must come out exactly as when trained alone
     * (own network, data and single-threaded native ops), so the seed row equals a lone run of the
     * same configuration, value for value.
     */
    @Test
    void demoRunsInParallelGiveTheSameNumbersAsALoneRun() throws Exception {
        Path demoJson = dir.resolve("demo.json");
        CliRunner.Result demo = CliFixtures.run("diagnose", "--iterations", "40", "--probe-every", "20", "--json",
                demoJson.toString());
        assertThat(demo.err()).contains("4 runs of 40 iterations, " + DiagnoseCommand.parallelRuns(4) + " at a time");
        DiagnosisReport d = ReportJson.read(demoJson);
        assertThat(d.comparisons()).extracting(RunSummary::name).containsExactly(
                "fix: adam lr=1e-3 + precise BN at the end", "fix: adam lr=1e-4", "fix: nesterov lr=1e-3",
                "fix: adam lr=1e-3 decay=0.9");
        Path aloneJson = dir.resolve("alone.json");
        CliFixtures.run("diagnose", "--optimizer", "adam", "--lr", "0.001", "--decay", "0.997", "--iterations", "40",
                "--probe-every", "20", "--json", aloneJson.toString());
        DiagnosisReport alone = ReportJson.read(aloneJson);
        assertThat(d.checkpoints()).hasSize(2).hasSameSizeAs(alone.checkpoints());
        for (int i = 0; i < d.checkpoints().size(); i++) {
            assertThat(d.checkpoints().get(i).evalModeLoss()).as("checkpoint %d eval loss", i)
                    .isEqualTo(alone.checkpoints().get(i).evalModeLoss());
            assertThat(d.checkpoints().get(i).trainModeLoss()).as("checkpoint %d train loss", i)
                    .isEqualTo(alone.checkpoints().get(i).trainModeLoss());
        }
    }

    /** The verdict rules of the documentation, applied to a checkpoint's JSON (gap ratio 1.5, no loss limit). */
    static String verdictByTheRules(JsonNode cp) {
        double train = cp.get("trainModeLoss").asDouble();
        double eval = cp.get("evalModeLoss").asDouble();
        double precise = cp.get("preciseLoss").asDouble();
        if (cp.get("trainModeLoss").isNull()) {
            return "DIVERGED";
        }
        if (eval / train <= 1.5) {
            return "HEALTHY";
        }
        if (precise / train > 1.5) {
            return "BATCH_NOISE";
        }
        double warm = 0;
        double lag = 0;
        for (JsonNode l : cp.get("layers")) {
            warm += l.get("warmupError").asDouble();
            lag += l.get("emaLag").asDouble();
        }
        return warm >= lag ? "EMA_WARMUP" : "EMA_LAG";
    }

    /** Alarms the default policy raises on one checkpoint: eval/precise above 1.5, median lag above 0.5, median predicted lag above 5. */
    static int expectedAlarms(JsonNode cp) {
        int n = cp.get("evalModeLoss").asDouble() / cp.get("preciseLoss").asDouble() > 1.5 ? 1 : 0;
        List<Double> lags = new java.util.ArrayList<>();
        List<Double> predicted = new java.util.ArrayList<>();
        for (JsonNode l : cp.get("layers")) {
            lags.add(l.get("emaLag").asDouble());
            if (!l.get("predictedLag").isNull()) {
                predicted.add(l.get("predictedLag").asDouble());
            }
        }
        n += median(lags) > 0.5 ? 1 : 0;
        n += !predicted.isEmpty() && median(predicted) > 5 ? 1 : 0;
        return n;
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    /** Gate FAIL exactly for a failing verdict or a FAIL alarm; exit 3 then, 0 otherwise. */
    static void assertGateAndExitCode(JsonNode root, CliRunner.Result r) {
        boolean failAlarm = false;
        for (JsonNode a : root.get("alarms")) {
            failAlarm |= a.get("level").asText().equals("FAIL");
        }
        boolean fails = failAlarm || List.of("EMA_LAG", "BATCH_NOISE", "DIVERGED").contains(root.get("verdict").asText());
        assertThat(root.get("gate").asText()).isEqualTo(fails ? "FAIL" : "PASS");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(fails ? Main.GATE_FAILED : Main.OK);
    }
}
