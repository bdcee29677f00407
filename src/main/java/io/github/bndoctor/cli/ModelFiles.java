package io.github.bndoctor.cli;

import io.github.bndoctor.io.InputFileException;
import io.github.bndoctor.io.ModelZip;
import org.deeplearning4j.nn.api.Model;

import java.nio.file.Path;

/** The command line's access to model zips: {@link ModelZip} with messages naming the file's role. */
final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * @param file a {@code MultiLayerNetwork} or {@code ComputationGraph} saved with {@code ModelSerializer}
     * @return the network, without updater state
     * @throws InputException if the file is missing, unreadable, too large or not a DL4J model
     */
    static Model load(Path file) {
        try {
            return ModelZip.load(file);
        } catch (InputFileException e) {
            throw new InputException("model file " + e.getMessage(), e);
        }
    }

    /**
     * Writes a copy of {@code original} with {@code model}'s parameters, atomically; every other
     * entry is carried over unchanged.
     *
     * @param original the model file the network was loaded from
     * @param model the network
     * @param file target zip
     */
    static void save(Path original, Model model, Path file) {
        ModelZip.writeWithParameters(original, model, file);
    }

    /**
     * @param e an exception
     * @return the first line of its first message, with its type when there is none
     */
    static String firstLine(Throwable e) {
        return ModelZip.describe(e);
    }
}
