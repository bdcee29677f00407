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

    /** Two dense + BN blocks, the second dense layer with DropConnect weight noise (drawn in training mode). */
    static MultiLayerNetwork denseWithWeightNoise() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nOut(4).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new DenseLayer.Builder().nOut(4).weightNoise(new org.deeplearning4j.nn.conf.weightnoise.DropConnect(0.5))
                        .build())
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

    /**
     * One pass for both: the statistics are those of the training-mode capture and the outputs those of
     * the training-mode output, bit for bit (the same arithmetic); against DL4J's own training-mode
     * output and loops over its training-mode activations, within {@link TrainingPassTolerance} (the
     * substituted pass); the parameters untouched.
     */
    @ParameterizedTest
    @MethodSource("kindsAndLayouts")
    void captureWithOutputsIsTheCaptureAndTheTrainingModeOutputOfOnePass(NetworkKind kind, Layout layout) {
        BnNetwork net = net(kind, layout);
        INDArray[] x = {features(layout, 7)};
        ParameterSnapshot before = ParameterSnapshot.of(net);
        BatchStatisticsCapture.WithOutputs both = BatchStatisticsCapture.captureWithOutputs(net, x);
        assertThat(net).hasParametersIdenticalTo(before);
        Map<String, BatchStatistics> alone = BatchStatisticsCapture.capture(net, x, true);
        assertThat(both.statistics()).containsOnlyKeys(alone.keySet());
        assertThat(List.copyOf(both.statistics().keySet())).containsExactlyElementsOf(alone.keySet());
        for (String layer : alone.keySet()) {
            assertThat(both.statistics().get(layer).moments().mean()).containsExactly(alone.get(layer).moments().mean());
            assertThat(both.statistics().get(layer).moments().biasedVariance())
                    .containsExactly(alone.get(layer).moments().biasedVariance());
        }
        assertThat(both.outputs()).hasSize(1);
        assertThat(both.outputs()[0].ravel().toDoubleVector())
                .containsExactly(net.trainingModeOutput(x)[0].ravel().toDoubleVector());

        List<INDArray> bnInputs = independentBnInputs(net, x[0], true);
        long upstream = both.statistics().values().iterator().next().samplesPerChannel();
        int li = 0;
        for (BatchStatistics s : both.statistics().values()) {
            ChannelMoments expected = loopMoments(bnInputs.get(li), layout);
            for (int c = 0; c < 3; c++) {
                double m = expected.mean()[c];
                double v = expected.biasedVariance()[c];
                assertThat(s.moments().mean()[c]).isCloseTo(m, within(TrainingPassTolerance.of(li, m, upstream)));
                assertThat(s.moments().biasedVariance()[c]).isCloseTo(v, within(TrainingPassTolerance.of(li, v, upstream)));
            }
            li++;
        }
        INDArray dl4j = net.output(x, true)[0];
        assertThat(both.outputs()[0].shape()).isEqualTo(dl4j.shape());
        for (long i = 0; i < dl4j.length(); i++) {
            double e = dl4j.getDouble(i);
            // the output sits after both BN layers: the second one's normalisation bounds its rounding
            assertThat(both.outputs()[0].getDouble(i)).isCloseTo(e, within(TrainingPassTolerance.of(1, e, upstream)));
        }
    }

    /**
     * Where the substituted pass does not apply (weight noise: DL4J's training pass draws it), the
     * statistics and the outputs are those of DL4J's own training-mode pass, exactly: the same pass
     * with the same draws from the same seed.
     */
    @Test
    void captureWithOutputsKeepsDl4jsTrainingPassWhereTheSubstitutedPassDoesNotApply() {
        MultiLayerNetwork mln = denseWithWeightNoise();
        BnNetwork net = BnNetwork.of(mln);
        assertThat(BatchStatisticsPass.applies(net)).isFalse();
        INDArray[] x = {Nd4j.rand(DataType.FLOAT, 8, 3)};
        Nd4j.getRandom().setSeed(41);
        BatchStatisticsCapture.WithOutputs both = BatchStatisticsCapture.captureWithOutputs(net, x);
        Nd4j.getRandom().setSeed(41);
        INDArray expected = mln.output(x[0], true);
        assertThat(both.outputs()[0].ravel().toDoubleVector()).containsExactly(expected.ravel().toDoubleVector());
        Nd4j.getRandom().setSeed(41);
        List<INDArray> acts = mln.feedForward(x[0], true);
        // BN layers at 1 and 3 read the outputs of layers 0 and 2 (acts holds the input first): DL4J's own
        // activations, summed in double here
        for (int[] bn : new int[][] {{1, 1}, {3, 3}}) {
            ChannelMoments m = loopMoments(acts.get(bn[1]), Layout.DENSE);
            BatchStatistics s = both.statistics().get("layer" + bn[0]);
            for (int c = 0; c < 4; c++) {
                assertThat(s.moments().mean()[c]).isCloseTo(m.mean()[c], within(TOL));
                assertThat(s.moments().biasedVariance()[c]).isCloseTo(m.biasedVariance()[c], within(TOL));
            }
        }
    }

    @Test
    void captureWithOutputsSuspendsDropout() {
        MultiLayerNetwork mln = denseWithDropout();
        BnNetwork net = BnNetwork.of(mln);
        INDArray[] x = {Nd4j.rand(DataType.FLOAT, 8, 3)};
        Nd4j.getRandom().setSeed(43);
        BatchStatisticsCapture.WithOutputs a = BatchStatisticsCapture.captureWithOutputs(net, x);
        double next = Nd4j.getRandom().nextDouble();
        Nd4j.getRandom().setSeed(43);
        assertThat(Nd4j.getRandom().nextDouble()).as("random stream untouched").isEqualTo(next);
        assertThat(mln.getLayer(0).conf().getLayer().getIDropout()).as("dropout restored").isNotNull();
        BatchStatisticsCapture.WithOutputs b = BatchStatisticsCapture.captureWithOutputs(net, x);
        // with dropout active the two passes would see different masks
        assertThat(a.outputs()[0].ravel().toDoubleVector()).containsExactly(b.outputs()[0].ravel().toDoubleVector());
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
