package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import io.github.bndoctor.io.ArrayFile;
import io.github.bndoctor.io.ExampleFiles;
import io.github.bndoctor.io.InputFileException;
import io.github.bndoctor.probe.ProbeChunk;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.UnaryOperator;

/**
 * A user's data for the command line: {@link ExampleFiles} read batch by batch, on demand, in the
 * model's data type. Only the examples a command uses are ever read.
 *
 * @param source the features file
 * @param files the features and optional labels
 * @param type the model's data type
 */
record DataFiles(Path source, ExampleFiles files, DataType type) {
    /**
     * @param data {@code .npy} features or a {@code DataSet} file
     * @param labelsFile {@code .npy} labels, or {@code null}
     * @param type the model's data type
     * @return the data
     * @throws InputException if a file is missing, malformed or holds fewer than two examples
     */
    static DataFiles load(Path data, Path labelsFile, DataType type) {
        requireFile(data, "data");
        if (labelsFile != null) {
            requireFile(labelsFile, "labels");
        }
        ExampleFiles f;
        try {
            f = ExampleFiles.open(data, labelsFile);
        } catch (InputFileException e) {
            boolean labels = labelsFile != null && e.getMessage().startsWith(labelsFile + ":");
            throw new InputException((labels ? "labels file " : "data file ") + e.getMessage(), e);
        }
        long[] shape = f.features().shape();
        if (shape.length < 2 || f.features().valuesPerExample() == 0) {
            throw new InputException("data file " + data + " has shape " + Arrays.toString(shape)
                    + ": need examples along the first dimension and at least one value each along the others");
        }
        if (shape[0] < 2) {
            throw new InputException("data file " + data + " has shape " + Arrays.toString(shape)
                    + ": need at least two examples along the first dimension");
        }
        if (f.labels() != null && (f.labels().shape().length < 2 || f.labels().valuesPerExample() == 0)) {
            throw new InputException("labels " + (labelsFile != null ? "file " + labelsFile : "in " + data) + " have shape "
                    + Arrays.toString(f.labels().shape()) + ": need at least one value per example");
        }
        return new DataFiles(data, f, type);
    }

    /** @return number of examples */
    long examples() {
        return files.features().examples();
    }

    /** @return whether labels were given */
    boolean hasLabels() {
        return files.labels() != null;
    }

    /**
     * @param size batch size, at least 2
     * @return consecutive batches of features, read when requested; a last batch of one example is
     *     dropped (batch statistics need two)
     */
    Batches featureBatches(int size) {
        return new Batches(size, false);
    }

    /**
     * @param size batch size
     * @return the same batches as {@link #featureBatches} with labels if any
     */
    Batches batches(int size) {
        return new Batches(size, true);
    }

    /**
     * @param max largest number of examples
     * @param chunk examples per chunk, at least 2
     * @return how many of the first examples {@link #probe} uses: {@code min(max, examples)}, less
     *     a last chunk of one example (batch statistics need two)
     */
    long probeExamples(int max, int chunk) {
        long n = Math.min(max, examples());
        return n % chunk == 1 ? n - 1 : n;
    }

    /**
     * The first {@link #probeExamples} examples as a probe, read chunk by chunk on every pass.
     *
     * @param max largest number of examples
     * @param chunk examples per chunk, at least 2
     * @param reference computes a chunk's reference outputs when there are no labels
     * @return the probe
     */
    Iterable<ProbeChunk> probe(int max, int chunk, UnaryOperator<INDArray[]> reference) {
        long n = probeExamples(max, chunk);
        return () -> new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < n;
            }

            @Override
            public ProbeChunk next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int k = (int) Math.min(chunk, n - next);
                INDArray[] x = {read(files.features(), next, k)};
                INDArray[] y = hasLabels() ? new INDArray[] {read(files.labels(), next, k)} : reference.apply(x);
                next += k;
                return new ProbeChunk(x, y);
            }
        };
    }

    /**
     * Runs two examples through the network and compares the output shape with the labels'.
     *
     * @param net the network
     * @throws ShapeMismatchException naming both shapes if the data does not fit
     */
    void requireFits(BnNetwork net) {
        INDArray[] out;
        long[] shape = files.features().shape();
        try {
            out = net.output(new INDArray[] {read(files.features(), 0, 2)}, false);
        } catch (InputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ShapeMismatchException("data " + source.getFileName() + " of shape " + Arrays.toString(shape)
                    + " does not fit the model's input (" + ModelFiles.firstLine(e) + ")", e);
        }
        if (hasLabels()) {
            long[] o = out[0].shape();
            long[] l = files.labels().shape();
            if (o.length != l.length || !Arrays.equals(Arrays.copyOfRange(o, 1, o.length), Arrays.copyOfRange(l, 1, l.length))) {
                throw new ShapeMismatchException("the labels hold " + perExample(l) + " per example but the model outputs "
                        + perExample(o) + " (labels file shape " + Arrays.toString(l) + ", examples first)");
            }
        }
    }

    /**
     * @param shape an array's shape, examples first
     * @return what one example holds: {@code 3 values} or {@code a [3, 4, 4] array}
     */
    static String perExample(long[] shape) {
        long[] one = Arrays.copyOfRange(shape, 1, shape.length);
        if (one.length == 0) {
            return "1 value";
        }
        return one.length == 1 ? one[0] + (one[0] == 1 ? " value" : " values") : "a " + Arrays.toString(one) + " array";
    }

    /**
     * Consecutive batches of the data, each read from the files only when requested, counting the
     * examples handed out.
     */
    final class Batches implements Iterator<INDArray[]> {
        private final int size;
        private final boolean withLabels;
        private long next;

        private Batches(int size, boolean withLabels) {
            this.size = size;
            this.withLabels = withLabels;
        }

        @Override
        public boolean hasNext() {
            return examples() - next >= 2;
        }

        @Override
        public INDArray[] next() {
            return new INDArray[] {nextDataSet().getFeatures()};
        }

        private DataSet nextDataSet() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int n = (int) Math.min(size, examples() - next);
            long s = next;
            next += n;
            return new DataSet(read(files.features(), s, n), withLabels && hasLabels() ? read(files.labels(), s, n) : null);
        }

        /** @return the examples handed out so far */
        long examplesRead() {
            return next;
        }

        /** @return these batches as a (non-resettable) DL4J iterator */
        DataSetIterator asIterator() {
            return new ExistingDataSetIterator(new Iterator<DataSet>() {
                @Override
                public boolean hasNext() {
                    return Batches.this.hasNext();
                }

                @Override
                public DataSet next() {
                    return nextDataSet();
                }
            });
        }
    }

    private INDArray read(ArrayFile a, long from, int count) {
        try {
            return a.read(from, count, type);
        } catch (InputFileException e) {
            throw new InputException((a == files.features() ? "data file " : "labels file ") + e.getMessage(), e);
        }
    }

    private static void requireFile(Path p, String what) {
        if (Files.isDirectory(p)) {
            throw new InputException(what + " file " + p + " is a directory, not a file");
        }
        if (!Files.exists(p)) {
            throw new InputException(what + " file " + p + " does not exist");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new InputException(what + " file " + p + " is not a readable file");
        }
    }
}
