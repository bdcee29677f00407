package io.github.bndoctor.cli;

import io.github.bndoctor.report.Explanations;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What a person reads in the terminal: suggestions, help, a single snapshot's columns, the outcome line. */
final class TerminalOutputTest {
    @TempDir
    Path dir;

    @Test
    void aMistypedOptionGetsPicocliSuggestion() {
        CliRunner.Result r = CliRunner.run("diagnose", "--modle", "m.zip");
        assertThat(r.exitCode()).isEqualTo(Main.INPUT_ERROR);
        // one line, as every usage error
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("'--modle'", "did you mean --model?");
        // an argument nothing resembles gets no suggestion
        assertThat(CliRunner.run("diagnose", "--zzzzzzzz").err()).doesNotContain("did you mean");
    }

    @Test
    void helpLinksThePublishedDocsNotARepositoryPath() {
        for (String[] args : new String[][] {{"--help"}, {"diagnose", "--help"}, {"inspect", "--help"},
            {"recalibrate", "--help"}}) {
            CliRunner.Result r = CliRunner.run(args);
            assertThat(r.exitCode()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Documentation: " + Explanations.DOCS_URL)
                    .doesNotContain("docs/");
        }
        // picocli wraps long lines: compare without the line breaks
        assertThat(CliRunner.run("diagnose", "--help").out().replaceAll("\\s+", "")).contains(Explanations.DOCS_URL
                + "bn-doctor-result.schema.json");
    }

    @Test
    void aSavedModelShowsItsSnapshotOnceAndTheOutcomeTheExitCodeStates() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        Path x = CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
        Path y = CliFixtures.labels(dir, 64);
        CliRunner.Result r = CliRunner.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--labels",
                y.toString());
        String header = r.out().lines().filter(l -> l.startsWith("run ")).findFirst().orElseThrow();
        assertThat(header).contains("eval/train", "eval/precise").doesNotContain("worst", "last");
        String last = r.out().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(last).startsWith("exit " + r.exitCode() + ": " + (r.exitCode() == 0 ? "PASS" : "FAIL"));
        assertThat(r.out()).contains("verdict ", Explanations.DOCS_URL + "metrics.html#");
        if (r.out().contains("commands:")) {
            assertThat(r.out()).contains("recalibrate --model " + model + " --data " + x + " --out ");
        }
        assertThat(r.out()).doesNotContain("NO_EQUILIBRIUM -");
    }
}
