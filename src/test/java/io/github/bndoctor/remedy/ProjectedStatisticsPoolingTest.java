package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * BN layers fed by unpadded average pooling of a convolution, depthwise or separable convolution: one convolution of
 * the input patch ({@code k + s (k_p - 1)} wide at stride {@code s s_p}), projected as such. With the map first in the
 * network (its input is the data whatever the weights do), input decay 1 and every batch and position accumulated, the
 * written statistics are the pooled mean and biased variance of the BN layer's inputs over the trained batches,
 * recomputed here by a double loop over the network's own pre-BN values at the final weights; overlapping and
 * disjoint pooling windows, padded and strided maps, NCHW and NHWC, both network types and parameterisations.
 *
 * <p>Tolerance, per channel {@code o}: each of the map's float outputs is within {@code gamma_(D+1) A_o} of the exact
 * value ({@code A_o = ||w_o||_1 max|x| + |b_o|} bounds its magnitude; for a separable map, computed in two stages,
 * {@code A_o = sum_(c,j) |pW[o, c dm + j]| ||W[j, c]||_1 max|x| + |b_o|} with {@code D = k_h k_w + C dm}; Higham,
 * Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5), and averaging {@code n = k_p,h k_p,w} of them in
 * float adds at most {@code gamma_(n+1) A_o} (the sum and the division, in either order), so every pre-BN value is
 * within {@code delta = gamma_(D+n+2) A_o}; the mean then moves by at most {@code delta}, the pooled biased variance
 * by at most {@code 2 sqrt(var) delta + delta^2}, and storing in float adds {@code u |mean|} and {@code u var}
 * ({@code var}) or {@code (2 ln(10) u |log10 sigma| + u) var} ({@code log10stdev}).
 */
class ProjectedStatisticsPoolingTest {
    static final double U = Math.ulp(1.0f) / 2;
    static final int MB = 3;
    static final int SIZE = 9;
    static final int IN = 3;

    enum Map2 { CONV, DEPTHWISE, SEPARABLE }

    /** A map and its pooling; both in {@code mode}, on {@code size} x {@code size} inputs. */
    record Case(Map2 map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride, int pad,
                int poolKernel, int poolStride, int multiplier, ConvolutionMode mode, int size) {
        /** In truncate mode on 9 x 9 inputs. */
        Case(Map2 map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride, int pad,
             int poolKernel, int poolStride, int multiplier) {
            this(map, net, nhwc, param, kernel, stride, pad, poolKernel, poolStride, multiplier, ConvolutionMode.Truncate,
                    SIZE);
        }
    }

    @Test
    void averagePoolingOfAMapIsProjectedAsTheConvolutionTheyCompose() {
        Case[] cases = {
            // the held-out BN_AFTER_POOL family's second block: 3x3 then disjoint 2x2 windows
            new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1),
            new Case(Map2.CONV, NetworkKind.GRAPH, true, VarianceParameterisation.LOG10_STDEV, 3, 2, 1, 3, 1, 1),
            new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.LOG10_STDEV, 1, 2, 0, 2, 2, 1),
            new Case(Map2.DEPTHWISE, NetworkKind.MULTI_LAYER, true, VarianceParameterisation.VAR, 2, 1, 0, 2, 2, 2),
            new Case(Map2.DEPTHWISE, NetworkKind.GRAPH, false, VarianceParameterisation.LOG10_STDEV, 3, 2, 1, 2, 1, 1),
            new Case(Map2.SEPARABLE, NetworkKind.GRAPH, false, VarianceParameterisation.LOG10_STDEV, 3, 1, 1, 2, 1, 2),
            // separable maps in NCHW: DL4J 1.0.0-M2.1's NHWC separable backward pass is not finite on some shapes
            new Case(Map2.SEPARABLE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 2, 2, 0, 2, 2, 1),
            // mode Same: odd kernels at stride 1 pad (k - 1) / 2; pooling that pads nothing at these sizes
            new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1,
                    ConvolutionMode.Same, 8),
            new Case(Map2.DEPTHWISE, NetworkKind.GRAPH, true, VarianceParameterisation.LOG10_STDEV, 5, 1, 0, 3, 3, 2,
                    ConvolutionMode.Same, 9),
            new Case(Map2.SEPARABLE, NetworkKind.GRAPH, false, VarianceParameterisation.VAR, 1, 1, 0, 2, 2, 1,
                    ConvolutionMode.Same, 6),
        };
        for (Case c : cases) {
            check(c);
        }
    }

    /** The comparison sees a window's offset: the same statistics with the pooling read one stride later differ. */
    @Test
    void aWindowReadOneStrideOffWouldBeCaught() {
        Case c = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1);
        BnNetwork net = build(c, poolLayer(c, PoolingType.AVG, ConvolutionMode.Truncate));
        List<DataSet> batches = train(net, c);
        MeanVariance expected = precise(net, batches, c.nhwc(), 0);
        MeanVariance shifted = precise(net, batches, c.nhwc(), 1);
        double[] delta = tolerance(net, batches, c);
        boolean differs = false;
        for (int o = 0; o < expected.channels(); o++) {
            differs |= Math.abs(expected.mean()[o] - shifted.mean()[o]) > 10 * delta[o];
        }
        assertThat(differs).isTrue();
    }

    @Test
    void poolingThatIsNotOneLinearMapOfTheInputKeepsTheMovingAverage() {
        Case c = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1);
        assertThat(route(c, poolLayer(c, PoolingType.MAX, ConvolutionMode.Truncate), mapLayer(c)).reason())
                .isEqualTo("its feeding layer '1' is MAX pooling, not average pooling");
        assertThat(route(c, new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).padding(1, 1)
                .convolutionMode(ConvolutionMode.Truncate).build(), mapLayer(c)).reason())
                .startsWith("its feeding layer '1' pads or dilates");
        assertThat(route(c, poolLayer(c, PoolingType.AVG, ConvolutionMode.Truncate),
                new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build()).reason())
                .isEqualTo("its feeding layer '1' averages '0', which has activation relu, not identity");
        // a stride or an even kernel along either axis alone
        for (int[] ks : new int[][] {{3, 3, 2, 1}, {3, 3, 1, 2}, {2, 3, 1, 1}, {3, 2, 1, 1}}) {
            assertThat(route(c, poolLayer(c, PoolingType.AVG, ConvolutionMode.Truncate),
                    new ConvolutionLayer.Builder(ks[0], ks[1]).stride(ks[2], ks[3]).nOut(4)
                            .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build()).reason())
                    .isEqualTo("its feeding layer '1' averages '0', which pads in mode Same at a stride or an even kernel"
                            + " (its padding depends on the input size)");
        }
        // padding along one axis, dilation along one axis
        for (SubsamplingLayer.Builder b : List.of(
                new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).padding(0, 1),
                new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).padding(1, 0),
                new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).dilation(2, 1),
                new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).dilation(1, 2))) {
            assertThat(route(c, b.convolutionMode(ConvolutionMode.Truncate).build(), mapLayer(c)).reason())
                    .startsWith("its feeding layer '1' pads or dilates");
        }
        // pooling first: it averages the data
        MultiLayerNetwork first = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(poolLayer(c, PoolingType.AVG, ConvolutionMode.Truncate))
                .layer(new BatchNormalization.Builder().build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(SIZE, SIZE, IN)).build());
        first.init();
        assertThat(ProjectedStatistics.builder().build().routes(first).get("layer1").reason())
                .isEqualTo("its feeding layer '0' averages the network's input, not a linear map");
    }

    /**
     * Pooling in mode Same is one convolution only where it pads nothing: 2x2 windows at stride 2 over 9 rows pad one,
     * so the first such batch turns the layer to the moving average, its route says why, and nothing is written.
     */
    @Test
    void poolingInModeSameThatPadsABatchFallsBackFromThatBatch() {
        Case c = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1,
                ConvolutionMode.Same, 9);
        BnNetwork net = build(c, poolLayer(c, PoolingType.AVG, ConvolutionMode.Same));
        ProjectedStatistics listener = ProjectedStatistics.builder().accumulateEvery(1).build();
        assertThat(listener.routes(net.model()).get("layer2").path()).isEqualTo(ProjectedStatistics.Path.PROJECTED);
        MeanVariance before = MovingStatistics.read(net, net.bnLayers().get(0));
        net.model().setListeners(listener);
        INDArray x = Nd4j.randn(DataType.FLOAT, MB, IN, 9, 9);
        net.fit(new DataSet(x, Nd4j.randn(DataType.FLOAT, net.output(new INDArray[] {x}, false)[0].shape())));
        assertThat(listener.routes().get("layer2")).isEqualTo(new ProjectedStatistics.Route(
                ProjectedStatistics.Path.MOVING_AVERAGE, null, "the average pooling after '0' (mode Same) padded a"
                + " batch's 9x9 input, so it is not one convolution of it; the moving average keeps it from then on"));
        assertThat(listener.writeNow(net.model())).isEmpty();
        assertThat(MovingStatistics.read(net, net.bnLayers().get(0))).as("DL4J's own update only")
                .isNotEqualTo(before);
        // 8 rows and columns pad nothing: the same network stays projected
        Case fits = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1,
                ConvolutionMode.Same, 8);
        BnNetwork other = build(fits, poolLayer(fits, PoolingType.AVG, ConvolutionMode.Same));
        ProjectedStatistics kept = ProjectedStatistics.builder().accumulateEvery(1).build();
        other.model().setListeners(kept);
        train(other, fits);
        assertThat(kept.routes().get("layer2").path()).isEqualTo(ProjectedStatistics.Path.PROJECTED);
        assertThat(kept.writeNow(other.model())).containsOnlyKeys("layer2");
    }

    /**
     * A convolution in truncate mode before pooling in mode Same, channels-last, on inputs higher than wide: where the
     * pooling pads nothing the statistics are exact; 9 rows (a 2x2 map leaves 8, which 3x3 windows at stride 3 pad)
     * turn the layer to the moving average, named by the input's rows and columns.
     */
    @Test
    void aTruncatedMapBeforeSamePoolingChannelsLast() {
        Case fits = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, true, VarianceParameterisation.VAR, 2, 1, 0, 3, 3, 1,
                ConvolutionMode.Truncate, 10);
        check(fits, poolLayer(fits, PoolingType.AVG, ConvolutionMode.Same));
        // padded and strided: 10 rows, 3x3 at stride 2 padded by 1 leave 5, which 5x5 windows at stride 5 cover
        Case strided = new Case(Map2.CONV, NetworkKind.GRAPH, false, VarianceParameterisation.VAR, 3, 2, 1, 5, 5, 1,
                ConvolutionMode.Truncate, 10);
        check(strided, poolLayer(strided, PoolingType.AVG, ConvolutionMode.Same));
        CNN2DFormat f = CNN2DFormat.NHWC;
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT)
                .updater(new Sgd(1e-3)).list().layer(mapLayer(fits))
                .layer(poolLayer(fits, PoolingType.AVG, ConvolutionMode.Same))
                .layer(new BatchNormalization.Builder().dataFormat(f).build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(f).activation(Activation.IDENTITY)
                        .build())
                .setInputType(InputType.convolutional(9, 10, IN, f)).build());
        mln.init();
        ProjectedStatistics listener = ProjectedStatistics.builder().accumulateEvery(1).build();
        mln.setListeners(listener);
        INDArray x = Nd4j.randn(DataType.FLOAT, MB, 9, 10, IN);
        mln.fit(x, Nd4j.randn(DataType.FLOAT, mln.output(x).shape()));
        assertThat(listener.routes().get("layer2").reason()).isEqualTo("the average pooling after '0' (mode Same) padded"
                + " a batch's 9x10 input, so it is not one convolution of it; the moving average keeps it from then on");
    }

    @Test
    void theComposedConvolutionIsHeldToTheEntryLimitAndNamedInTheRoute() {
        Case c = new Case(Map2.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1, 0, 2, 2, 1);
        BnNetwork net = build(c, poolLayer(c, PoolingType.AVG, ConvolutionMode.Truncate));
        long composed = (long) 4 * 4 * IN * 4 * 4 * IN; // a 4x4 patch of 3 channels, squared
        ProjectedStatistics.Route at = ProjectedStatistics.builder().maxEntries(composed).build().routes(net.model())
                .get("layer2");
        assertThat(at).isEqualTo(new ProjectedStatistics.Route(ProjectedStatistics.Path.PROJECTED, "0",
                "fed by the average pooling '1' of the linear map '0' (ConvolutionLayer), one convolution of 4x4 patches"));
        ProjectedStatistics.Route below = ProjectedStatistics.builder().maxEntries(composed - 1).build()
                .routes(net.model()).get("layer2");
        assertThat(below.path()).isEqualTo(ProjectedStatistics.Path.MOVING_AVERAGE);
        assertThat(below.reason()).isEqualTo("its feeding layer '1' averages '0', which with it would need " + composed
                + " second-moment entries, above the limit of " + (composed - 1));
    }

    private static ProjectedStatistics.Route route(Case c, Layer pool, Layer map) {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(map).layer(pool).layer(new BatchNormalization.Builder().build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(SIZE, SIZE, IN)).build());
        mln.init();
        ProjectedStatistics.Route r = ProjectedStatistics.builder().build().routes(mln).get("layer2");
        assertThat(r.path()).isEqualTo(ProjectedStatistics.Path.MOVING_AVERAGE);
        return r;
    }

    static Layer mapLayer(Case c) {
        CNN2DFormat f = c.nhwc() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        return switch (c.map()) {
            case CONV -> new ConvolutionLayer.Builder(c.kernel(), c.kernel()).stride(c.stride(), c.stride())
                    .padding(c.pad(), c.pad()).convolutionMode(c.mode()).nOut(4).dataFormat(f)
                    .activation(Activation.IDENTITY).build();
            case DEPTHWISE -> new DepthwiseConvolution2D.Builder(c.kernel(), c.kernel()).stride(c.stride(), c.stride())
                    .padding(c.pad(), c.pad()).convolutionMode(c.mode()).depthMultiplier(c.multiplier())
                    .dataFormat(f).activation(Activation.IDENTITY).build();
            case SEPARABLE -> new SeparableConvolution2D.Builder(c.kernel(), c.kernel()).stride(c.stride(), c.stride())
                    .padding(c.pad(), c.pad()).convolutionMode(c.mode()).depthMultiplier(c.multiplier())
                    .nOut(4).dataFormat(f).activation(Activation.IDENTITY).build();
        };
    }

    static SubsamplingLayer poolLayer(Case c, PoolingType type, ConvolutionMode mode) {
        return new SubsamplingLayer.Builder(type).kernelSize(c.poolKernel(), c.poolKernel())
                .stride(c.poolStride(), c.poolStride()).convolutionMode(mode)
                .dataFormat(c.nhwc() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW).build();
    }

    /** map, pooling, BN, loss; a bias away from 0 on the map. */
    static BnNetwork build(Case c, SubsamplingLayer pool) {
        CNN2DFormat f = c.nhwc() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        Layer bn = new BatchNormalization.Builder().decay(0.9).dataFormat(f)
                .useLogStd(c.param() == VarianceParameterisation.LOG10_STDEV).build();
        Layer loss = new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(f).activation(Activation.IDENTITY)
                .build();
        InputType in = InputType.convolutional(c.size(), c.size(), IN, f);
        // small steps: the weights move, and the reference uses the final ones
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(c.hashCode()).dataType(DataType.FLOAT)
                .updater(new Sgd(1e-3)).weightInit(WeightInit.XAVIER).biasInit(0.3);
        BnNetwork net;
        if (c.net() == NetworkKind.MULTI_LAYER) {
            MultiLayerNetwork mln = new MultiLayerNetwork(base.list().layer(mapLayer(c)).layer(pool).layer(bn).layer(loss)
                    .setInputType(in).build());
            mln.init();
            net = BnNetwork.of(mln);
        } else {
            ComputationGraph g = new ComputationGraph(base.graphBuilder().addInputs("in").setInputTypes(in)
                    .addLayer("map", mapLayer(c), "in").addLayer("pool", pool, "map").addLayer("bn", bn, "pool")
                    .addLayer("loss", loss, "bn").setOutputs("loss").build());
            g.init();
            net = BnNetwork.of(g);
        }
        org.deeplearning4j.nn.api.Layer map = map(net);
        Nd4j.getRandom().setSeed(c.hashCode());
        map.getParam("b").assign(Nd4j.rand(DataType.FLOAT, map.getParam("b").shape()).subi(0.5).muli(2));
        return net;
    }

    static org.deeplearning4j.nn.api.Layer map(BnNetwork net) {
        return net.model() instanceof MultiLayerNetwork mln ? mln.getLayer(0) : ((ComputationGraph) net.model()).getLayer("map");
    }

    static List<DataSet> train(BnNetwork net, Case c) {
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            INDArray x = Nd4j.randn(DataType.FLOAT, c.nhwc() ? new long[] {MB, c.size(), c.size(), IN}
                    : new long[] {MB, IN, c.size(), c.size()})
                    .muli(1.5).addi(0.7);
            INDArray y = net.output(new INDArray[] {x}, false)[0];
            DataSet ds = new DataSet(x, Nd4j.randn(DataType.FLOAT, y.shape()));
            batches.add(ds);
            net.fit(ds);
        }
        return batches;
    }

    static void check(Case c) {
        check(c, poolLayer(c, PoolingType.AVG, c.mode()));
    }

    static void check(Case c, SubsamplingLayer pool) {
        BnNetwork net = build(c, pool);
        BnLayerRef ref = net.bnLayers().get(0);
        ProjectedStatistics listener = ProjectedStatistics.builder().inputDecay(1).every(1_000_000).accumulateEvery(1)
                .minSamples(0).build();
        Map<String, ProjectedStatistics.Route> routes = listener.routes(net.model());
        assertThat(routes.get(ref.name()).path()).as("%s", c).isEqualTo(ProjectedStatistics.Path.PROJECTED);
        net.model().setListeners(listener);
        List<DataSet> batches = train(net, c);
        net.model().setListeners();
        listener.writeNow(net.model());
        MeanVariance written = MovingStatistics.read(net, ref);
        MeanVariance expected = precise(net, batches, c.nhwc(), 0);
        double[] delta = tolerance(net, batches, c);
        for (int o = 0; o < expected.channels(); o++) {
            double mean = expected.mean()[o];
            double var = expected.variance()[o];
            double store = c.param() == VarianceParameterisation.VAR ? U * var
                    : (2 * Math.log(10) * U * Math.abs(Math.log10(Math.sqrt(var))) + U) * var;
            assertThat(written.mean()[o]).as("%s channel %d mean", c, o).isCloseTo(mean, within(delta[o] + U * Math.abs(mean)));
            assertThat(written.variance()[o]).as("%s channel %d variance", c, o)
                    .isCloseTo(var, within(2 * Math.sqrt(var) * delta[o] + delta[o] * delta[o] + store));
        }
    }

    /**
     * Pooled mean and biased variance per channel of the BN layer's input over the batches, at the final weights, by a
     * double loop; with {@code shift} 1 of the map's own outputs averaged over windows one map position later
     * (what a misplaced window would read) instead.
     */
    static MeanVariance precise(BnNetwork net, List<DataSet> batches, boolean nhwc, int shift) {
        String bn = net.bnLayers().get(0).name();
        List<double[][]> perBatch = new ArrayList<>();
        for (DataSet ds : batches) {
            INDArray z = net.bnInputs(new INDArray[] {ds.getFeatures()}, true).get(bn).castTo(DataType.DOUBLE);
            if (nhwc) {
                z = z.permute(0, 3, 1, 2);
            }
            if (shift > 0) {
                INDArray shifted = z.dup();
                long h = z.size(2);
                long w = z.size(3);
                shifted.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, h - shift),
                        NDArrayIndex.interval(0, w - shift)).assign(z.get(NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.interval(shift, h), NDArrayIndex.interval(shift, w)));
                z = shifted;
            }
            perBatch.add(ProjectedStatisticsMergeTest.perChannel(z));
        }
        return ProjectedStatisticsMergeTest.pooled(perBatch);
    }

    /** {@code gamma_(D+n+2) A_o} per channel (see the class notes). */
    static double[] tolerance(BnNetwork net, List<DataSet> batches, Case c) {
        double maxX = 0;
        for (DataSet ds : batches) {
            maxX = Math.max(maxX, ds.getFeatures().amaxNumber().doubleValue());
        }
        org.deeplearning4j.nn.api.Layer map = map(net);
        INDArray w = map.getParam("W").castTo(DataType.DOUBLE);
        INDArray b = map.getParam("b").castTo(DataType.DOUBLE).reshape(-1);
        int n = c.poolKernel() * c.poolKernel();
        double[] out = new double[(int) b.length()];
        for (int o = 0; o < out.length; o++) {
            double a;
            long d;
            switch (c.map()) {
                case CONV -> {
                    INDArray wo = w.get(NDArrayIndex.point(o));
                    a = wo.norm1Number().doubleValue();
                    d = wo.length();
                }
                case DEPTHWISE -> {
                    INDArray wo = w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(o / c.multiplier()),
                            NDArrayIndex.point(o % c.multiplier()));
                    a = wo.norm1Number().doubleValue();
                    d = wo.length();
                }
                default -> {
                    INDArray pw = map.getParam("pW").castTo(DataType.DOUBLE);
                    a = 0;
                    for (int ch = 0; ch < IN; ch++) {
                        for (int j = 0; j < c.multiplier(); j++) {
                            a += Math.abs(pw.getDouble(o, ch * c.multiplier() + j, 0, 0))
                                    * w.get(NDArrayIndex.point(j), NDArrayIndex.point(ch)).norm1Number().doubleValue();
                        }
                    }
                    d = (long) c.kernel() * c.kernel() + (long) IN * c.multiplier();
                }
            }
            long terms = d + n + 2;
            double gamma = terms * U / (1 - terms * U);
            out[o] = gamma * (a * maxX + Math.abs(b.getDouble(o)));
        }
        return out;
    }
}
