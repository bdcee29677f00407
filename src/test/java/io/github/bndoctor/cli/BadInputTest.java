package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every bad input: exit code 1, one line on stderr naming the problem, no stack trace, no partial output. */
final class BadInputTest {
    @TempDir
    Path dir;

    private void assertInputError(CliRunner.Result r, String... mentions) throws IOException {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.INPUT_ERROR);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("bn-doctor: ").doesNotContain("\tat ").contains(mentions);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith("out") || n.endsWith(".tmp") || n.equals("d.json"));
        }
    }

    @Test
    void missingModelFile() throws IOException {
        assertInputError(CliFixtures.run("inspect", "--model", dir.resolve("nope.zip").toString()), "nope.zip",
                "does not exist");
    }

    @Test
    void corruptZip() throws IOException {
        Path bad = CliFixtures.corruptZip(dir);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        assertInputError(CliFixtures.run("inspect", "--model", bad.toString()), "corrupt.zip");
        assertInputError(CliFixtures.run("recalibrate", "--model", bad.toString(), "--data", x.toString(), "--out",
                dir.resolve("out.zip").toString()), "corrupt.zip");
    }

    @Test
    void modelWithoutBatchNorm() throws IOException {
        Path nobn = CliFixtures.noBnModel(dir);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        assertInputError(CliFixtures.run("inspect", "--model", nobn.toString()), "no BatchNormalization");
        assertInputError(CliFixtures.run("diagnose", "--model", nobn.toString(), "--data", x.toString(), "--json",
                dir.resolve("d.json").toString()), "no BatchNormalization");
    }

    @Test
    void dataOfTheWrongShape() throws IOException {
        Path model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        Path wrong = CliFixtures.features(dir, "wrong.npy", 32, CliFixtures.FEATURES + 3);
        assertInputError(CliFixtures.run("recalibrate", "--model", model.toString(), "--data", wrong.toString(), "--out",
                dir.resolve("out.zip").toString()), "wrong.npy", "does not fit");
        assertInputError(CliFixtures.run("diagnose", "--model", model.toString(), "--data", wrong.toString(), "--json",
                dir.resolve("d.json").toString()), "does not fit");
    }

    @Test
    void corruptDataFile() throws IOException {
        Path model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        Path junk = dir.resolve("junk.npy");
        Files.writeString(junk, "not numpy");
        assertInputError(CliFixtures.run("recalibrate", "--model", model.toString(), "--data", junk.toString(), "--out",
                dir.resolve("out.zip").toString()), "junk.npy");
    }

    @Test
    void unwritableOutputPath() throws IOException {
        Path model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        Path aFile = Files.writeString(dir.resolve("plain.txt"), "a file, not a directory");
        // the output's parent is a regular file (root may write anywhere, so permissions alone prove nothing)
        assertInputError(CliFixtures.run("recalibrate", "--model", model.toString(), "--data", x.toString(), "--out",
                aFile.resolve("out.zip").toString()), "out.zip");
        assertInputError(CliFixtures.run("recalibrate", "--model", model.toString(), "--data", x.toString(), "--out",
                dir.resolve("missing-dir").resolve("out.zip").toString()), "missing-dir");
        assertInputError(CliFixtures.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--json",
                dir.resolve("missing-dir").resolve("d.json").toString()), "missing-dir");
    }

    @Test
    void usageErrorsAreExitCodeOne() throws IOException {
        assertInputError(CliFixtures.run("recalibrate", "--model", "m.zip"), "--data");
        assertInputError(CliFixtures.run("frobnicate"), "frobnicate");
        assertInputError(CliFixtures.run("diagnose", "--optimizer", "adagrad", "--iterations", "2"), "adagrad");
    }

    @Test
    void verboseAddsTheStackTrace() throws IOException {
        CliRunner.Result r = CliFixtures.run("inspect", "--verbose", "--model", CliFixtures.corruptZip(dir).toString());
        assertThat(r.exitCode()).isEqualTo(Main.INPUT_ERROR);
        assertThat(r.err()).contains("\tat ");
    }
}
