package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.io.NpyBytes;
import io.github.bndoctor.probe.ProbeChunk;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The command line's data access without a command around it: file checks, the shape rules at and
 * around their limits, batching and the probe's example count against counts worked out by hand, and
 * the values read against the values written.
 */
class DataFilesTest {
    @TempDir
    Path dir;

    /** Row i, column j holds {@code 10 i + j}: every read example can be recognised by its values. */
    private Path matrix(String name, int rows, int cols) throws IOException {
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] = 10 * i + j;
            }
        }
        return NpyBytes.write(dir.resolve(name), 1, NpyBytes.header("<f4", false, "(" + rows + ", " + cols + ")"),
                NpyBytes.float32(v, rows, cols, ByteOrder.LITTLE_ENDIAN, false));
    }

    private Path npy(String name, String shape, int values) throws IOException {
        return NpyBytes.write(dir.resolve(name), 1, NpyBytes.header("<f4", false, shape), new byte[4 * values]);
    }

    private static DataFiles load(Path data, Path labels) {
        return DataFiles.load(data, labels, DataType.FLOAT);
    }

    @Test
    void missingDirectoryAndSpecialFilesAreNamedWithTheirRole() throws IOException {
        Path data = matrix("x.npy", 4, 3);
        assertThatThrownBy(() -> load(dir.resolve("nope.npy"), null)).isInstanceOf(InputException.class)
                .hasMessage("data file " + dir.resolve("nope.npy") + " does not exist");
        assertThatThrownBy(() -> load(dir, null)).isInstanceOf(InputException.class)
                .hasMessage("data file " + dir + " is a directory, not a file");
        assertThatThrownBy(() -> load(data, dir.resolve("y.npy"))).isInstanceOf(InputException.class)
                .hasMessage("labels file " + dir.resolve("y.npy") + " does not exist");
        assertThatThrownBy(() -> load(data, dir)).isInstanceOf(InputException.class)
                .hasMessage("labels file " + dir + " is a directory, not a file");
        Path devNull = Path.of("/dev/null");
        if (Files.exists(devNull)) {
            // exists, is no directory, is no regular file
            assertThatThrownBy(() -> load(devNull, null)).isInstanceOf(InputException.class)
                    .hasMessage("data file /dev/null is not a readable file");
            assertThatThrownBy(() -> load(data, devNull)).isInstanceOf(InputException.class)
                    .hasMessage("labels file /dev/null is not a readable file");
        }
    }

    @Test
    void malformedFilesAreBlamedOnTheRightRole() throws IOException {
        Path data = matrix("x.npy", 4, 3);
        Path garbage = Files.writeString(dir.resolve("g.npy"), "not an array");
        assertThatThrownBy(() -> load(garbage, null)).isInstanceOf(InputException.class)
                .hasMessageStartingWith("data file " + garbage + ":");
        assertThatThrownBy(() -> load(data, garbage)).isInstanceOf(InputException.class)
                .hasMessageStartingWith("labels file " + garbage + ":");
        // a bad data file with labels given is still the data file's fault
        assertThatThrownBy(() -> load(garbage, matrix("y.npy", 4, 2))).isInstanceOf(InputException.class)
                .hasMessageStartingWith("data file " + garbage + ":");
        // labels that disagree with the features in count
        Path five = matrix("y5.npy", 5, 2);
        assertThatThrownBy(() -> load(data, five)).isInstanceOf(InputException.class)
                .hasMessageStartingWith("labels file " + five + ":");
    }

    @Test
    void featuresNeedTwoDimensionsAValueEachAndTwoExamples() throws IOException {
        assertThatThrownBy(() -> load(npy("flat.npy", "(6,)", 6), null)).isInstanceOf(InputException.class)
                .hasMessageContaining("has shape [6]").hasMessageContaining("at least one value each");
        assertThatThrownBy(() -> load(npy("empty.npy", "(6, 0)", 0), null)).isInstanceOf(InputException.class)
                .hasMessageContaining("has shape [6, 0]").hasMessageContaining("at least one value each");
        // below, at and above the two-example limit
        assertThatThrownBy(() -> load(matrix("one.npy", 1, 3), null)).isInstanceOf(InputException.class)
                .hasMessageContaining("has shape [1, 3]").hasMessageEndingWith("need at least two examples along the first dimension");
        assertThat(load(matrix("two.npy", 2, 3), null).examples()).isEqualTo(2);
        assertThat(load(matrix("three.npy", 3, 1), null).examples()).isEqualTo(3);
    }

    @Test
    void labelsNeedAValuePerExample() throws IOException {
        Path data = matrix("x.npy", 4, 3);
        Path flat = npy("yflat.npy", "(4,)", 4);
        assertThatThrownBy(() -> load(data, flat)).isInstanceOf(InputException.class)
                .hasMessage("labels file " + flat + " have shape [4]: need at least one value per example");
        Path empty = npy("yempty.npy", "(4, 0)", 0);
        assertThatThrownBy(() -> load(data, empty)).isInstanceOf(InputException.class)
                .hasMessage("labels file " + empty + " have shape [4, 0]: need at least one value per example");
        DataFiles one = load(data, matrix("y1.npy", 4, 1));
        assertThat(one.hasLabels()).isTrue();
        assertThat(load(data, null).hasLabels()).isFalse();
    }

    @Test
    void batchesAreConsecutiveAndALastSingleExampleIsDropped() throws IOException {
        // 7 examples in batches of 3: 3 + 3, the seventh alone cannot give batch statistics
        DataFiles seven = load(matrix("x7.npy", 7, 2), null);
        assertThat(firstColumns(seven.featureBatches(3))).containsExactly(List.of(0.0, 10.0, 20.0),
                List.of(30.0, 40.0, 50.0));
        // 8 examples: 3 + 3 + 2, a last batch of two is kept
        DataFiles eight = load(matrix("x8.npy", 8, 2), null);
        DataFiles.Batches b = eight.featureBatches(3);
        assertThat(firstColumns(b)).containsExactly(List.of(0.0, 10.0, 20.0), List.of(30.0, 40.0, 50.0),
                List.of(60.0, 70.0));
        assertThat(b.examplesRead()).isEqualTo(8);
        assertThatThrownBy(b::next).isInstanceOf(NoSuchElementException.class);
        DataFiles.Batches part = seven.featureBatches(3);
        part.next();
        assertThat(part.examplesRead()).isEqualTo(3);
        INDArray second = part.next()[0];
        assertThat(second.getDouble(2, 1)).isEqualTo(51.0);
        assertThat(part.examplesRead()).isEqualTo(6);
        assertThat(part.hasNext()).isFalse();
    }

    @Test
    void labelledBatchesCarryTheMatchingLabelRows() throws IOException {
        DataFiles d = load(matrix("x.npy", 5, 3), matrix("y.npy", 5, 2));
        DataSetIterator it = d.batches(2).asIterator();
        List<double[]> rows = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            assertThat(ds.getLabels()).as("labels read with the features").isNotNull();
            for (int i = 0; i < ds.numExamples(); i++) {
                rows.add(new double[] {ds.getFeatures().getDouble(i, 2), ds.getLabels().getDouble(i, 1)});
            }
        }
        // 5 in twos: 2 + 2, the fifth dropped; feature column 2 = 10 i + 2, label column 1 = 10 i + 1
        assertThat(rows).containsExactly(new double[] {2, 1}, new double[] {12, 11}, new double[] {22, 21},
                new double[] {32, 31});
        DataSet unlabelled = d.featureBatches(2).asIterator().next();
        assertThat(unlabelled.getLabels()).as("feature batches carry no labels").isNull();
    }

    @Test
    void probeExamplesIsTheCapLessALastSingleExample() throws IOException {
        DataFiles seven = load(matrix("x7.npy", 7, 2), null);
        // min(max, 7), minus one when that leaves a chunk of one
        assertThat(seven.probeExamples(100, 3)).isEqualTo(6); // 7 % 3 == 1
        assertThat(seven.probeExamples(100, 2)).isEqualTo(6); // 7 % 2 == 1
        assertThat(seven.probeExamples(100, 4)).isEqualTo(7); // 7 % 4 == 3
        assertThat(seven.probeExamples(100, 7)).isEqualTo(7); // one full chunk
        assertThat(seven.probeExamples(5, 2)).isEqualTo(4); // capped at 5, 5 % 2 == 1
        assertThat(seven.probeExamples(6, 4)).isEqualTo(6); // capped at 6, 6 % 4 == 2
        assertThat(seven.probeExamples(4, 3)).isEqualTo(3); // capped at 4, 4 % 3 == 1
    }

    @Test
    void theProbeReadsChunksWithLabelsOrReferenceOutputs() throws IOException {
        DataFiles labelled = load(matrix("x.npy", 7, 2), matrix("y.npy", 7, 3));
        List<ProbeChunk> chunks = new ArrayList<>();
        labelled.probe(100, 4, x -> {
            throw new AssertionError("labels given: no reference outputs");
        }).forEach(chunks::add);
        // 7 examples in fours: 4 + 3
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(0).features()[0].size(0)).isEqualTo(4);
        assertThat(chunks.get(1).features()[0].size(0)).isEqualTo(3);
        assertThat(chunks.get(1).features()[0].getDouble(0, 1)).isEqualTo(41.0);
        assertThat(chunks.get(1).labels()[0].getDouble(2, 2)).isEqualTo(62.0);

        DataFiles plain = load(matrix("x2.npy", 7, 2), null);
        List<Double> refs = new ArrayList<>();
        Iterable<ProbeChunk> probe = plain.probe(5, 2, x -> new INDArray[] {x[0].sum(1)});
        var it = probe.iterator();
        while (it.hasNext()) {
            ProbeChunk c = it.next();
            for (int i = 0; i < c.labels()[0].length(); i++) {
                refs.add(c.labels()[0].getDouble(i));
            }
        }
        // capped at 4: row sums 10 i + 10 i + 1 = 20 i + 1
        assertThat(refs).containsExactly(1.0, 21.0, 41.0, 61.0);
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aFileThatShrinksAfterLoadingIsReportedWithItsRole() throws IOException {
        Path x = matrix("x.npy", 6, 2);
        Path y = matrix("y.npy", 6, 2);
        DataFiles d = load(x, y);
        truncate(y, Files.size(y) - 20);
        DataFiles.Batches labelled = d.batches(6);
        assertThatThrownBy(() -> labelled.asIterator().next()).isInstanceOf(InputException.class)
                .hasMessageStartingWith("labels file ");
        truncate(x, Files.size(x) - 20);
        assertThatThrownBy(() -> d.featureBatches(6).next()).isInstanceOf(InputException.class)
                .hasMessageStartingWith("data file ");
    }

    private static void truncate(Path p, long size) throws IOException {
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
            c.truncate(size);
        }
    }

    @Test
    void requireFitsComparesFeaturesAndLabelsWithTheModel() throws IOException {
        // two dense BN blocks on 4 inputs, 2 softmax outputs
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 4, 8, 1, 0.99,
                VarianceParameterisation.LOG10_STDEV, new Adam(1e-3), 5L);
        assertThatNoException().isThrownBy(() -> load(matrix("x.npy", 3, 4), matrix("y.npy", 3, 2)).requireFits(net));
        assertThatNoException().isThrownBy(() -> load(matrix("xa.npy", 3, 4), null).requireFits(net));
        assertThatThrownBy(() -> load(matrix("x5.npy", 3, 5), null).requireFits(net))
                .isInstanceOf(ShapeMismatchException.class).hasMessageStartingWith("data x5.npy of shape [3, 5]");
        // labels: 3 columns, or a third dimension, against a [n, 2] output
        assertThatThrownBy(() -> load(matrix("xb.npy", 3, 4), matrix("y3.npy", 3, 3)).requireFits(net))
                .isInstanceOf(ShapeMismatchException.class)
                .hasMessage("the labels hold 3 values per example but the model outputs 2 values (labels file shape [3, 3],"
                        + " examples first)");
        Path deep = npy("ydeep.npy", "(3, 2, 1)", 6);
        assertThatThrownBy(() -> load(matrix("xc.npy", 3, 4), deep).requireFits(net))
                .isInstanceOf(ShapeMismatchException.class)
                .hasMessageStartingWith("the labels hold a [2, 1] array per example but the model outputs 2 values");
        Path shallow = npy("yshallow.npy", "(3, 2)", 6);
        assertThatNoException().isThrownBy(() -> load(matrix("xd.npy", 3, 4), shallow).requireFits(net));
    }

    @Test
    void firstLineIsTheFirstLineOfTheMessage() {
        assertThat(ModelFiles.firstLine(new IllegalStateException("first\nsecond"))).isEqualTo("first");
    }

    private static List<List<Double>> firstColumns(DataFiles.Batches batches) {
        List<List<Double>> out = new ArrayList<>();
        while (batches.hasNext()) {
            INDArray b = batches.next()[0];
            List<Double> col = new ArrayList<>();
            for (int i = 0; i < b.size(0); i++) {
                col.add(b.getDouble(i, 0));
            }
            out.add(col);
        }
        return out;
    }

    @Test
    void aSavedModelCarriesTheNetworksParameters() throws IOException {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 4, 8, 1, 0.99,
                VarianceParameterisation.LOG10_STDEV, new Adam(1e-3), 5L);
        Path original = dir.resolve("m.zip");
        org.deeplearning4j.util.ModelSerializer.writeModel(net.model(), original.toFile(), false);
        org.deeplearning4j.nn.api.Model loaded = ModelFiles.load(original);
        loaded.params().addi(1.0);
        Path copy = dir.resolve("copy.zip");
        ModelFiles.save(original, loaded, copy);
        assertThat(ModelFiles.load(copy).params()).isEqualTo(loaded.params());
        assertThat(ModelFiles.load(original).params()).isEqualTo(net.model().params());
    }

    @Test
    void whatOneExampleHoldsIsNamedInWords() {
        org.assertj.core.api.Assertions.assertThat(DataFiles.perExample(new long[] {5})).isEqualTo("1 value");
        org.assertj.core.api.Assertions.assertThat(DataFiles.perExample(new long[] {5, 1})).isEqualTo("1 value");
        org.assertj.core.api.Assertions.assertThat(DataFiles.perExample(new long[] {5, 3})).isEqualTo("3 values");
        org.assertj.core.api.Assertions.assertThat(DataFiles.perExample(new long[] {5, 3, 4, 4}))
                .isEqualTo("a [3, 4, 4] array");
    }
}
