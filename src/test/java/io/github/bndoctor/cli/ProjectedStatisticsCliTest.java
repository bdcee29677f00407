package io.github.bndoctor.cli;

import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code diagnose --projected-statistics}: the scenario trains with the listener and the JSON names it;
 * a saved model refuses the option with one line.
 */
final class ProjectedStatisticsCliTest {
    @TempDir
    Path dir;

    @Test
    void theListenerIsNamedInTheJson() throws Exception {
        Path json = dir.resolve("p.json");
        CliRunner.Result r = CliFixtures.run("diagnose", "--projected-statistics", "--iterations", "40", "--probe-every",
                "20", "--json", json.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        DiagnosisReport read = ReportJson.read(json);
        assertThat(read.config()).containsKey("projectedStatistics");
        assertThat(read.checkpoints()).extracting(CheckpointEntry::iteration).containsExactly(20L, 40L);
    }

    @Test
    void projectedStatisticsDoNotApplyToASavedModel() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "m.zip", io.github.bndoctor.testkit.NetworkKind.GRAPH);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(),
                "--projected-statistics");
        assertThat(r.exitCode()).isEqualTo(Main.INPUT_ERROR);
        assertThat(r.err().strip().lines()).hasSize(1).allMatch(l -> l.contains("--projected-statistics"));
    }
}
