package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code inspect} lists every BN layer with its settings and statistics; {@code --help} documents exit codes. */
final class InspectCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void listsBnLayers(NetworkKind kind) throws Exception {
        Path model = CliFixtures.trainedModel(dir, "m.zip", kind);
        CliRunner.Result r = CliFixtures.run("inspect", "--model", model.toString(), "--planned-iterations", "50");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("2 BN layer(s)", "LOG10_STDEV", "0.99", "moving statistics:", "var median")
                .contains("ema-window-longer-than-training");
        assertThat(r.out().lines().filter(l -> l.contains("LOG10_STDEV"))).hasSize(2);
    }

    @Test
    void helpDocumentsExitCodes() {
        CliRunner.Result r = CliFixtures.run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Exit codes:", "diagnose", "inspect", "recalibrate", "the gate failed");
        CliRunner.Result d = CliFixtures.run("diagnose", "--help");
        assertThat(d.out()).contains("--optimizer", "--probe-every", "--json", "--report", "EXPECTED to fail");
    }
}
