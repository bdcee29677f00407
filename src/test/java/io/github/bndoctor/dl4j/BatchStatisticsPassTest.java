package io.github.bndoctor.dl4j;

import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The training-mode pass computed in inference mode with each layer's batch statistics substituted,
 * against DL4J's own training-mode pass ({@link BnNetwork#forEachBnInput} with {@code train=true}):
 * every kind, layout and variance parameterisation, the moving statistics put back bit for bit, and
 * networks with a layer that behaves otherwise in training mode left on DL4J's pass.
 */
@Tag("unit")
class BatchStatisticsPassTest {
    static Stream<Arguments> cases() {
        return Stream.of(NetworkKind.values()).flatMap(k -> Stream.of(Layout.values()).flatMap(
                l -> Stream.of(VarianceParameterisation.values()).map(p -> Arguments.of(k, l, p))));
    }

    private static int size(Layout layout) {
        return layout == Layout.DENSE ? 1 : 5;
    }

    /** Two conv (or dense) + BN blocks, 2 input and 3 BN channels, decay 0.9. */
    private static BnNetwork net(NetworkKind kind, Layout layout, VarianceParameterisation parameterisation, long seed) {
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 3, size(layout), 0.9, parameterisation, new Sgd(0.1), seed);
    }

    /** Six examples, channel means 0.5 and -1, standard deviations 1 and 2. */
    private static INDArray batch(Layout layout, long seed) {
        return new GaussianBatches(layout, 6, size(layout), size(layout), new double[] {0.5, -1}, new double[] {1, 2},
                seed).next();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void substitutedPassAgreesWithDl4jsTrainingPassAndRestoresTheMovingStatistics(NetworkKind kind, Layout layout,
            VarianceParameterisation parameterisation) {
        int size = size(layout);
        BnNetwork net = net(kind, layout, parameterisation, 17);
        INDArray x = batch(layout, 4);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        assertThat(BatchStatisticsPass.applies(net)).isTrue();
        Map<String, BatchStatistics> got = BatchStatisticsPass.capture(net, new INDArray[] {x});
        assertThat(net).hasParametersIdenticalTo(before);
        Map<String, BatchStatistics> dl4j = new java.util.HashMap<>();
        net.forEachBnInput(new INDArray[] {x}, true, (ref, in) -> dl4j.put(ref.name(), BatchStatisticsCapture.of(ref, in)));
        assertThat(got).containsOnlyKeys(dl4j.keySet());
        List<BnLayerRef> refs = net.bnLayers();
        long upstream = dl4j.get(refs.get(0).name()).samplesPerChannel();
        for (int li = 0; li < refs.size(); li++) {
            BatchStatistics a = got.get(refs.get(li).name());
            BatchStatistics e = dl4j.get(refs.get(li).name());
            assertThat(a.samplesPerChannel()).isEqualTo(e.samplesPerChannel());
            for (int c = 0; c < e.moments().channels(); c++) {
                double m = e.moments().mean()[c];
                double v = e.moments().biasedVariance()[c];
                assertThat(a.moments().mean()[c]).isCloseTo(m, within(TrainingPassTolerance.of(li, m, upstream)));
                assertThat(a.moments().biasedVariance()[c]).isCloseTo(v, within(TrainingPassTolerance.of(li, v, upstream)));
            }
        }
        // the second layer's input depends on the first layer's normalisation: had the pass used the
        // moving statistics (mean 0, variance 1 at initialisation), its statistics would be far off
        BatchStatistics second = got.get(refs.get(1).name());
        Map<String, BatchStatistics> inference = new java.util.HashMap<>();
        net.forEachBnInput(new INDArray[] {x}, false, (ref, in) -> inference.put(ref.name(), BatchStatisticsCapture.of(ref, in)));
        assertThat(second.moments().mean()).isNotEqualTo(inference.get(refs.get(1).name()).moments().mean());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void trainingModeOutputAgreesWithDl4jsTrainingModeOutput(NetworkKind kind, Layout layout,
            VarianceParameterisation parameterisation) {
        int size = size(layout);
        BnNetwork net = net(kind, layout, parameterisation, 19);
        INDArray[] x = {batch(layout, 8)};
        ParameterSnapshot before = ParameterSnapshot.of(net);
        INDArray got = net.trainingModeOutput(x)[0];
        assertThat(net).hasParametersIdenticalTo(before);
        INDArray dl4j = net.output(x, true)[0];
        INDArray inference = net.output(x, false)[0];
        long m = 6L * size * size; // values per channel of the first BN layer, the one upstream of the output
        assertThat(got.shape()).isEqualTo(dl4j.shape());
        for (long i = 0; i < dl4j.length(); i++) {
            double e = dl4j.getDouble(i);
            assertThat(got.getDouble(i)).isCloseTo(e, within(TrainingPassTolerance.of(1, e, m)));
        }
        assertThat(got.equalsWithEps(inference, 1e-3)).as("not the inference-mode output").isFalse();
    }

    @Test
    void withDropoutActiveTrainingModeOutputIsDl4jsOwn() {
        BnNetwork net = BnNetwork.of(BatchStatisticsCaptureTest.denseWithDropout());
        INDArray[] x = {Nd4j.rand(DataType.FLOAT, 8, 3)};
        Nd4j.getRandom().setSeed(5);
        INDArray got = net.trainingModeOutput(x)[0];
        Nd4j.getRandom().setSeed(5);
        INDArray dl4j = net.output(x, true)[0];
        assertThat(got.ravel().toDoubleVector()).containsExactly(dl4j.ravel().toDoubleVector()); // the same masks drawn
    }

    @Test
    void aLayerWithWeightNoiseKeepsDl4jsTrainingPass() {
        BnNetwork net = BnNetwork.of(BatchStatisticsCaptureTest.denseWithWeightNoise());
        assertThat(BatchStatisticsPass.applies(net)).isFalse();
        MultiLayerNetwork plain = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nOut(4).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        plain.init();
        assertThat(BatchStatisticsPass.applies(BnNetwork.of(plain))).isTrue();
    }

    @Test
    void aFailureInsideThePassPutsTheMovingStatisticsBack() {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.GRAPH, Layout.NCHW, 2, 3, 5, 0.9,
                VarianceParameterisation.LOG10_STDEV, new Sgd(0.1), 3);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 2, 5, 5);
        assertThat(BatchStatisticsPass.capture(net, new INDArray[] {x})).hasSize(2); // writes both layers, restores
        assertThat(net).hasParametersIdenticalTo(before);
        x.putScalar(new long[] {0, 0, 0, 0}, Float.NaN);
        assertThatThrownBy(() -> BatchStatisticsPass.capture(net, new INDArray[] {x}))
                .isInstanceOf(NonFiniteStatisticsException.class);
        assertThat(net).hasParametersIdenticalTo(before);
    }
}
