package io.github.bndoctor.cli;

import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.ReportJson;
import io.github.bndoctor.remedy.AdaptiveDecay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code diagnose --adaptive-decay}: the scenario trains with the listener; the JSON carries the
 * decay in force per layer at each checkpoint and the report charts it.
 */
final class AdaptiveDecayCliTest {
    @TempDir
    Path dir;

    @Test
    void decaysInForceAreInTheJsonAndTheReport() throws Exception {
        Path json = dir.resolve("a.json");
        Path report = dir.resolve("report");
        // the listener adapts every iteration: each checkpoint records the decays in force then, which move
        CliRunner.Result r = CliFixtures.run("diagnose", "--adaptive-decay", "--iterations", "60", "--probe-every", "30",
                "--json", json.toString(), "--report", report.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        // Adam with coupled L2 has no equilibrium on any layer: one sentence, not a row per layer
        assertThat(r.out()).contains("lag forecast: none for the 10 BN layer(s)").doesNotContain("NO_EQUILIBRIUM");
        DiagnosisReport read = ReportJson.read(json);
        assertThat(read.config()).containsKey("adaptiveDecay");
        CheckpointEntry first = read.checkpoints().get(0);
        CheckpointEntry last = read.checkpoints().get(read.checkpoints().size() - 1);
        assertThat(first.iteration()).isEqualTo(30);
        assertThat(last.iteration()).isEqualTo(60);
        assertThat(last.layers()).extracting(LayerEntry::decay)
                .isNotEqualTo(first.layers().stream().map(LayerEntry::decay).toList());
        assertThat(last.layers()).extracting(LayerEntry::decay).allMatch(d -> d >= AdaptiveDecay.DEFAULT_MIN_DECAY && d <= 0.997)
                .anyMatch(d -> d < 0.997);
        assertThat(Files.readString(report.resolve("index.html"))).contains("BN decay in force");
    }

    @Test
    void adaptiveDecayDoesNotApplyToASavedModel() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "m.zip", io.github.bndoctor.testkit.NetworkKind.GRAPH);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(),
                "--adaptive-decay");
        assertThat(r.exitCode()).isEqualTo(Main.INPUT_ERROR);
        assertThat(r.err().strip().lines()).hasSize(1).allMatch(l -> l.contains("--adaptive-decay"));
    }
}
