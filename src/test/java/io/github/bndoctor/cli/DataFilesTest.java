package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading a user's data files directly: the two-example minimum at its boundary, batches that
 * drop a last batch of one (batch statistics need two), the probe slices, label checks and every
 * rejected file with its one-line reason.
 */
@Tag("unit")
class DataFilesTest {
    @TempDir
    Path dir;

    private Path npy(String name, INDArray a) throws Exception {
        Path p = dir.resolve(name);
        Nd4j.writeAsNumpy(a, p.toFile());
        return p;
    }

    /** Rows numbered 0..n-1 in the first column, so slices can be checked by value. */
    private static INDArray numbered(int n, int cols) {
        INDArray x = Nd4j.zeros(DataType.FLOAT, n, cols);
        for (int i = 0; i < n; i++) {
            x.putScalar(i, 0, i);
        }
        return x;
    }

    private static List<Long> firstRows(List<INDArray[]> batches) {
        List<Long> out = new ArrayList<>();
        for (INDArray[] b : batches) {
            out.add((long) b[0].getDouble(0, 0));
            out.add(b[0].size(0));
        }
        return out;
    }

    @Test
    void batchesDropALastBatchOfOneButKeepATwo() throws Exception {
        DataFiles d65 = DataFiles.load(npy("x65.npy", numbered(65, 3)), null, DataType.FLOAT);
        assertThat(d65.examples()).isEqualTo(65);
        assertThat(d65.hasLabels()).isFalse();
        // (first row, size) per batch: 4 x 16, the 65th example alone is dropped
        assertThat(firstRows(d65.featureBatches(16))).containsExactly(0L, 16L, 16L, 16L, 32L, 16L, 48L, 16L);
        DataFiles d66 = DataFiles.load(npy("x66.npy", numbered(66, 3)), null, DataType.FLOAT);
        assertThat(firstRows(d66.featureBatches(16))).containsExactly(0L, 16L, 16L, 16L, 32L, 16L, 48L, 16L, 64L, 2L);
        DataSetIterator it = d66.iterator(16);
        int n = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            assertThat(ds.getFeatures().getDouble(0, 0)).isEqualTo(16.0 * n);
            assertThat(ds.getLabels()).isNull();
            n++;
        }
        assertThat(n).isEqualTo(5);
        DataSetIterator it65 = d65.iterator(16);
        int m = 0;
        while (it65.hasNext()) {
            it65.next();
            m++;
        }
        assertThat(m).isEqualTo(4);
        assertThat(d66.probeFeatures(4).shape()).containsExactly(4, 3);
        assertThat(d66.probeFeatures(100).shape()).containsExactly(66, 3);
        assertThat(d66.probeFeatures(4).getDouble(3, 0)).isEqualTo(3.0);
    }

    @Test
    void twoExamplesAreTheMinimum() throws Exception {
        assertThat(DataFiles.load(npy("two.npy", numbered(2, 3)), null, DataType.FLOAT).examples()).isEqualTo(2);
        assertThatThrownBy(() -> DataFiles.load(npy("one.npy", numbered(1, 3)), null, DataType.FLOAT))
                .isInstanceOf(InputException.class).hasMessageContaining("has shape [1, 3]")
                .hasMessageContaining("need at least two examples");
        assertThatThrownBy(() -> DataFiles.load(npy("vec.npy", Nd4j.createFromArray(1f, 2f, 3f)), null,
                DataType.FLOAT)).isInstanceOf(InputException.class).hasMessageContaining("need at least two examples");
    }

    @Test
    void labelsAreCastSlicedAndCheckedAgainstTheData() throws Exception {
        Path x = npy("x.npy", numbered(6, 3));
        Path y = npy("y.npy", numbered(6, 2).castTo(DataType.DOUBLE));
        DataFiles d = DataFiles.load(x, y, DataType.FLOAT);
        assertThat(d.hasLabels()).isTrue();
        assertThat(d.labels().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(d.features().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(d.probeLabels(3).shape()).containsExactly(3, 2);
        assertThat(d.probeLabels(3).getDouble(2, 0)).isEqualTo(2.0);
        assertThat(d.iterator(4).next().getLabels().shape()).containsExactly(4, 2);
        assertThatThrownBy(() -> DataFiles.load(x, npy("y5.npy", numbered(5, 2)), DataType.FLOAT))
                .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("labels have 5 examples")
                .hasMessageContaining("has 6");
        Path txt = dir.resolve("y.txt");
        Files.writeString(txt, "1 2");
        assertThatThrownBy(() -> DataFiles.load(x, txt, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("labels file").hasMessageContaining("must be a .npy array");
    }

    @Test
    void unreadableFilesAreNamedWithTheirReason() throws Exception {
        assertThatThrownBy(() -> DataFiles.load(dir.resolve("missing.npy"), null, DataType.FLOAT))
                .isInstanceOf(InputException.class).hasMessageContaining("data file").hasMessageContaining("does not exist");
        Path fake = dir.resolve("fake.npy");
        Files.writeString(fake, "\u0093NUMPX not really");
        assertThatThrownBy(() -> DataFiles.load(fake, null, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("no NUMPY header");
        Path shortFile = dir.resolve("short.npy");
        Files.write(shortFile, new byte[] {(byte) 0x93, 'N', 'U'});
        assertThatThrownBy(() -> DataFiles.load(shortFile, null, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("no NUMPY header");
        Path wrongMagic = dir.resolve("magic.npy");
        Files.write(wrongMagic, new byte[] {(byte) 0x92, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        assertThatThrownBy(() -> DataFiles.load(wrongMagic, null, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("no NUMPY header");
        Path garbage = dir.resolve("data.bin");
        Files.writeString(garbage, "garbage");
        assertThatThrownBy(() -> DataFiles.load(garbage, null, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("data file " + garbage);
        assertThatThrownBy(() -> DataFiles.load(dir, null, DataType.FLOAT)).isInstanceOf(InputException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void aDataSetFileCarriesItsOwnLabelsAndMustFitTheModel() throws Exception {
        Path file = dir.resolve("train.bin");
        new DataSet(numbered(5, CliFixtures.FEATURES), CliFixtures.oneHot(5)).save(file.toFile());
        DataFiles d = DataFiles.load(file, null, DataType.FLOAT);
        assertThat(d.examples()).isEqualTo(5);
        assertThat(d.hasLabels()).isTrue();
        assertThat(d.source()).isEqualTo(file);
        BnNetwork net = BnNetwork.of(ModelSerializer.restoreMultiLayerNetwork(
                CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER).toFile(), false));
        d.requireFits(net);
        DataFiles wrongLabels = DataFiles.load(npy("x4.npy", numbered(5, CliFixtures.FEATURES)),
                npy("y3.npy", Nd4j.zeros(DataType.FLOAT, 5, 3)), DataType.FLOAT);
        assertThatThrownBy(() -> wrongLabels.requireFits(net)).isInstanceOf(ShapeMismatchException.class)
                .hasMessageContaining("labels of shape [5, 3] do not fit the model's output of shape [2, 2]");
        DataFiles rank3Labels = DataFiles.load(npy("x5.npy", numbered(5, CliFixtures.FEATURES)),
                npy("y5r.npy", Nd4j.zeros(DataType.FLOAT, 5, 2, 1)), DataType.FLOAT);
        assertThatThrownBy(() -> rank3Labels.requireFits(net)).isInstanceOf(ShapeMismatchException.class);
        DataFiles wrongWidth = DataFiles.load(npy("x7.npy", numbered(5, 7)), null, DataType.FLOAT);
        assertThatThrownBy(() -> wrongWidth.requireFits(net)).isInstanceOf(ShapeMismatchException.class)
                .hasMessageContaining("x7.npy of shape [5, 7] does not fit the model's input");
    }
}
