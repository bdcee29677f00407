package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * BN layers fed by a merge of linear maps: a concatenation along the channel axis (each map's channels projected
 * from its own input's moments) and an element-wise sum, difference or average of maps reading the same input
 * with the same geometry (projected through the combined weights {@code sum_i c_i W_i}, {@code sum_i c_i b_i}).
 * With the maps first in the graph (their inputs are the data whatever the weights do), input decay 1, every
 * batch accumulated and every position taken, the written statistics are the pooled mean and biased variance of
 * the BN layer's inputs over the trained batches, recomputed here by a double loop over the graph's own pre-BN
 * values at the final weights; dense, convolution (strides, "same" and truncate padding), depthwise and 1x1 maps,
 * NCHW, NHWC and feed-forward, both variance parameterisations.
 *
 * <p>Tolerance, per channel {@code o}: DL4J computes each pre-BN value in float. A map's value {@code w_o . p + b_o}
 * is off by at most {@code gamma_(D+1) A_o}, {@code A_o = ||w_o||_1 max|x| + |b_o|} (Higham, Accuracy and Stability
 * of Numerical Algorithms, 2nd ed., eq. 3.5); a sum or difference of two such values rounds once more (at most
 * {@code u} of {@code A_1 + A_2}), and halving for the average is exact, so with coefficients {@code c_i} every value
 * is within {@code delta = gamma_(D+2) sum_i |c_i| A_(i,o)} of the exact one, {@code D} the largest patch length.
 * The mean moves by at most {@code delta}, the pooled biased variance (a positive semi-definite quadratic form
 * {@code Q}) by at most {@code 2 sqrt(Q(z) delta^2) + delta^2}; storing in float adds {@code u |mean|} and
 * {@code u var} ({@code var}) or {@code (2 ln(10) u |log10 sigma| + u) var} ({@code log10stdev}).
 */
class ProjectedStatisticsMergeTest {
    static final double U = Math.ulp(1.0f) / 2;
    static final int MB = 3;
    static final int SIZE = 6;
    static final int IN = 3;

    enum Shape { NCHW, NHWC, FEED_FORWARD }

    /** The graph: the maps on the input, the merge vertex, the BN layer, a loss. */
    record Merge(String name, Shape shape, VarianceParameterisation param, GraphVertex vertex, double[] coefficients,
                 List<Layer> maps) {
    }

    @Test
    void aConcatenationProjectsEachMapsChannelsFromItsOwnInput() {
        check(new Merge("3x3 and 1x1, NCHW", Shape.NCHW, VarianceParameterisation.VAR, new MergeVertex(), null,
                List.of(conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 3, true))));
        check(new Merge("three maps at stride 2, NHWC", Shape.NHWC, VarianceParameterisation.LOG10_STDEV,
                new MergeVertex(), null, List.of(conv(Shape.NHWC, 3, 2, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NHWC, 1, 2, ConvolutionMode.Same, 0, 2, false),
                        conv(Shape.NHWC, 2, 2, ConvolutionMode.Same, 0, 1, true))));
        check(new Merge("dense", Shape.FEED_FORWARD, VarianceParameterisation.LOG10_STDEV, new MergeVertex(), null,
                List.of(dense(2, true), dense(3, true))));
        check(new Merge("convolution and depthwise", Shape.NCHW, VarianceParameterisation.VAR, new MergeVertex(), null,
                List.of(conv(Shape.NCHW, 3, 2, ConvolutionMode.Truncate, 1, 2, true),
                        depthwise(Shape.NCHW, 3, 2, ConvolutionMode.Truncate, 1, 2, true))));
    }

    @Test
    void aSumDifferenceOrAverageOfMapsOnOneInputProjectsThroughTheirCombinedWeights() {
        check(new Merge("sum of two 3x3 at stride 2, one without a bias, NCHW", Shape.NCHW,
                VarianceParameterisation.VAR, new ElementWiseVertex(ElementWiseVertex.Op.Add), new double[] {1, 1},
                List.of(conv(Shape.NCHW, 3, 2, ConvolutionMode.Same, 0, 3, true),
                        conv(Shape.NCHW, 3, 2, ConvolutionMode.Same, 0, 3, false))));
        check(new Merge("difference, truncate padding, NHWC", Shape.NHWC, VarianceParameterisation.LOG10_STDEV,
                new ElementWiseVertex(ElementWiseVertex.Op.Subtract), new double[] {1, -1},
                List.of(conv(Shape.NHWC, 3, 1, ConvolutionMode.Truncate, 1, 2, true),
                        conv(Shape.NHWC, 3, 1, ConvolutionMode.Truncate, 1, 2, true))));
        check(new Merge("average of two dense", Shape.FEED_FORWARD, VarianceParameterisation.VAR,
                new ElementWiseVertex(ElementWiseVertex.Op.Average), new double[] {0.5, 0.5},
                List.of(dense(3, true), dense(3, true))));
        check(new Merge("sum of three 1x1", Shape.NCHW, VarianceParameterisation.LOG10_STDEV,
                new ElementWiseVertex(ElementWiseVertex.Op.Add), new double[] {1, 1, 1},
                List.of(conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 2, false))));
        check(new Merge("sum of two depthwise, depth multiplier 2, NHWC", Shape.NHWC, VarianceParameterisation.VAR,
                new ElementWiseVertex(ElementWiseVertex.Op.Add), new double[] {1, 1},
                List.of(depthwise(Shape.NHWC, 3, 1, ConvolutionMode.Same, 0, 2, true),
                        depthwise(Shape.NHWC, 3, 1, ConvolutionMode.Same, 0, 2, true))));
    }

    /**
     * The comparison is sharp enough to see a map's sign: the statistics of the difference recomputed from the maps'
     * own outputs agree with the graph's, those of their sum are beyond ten tolerances of what the listener writes.
     */
    @Test
    void aDifferenceTakenForASumWouldBeCaught() {
        Merge difference = new Merge("difference", Shape.NCHW, VarianceParameterisation.VAR,
                new ElementWiseVertex(ElementWiseVertex.Op.Subtract), new double[] {1, -1},
                List.of(conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true)));
        Built b = train(difference);
        MeanVariance written = b.listener().statistics(b.net().model()).get("bn");
        double[] delta = tolerance(b);
        MeanVariance recombined = precise(b, true);
        MeanVariance asSum = precise(new Built(new Merge("as a sum", difference.shape(), difference.param(),
                difference.vertex(), new double[] {1, 1}, difference.maps()), b.net(), b.batches(), b.listener()), true);
        boolean differs = false;
        for (int o = 0; o < written.channels(); o++) {
            assertThat(written.mean()[o]).isCloseTo(recombined.mean()[o], within(delta[o] + U * Math.abs(written.mean()[o])));
            differs |= Math.abs(asSum.mean()[o] - written.mean()[o]) > 10 * delta[o];
        }
        assertThat(differs).as("the sum's statistics are not the difference's").isTrue();
    }

    @Test
    void mergesThatAreNotOneLinearMapOfTheirPatchesKeepTheMovingAverage() {
        Layer c3 = conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true);
        for (ElementWiseVertex.Op op : new ElementWiseVertex.Op[] {ElementWiseVertex.Op.Product, ElementWiseVertex.Op.Max}) {
            assertThat(route(new ElementWiseVertex(op), c3, c3.clone()))
                    .isEqualTo(new ProjectedStatistics.Route(ProjectedStatistics.Path.MOVING_AVERAGE, null,
                            "it is fed by the element-wise " + op + " 'merge', not a linear combination"));
        }
        // other patches of the same input: the sum would need the moments across the two patch sets
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Add), c3,
                conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 2, true)).reason())
                .isEqualTo("it is fed by the element-wise Add 'merge' of maps that do not read the same input with the"
                        + " same geometry ('m0', 'm1')");
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Add), c3,
                conv(Shape.NCHW, 3, 1, ConvolutionMode.Truncate, 1, 2, true)).reason()).contains("same geometry");
        // only the padding differs: 3x3 at stride 3 on 6x6, unpadded and padded by 1, both 2x2 out of other patches
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Add),
                conv(Shape.NCHW, 3, 3, ConvolutionMode.Truncate, 0, 2, true),
                conv(Shape.NCHW, 3, 3, ConvolutionMode.Truncate, 1, 2, true)).reason()).contains("same geometry");
        // a convolution and a depthwise convolution of the same kernel and output shape: other maps of the patch
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Add), conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0,
                IN, true), depthwise(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 1, true)).reason())
                .contains("same geometry");
        // a part that is not an identity-activated map
        Layer relu = new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same).nOut(2)
                .activation(Activation.RELU).build();
        assertThat(route(new MergeVertex(), relu, relu.clone()).reason())
                .isEqualTo("it is fed by the concatenation 'merge', and 'm0' has activation relu, not identity; 'm1' has"
                        + " activation relu, not identity");
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Add), c3, relu).reason())
                .startsWith("it is fed by the element-wise Add 'merge', and its feeding layer 'm1' has activation");
    }

    @Test
    void aSumWithTheInputOrWithAMapOfAnotherInputKeepsTheMovingAverage() {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER);
        InputType in = InputType.convolutional(SIZE, SIZE, IN);
        GraphBuilder g = base.graphBuilder().addInputs("in").setInputTypes(in)
                .addLayer("m0", conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, IN, true), "in")
                .addVertex("residual", new ElementWiseVertex(ElementWiseVertex.Op.Add), "m0", "in")
                .addLayer("bn0", new BatchNormalization.Builder().build(), "residual")
                .addLayer("m1", conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, IN, true), "bn0")
                .addLayer("m2", conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, IN, true), "in")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "m1", "m2")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "sum")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "bn1")
                .setOutputs("loss");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        Map<String, ProjectedStatistics.Route> routes = ProjectedStatistics.builder().build().routes(graph);
        assertThat(routes.get("bn0").reason()).isEqualTo("it is fed by the element-wise Add 'residual', and 'in' is not"
                + " a layer");
        assertThat(routes.get("bn1").reason()).isEqualTo("it is fed by the element-wise Add 'sum' of maps that do not"
                + " read the same input with the same geometry ('m1', 'm2')");
        assertThat(routes.values()).extracting(ProjectedStatistics.Route::path)
                .containsOnly(ProjectedStatistics.Path.MOVING_AVERAGE);
    }

    @Test
    void aConcatenationAlongAnotherAxisThanTheChannelsKeepsTheMovingAverage() {
        MergeVertex alongRows = new MergeVertex();
        alongRows.setMergeAxis(2);
        Layer c3 = conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true);
        ProjectedStatistics.Route r = route(alongRows, c3, c3.clone());
        assertThat(r.path()).isEqualTo(ProjectedStatistics.Path.MOVING_AVERAGE);
        assertThat(r.reason()).isEqualTo("it is fed by the concatenation 'merge' along axis 2, not the channel axis 1");
        assertThat(route(new MergeVertex(), c3, c3.clone())).isEqualTo(new ProjectedStatistics.Route(
                ProjectedStatistics.Path.PROJECTED, "m0, m1", "fed by the concatenation 'merge' of the linear maps"
                + " 'm0', 'm1', each projected for its own channels"));
        assertThat(route(new ElementWiseVertex(ElementWiseVertex.Op.Subtract), c3, c3.clone()))
                .isEqualTo(new ProjectedStatistics.Route(ProjectedStatistics.Path.PROJECTED, "m0, m1",
                        "fed by the element-wise Subtract 'merge' of the linear maps 'm0', 'm1' on one input, projected"
                        + " through their combined weights"));
    }

    /**
     * A growing concatenation, as in a DenseNet block: {@code concat(concat(m0, m1), m2)} is read as the three maps'
     * channels in order; against the same double loop.
     */
    @Test
    void nestedConcatenationsAreFlattened() {
        Merge m = new Merge("nested", Shape.NCHW, VarianceParameterisation.LOG10_STDEV, new MergeVertex(), null,
                List.of(conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 3, true),
                        conv(Shape.NCHW, 3, 1, ConvolutionMode.Truncate, 1, 1, false)));
        GraphBuilder g = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).biasInit(0.3).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(SIZE, SIZE, IN));
        for (int i = 0; i < 3; i++) {
            g.addLayer("m" + i, m.maps().get(i).clone(), "in");
        }
        g.addVertex("inner", new MergeVertex(), "m0", "m1").addVertex("merge", new MergeVertex(), "inner", "m2")
                .addLayer("bn", new BatchNormalization.Builder().useLogStd(true).build(), "merge")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .build(), "bn").setOutputs("loss");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        assertThat(ProjectedStatistics.builder().build().routes(graph).get("bn").feedingLayer()).isEqualTo("m0, m1, m2");
        check(train(m, graph));
    }

    /**
     * A concatenation of which only some parts are linear maps (an identity convolution next to a ReLU convolution,
     * next to the input itself): the maps' channels are projected (against the double loop), the others keep DL4J's
     * moving average bit for bit (against the same training without the listener), and the route says which is which.
     */
    @Test
    void aConcatenationWithPartsThatAreNotLinearMapsIsProjectedForTheMapsChannelsOnly() {
        Layer relu = new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same).nOut(2)
                .activation(Activation.RELU).build();
        Merge m = new Merge("part", Shape.NCHW, VarianceParameterisation.LOG10_STDEV, new MergeVertex(), null,
                List.of(conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true), relu,
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 1, true)));
        GraphBuilder g = new NeuralNetConfiguration.Builder().seed(9).dataType(DataType.FLOAT).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).biasInit(0.3).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(SIZE, SIZE, IN));
        for (int i = 0; i < 3; i++) {
            g.addLayer("m" + i, m.maps().get(i).clone(), "in");
        }
        g.addVertex("merge", new MergeVertex(), "m0", "m1", "in", "m2")
                .addLayer("bn", new BatchNormalization.Builder().useLogStd(true).build(), "merge")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .build(), "bn").setOutputs("loss");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        assertThat(ProjectedStatistics.builder().build().routes(graph).get("bn")).isEqualTo(new ProjectedStatistics.Route(
                ProjectedStatistics.Path.PARTLY_PROJECTED, "m0, m2", "fed by the concatenation 'merge': the channels of"
                + " the linear maps 'm0', 'm2' projected, the others keep the moving average ('m1' has activation relu,"
                + " not identity; 'in' is not a layer)"));
        ComputationGraph[] twin = new ComputationGraph[1];
        Built b = train(m, graph, twin);
        b.listener().writeNow(graph);
        MeanVariance written = MovingStatistics.read(b.net(), b.net().bnLayers().get(0));
        MeanVariance dl4j = MovingStatistics.read(BnNetwork.of(twin[0]), BnNetwork.of(twin[0]).bnLayers().get(0));
        MeanVariance expected = precise(b);
        double[] delta = tolerance(b); // channels of m0, m1, m2 in that order: m0 0-1, m2 the last
        assertThat(written.channels()).isEqualTo(2 + 2 + IN + 1);
        for (int o : new int[] {0, 1, 7}) {
            double d = delta[o == 7 ? 4 : o];
            double var = expected.variance()[o];
            assertThat(written.mean()[o]).as("projected channel %d mean", o)
                    .isCloseTo(expected.mean()[o], within(d + U * Math.abs(expected.mean()[o])));
            assertThat(written.variance()[o]).as("projected channel %d variance", o).isCloseTo(var, within(
                    2 * Math.sqrt(var) * d + d * d + (2 * Math.log(10) * U * Math.abs(Math.log10(Math.sqrt(var))) + U) * var));
            assertThat(written.mean()[o]).isNotEqualTo(dl4j.mean()[o]);
        }
        for (int o = 2; o < 7; o++) {
            assertThat(written.mean()[o]).as("kept channel %d mean", o).isEqualTo(dl4j.mean()[o]);
            assertThat(written.variance()[o]).as("kept channel %d variance", o).isEqualTo(dl4j.variance()[o]);
        }
    }

    /** A concatenation that starts with a part that is not a map has no statistics before its first training pass. */
    @Test
    void aPartlyProjectedConcatenationHasNoStatisticsBeforeItsFirstPass() {
        for (CNN2DFormat f : CNN2DFormat.values()) {
            Shape shape = f == CNN2DFormat.NHWC ? Shape.NHWC : Shape.NCHW;
            GraphBuilder g = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT).updater(new NoOp())
                    .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(SIZE, SIZE, IN, f))
                    .addLayer("m0", conv(shape, 1, 1, ConvolutionMode.Same, 0, 2, true), "in")
                    .addVertex("merge", new MergeVertex(), "in", "m0")
                    .addLayer("bn", new BatchNormalization.Builder().dataFormat(f).build(), "merge")
                    .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(f)
                            .activation(Activation.IDENTITY).build(), "bn").setOutputs("loss");
            ComputationGraph graph = new ComputationGraph(g.build());
            graph.init();
            ProjectedStatistics listener = ProjectedStatistics.builder().accumulateEvery(1).build();
            assertThat(listener.routes(graph).get("bn").path()).isEqualTo(ProjectedStatistics.Path.PARTLY_PROJECTED);
            assertThat(listener.statistics(graph)).isEmpty();
            graph.setListeners(listener);
            INDArray x = Nd4j.randn(DataType.FLOAT, f == CNN2DFormat.NHWC ? new long[] {MB, SIZE, SIZE, IN}
                    : new long[] {MB, IN, SIZE, SIZE});
            graph.fit(new DataSet(x, Nd4j.randn(DataType.FLOAT, graph.outputSingle(false, x).shape())));
            // the kept part's channels read from the layout's channel axis: IN, then the map's 2
            assertThat(listener.statistics(graph).get("bn").channels()).as("%s", f).isEqualTo(IN + 2);
            assertThat(listener.writeNow(graph)).containsOnlyKeys("bn");
        }
    }

    /** Before the first batch a merged layer has no projection (every group is empty), after one it has. */
    @Test
    void aConcatenationHasStatisticsOnlyOnceItsMapsHaveSeenABatch() {
        Merge m = new Merge("before and after", Shape.NCHW, VarianceParameterisation.VAR, new MergeVertex(), null,
                List.of(conv(Shape.NCHW, 3, 1, ConvolutionMode.Same, 0, 2, true),
                        conv(Shape.NCHW, 1, 1, ConvolutionMode.Same, 0, 3, true)));
        ComputationGraph g = graph(m);
        ProjectedStatistics listener = ProjectedStatistics.builder().build();
        assertThat(listener.statistics(g)).isEmpty();
        assertThat(listener.writeNow(g)).isEmpty();
        g.setListeners(listener);
        INDArray x = Nd4j.randn(DataType.FLOAT, MB, IN, SIZE, SIZE);
        g.fit(new DataSet(x, Nd4j.randn(DataType.FLOAT, MB, 5, SIZE, SIZE)));
        g.fit(new DataSet(x, Nd4j.randn(DataType.FLOAT, MB, 5, SIZE, SIZE)));
        assertThat(listener.statistics(g)).containsOnlyKeys("bn");
        assertThat(listener.statistics(g).get("bn").channels()).isEqualTo(5);
    }

    /** The route of the BN layer of an NCHW graph whose maps (all on the input) feed {@code vertex}. */
    private static ProjectedStatistics.Route route(GraphVertex vertex, Layer... maps) {
        ComputationGraph g = graph(new Merge("route", Shape.NCHW, VarianceParameterisation.VAR, vertex, null, List.of(maps)));
        return ProjectedStatistics.builder().build().routes(g).get("bn");
    }

    static Layer conv(Shape s, int kernel, int stride, ConvolutionMode mode, int pad, int nOut, boolean bias) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(pad, pad).convolutionMode(mode)
                .nOut(nOut).dataFormat(s == Shape.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW)
                .activation(Activation.IDENTITY).hasBias(bias).build();
    }

    static Layer depthwise(Shape s, int kernel, int stride, ConvolutionMode mode, int pad, int multiplier, boolean bias) {
        return new DepthwiseConvolution2D.Builder(kernel, kernel).stride(stride, stride).padding(pad, pad)
                .convolutionMode(mode).depthMultiplier(multiplier)
                .dataFormat(s == Shape.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW).activation(Activation.IDENTITY)
                .hasBias(bias).build();
    }

    static Layer dense(int nOut, boolean bias) {
        return new DenseLayer.Builder().nOut(nOut).activation(Activation.IDENTITY).hasBias(bias).build();
    }

    static ComputationGraph graph(Merge m) {
        CNN2DFormat format = m.shape() == Shape.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        boolean dense = m.shape() == Shape.FEED_FORWARD;
        InputType in = dense ? InputType.feedForward(IN) : InputType.convolutional(SIZE, SIZE, IN, format);
        GraphBuilder g = new NeuralNetConfiguration.Builder().seed(m.name().hashCode()).dataType(DataType.FLOAT)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).biasInit(0.3).graphBuilder().addInputs("in")
                .setInputTypes(in);
        String[] names = new String[m.maps().size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = "m" + i;
            g.addLayer(names[i], m.maps().get(i).clone(), "in");
        }
        BatchNormalization.Builder bn = new BatchNormalization.Builder().decay(0.9)
                .useLogStd(m.param() == VarianceParameterisation.LOG10_STDEV);
        if (!dense) {
            bn.dataFormat(format);
        }
        g.addVertex("merge", m.vertex(), names).addLayer("bn", bn.build(), "merge");
        g.addLayer("loss", dense ? new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build() : new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(format)
                .activation(Activation.IDENTITY).build(), "bn");
        ComputationGraph graph = new ComputationGraph(g.setOutputs("loss").build());
        graph.init();
        return graph;
    }

    record Built(Merge m, BnNetwork net, List<DataSet> batches, ProjectedStatistics listener) {
        ComputationGraph graph() {
            return (ComputationGraph) net.model();
        }
    }

    /** Trains three batches with the listener attached (input decay 1, every batch and position, no floor). */
    static Built train(Merge m) {
        return train(m, graph(m));
    }

    /** Trains {@code g} (maps named m0, m1, ... in channel order, the BN layer "bn") as {@link #train(Merge)}. */
    static Built train(Merge m, ComputationGraph g) {
        return train(m, g, null);
    }

    /** As {@link #train(Merge, ComputationGraph)}; {@code twin[0]}, if given, gets a copy trained alike without the listener. */
    static Built train(Merge m, ComputationGraph g, ComputationGraph[] twin) {
        BnNetwork net = BnNetwork.of(g);
        Nd4j.getRandom().setSeed(m.name().hashCode());
        for (int i = 0; i < m.maps().size(); i++) {
            org.deeplearning4j.nn.api.Layer map = g.getLayer("m" + i);
            if (map.paramTable().containsKey("b")) {
                map.getParam("b").assign(Nd4j.rand(DataType.FLOAT, map.getParam("b").shape()).subi(0.5).muli(2));
            }
        }
        if (twin != null) {
            // a network of its own (clone() would share the listener list)
            twin[0] = new ComputationGraph(g.getConfiguration().clone());
            twin[0].init(g.params().dup(), false);
        }
        ProjectedStatistics listener = ProjectedStatistics.builder().inputDecay(1).every(1_000_000).accumulateEvery(1)
                .minSamples(0).build();
        assertThat(listener.routes(g).get("bn").path()).as("%s route", m.name()).isNotEqualTo(
                ProjectedStatistics.Path.MOVING_AVERAGE);
        g.setListeners(listener);
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long[] shape = switch (m.shape()) {
                case FEED_FORWARD -> new long[] {MB, IN};
                case NHWC -> new long[] {MB, SIZE, SIZE, IN};
                case NCHW -> new long[] {MB, IN, SIZE, SIZE};
            };
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(1.5).addi(0.7);
            INDArray y = g.outputSingle(false, x);
            DataSet ds = new DataSet(x, Nd4j.randn(DataType.FLOAT, y.shape()));
            batches.add(ds);
            g.fit(ds);
            if (twin != null) {
                twin[0].fit(ds);
            }
        }
        g.setListeners();
        return new Built(m, net, batches, listener);
    }

    static void check(Merge m) {
        check(train(m));
    }

    static void check(Built b) {
        Merge m = b.m();
        b.listener().writeNow(b.net().model());
        BnLayerRef ref = b.net().bnLayers().get(0);
        MeanVariance written = MovingStatistics.read(b.net(), ref);
        MeanVariance expected = precise(b);
        double[] delta = tolerance(b);
        assertThat(written.channels()).isEqualTo(expected.channels());
        for (int o = 0; o < expected.channels(); o++) {
            double mean = expected.mean()[o];
            double var = expected.variance()[o];
            double store = m.param() == VarianceParameterisation.VAR ? U * var
                    : (2 * Math.log(10) * U * Math.abs(Math.log10(Math.sqrt(var))) + U) * var;
            assertThat(written.mean()[o]).as("%s channel %d mean", m.name(), o)
                    .isCloseTo(mean, within(delta[o] + U * Math.abs(mean)));
            assertThat(written.variance()[o]).as("%s channel %d variance", m.name(), o)
                    .isCloseTo(var, within(2 * Math.sqrt(var) * delta[o] + delta[o] * delta[o] + store));
        }
    }

    static MeanVariance precise(Built b) {
        return precise(b, false);
    }

    /**
     * Pooled mean and biased variance per channel of the BN layer's input over the trained batches, by a double loop
     * over the graph's own pre-BN values at the final weights; with {@code recombine}, the merge's value recomputed
     * from the maps' own outputs with {@code b.m().coefficients()} instead.
     */
    static MeanVariance precise(Built b, boolean recombine) {
        List<double[][]> perBatch = new ArrayList<>();
        for (DataSet ds : b.batches()) {
            INDArray z;
            if (recombine) {
                Map<String, INDArray> acts = b.graph().feedForward(ds.getFeatures(), false);
                z = null;
                for (int i = 0; i < b.m().maps().size(); i++) {
                    INDArray part = acts.get("m" + i).castTo(DataType.DOUBLE).mul(b.m().coefficients()[i]);
                    z = z == null ? part : z.add(part);
                }
            } else {
                z = b.net().bnInputs(new INDArray[] {ds.getFeatures()}, true).get("bn").castTo(DataType.DOUBLE);
            }
            if (b.m().shape() == Shape.NHWC) {
                z = z.permute(0, 3, 1, 2);
            }
            perBatch.add(perChannel(z));
        }
        return pooled(perBatch);
    }

    /** Per channel, every value of a {@code [N, C]} or {@code [N, C, H, W]} array. */
    static double[][] perChannel(INDArray z) {
        double[][] values = new double[(int) z.size(1)][];
        for (int o = 0; o < values.length; o++) {
            values[o] = (z.rank() == 2 ? z.getColumn(o) : z.get(NDArrayIndex.all(), NDArrayIndex.point(o)))
                    .dup('c').data().asDouble();
        }
        return values;
    }

    /** Per channel, the mean and biased variance of every value of every batch, by a double loop. */
    static MeanVariance pooled(List<double[][]> perBatch) {
        int channels = perBatch.get(0).length;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int o = 0; o < channels; o++) {
            double sum = 0;
            long n = 0;
            for (double[][] v : perBatch) {
                for (double x : v[o]) {
                    sum += x;
                    n++;
                }
            }
            mean[o] = sum / n;
            double sq = 0;
            for (double[][] v : perBatch) {
                for (double x : v[o]) {
                    sq += (x - mean[o]) * (x - mean[o]);
                }
            }
            var[o] = sq / n;
        }
        return new MeanVariance(mean, var);
    }

    /** {@code gamma_(D+2) sum_i |c_i| (||w_(i,o)||_1 max|x| + |b_(i,o)|)} per BN channel (see the class notes). */
    static double[] tolerance(Built b) {
        double maxX = 0;
        for (DataSet ds : b.batches()) {
            maxX = Math.max(maxX, ds.getFeatures().amaxNumber().doubleValue());
        }
        boolean concat = b.m().coefficients() == null;
        List<Double> out = new ArrayList<>();
        double[] sum = null;
        for (int i = 0; i < b.m().maps().size(); i++) {
            org.deeplearning4j.nn.api.Layer map = b.graph().getLayer("m" + i);
            INDArray w = map.getParam("W").castTo(DataType.DOUBLE);
            INDArray bias = map.paramTable().containsKey("b") ? map.getParam("b").castTo(DataType.DOUBLE).reshape(-1) : null;
            int outChannels = (int) (bias != null ? bias.length() : outChannels(map, w));
            double[] a = new double[outChannels];
            for (int o = 0; o < outChannels; o++) {
                INDArray wo;
                if (map.conf().getLayer() instanceof DenseLayer) {
                    wo = w.getColumn(o);
                } else if (map.conf().getLayer() instanceof DepthwiseConvolution2D dw) {
                    int dm = dw.getDepthMultiplier();
                    wo = w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(o / dm), NDArrayIndex.point(o % dm));
                } else {
                    wo = w.get(NDArrayIndex.point(o));
                }
                double gamma = (wo.length() + 2) * U / (1 - (wo.length() + 2) * U);
                a[o] = gamma * (wo.norm1Number().doubleValue() * maxX + (bias == null ? 0 : Math.abs(bias.getDouble(o))));
            }
            if (concat) {
                for (double v : a) {
                    out.add(v);
                }
            } else {
                sum = sum == null ? new double[outChannels] : sum;
                for (int o = 0; o < outChannels; o++) {
                    sum[o] += Math.abs(b.m().coefficients()[i]) * a[o];
                }
            }
        }
        return concat ? out.stream().mapToDouble(Double::doubleValue).toArray() : sum;
    }

    private static long outChannels(org.deeplearning4j.nn.api.Layer map, INDArray w) {
        if (map.conf().getLayer() instanceof DenseLayer) {
            return w.size(1);
        }
        if (map.conf().getLayer() instanceof DepthwiseConvolution2D) {
            return w.size(2) * w.size(3);
        }
        return w.size(0);
    }
}
