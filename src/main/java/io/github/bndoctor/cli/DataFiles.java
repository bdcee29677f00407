package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A user's data: features from a {@code .npy} file (with optional {@code .npy} labels) or a DL4J
 * {@code DataSet} file ({@code DataSet.save}), cast to the model's data type and split into
 * batches along the first dimension.
 *
 * @param source the features file
 * @param features all examples, first dimension = examples
 * @param labels all labels, or {@code null}
 */
public record DataFiles(Path source, INDArray features, INDArray labels) {
    /**
     * @param data {@code .npy} features or a {@code DataSet} file
     * @param labelsFile {@code .npy} labels, or {@code null}
     * @param type the model's data type
     * @return the data
     * @throws InputException if a file is missing, unreadable or holds fewer than two examples
     */
    public static DataFiles load(Path data, Path labelsFile, DataType type) {
        INDArray x;
        INDArray y = null;
        if (isNpy(data)) {
            x = npy(data, "data");
        } else {
            requireFile(data, "data");
            DataSet ds = new DataSet();
            try {
                ds.load(data.toFile());
            } catch (RuntimeException e) {
                throw new InputException("data file " + data + " is neither a .npy array nor a DL4J DataSet file ("
                        + ModelFiles.firstLine(e) + ")", e);
            }
            if (ds.getFeatures() == null) {
                throw new InputException("data file " + data + " holds a DataSet without features");
            }
            x = ds.getFeatures();
            y = ds.getLabels();
        }
        if (labelsFile != null) {
            y = npy(labelsFile, "labels");
        }
        if (x.rank() < 2 || x.size(0) < 2) {
            throw new InputException("data file " + data + " has shape " + Arrays.toString(x.shape())
                    + ": need at least two examples along the first dimension");
        }
        if (y != null && y.size(0) != x.size(0)) {
            throw new ShapeMismatchException("labels have " + y.size(0) + " examples but data " + data + " has "
                    + x.size(0));
        }
        return new DataFiles(data, x.castTo(type), y == null ? null : y.castTo(type));
    }

    /** @return number of examples */
    public long examples() {
        return features.size(0);
    }

    /** @return whether labels were given */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * @param size batch size, at least 2
     * @return consecutive batches of features; a last batch of one example is dropped (batch
     *     statistics need two)
     */
    public List<INDArray[]> featureBatches(int size) {
        List<INDArray[]> out = new ArrayList<>();
        for (long s = 0; s < examples(); s += size) {
            long e = Math.min(examples(), s + size);
            if (e - s >= 2) {
                out.add(new INDArray[] {rows(features, s, e)});
            }
        }
        return out;
    }

    /**
     * @param size batch size
     * @return the same batches as {@link #featureBatches} (with labels if any), as an iterator
     */
    public DataSetIterator iterator(int size) {
        List<DataSet> list = new ArrayList<>();
        for (long s = 0; s < examples(); s += size) {
            long e = Math.min(examples(), s + size);
            if (e - s >= 2) {
                list.add(new DataSet(rows(features, s, e), labels == null ? null : rows(labels, s, e)));
            }
        }
        return new ExistingDataSetIterator(list);
    }

    /**
     * @param max largest number of examples
     * @return the first {@code min(max, examples)} examples' features
     */
    public INDArray probeFeatures(int max) {
        return rows(features, 0, Math.min(max, examples()));
    }

    /**
     * @param max largest number of examples
     * @return the first {@code min(max, examples)} examples' labels
     */
    public INDArray probeLabels(int max) {
        return rows(labels, 0, Math.min(max, examples()));
    }

    /**
     * Runs two examples through the network and compares the output shape with the labels'.
     *
     * @param net the network
     * @throws ShapeMismatchException naming both shapes if the data does not fit
     */
    public void requireFits(BnNetwork net) {
        INDArray[] out;
        try {
            out = net.output(new INDArray[] {rows(features, 0, 2)}, false);
        } catch (RuntimeException e) {
            throw new ShapeMismatchException("data " + source.getFileName() + " of shape " + Arrays.toString(features.shape())
                    + " does not fit the model's input (" + ModelFiles.firstLine(e) + ")", e);
        }
        if (labels != null) {
            long[] o = out[0].shape();
            long[] l = labels.shape();
            if (o.length != l.length || !Arrays.equals(Arrays.copyOfRange(o, 1, o.length), Arrays.copyOfRange(l, 1, l.length))) {
                throw new ShapeMismatchException("labels of shape " + Arrays.toString(l)
                        + " do not fit the model's output of shape " + Arrays.toString(o) + " (per example)");
            }
        }
    }

    private static INDArray rows(INDArray a, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int i = 1; i < idx.length; i++) {
            idx[i] = NDArrayIndex.all();
        }
        return a.get(idx).dup();
    }

    private static boolean isNpy(Path p) {
        return p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy");
    }

    private static INDArray npy(Path p, String what) {
        requireFile(p, what);
        if (!isNpy(p)) {
            throw new InputException(what + " file " + p + " must be a .npy array");
        }
        requireNpyMagic(p, what);
        try {
            return Nd4j.createFromNpyFile(p.toFile());
        } catch (RuntimeException e) {
            throw new InputException(what + " file " + p + " is not a readable .npy array (" + ModelFiles.firstLine(e) + ")", e);
        }
    }

    private static void requireNpyMagic(Path p, String what) {
        byte[] head = new byte[6];
        int n;
        try (java.io.InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (java.io.IOException e) {
            throw new InputException(what + " file " + p + " cannot be read (" + e.getMessage() + ")", e);
        }
        if (n < head.length || (head[0] & 0xff) != 0x93 || !new String(head, 1, 5, java.nio.charset.StandardCharsets.US_ASCII)
                .equals("NUMPY")) {
            throw new InputException(what + " file " + p + " is not a .npy array (no NUMPY header)");
        }
    }

    private static void requireFile(Path p, String what) {
        if (!Files.isRegularFile(p)) {
            throw new InputException(what + " file " + p + " does not exist");
        }
    }
}
