package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.ChannelMoments;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
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
 * Batch statistics captured at every BN input, checked against moments computed here by plain
 * loops over {@code feedForward} activations. In inference mode both sides are double sums of the same
 * float activations, so they differ only by summation order: ~m * 2^-53 relative, far below 1e-9; in
 * training mode layers after the first inherit float rounding of the normalisation
 * ({@link TrainingPassTolerance}).
 */
@Tag("unit")
class BatchStatisticsCaptureTest {
    private static final double TOL = 1e-9;

    static Stream<Arguments> kindsAndLayouts() {
        return Stream.of(NetworkKind.values()).flatMap(k -> Stream.of(Layout.values()).map(l -> Arguments.of(k, l)));
    }

    private static BnNetwork net(NetworkKind kind, Layout layout) {
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 3, layout == Layout.DENSE ? 1 : 5, 0.9,
                VarianceParameterisation.LOG10_STDEV, new Sgd(0.1), 11);
    }

    private static INDArray features(Layout layout, long seed) {
        int s = layout == Layout.DENSE ? 1 : 5;
        return new GaussianBatches(layout, 6, s, s, new double[] {0.5, -1}, new double[] {1, 2}, seed).next();
    }

    /** Moments of each channel of {@code x}, by explicit loops over its elements. */
    private static ChannelMoments loopMoments(INDArray x, Layout layout) {
        int ca = layout.channelAxis();
        int channels = (int) x.size(ca);
        double[] flat = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        long[] shape = x.shape();
        long inner = 1;
        for (int a = ca + 1; a < shape.length; a++) {
            inner *= shape[a];
        }
        double[][] perChannel = new double[channels][];
        int perCount = flat.length / channels;
        int[] fill = new int[channels];
        for (int c = 0; c < channels; c++) {
            perChannel[c] = new double[perCount];
        }
        for (int i = 0; i < flat.length; i++) {
            int c = (int) ((i / inner) % channels);
            perChannel[c][fill[c]++] = flat[i];
        }
        double[][] rows = new double[perCount][channels];
        for (int c = 0; c < channels; c++) {
            for (int j = 0; j < perCount; j++) {
                rows[j][c] = perChannel[c][j];
            }
        }
        return ChannelMoments.ofSamples(rows);
    }

    @ParameterizedTest
    @MethodSource("kindsAndLayouts")
    void capturedStatisticsMatchLoopsOverFeedForwardActivations(NetworkKind kind, Layout layout) {
        BnNetwork net = net(kind, layout);
        INDArray x = features(layout, 3);
        for (boolean train : new boolean[] {true, false}) {
            Map<String, BatchStatistics> stats = BatchStatisticsCapture.capture(net, new INDArray[] {x}, train);
            assertThat(stats).hasSize(2);
            // independent path: the activations feeding each BN layer, taken from feedForward here
            List<INDArray> bnInputs = independentBnInputs(net, x, train);
            int i = 0;
            long upstream = stats.values().iterator().next().samplesPerChannel();
            for (BatchStatistics s : stats.values()) {
                int li = i;
                ChannelMoments expected = loopMoments(bnInputs.get(i++), layout);
                assertThat(s.layout()).isEqualTo(layout);
                assertThat(s.samplesPerChannel()).isEqualTo(expected.count());
                for (int c = 0; c < 3; c++) {
                    double m = expected.mean()[c];
                    double v = expected.biasedVariance()[c];
                    // inference mode reads the same float activations; training mode: see TrainingPassTolerance
                    assertThat(s.moments().mean()[c]).isCloseTo(m, within(train ? TrainingPassTolerance.of(li, m, upstream) : TOL));
                    assertThat(s.moments().biasedVariance()[c])
                            .isCloseTo(v, within(train ? TrainingPassTolerance.of(li, v, upstream) : TOL));
                }
            }
        }
    }

    /** The outputs of the layers just before each BN layer, read from the network's own feedForward. */
    private static List<INDArray> independentBnInputs(BnNetwork net, INDArray x, boolean train) {
        if (net.model() instanceof MultiLayerNetwork mln) {
            List<INDArray> acts = mln.feedForward(x, train);
            return List.of(acts.get(0 + 1), acts.get(3 + 1)); // BN layers sit at 1 and 4: inputs are outputs of 0 and 3
        }
        Map<String, INDArray> acts = ((ComputationGraph) net.model()).feedForward(x, train);
        return List.of(acts.get("l0"), acts.get("l3"));
    }

    @ParameterizedTest
    @MethodSource("kindsAndLayouts")
    void captureLeavesParametersBitIdentical(NetworkKind kind, Layout layout) {
        BnNetwork net = net(kind, layout);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        BatchStatisticsCapture.capture(net, new INDArray[] {features(layout, 5)}, true);
        BatchStatisticsCapture.capture(net, new INDArray[] {features(layout, 6)}, false);
        assertThat(net).hasParametersIdenticalTo(before);
    }

    /** @return dense 3 -> 4 with dropout 0.5, BN, output 2 */
    static MultiLayerNetwork denseWithDropout() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nOut(4).dropOut(0.5).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        mln.init();
        return mln;
    }

    @Test
    void dropoutIsSuspendedSoNoRandomNumbersAreDrawn() {
        MultiLayerNetwork mln = denseWithDropout();
        BnNetwork net = BnNetwork.of(mln);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 3);
        Nd4j.getRandom().setSeed(99);
        Map<String, BatchStatistics> a = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
        double afterCapture = Nd4j.getRandom().nextDouble();
        Map<String, BatchStatistics> b = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
        Nd4j.getRandom().setSeed(99);
        assertThat(Nd4j.getRandom().nextDouble()).as("random stream untouched by capture").isEqualTo(afterCapture);
        // with dropout active the two passes would see different masks
        assertThat(a.get("layer1").moments().mean()).containsExactly(b.get("layer1").moments().mean());
        assertThat(mln.getLayer(0).conf().getLayer().getIDropout()).as("dropout restored").isNotNull();
    }

    @Test
    void badInputsAreTypedErrorsAndChangeNothing() {
        BnNetwork net = net(NetworkKind.GRAPH, Layout.NCHW);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        INDArray wrongChannels = Nd4j.rand(DataType.FLOAT, 4, 5, 5, 5);
        assertThatThrownBy(() -> BatchStatisticsCapture.capture(net, new INDArray[] {wrongChannels}, true))
                .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("[4, 5, 5, 5]");
        INDArray nan = features(Layout.NCHW, 1);
        nan.putScalar(new long[] {0, 1, 2, 2}, Float.NaN);
        assertThatThrownBy(() -> BatchStatisticsCapture.capture(net, new INDArray[] {nan}, true))
                .isInstanceOf(NonFiniteStatisticsException.class).hasMessageContaining("bn1");
        assertThatThrownBy(() -> BatchStatisticsCapture.capture(net, new INDArray[] {nan, nan}, true))
                .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("2");
        assertThat(net).hasParametersIdenticalTo(before);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void aFailedPassLeavesTheNetworkAsItWasAndTheNextPassAgrees(NetworkKind kind) {
        BnNetwork net = net(kind, Layout.NCHW);
        String json = net.model() instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork m
                ? m.getLayerWiseConfigurations().toJson()
                : ((org.deeplearning4j.nn.graph.ComputationGraph) net.model()).getConfiguration().toJson();
        Object[] vertices = net.model() instanceof org.deeplearning4j.nn.graph.ComputationGraph g
                ? g.getVertices().clone() : new Object[0];
        INDArray x = features(Layout.NCHW, 3);
        Map<String, BatchStatistics> first = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
        INDArray nan = x.dup();
        nan.putScalar(new long[] {0, 0, 0, 0}, Float.NaN);
        assertThatThrownBy(() -> BatchStatisticsCapture.capture(net, new INDArray[] {nan}, true))
                .isInstanceOf(NonFiniteStatisticsException.class);
        String after = net.model() instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork m
                ? m.getLayerWiseConfigurations().toJson()
                : ((org.deeplearning4j.nn.graph.ComputationGraph) net.model()).getConfiguration().toJson();
        assertThat(after).as("configuration (input preprocessors) restored").isEqualTo(json);
        if (net.model() instanceof org.deeplearning4j.nn.graph.ComputationGraph g) {
            assertThat((Object[]) g.getVertices()).as("the graph's own vertices restored").containsExactly(vertices);
        }
        Map<String, BatchStatistics> again = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
        for (String layer : first.keySet()) {
            assertThat(again.get(layer).moments().mean()).containsExactly(first.get(layer).moments().mean());
            assertThat(again.get(layer).moments().biasedVariance())
                    .containsExactly(first.get(layer).moments().biasedVariance());
        }
    }
}
