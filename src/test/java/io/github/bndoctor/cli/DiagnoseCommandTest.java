package io.github.bndoctor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.bndoctor.report.DiagnosisReport;
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
            "evalToTrainRatio", "emaShare", "batchNoiseShare", "verdict", "layers");
    static final List<String> LAYER = List.of("name", "emaLag", "batchNoise", "rotationDegPerIter", "predictedLag",
            "measuredLag", "emaError", "warmupError");
    static final List<String> ALARM = List.of("iteration", "layer", "metric", "value", "threshold", "level");

    @Test
    void savedModelWithLabelsWritesEverySchemaField() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "g.zip", NetworkKind.GRAPH);
        Path x = CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
        Path y = CliFixtures.labels(dir, 64);
        Path json = dir.resolve("d.json");
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--labels",
                y.toString(), "--json", json.toString());
        assertThat(r.exitCode()).as(r.err() + r.out()).isIn(Main.OK, Main.GATE_FAILED);

        JsonNode root = ReportJson.mapper().readTree(json.toFile());
        assertThat(root.get("schemaVersion").asInt()).isEqualTo(DiagnosisReport.SCHEMA_VERSION).isEqualTo(2);
        TOP.forEach(f -> assertThat(root.has(f)).as(f).isTrue());
        assertThat(root.get("lossKind").asText()).isEqualTo(DiagnosisReport.LOSS_LABELS);
        assertThat(root.get("verdict").asText()).isIn("HEALTHY", "EMA_WARMUP", "EMA_LAG", "BATCH_NOISE", "DIVERGED");
        JsonNode cp = root.get("checkpoints").get(0);
        CHECKPOINT.forEach(f -> assertThat(cp.has(f)).as(f).isTrue());
        assertThat(cp.get("layers")).hasSize(2);
        LAYER.forEach(f -> assertThat(cp.get("layers").get(0).has(f)).as(f).isTrue());
        assertThat(r.exitCode()).isEqualTo(root.get("gate").asText().equals("FAIL") ? Main.GATE_FAILED : Main.OK);

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
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        DiagnosisReport read = ReportJson.read(json);
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
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        assertThat(r.err()).contains("iter 20/40", "ETA");
        DiagnosisReport read = ReportJson.read(json);
        assertThat(read.checkpoints()).extracting(DiagnosisReport.CheckpointEntry::iteration).containsExactly(20L, 40L);
        assertThat(read.checkpoints().get(1).layers().get(0).rotationDegPerIter()).isNotNull().isPositive();
        assertThat(read.config()).containsEntry("optimizer", "adam").containsEntry("iterations", 40);
        assertThat(read.comparisons()).isEmpty();
        assertThat(r.exitCode()).isEqualTo(read.gate().equals("FAIL") ? Main.GATE_FAILED : Main.OK);
        assertThat(report.resolve("index.html")).exists();
        JsonNode root = ReportJson.mapper().readTree(json.toFile());
        for (JsonNode a : root.get("alarms")) {
            ALARM.forEach(f -> assertThat(a.has(f)).as(f).isTrue());
        }
    }
}
