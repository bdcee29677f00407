package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.NetworkKind;

import java.io.IOException;
import java.nio.file.Path;

/** The command-line tests' saved model and data, for tests in other packages. */
public final class CliRunnerFixtures {
    private CliRunnerFixtures() {
    }

    /**
     * @param dir where to write
     * @return a trained two-block BN MultiLayerNetwork saved as {@code m.zip}
     * @throws IOException if it cannot be written
     */
    public static Path model(Path dir) throws IOException {
        return CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
    }

    /**
     * @param dir where to write
     * @return 64 examples of its features as .npy
     * @throws IOException if it cannot be written
     */
    public static Path features(Path dir) throws IOException {
        return CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
    }
}
