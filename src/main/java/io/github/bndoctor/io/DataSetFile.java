package io.github.bndoctor.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens DL4J {@code DataSet} files ({@code DataSet.save}: a flags byte, then the features, the
 * labels and the masks in ND4J's binary array format, then optional Java-serialised metadata)
 * without native code and without Java deserialisation: the array headers are parsed and checked
 * against the file's length, the arrays themselves are left in the file and read example by
 * example through {@link ArrayFile}. Masks are refused (bn-doctor's statistics do not apply them);
 * the serialised metadata and label names are never read.
 *
 * @param features the features, first dimension = examples
 * @param labels the labels, or {@code null} if the file has none
 */
public record DataSetFile(ArrayFile features, ArrayFile labels) {
    private static final int FEATURES = 1;
    private static final int LABELS = 2;
    private static final int LABELS_ARE_FEATURES = 4;
    private static final int FEATURES_MASK = 8;
    private static final int LABELS_MASK = 16;
    private static final int METADATA = 32 | 64;

    /**
     * @param file a file written by {@code DataSet.save}
     * @return its arrays, not yet read
     * @throws InputFileException naming the file and the problem if it is not a well-formed DataSet file
     */
    public static DataSetFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputFileException(file, "is a directory, not a DataSet file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InputFileException(file, Files.exists(file) ? "is not a readable file" : "does not exist");
        }
        try (InputStream raw = Files.newInputStream(file)) {
            long size = Files.size(file);
            CountingInputStream counted = new CountingInputStream(new BufferedInputStream(raw), size,
                    limit -> new InputFileException(file, "grew while being read"));
            DataInputStream in = new DataInputStream(counted);
            int flags = in.readUnsignedByte();
            if ((flags & ~(FEATURES | LABELS | LABELS_ARE_FEATURES | FEATURES_MASK | LABELS_MASK | METADATA)) != 0
                    || (flags & FEATURES) == 0) {
                throw new InputFileException(file, "is not a DL4J DataSet file with features (flags byte " + flags + ")");
            }
            if ((flags & (FEATURES_MASK | LABELS_MASK)) != 0) {
                throw new InputFileException(file, "holds a DataSet with masks, which bn-doctor does not apply");
            }
            ArrayFile features = array(in, counted, file, size, "features");
            ArrayFile labels = null;
            if ((flags & LABELS) != 0) {
                labels = array(in, counted, file, size, "labels");
            } else if ((flags & LABELS_ARE_FEATURES) != 0) {
                labels = features;
            }
            if ((flags & METADATA) == 0 && counted.count() != size) {
                throw new InputFileException(file, "has " + (size - counted.count()) + " bytes after its arrays (the arrays"
                        + " end at byte " + counted.count() + " of " + size + ")");
            }
            if (labels != null && labels.examples() != features.examples()) {
                throw new InputFileException(file, "labels have " + labels.examples() + " examples but features "
                        + features.examples());
            }
            return new DataSetFile(features, labels);
        } catch (EOFException e) {
            throw new InputFileException(file, "ends inside the DataSet (truncated?)", e);
        } catch (IOException e) {
            throw new InputFileException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static ArrayFile array(DataInputStream in, CountingInputStream counted, Path file, long size, String what)
            throws IOException {
        Nd4jBinary.Header h = Nd4jBinary.readHeader(in, file, what);
        long offset = counted.count();
        if (h.bodyBytes() > size - offset) {
            throw new InputFileException(file, what + " of shape " + java.util.Arrays.toString(h.shape()) + " need "
                    + h.bodyBytes() + " bytes but the file has " + (size - offset) + " after the header (truncated?)");
        }
        in.skipNBytes(h.bodyBytes());
        return ArrayFile.of(file, offset, h.shape(), h.type(), ByteOrder.BIG_ENDIAN, h.fortranOrder());
    }
}
