package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.remedy.ProjectedStatistics.Path;
import io.github.bndoctor.remedy.ProjectedStatistics.Route;
import io.github.bndoctor.scenario.MobileNetV2Like;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The listener on real DL4J training: routes, training untouched, writes and the builder's bounds. */
@Tag("unit")
class ProjectedStatisticsTest {
    static final int STEPS = 25;

    /** The seed scenario's network: every BN layer sits right after a convolution or depthwise convolution. */
    @Test
    void everyBnLayerOfTheSeedNetworkIsProjected() {
        ComputationGraph g = MobileNetV2Like.build(ScenarioConfig.seedCollapse());
        Map<String, Route> routes = ProjectedStatistics.builder().build().routes(g);
        assertThat(routes.keySet()).containsExactlyElementsOf(MobileNetV2Like.batchNormLayerNames());
        assertThat(routes.values()).allMatch(r -> r.path() == Path.PROJECTED);
        assertThat(routes.get("b1_dw_bn").feedingLayer()).isEqualTo("b1_dw");
        assertThat(routes.get("stem_bn").feedingLayer()).isEqualTo("stem_conv");
    }

    @Test
    void bnLayersAfterMaxPoolingOrAnActivationKeepTheMovingAverageAndAfterAConcatenationOfMapsAreProjected() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 2))
                .addLayer("conv", conv(Activation.IDENTITY, 4), "in")
                .addLayer("bn_direct", new BatchNormalization.Builder().build(), "conv")
                .addLayer("pool", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "bn_direct")
                .addLayer("bn_pool", new BatchNormalization.Builder().build(), "pool")
                .addLayer("conv_a", conv(Activation.IDENTITY, 2), "bn_pool")
                .addLayer("conv_b", conv(Activation.IDENTITY, 2), "bn_pool")
                .addVertex("merge", new MergeVertex(), "conv_a", "conv_b")
                .addLayer("bn_merge", new BatchNormalization.Builder().build(), "merge")
                .addLayer("conv_relu", conv(Activation.RELU, 4), "bn_merge")
                .addLayer("bn_relu", new BatchNormalization.Builder().build(), "conv_relu")
                .addLayer("conv_c", conv(Activation.IDENTITY, 4), "bn_relu")
                .addLayer("act", new ActivationLayer.Builder().activation(Activation.TANH).build(), "conv_c")
                .addLayer("bn_act", new BatchNormalization.Builder().build(), "act")
                .addLayer("conv_big", conv(Activation.IDENTITY, 4), "bn_act")
                .addLayer("bn_big", new BatchNormalization.Builder().build(), "conv_big")
                .addLayer("gp", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn_big")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "gp")
                .setOutputs("out").build());
        g.init();
        // conv_big: 3x3x4 = 36 inputs, 1,296 second-moment entries; conv: 3x3x2 = 18, 324 entries
        long entries = 36L * 36;
        Map<String, Route> below = ProjectedStatistics.builder().maxEntries(entries - 1).build().routes(g);
        Map<String, Route> at = ProjectedStatistics.builder().maxEntries(entries).build().routes(g);
        assertThat(at.get("bn_direct").path()).isEqualTo(Path.PROJECTED);
        assertThat(at.get("bn_big").path()).as("at the limit").isEqualTo(Path.PROJECTED);
        assertThat(below.get("bn_big").path()).as("one entry below the limit").isEqualTo(Path.MOVING_AVERAGE);
        assertThat(below.get("bn_big").reason()).contains("1296").contains(String.valueOf(entries - 1));
        assertThat(at.get("bn_pool").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(at.get("bn_pool").reason()).isEqualTo("its feeding layer 'pool' is MAX pooling, not average pooling");
        assertThat(at.get("bn_merge").path()).isEqualTo(Path.PROJECTED);
        assertThat(at.get("bn_merge").feedingLayer()).isEqualTo("conv_a, conv_b");
        // each concatenated map is held to the limit (3x3x4 = 36 inputs, as conv_big)
        assertThat(below.get("bn_merge").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(below.get("bn_merge").reason()).startsWith("it is fed by the concatenation 'merge', and 'conv_a'"
                + " would need 1296");
        assertThat(at.get("bn_relu").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(at.get("bn_relu").reason()).contains("not identity");
        assertThat(at.get("bn_act").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(at.get("bn_act").reason()).contains("ActivationLayer");

        // the fallback layers' moving statistics are DL4J's own: training with the listener changes only the projected ones
        ComputationGraph twin = g.clone();
        ProjectedStatistics listener = ProjectedStatistics.builder().maxEntries(entries - 1).every(5).build();
        g.setListeners(listener);
        Nd4j.getRandom().setSeed(4);
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            data.add(new DataSet(Nd4j.randn(DataType.FLOAT, 4, 2, 8, 8), Nd4j.randn(DataType.FLOAT, 4, 1)));
        }
        data.forEach(g::fit);
        data.forEach(twin::fit);
        BnNetwork a = BnNetwork.of(g);
        BnNetwork b = BnNetwork.of(twin);
        for (String name : List.of("bn_pool", "bn_merge", "bn_relu", "bn_act", "bn_big")) {
            assertThat(MovingStatistics.read(a, a.bnLayer(name))).as(name).isEqualTo(MovingStatistics.read(b, b.bnLayer(name)));
        }
        assertThat(MovingStatistics.read(a, a.bnLayer("bn_direct"))).as("projected")
                .isNotEqualTo(MovingStatistics.read(b, b.bnLayer("bn_direct")));
    }

    @Test
    void aBnLayerAfterADropoutMapOrFirstInAMultiLayerNetworkKeepsTheMovingAverage() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new BatchNormalization.Builder().nOut(3).build())
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.IDENTITY).dropOut(0.5).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build());
        mln.init();
        List<Route> routes = List.copyOf(ProjectedStatistics.builder().build().routes(mln).values());
        assertThat(routes).hasSize(3);
        assertThat(routes.get(0).path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(routes.get(0).reason()).contains("first layer");
        assertThat(routes.get(1).path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(routes.get(1).reason()).contains("dropout");
        assertThat(routes.get(2).path()).isEqualTo(Path.PROJECTED);
        assertThat(routes.get(2).feedingLayer()).isEqualTo("3");
    }

    /** Writing every iteration (the most intrusive setting) leaves training-mode losses and every trained parameter bit-identical. */
    @Test
    void trainingIsBitIdenticalOnAGraph() {
        ScenarioConfig config = ScenarioConfig.seedCollapse().toBuilder().iterations(STEPS).build();
        ScenarioRun with = ScenarioRun.start(config);
        ScenarioRun without = ScenarioRun.start(config);
        ProjectedStatistics listener = ProjectedStatistics.builder().every(1).build();
        with.graph().setListeners(listener);
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
            with.train(1);
            without.train(1);
            a.add(with.graph().score());
            b.add(without.graph().score());
        }
        assertThat(a).isEqualTo(b);
        assertTrainedParametersEqual(with.graph(), without.graph());
        assertMovingStatisticsDiffer(BnNetwork.of(with.graph()), BnNetwork.of(without.graph()));
    }

    @Test
    void trainingIsBitIdenticalOnAMultiLayerNetwork() {
        MultiLayerNetwork with = convDenseMln();
        MultiLayerNetwork without = convDenseMln();
        ProjectedStatistics listener = ProjectedStatistics.builder().every(1).build();
        with.setListeners(listener);
        Nd4j.getRandom().setSeed(9);
        for (int i = 0; i < STEPS; i++) {
            DataSet ds = new DataSet(Nd4j.randn(DataType.FLOAT, 6, 2, 8, 8).addi(0.3), Nd4j.randn(DataType.FLOAT, 6, 1));
            with.fit(ds);
            without.fit(ds);
            assertThat(with.score()).as("iteration %d", i).isEqualTo(without.score());
        }
        assertThat(listener.routes().values()).extracting(Route::path).containsExactly(Path.PROJECTED, Path.PROJECTED);
        assertTrainedParametersEqual(with, without);
        assertMovingStatisticsDiffer(BnNetwork.of(with), BnNetwork.of(without));
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 2, 8, 8);
        assertThat(with.output(x, true)).as("training-mode output").isEqualTo(without.output(x, true));
    }

    @Test
    void builderBounds() {
        assertThatThrownBy(() -> ProjectedStatistics.builder().every(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().every(1).build().every()).isEqualTo(1);
        assertThatThrownBy(() -> ProjectedStatistics.builder().inputDecay(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProjectedStatistics.builder().inputDecay(Math.nextUp(1.0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProjectedStatistics.builder().inputDecay(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().inputDecay(1).build().inputDecay()).isEqualTo(1);
        assertThat(ProjectedStatistics.builder().inputDecay(Double.MIN_VALUE).build().inputDecay())
                .isEqualTo(Double.MIN_VALUE);
        assertThatThrownBy(() -> ProjectedStatistics.builder().maxEntries(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().maxEntries(1).build().maxEntries()).isEqualTo(1);
        assertThatThrownBy(() -> ProjectedStatistics.builder().accumulateEvery(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().accumulateEvery(1).build().accumulateEvery()).isEqualTo(1);
        assertThatThrownBy(() -> ProjectedStatistics.builder().maxPositions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().maxPositions(1).build().maxPositions()).isEqualTo(1);
        assertThatThrownBy(() -> ProjectedStatistics.builder().covarianceEvery(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().covarianceEvery(1).build().covarianceEvery()).isEqualTo(1);
        assertThatThrownBy(() -> ProjectedStatistics.builder().covarianceDecay(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProjectedStatistics.builder().covarianceDecay(Math.nextUp(1.0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProjectedStatistics.builder().covarianceDecay(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().covarianceDecay(1).build().covarianceDecay()).isEqualTo(1);
        assertThat(ProjectedStatistics.builder().inputDecay(0.5).build().covarianceDecay()).as("the input decay unless set")
                .isEqualTo(0.5);
        assertThatThrownBy(() -> ProjectedStatistics.builder().minSamples(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProjectedStatistics.builder().minSamples(0).build().minSamples()).isZero();
        ProjectedStatistics defaults = ProjectedStatistics.builder().build();
        assertThat(defaults.minSamples()).isEqualTo(ProjectedStatistics.DEFAULT_MIN_SAMPLES);
        assertThat(defaults.accumulateEvery()).isEqualTo(ProjectedStatistics.DEFAULT_ACCUMULATE_EVERY);
        assertThat(defaults.covarianceEvery()).isEqualTo(ProjectedStatistics.DEFAULT_COVARIANCE_EVERY);
        assertThat(defaults.covarianceDecay()).isEqualTo(ProjectedStatistics.DEFAULT_INPUT_DECAY);
        assertThat(defaults.maxPositions()).isEqualTo(ProjectedStatistics.DEFAULT_MAX_POSITIONS);
        assertThat(defaults.every()).isEqualTo(ProjectedStatistics.DEFAULT_EVERY);
        assertThat(defaults.inputDecay()).isEqualTo(ProjectedStatistics.DEFAULT_INPUT_DECAY);
        assertThat(defaults.maxEntries()).isEqualTo(ProjectedStatistics.DEFAULT_MAX_ENTRIES);
        assertThat(defaults.routes()).isEmpty();
    }

    /** Before any training batch nothing is projected, so nothing is written. */
    @Test
    void nothingIsWrittenBeforeTheFirstBatch() {
        MultiLayerNetwork mln = convDenseMln();
        BnNetwork net = BnNetwork.of(mln);
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        assertThat(ProjectedStatistics.builder().build().writeNow(mln)).isEmpty();
        assertThat(MovingStatistics.readAll(net)).isEqualTo(before);
    }

    /**
     * Attached without a prior {@code routes} call, the listener binds on the first training pass and writes after
     * every {@code K}-th iteration (iterations 2, 5, ... for K = 3): after two iterations the layers hold DL4J's own
     * moving statistics, after the third exactly the projection (writing it again changes no bit).
     */
    @Test
    void anUnboundListenerAccumulatesFromTheFirstPassAndWritesAfterEveryKthIteration() {
        MultiLayerNetwork mln = convDenseMln();
        BnNetwork net = BnNetwork.of(mln);
        ProjectedStatistics listener = ProjectedStatistics.builder().every(3).accumulateEvery(1).build();
        mln.setListeners(listener);
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 2, 8, 8);
        INDArray y = Nd4j.randn(DataType.FLOAT, 4, 1);
        mln.fit(x, y);
        mln.fit(x, y);
        Map<String, MeanVariance> dl4j = MovingStatistics.readAll(net);
        assertThat(listener.writeNow(mln)).containsOnlyKeys("layer1", "layer4");
        assertThat(MovingStatistics.readAll(net)).as("not yet written after two iterations").isNotEqualTo(dl4j);
        mln.fit(x, y);
        Map<String, MeanVariance> third = MovingStatistics.readAll(net);
        listener.writeNow(mln);
        assertThat(MovingStatistics.readAll(net)).as("written after the third").isEqualTo(third);
    }

    static MultiLayerNetwork convDenseMln() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(3e-3))
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Same).nOut(4)
                        .hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().useLogStd(false).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(8, 8, 2)).build());
        mln.init();
        return mln;
    }

    private static ConvolutionLayer conv(Activation activation, int nOut) {
        return new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same).nOut(nOut).activation(activation)
                .build();
    }

    private static void assertTrainedParametersEqual(Model a, Model b) {
        Map<String, INDArray> pa = a.paramTable();
        Map<String, INDArray> pb = b.paramTable();
        int compared = 0;
        for (String key : pa.keySet()) {
            if (key.endsWith("_mean") || key.endsWith("_var") || key.endsWith("_log10stdev")) {
                continue;
            }
            assertThat(pa.get(key)).as(key).isEqualTo(pb.get(key));
            compared++;
        }
        assertThat(compared).isPositive();
    }

    private static void assertMovingStatisticsDiffer(BnNetwork a, BnNetwork b) {
        assertThat(MovingStatistics.readAll(a)).as("the listener wrote moving statistics")
                .isNotEqualTo(MovingStatistics.readAll(b));
    }
}
