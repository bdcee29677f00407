package io.github.bndoctor.remedy;

import io.github.bndoctor.remedy.ProjectedStatistics.Path;
import io.github.bndoctor.remedy.ProjectedStatistics.Route;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.weightnoise.DropConnect;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routes of {@link ProjectedStatistics} that only a configuration reaches: a dilated convolution,
 * a map with weight noise and an input preprocessor in front of the BN layer keep the moving average,
 * each with its reason; an undilated identity convolution next to them is projected.
 */
@Tag("unit")
class ProjectedStatisticsRoutesTest {
    private static ConvolutionLayer conv(int dilation) {
        return new ConvolutionLayer.Builder(3, 3).nOut(3).convolutionMode(ConvolutionMode.Same).dilation(dilation, dilation)
                .activation(Activation.IDENTITY).build();
    }

    private static List<Route> routes(MultiLayerNetwork mln) {
        mln.init();
        return List.copyOf(ProjectedStatistics.builder().build().routes(mln).values());
    }

    @Test
    void aDilatedConvolutionKeepsTheMovingAverageAndAnUndilatedOneIsProjected() {
        List<Route> r = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(conv(2))
                .layer(new BatchNormalization.Builder().build())
                .layer(conv(1))
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(5, 5, 2)).build()));
        assertThat(r).hasSize(2);
        assertThat(r.get(0).path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(r.get(0).reason()).isEqualTo("its feeding layer '0' is dilated");
        assertThat(r.get(1).path()).isEqualTo(Path.PROJECTED);
        assertThat(r.get(1).feedingLayer()).isEqualTo("2");
        assertThat(r.get(1).reason()).isEqualTo("fed directly by the linear map '2' (ConvolutionLayer)");
        // dilated along one axis only, either one
        for (int[] dil : new int[][] {{2, 1}, {1, 2}}) {
            List<Route> one = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).convolutionMode(ConvolutionMode.Same)
                            .dilation(dil[0], dil[1]).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                    .setInputType(InputType.convolutional(5, 5, 2)).build()));
            assertThat(one).singleElement().extracting(Route::reason).isEqualTo("its feeding layer '0' is dilated");
        }
    }

    @Test
    void aConvolutionInAnotherLayoutThanItsBnLayerKeepsTheMovingAverage() {
        List<Route> r = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(2).nOut(3).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(CNN2DFormat.NHWC).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nIn(3).nOut(3).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build()));
        assertThat(r).singleElement().satisfies(route -> {
            assertThat(route.path()).isEqualTo(Path.MOVING_AVERAGE);
            assertThat(route.reason()).isEqualTo("its feeding layer '0' has format NHWC, the BN layer NCHW");
        });
        // the same convolution with a channels-last BN layer: projected
        List<Route> same = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(2).nOut(3).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(CNN2DFormat.NHWC).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nIn(3).nOut(3).dataFormat(CNN2DFormat.NHWC).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build()));
        assertThat(same).singleElement().extracting(Route::path).isEqualTo(Path.PROJECTED);
    }

    @Test
    void inAGraphABnLayerFedByTheInputOrThroughAPreprocessorKeepsTheMovingAverage() {
        org.deeplearning4j.nn.graph.ComputationGraph g = new org.deeplearning4j.nn.graph.ComputationGraph(
                new NeuralNetConfiguration.Builder().seed(1).graphBuilder().addInputs("in")
                        .addLayer("bn_in", new BatchNormalization.Builder().nIn(3).nOut(3).build(), "in")
                        .addLayer("d", new DenseLayer.Builder().nIn(3).nOut(3).activation(Activation.IDENTITY).build(), "bn_in")
                        .addLayer("bn_d", new BatchNormalization.Builder().nIn(3).nOut(3).build(), "d")
                        .addLayer("c", new ConvolutionLayer.Builder(1, 1).nIn(1).nOut(3).activation(Activation.IDENTITY)
                                .build(), new org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor(1, 3, 1), "bn_d")
                        .addLayer("bn_pre", new BatchNormalization.Builder().nIn(9).nOut(9).build(),
                                new CnnToFeedForwardPreProcessor(1, 3, 3), "c")
                        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(9).nOut(1)
                                .activation(Activation.IDENTITY).build(), "bn_pre")
                        .setOutputs("out").build());
        g.init();
        java.util.Map<String, Route> r = ProjectedStatistics.builder().build().routes(g);
        assertThat(r.get("bn_in").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(r.get("bn_in").reason()).isEqualTo("it is fed by vertex 'in', not a layer");
        assertThat(r.get("bn_d").path()).isEqualTo(Path.PROJECTED);
        assertThat(r.get("bn_d").feedingLayer()).isEqualTo("d");
        assertThat(r.get("bn_pre").path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(r.get("bn_pre").reason()).isEqualTo("an input preprocessor sits before it");
    }

    private static MultiLayerNetwork dense(int blocks) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(1).list();
        for (int i = 0; i < blocks; i++) {
            b.layer(new DenseLayer.Builder().nIn(3).nOut(3).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().nOut(3).build());
        }
        MultiLayerNetwork mln = new MultiLayerNetwork(b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                .nIn(3).nOut(1).activation(Activation.IDENTITY).build()).build());
        mln.init();
        return mln;
    }

    @Test
    void anotherNetworkIsBoundAfreshAndWriteNowReturnsWhatItWrote() {
        ProjectedStatistics ps = ProjectedStatistics.builder().accumulateEvery(1).minSamples(0).build();
        MultiLayerNetwork a = dense(2);
        a.setListeners(ps);
        org.nd4j.linalg.dataset.DataSet batch = new org.nd4j.linalg.dataset.DataSet(
                org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3),
                org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 1));
        a.fit(batch);
        java.util.Map<String, io.github.bndoctor.stats.MeanVariance> written = ps.writeNow(a);
        assertThat(written).containsOnlyKeys("layer1", "layer3");
        assertThat(written).isEqualTo(ps.statistics(a));
        // a second network (its BN layer named like the first one's first): its own routes only, nothing accumulated yet
        MultiLayerNetwork b = dense(1);
        assertThat(ps.routes(b)).containsOnlyKeys("layer1");
        assertThat(ps.statistics(b)).isEmpty();
        assertThat(ps.writeNow(b)).isEmpty();
    }

    @Test
    void weightNoiseAndAnInputPreprocessorKeepTheMovingAverage() {
        List<Route> r = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.IDENTITY)
                        .weightNoise(new DropConnect(0.5)).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build()));
        assertThat(r.get(0).path()).isEqualTo(Path.MOVING_AVERAGE);
        assertThat(r.get(0).reason()).isEqualTo("its feeding layer '0' applies weight noise");
        assertThat(r.get(1).path()).isEqualTo(Path.PROJECTED);

        // a convolution's 2x2x3 output flattened to 12 features in front of a dense BN layer
        List<Route> pre = routes(new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(1, 1).nIn(2).nOut(3).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nIn(12).nOut(12).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(12).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .inputPreProcessor(1, new CnnToFeedForwardPreProcessor(2, 2, 3))
                .build()));
        assertThat(pre).singleElement().satisfies(route -> {
            assertThat(route.path()).isEqualTo(Path.MOVING_AVERAGE);
            assertThat(route.feedingLayer()).isNull();
            assertThat(route.reason()).isEqualTo("an input preprocessor sits before it");
        });
    }
}
