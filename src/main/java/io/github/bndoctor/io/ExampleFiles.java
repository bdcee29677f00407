package io.github.bndoctor.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A user's examples: features from a {@code .npy} file (named so, or starting with its magic string)
 * or a DL4J {@code DataSet} file, labels from the DataSet file or a separate {@code .npy} file.
 *
 * @param features the features, first dimension = examples
 * @param labels the labels, or {@code null}
 */
public record ExampleFiles(ArrayFile features, ArrayFile labels) {
    /**
     * @param data {@code .npy} features or a {@code DataSet} file
     * @param labels {@code .npy} labels (replacing any the DataSet file holds), or {@code null}
     * @return the arrays, not yet read
     * @throws InputFileException naming the file and the problem
     */
    public static ExampleFiles open(Path data, Path labels) {
        ArrayFile x;
        ArrayFile y = null;
        if (isNpy(data)) {
            x = NpyFile.open(data);
        } else {
            DataSetFile ds = DataSetFile.open(data);
            x = ds.features();
            y = ds.labels();
        }
        if (labels != null) {
            y = NpyFile.open(labels);
        }
        if (y != null && y.examples() != x.examples()) {
            throw new InputFileException(labels != null ? labels : data, "labels of shape " + Arrays.toString(y.shape())
                    + " have " + y.examples() + " examples but the features of shape " + Arrays.toString(x.shape())
                    + " have " + x.examples());
        }
        return new ExampleFiles(x, y);
    }

    /**
     * @param file a file
     * @return whether it is named {@code *.npy} or starts with the {@code .npy} magic string
     */
    public static boolean isNpy(Path file) {
        Path name = file.getFileName();
        if (name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
            return true;
        }
        if (!Files.isRegularFile(file)) {
            return false;
        }
        byte[] head = new byte[6];
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(head, 0, 6) == 6 && (head[0] & 0xff) == 0x93 && head[1] == 'N' && head[2] == 'U'
                    && head[3] == 'M' && head[4] == 'P' && head[5] == 'Y';
        } catch (IOException e) {
            throw new InputFileException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }
}
