package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;
import java.util.Map;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Finding BN layers, and reading and writing their moving statistics, in both network types. */
@Tag("unit")
class BnNetworkTest {

    private static BnNetwork twoBlocks(NetworkKind kind, Layout layout, VarianceParameterisation p) {
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 3, layout == Layout.DENSE ? 1 : 4, 0.95, p, new Sgd(0.1), 7);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void findsEveryBnLayerWithItsConfiguration(NetworkKind kind) {
        BnNetwork net = twoBlocks(kind, Layout.NHWC, VarianceParameterisation.VAR);
        assertThat(net).hasBatchNormLayers(2);
        for (BnLayerRef ref : net.bnLayers()) {
            assertThat(ref.channels()).isEqualTo(3);
            assertThat(ref.decay()).isEqualTo(0.95);
            assertThat(ref.eps()).isEqualTo(1e-5);
            assertThat(ref.format()).isEqualTo(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC);
            assertThat(net.layer(ref).paramTable()).containsKey("var").doesNotContainKey("log10stdev");
            assertThat(ref.parameterisation()).isEqualTo(VarianceParameterisation.VAR);
        }
        assertThat(net.bnLayers().get(0).index()).isLessThan(net.bnLayers().get(1).index());
    }

    @Test
    void parameterisationIsReadFromTheParamTable() {
        BnNetwork log = twoBlocks(NetworkKind.GRAPH, Layout.DENSE, VarianceParameterisation.LOG10_STDEV);
        assertThat(log.layer(log.bnLayers().get(0)).paramTable()).containsKey("log10stdev").doesNotContainKey("var");
        assertThat(log).layer("bn1").hasVarianceStoredAs(VarianceParameterisation.LOG10_STDEV);
    }

    @ParameterizedTest
    @EnumSource(VarianceParameterisation.class)
    void writeThenReadRoundTripsThroughTheAttachedParameterVector(VarianceParameterisation p) {
        for (NetworkKind kind : NetworkKind.values()) {
            BnNetwork net = twoBlocks(kind, Layout.NCHW, p);
            BnLayerRef ref = net.bnLayers().get(1);
            MeanVariance target = new MeanVariance(new double[] {0.25, -1.5, 3}, new double[] {0.5, 2, 1e-3});
            MovingStatistics.write(net, ref, target);
            // float storage: values round to float32; 10^p squaring adds a few more roundings (4 ulps)
            assertThat(net).layer(ref.name()).hasMovingStatisticsCloseTo(target,
                    io.github.bndoctor.stats.Tolerance.floatUlps(8));
            // the flattened vector is the one the updater sees: it must hold the new value
            double flat = net.model().params().getDouble(indexOfParam(net, ref, "mean") + 1);
            assertThat(flat).isCloseTo(-1.5, within(1e-6));
        }
    }

    /** Offset of a layer parameter in the flattened vector, found by identity of a marker value. */
    private static long indexOfParam(BnNetwork net, BnLayerRef ref, String param) {
        org.nd4j.linalg.api.ndarray.INDArray view = net.param(ref, param);
        double old = view.getDouble(0);
        view.putScalar(0, 12345.0);
        double[] flat = net.model().params().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
        view.putScalar(0, old);
        for (int i = 0; i < flat.length; i++) {
            if (flat[i] == 12345.0) {
                return i;
            }
        }
        throw new AssertionError("parameter view is detached from the flattened vector");
    }

    @Test
    void badStatisticsAreRejectedAndNothingIsWritten() {
        BnNetwork net = twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, VarianceParameterisation.LOG10_STDEV);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        MeanVariance good = new MeanVariance(new double[] {1, 2, 3}, new double[] {1, 1, 1});
        MeanVariance nan = new MeanVariance(new double[] {1, Double.NaN, 3}, new double[] {1, 1, 1});
        String first = net.bnLayers().get(0).name();
        String second = net.bnLayers().get(1).name();
        assertThatThrownBy(() -> MovingStatistics.writeAll(net, orderedMap(first, good, second, nan)))
                .isInstanceOf(NonFiniteStatisticsException.class).hasMessageContaining(second);
        assertThat(net).hasParametersIdenticalTo(before);
        MeanVariance twoChannels = new MeanVariance(new double[] {1, 2}, new double[] {1, 1});
        assertThatThrownBy(() -> MovingStatistics.writeAll(net, orderedMap(first, good, second, twoChannels)))
                .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("3 channels");
        assertThatThrownBy(() -> MovingStatistics.writeAll(net, orderedMap(first, good, "nope", good)))
                .isInstanceOf(NoBatchNormException.class).hasMessageContaining("nope");
        MeanVariance negative = new MeanVariance(new double[] {1, 2, 3}, new double[] {1, -1, 1});
        assertThatThrownBy(() -> MovingStatistics.write(net, net.bnLayer(first), negative))
                .isInstanceOf(NonFiniteStatisticsException.class);
        assertThat(net).hasParametersIdenticalTo(before);
    }

    @Test
    void statisticsOverflowingTheLayersFloatParametersAreRejected() {
        // finite as doubles, infinite once stored as float32 (largest finite 3.4028235e38): refused, naming the layer
        for (VarianceParameterisation p : VarianceParameterisation.values()) {
            BnNetwork net = twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, p);
            ParameterSnapshot before = ParameterSnapshot.of(net);
            String first = net.bnLayers().get(0).name();
            String second = net.bnLayers().get(1).name();
            MeanVariance good = new MeanVariance(new double[] {1, 2, 3}, new double[] {1, 1, 1});
            MeanVariance hugeVariance = new MeanVariance(new double[] {1, 2, 3}, new double[] {1, 1e50, 1});
            MeanVariance hugeMean = new MeanVariance(new double[] {1, 2, -1e39}, new double[] {1, 1, 1});
            for (MeanVariance bad : List.of(hugeVariance, hugeMean)) {
                assertThatThrownBy(() -> MovingStatistics.writeAll(net, orderedMap(first, good, second, bad)))
                        .isInstanceOf(NonFiniteStatisticsException.class).hasMessageContaining("'" + second + "'")
                        .hasMessageContaining("overflow its FLOAT parameters at channel " + (bad == hugeMean ? 2 : 1));
                assertThat(net).hasParametersIdenticalTo(before);
            }
            // just below the boundary: written
            MeanVariance largest = new MeanVariance(new double[] {1, 2, 3e38}, new double[] {1, 3e38, 1});
            MovingStatistics.writeAll(net, orderedMap(first, good, second, largest));
            assertThat(MovingStatistics.read(net, net.bnLayer(second)).variance()[1]).isFinite();
        }
    }

    private static Map<String, MeanVariance> orderedMap(String k1, MeanVariance v1, String k2, MeanVariance v2) {
        Map<String, MeanVariance> m = new java.util.LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    @Test
    void networkWithoutBnIsATypedError() {
        MultiLayerNetwork plain = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(2).build())
                .layer(new OutputLayer.Builder().nIn(2).nOut(2).build()).build());
        plain.init();
        assertThat(BnNetwork.of(plain).bnLayers()).isEmpty();
        assertThatThrownBy(() -> BnNetwork.requireBatchNorm(plain)).isInstanceOf(NoBatchNormException.class)
                .hasMessageContaining("no BatchNormalization layer");
    }
}
