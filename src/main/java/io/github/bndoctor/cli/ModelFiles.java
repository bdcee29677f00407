package io.github.bndoctor.cli;

import io.github.bndoctor.report.AtomicFiles;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Loads and saves DL4J model zips ({@code ModelSerializer} format). */
public final class ModelFiles {
    private static final String CONFIGURATION = "configuration.json";

    private ModelFiles() {
    }

    /**
     * @param file a {@code MultiLayerNetwork} or {@code ComputationGraph} saved with {@code ModelSerializer}
     * @return the network, without updater state
     * @throws InputException if the file is missing, unreadable or not a DL4J model
     */
    public static Model load(Path file) {
        if (!Files.exists(file)) {
            throw new InputException("model file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InputException("model file " + file + " is not a readable file");
        }
        boolean graph;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry conf = zip.getEntry(CONFIGURATION);
            if (conf == null) {
                throw new InputException("model file " + file + " is a zip without " + CONFIGURATION
                        + ": not a DL4J model saved with ModelSerializer");
            }
            try (InputStream in = zip.getInputStream(conf)) {
                graph = new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"vertices\"");
            }
        } catch (IOException e) {
            throw new InputException("model file " + file + " is not a readable DL4J model zip (" + e.getMessage() + ")", e);
        }
        try {
            return graph ? ModelSerializer.restoreComputationGraph(file.toFile(), false)
                    : ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
        } catch (IOException | RuntimeException e) {
            throw new InputException("model file " + file + " could not be loaded as a "
                    + (graph ? "ComputationGraph" : "MultiLayerNetwork") + " (" + firstLine(e) + ")", e);
        }
    }

    /**
     * Saves atomically: a temporary file in the target's directory, then a move over the target.
     *
     * @param model the network
     * @param file target zip
     */
    public static void save(Model model, Path file) {
        AtomicFiles.writePath(file, tmp -> {
            if (model instanceof MultiLayerNetwork mln) {
                ModelSerializer.writeModel(mln, tmp.toFile(), false);
            } else {
                ModelSerializer.writeModel((ComputationGraph) model, tmp.toFile(), false);
            }
        });
    }

    /**
     * @param e an exception
     * @return the first line of its message, or its type
     */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
