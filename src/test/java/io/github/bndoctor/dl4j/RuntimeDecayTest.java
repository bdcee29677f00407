package io.github.bndoctor.dl4j;

import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.File;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A decay changed while training takes effect in the next backprop, in both network types, and is
 * saved with the model. The expected moving mean is the EMA step {@code d m0 + (1-d) batchMean}
 * with the batch mean computed by a direct loop over the batch.
 */
@Tag("unit")
class RuntimeDecayTest {
    static final double CONFIGURED = 0.99;
    static final double NEW = 0.5;
    /**
     * float32 statistics of O(1) values over 16 examples: relative rounding 6e-8 per operation, a
     * few dozen operations; 1e-5 is far below the 0.49 x mean that separates the two decays.
     */
    static final double TOL = 1e-5;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void theNewDecayDrivesTheNextUpdateAndIsSaved(NetworkKind kind) throws Exception {
        BnNetwork net = TinyBnNetworks.singleBn(kind, Layout.DENSE, 2, 1, 1, CONFIGURED,
                VarianceParameterisation.LOG10_STDEV);
        BnLayerRef ref = net.bnLayers().get(0);
        GaussianBatches data = new GaussianBatches(Layout.DENSE, 16, 1, 1, new double[] {1, 3}, new double[] {1, 0.5},
                11L);
        assertThat(net.setDecay(ref, NEW)).isEqualTo(CONFIGURED);
        assertThat(net.decay(ref)).isEqualTo(NEW);
        assertThat(ref.decay()).as("the ref keeps the decay it was read with").isEqualTo(CONFIGURED);

        double[] m0 = net.param(ref, "mean").castTo(DataType.DOUBLE).data().asDouble(); // DL4J starts at 0
        INDArray x = data.next();
        net.fit(new DataSet(x, x.dup()));
        assertMeanFollowed(net, ref, m0, x, NEW);

        Path file = dir.resolve(kind + ".zip");
        save(net, file.toFile());
        BnNetwork loaded = BnNetwork.of(kind == NetworkKind.GRAPH
                ? ModelSerializer.restoreComputationGraph(file.toFile(), true)
                : ModelSerializer.restoreMultiLayerNetwork(file.toFile(), true));
        BnLayerRef loadedRef = loaded.bnLayers().get(0);
        assertThat(loadedRef.decay()).isEqualTo(NEW);
        double[] m1 = loaded.param(loadedRef, "mean").castTo(DataType.DOUBLE).data().asDouble();
        INDArray x2 = data.next();
        loaded.fit(new DataSet(x2, x2.dup()));
        assertMeanFollowed(loaded, loadedRef, m1, x2, NEW);

        // and back: the configured decay restored drives the update again
        loaded.setDecay(loadedRef, CONFIGURED);
        double[] m2 = loaded.param(loadedRef, "mean").castTo(DataType.DOUBLE).data().asDouble();
        INDArray x3 = data.next();
        loaded.fit(new DataSet(x3, x3.dup()));
        assertMeanFollowed(loaded, loadedRef, m2, x3, CONFIGURED);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void decayOutsideTheUnitIntervalIsRejected(NetworkKind kind) {
        BnNetwork net = TinyBnNetworks.singleBn(kind, Layout.DENSE, 2, 1, 1, CONFIGURED,
                VarianceParameterisation.LOG10_STDEV);
        BnLayerRef ref = net.bnLayers().get(0);
        assertThatThrownBy(() -> net.setDecay(ref, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.setDecay(ref, 1.0000001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.setDecay(ref, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        net.setDecay(ref, 1);
        assertThat(net.decay(ref)).isEqualTo(1.0);
    }

    private static void assertMeanFollowed(BnNetwork net, BnLayerRef ref, double[] before, INDArray x, double d) {
        double[][] v = x.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] actual = net.param(ref, "mean").castTo(DataType.DOUBLE).data().asDouble();
        for (int c = 0; c < before.length; c++) {
            double sum = 0;
            for (double[] row : v) {
                sum += row[c];
            }
            double batchMean = sum / v.length;
            assertThat(actual[c]).as("channel %d, decay %s", c, d).isCloseTo(d * before[c] + (1 - d) * batchMean,
                    within(TOL));
        }
    }

    private static void save(BnNetwork net, File file) throws Exception {
        if (net.model() instanceof ComputationGraph g) {
            ModelSerializer.writeModel(g, file, false);
        } else {
            ModelSerializer.writeModel((MultiLayerNetwork) net.model(), file, false);
        }
    }
}
