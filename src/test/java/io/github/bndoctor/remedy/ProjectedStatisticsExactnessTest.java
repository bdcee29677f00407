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
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/**
 * Exactness: with the map first in the network (its inputs are the data, whatever the weights do: DL4J's NoOp
 * updater applies the raw gradient, so the weights may move, and the reference below recomputes the pre-BN
 * values with the final weights) and input decay 1 or 0.5, the projected statistics written after training on
 * a few batches are the mean and biased variance of the BN layer's inputs
 * over exactly the inputs the listener's contract says it accumulates (every {@code accumulateEvery}-th
 * batch; within a batch every output position, or the {@code maxPositions} spread positions with their
 * weights), computed here by a direct double loop over the pre-BN activations of those batches (the
 * network's own training-mode forward pass), each accumulated batch weighing {@code a} to the power of
 * its age in accumulated batches, {@code a = max(inputDecay^accumulateEvery, (S - m) / (S + m))} with
 * {@code m} the positions taken per batch and {@code S} the sample floor (none, or 64: above the batch's
 * positions of a dense map, below some convolutions'), with 1-3 iterations per accumulation and position limits
 * below and above the batch's positions, over dense, convolution (strides,
 * "same" and truncate padding with and without explicit padding), depthwise (depth multiplier 1 and
 * 2), separable (depth multiplier 1 and 2; projected as the one convolution they compose) and 1x1 convolutions, NCHW and NHWC, both variance parameterisations and both network types. The variance
 * is the weighted mean of the within-batch variances over the covariance batches (the first accumulated batch
 * and every {@code covarianceEvery}-th after it, 1-3; each weighing its positions times
 * {@code max(covarianceDecay^(accumulateEvery covarianceEvery), (S - m) / (S + m))} to the power of the covariance
 * batches after it) plus the weighted variance of every accumulated batch's mean; with {@code covarianceEvery} 1
 * and the covariance decay equal to the input decay that is the pooled variance (the covariance decay is the
 * input decay or the other of 1 and 0.5).
 *
 * <p>Tolerance, per channel {@code o}: DL4J computes each pre-BN value {@code z} in float, the
 * projection in double from the same float inputs and weights, so the two differ by the float
 * rounding of {@code z = w_o . p + b_o}: at most {@code delta = gamma_(D+1) A_o} with
 * {@code gamma_n = n u / (1 - n u)}, {@code u = 2^-24}, and {@code A_o = ||w_o||_1 max|x| + |b_o|}
 * bounding {@code sum |w_i p_i| + |b_o|} for any summation order (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., eq. 3.5); a separable map computes in two stages (depthwise, then 1x1), so its
 * {@code A_o} is {@code sum_(c,j) |pW[o, c dm + j]| ||W[j, c]||_1 max|x| + |b_o|} (at least {@code ||w'_o||_1 max|x|}
 * of the composed weights) and its {@code gamma} index {@code k_h k_w + C dm + 1}. The mean then differs by at most {@code delta}. The variance
 * estimate is a positive semi-definite quadratic form {@code Q} of the pre-BN values, so a change {@code e} of
 * at most {@code delta} per value moves it by at most {@code 2 sqrt(Q(z) Q(e)) + Q(e)} (Cauchy-Schwarz), with
 * {@code Q(e) <= delta^2} for the pooled variance ({@code 2 sigma delta + delta^2}) and {@code Q(e) <= 2 delta^2}
 * for a within-batch part plus a between-batch part (each a variance of values within {@code delta});
 * storing in float adds {@code u |mean|} and
 * {@code u var} ({@code var}) or {@code 2 ln(10) u |log10 sigma| var + u var} ({@code log10stdev},
 * the stored exponent rounded and squared back), and the double arithmetic is far below these.
 */
@Tag("property")
class ProjectedStatisticsExactnessTest {
    static final double U = Math.ulp(1.0f) / 2;
    static final int BATCHES = 3;
    static final int MB = 3;

    enum MapKind { DENSE, CONV, DEPTHWISE, ONE_BY_ONE, SEPARABLE }

    /**
     * A map and its training run. {@code kernel}, {@code stride} and {@code pad} are the map's along the rows;
     * {@code kernelW}, {@code strideW} and {@code padW} along the columns (the same unless a case sets them).
     */
    record Case(MapKind map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride,
                ConvolutionMode mode, int pad, int channels, int size, int depthMultiplier, long seed, int every,
                int maxPositions, double decay, int minSamples, int covarianceEvery, double covarianceDecay,
                int kernelW, int strideW, int padW, boolean bias) {
        /** Square kernel, stride and padding, with a bias. */
        Case(MapKind map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride,
             ConvolutionMode mode, int pad, int channels, int size, int depthMultiplier, long seed, int every,
             int maxPositions, double decay, int minSamples, int covarianceEvery, double covarianceDecay) {
            this(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed, every,
                    maxPositions, decay, minSamples, covarianceEvery, covarianceDecay, kernel, stride, pad, true);
        }

        /** This case with the map's kernel, stride and padding along the columns set apart. */
        Case columns(int kernelW, int strideW, int padW) {
            return new Case(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed,
                    every, maxPositions, decay, minSamples, covarianceEvery, covarianceDecay, kernelW, strideW, padW,
                    bias);
        }

        /** This case with a map that has no bias. */
        Case withoutBias() {
            return new Case(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed,
                    every, maxPositions, decay, minSamples, covarianceEvery, covarianceDecay, kernelW, strideW, padW,
                    false);
        }

        Case(MapKind map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride,
             ConvolutionMode mode, int pad, int channels, int size, int depthMultiplier, long seed) {
            this(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed,
                    1 + (int) (seed % 3), (seed / 3) % 2 == 0 ? ALL : 2 + (int) ((seed / 6) % 30),
                    (seed / 180) % 2 == 0 ? 1 : 0.5, (seed / 360) % 2 == 0 ? 0 : FLOOR);
        }

        /** The covariance interval from the seed: 1, 2 or 3 accumulated batches. */
        Case(MapKind map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride,
             ConvolutionMode mode, int pad, int channels, int size, int depthMultiplier, long seed, int every,
             int maxPositions, double decay, int minSamples) {
            this(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed, every,
                    maxPositions, decay, minSamples, 1 + (int) (seed % 5) % 3);
        }

        /** The covariance's decay from the seed: the input decay, or the other of 1 and 0.5. */
        Case(MapKind map, NetworkKind net, boolean nhwc, VarianceParameterisation param, int kernel, int stride,
             ConvolutionMode mode, int pad, int channels, int size, int depthMultiplier, long seed, int every,
             int maxPositions, double decay, int minSamples, int covarianceEvery) {
            this(map, net, nhwc, param, kernel, stride, mode, pad, channels, size, depthMultiplier, seed, every,
                    maxPositions, decay, minSamples, covarianceEvery, (seed / 7) % 2 == 0 ? decay : 1.5 - decay);
        }
    }

    /** The sample floor of the cases that have one: more than a dense map's batch, fewer than a large convolution's. */
    static final int FLOOR = 64;

    /** A position limit no test batch reaches. */
    static final int ALL = 1 << 20;

    static Gen<Case> cases() {
        return Generate.enumValues(MapKind.class).zip(Generate.enumValues(NetworkKind.class), Generate.booleans(),
                (m, n, f) -> new Object[] {m, n, f}).zip(Generate.enumValues(VarianceParameterisation.class),
                integers().between(0, 63), integers().between(1, 1_000_000), (a, p, bits, seed) -> {
                    MapKind m = (MapKind) a[0];
                    int kernel = m == MapKind.ONE_BY_ONE ? 1 : 2 + (bits & 1);
                    int stride = 1 + ((bits >> 1) & 1);
                    ConvolutionMode mode = ((bits >> 2) & 1) == 0 ? ConvolutionMode.Same : ConvolutionMode.Truncate;
                    int pad = mode == ConvolutionMode.Truncate ? (bits >> 3) & 1 : 0;
                    int channels = 2 + ((bits >> 4) & 1);
                    int size = 5 + ((bits >> 5) & 1);
                    int dm = m == MapKind.DEPTHWISE || m == MapKind.SEPARABLE ? 1 + (bits & 2) / 2 : 1;
                    // DL4J 1.0.0-M2.1's backward pass of an NHWC separable convolution returns non-finite gradients
                    // on some shapes, so separable maps train in NCHW here; NHWC ones are checked on the forward pass
                    // (separableMapsInBothLayouts)
                    boolean nhwc = (Boolean) a[2] && m != MapKind.SEPARABLE;
                    return new Case(m, (NetworkKind) a[1], nhwc, p, kernel, stride, mode, pad, channels,
                            size, dm, seed);
                });
    }

    @Test
    void reproducesThePreciseStatisticsOfTheSameInputs() {
        qt().withExamples(40).withShrinkCycles(3).forAll(cases()).checkAssert(ProjectedStatisticsExactnessTest::check);
    }

    /** The route the property covers, named: each map kind in each layout on each network type. */
    @Test
    void everyMapKindInBothLayoutsAndNetworkTypes() {
        long seed = 11;
        for (MapKind m : MapKind.values()) {
            for (NetworkKind n : NetworkKind.values()) {
                for (boolean nhwc : new boolean[] {false, true}) {
                    if ((m == MapKind.DENSE || m == MapKind.SEPARABLE) && nhwc) {
                        continue; // separable NHWC: see separableMapsInBothLayouts
                    }
                    check(new Case(m, n, nhwc, seed % 2 == 0 ? VarianceParameterisation.VAR
                            : VarianceParameterisation.LOG10_STDEV, m == MapKind.ONE_BY_ONE ? 1 : 3, 2,
                            ConvolutionMode.Same, 0, 3, 6, m == MapKind.DEPTHWISE || m == MapKind.SEPARABLE ? 2 : 1,
                            seed++));
                }
            }
        }
    }

    /**
     * Stride-1 depthwise maps with every position taken are summed from lag products (no gathered patches):
     * both kernel sizes, "same" (asymmetric for the even kernel) and truncate padding with and without
     * explicit padding, both layouts, against the same double loop.
     */
    @Test
    void strideOneDepthwiseFromLagSums() {
        long seed = 101;
        for (int kernel : new int[] {2, 3}) {
            for (int pad = -1; pad <= 1; pad++) {
                for (boolean nhwc : new boolean[] {false, true}) {
                    ConvolutionMode mode = pad < 0 ? ConvolutionMode.Same : ConvolutionMode.Truncate;
                    check(new Case(MapKind.DEPTHWISE, seed % 2 == 0 ? NetworkKind.GRAPH : NetworkKind.MULTI_LAYER, nhwc,
                            VarianceParameterisation.VAR, kernel, 1, mode, Math.max(pad, 0), 3, 5 + (int) (seed % 2),
                            1 + (int) (seed / 2 % 2), seed, 1 + (int) (seed % 3), ALL, seed % 3 == 0 ? 0.5 : 1,
                            seed % 4 < 2 ? 0 : FLOOR));
                    seed++;
                }
            }
        }
    }

    /**
     * Separable maps in both layouts, fed straight to the accumulator (DL4J's backward pass of an NHWC separable
     * convolution is not used: see {@link #cases()}): depth multiplier 1 and 2, "same" and truncate padding, strides.
     */
    @Test
    void separableMapsInBothLayouts() {
        long seed = 81;
        for (boolean nhwc : new boolean[] {false, true}) {
            for (int dm = 1; dm <= 2; dm++) {
                checkDirect(build(new Case(MapKind.SEPARABLE, NetworkKind.MULTI_LAYER, nhwc, VarianceParameterisation.VAR,
                        3, dm, ConvolutionMode.Same, 0, 3, 6, dm, seed++, 1, ALL, 1, 0, 1, 1)), x -> x);
                checkDirect(build(new Case(MapKind.SEPARABLE, NetworkKind.GRAPH, nhwc, VarianceParameterisation.VAR,
                        2, 1, ConvolutionMode.Truncate, 1, 2, 5, dm, seed++, 1, ALL, 0.5, 0, 2, 1)), x -> x);
            }
        }
    }

    /** A map above {@code PatchMoments.JAVA_PROJECTION_LIMIT} ({@code D^2 n_out}) projects through ND4J: the same check. */
    @Test
    void aLargeMapProjectsThroughOneMatrixProduct() {
        int channels = 130;
        assertThat((long) channels * channels * (channels + 1)).isGreaterThan(PatchMoments.JAVA_PROJECTION_LIMIT);
        check(new Case(MapKind.DENSE, NetworkKind.GRAPH, false, VarianceParameterisation.VAR, 1, 1, ConvolutionMode.Same,
                0, channels, 5, 1, 7));
        check(new Case(MapKind.DENSE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.LOG10_STDEV, 1, 1,
                ConvolutionMode.Same, 0, channels - 1, 5, 1, 8));
    }

    /** A small 1x1, stride-1, unpadded NCHW map taking every position copies its input's planes in bulk: the same check. */
    @Test
    void aSmallOneByOneMapReadsWholePlanes() {
        check(new Case(MapKind.ONE_BY_ONE, NetworkKind.GRAPH, false, VarianceParameterisation.VAR, 1, 1,
                ConvolutionMode.Same, 0, 3, 5, 1, 31, 2, ALL, 0.5, 0));
        check(new Case(MapKind.ONE_BY_ONE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.LOG10_STDEV, 1, 1,
                ConvolutionMode.Truncate, 0, 2, 6, 1, 32, 1, ALL, 1, FLOOR));
    }

    /**
     * Convolutions whose batches bring at least {@code PatchMoments.NATIVE_WORK} multiply-adds ({@code m D^2}) sum
     * their second moments by a native matrix product: a 1x1 map in both layouts, a 3x3 map with stride 2 and
     * a 3x3 map with a position limit, input decay 1 and 0.5, with and without a sample floor; the same check.
     */
    @Test
    void largeConvolutionsSumTheirMomentsNatively() {
        Case[] cases = {
            new Case(MapKind.ONE_BY_ONE, NetworkKind.GRAPH, false, VarianceParameterisation.VAR, 1, 1,
                    ConvolutionMode.Same, 0, 96, 16, 1, 21, 1, ALL, 1, 0),
            new Case(MapKind.ONE_BY_ONE, NetworkKind.MULTI_LAYER, true, VarianceParameterisation.LOG10_STDEV, 1, 1,
                    ConvolutionMode.Truncate, 0, 96, 16, 1, 22, 2, ALL, 0.5, FLOOR),
            new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.LOG10_STDEV, 3, 2,
                    ConvolutionMode.Same, 0, 48, 12, 1, 23, 1, ALL, 0.5, 0),
            new Case(MapKind.CONV, NetworkKind.GRAPH, true, VarianceParameterisation.VAR, 3, 1,
                    ConvolutionMode.Truncate, 1, 32, 6, 1, 24, 3, 80, 1, FLOOR),
        };
        for (Case c : cases) {
            int out = c.mode() == ConvolutionMode.Same ? (c.size() + c.stride() - 1) / c.stride()
                    : (c.size() + 2 * c.pad() - c.kernel()) / c.stride() + 1;
            long m = Math.min((long) MB * out * out, c.maxPositions());
            long d = (long) c.kernel() * c.kernel() * c.channels();
            assertThat(m * d * d).as("%s work per batch", c).isGreaterThanOrEqualTo(PatchMoments.NATIVE_WORK);
            check(c);
        }
    }

    /**
     * The input as the map may receive it: doubles, halves, F order, a view at an offset and a permuted array
     * (C order reported, strides not), read by the plane sums (a convolution's batches without covariance), the
     * lag sums (a stride-1 depthwise map) and the gathered patches, against the same double loop over the
     * network's own pre-BN values (half-exact features, so the half input holds the same values).
     */
    @Test
    void everyLayoutAndTypeOfTheInputGivesTheSameStatistics() {
        Case[] cases = {
            new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1,
                    ConvolutionMode.Truncate, 1, 2, 5, 1, 41, 1, ALL, 0.5, 0, 3, 0.5),
            new Case(MapKind.DEPTHWISE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1,
                    ConvolutionMode.Same, 0, 2, 5, 1, 42, 1, ALL, 1, 0, 1, 1),
            new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, true, VarianceParameterisation.VAR, 2, 2,
                    ConvolutionMode.Same, 0, 2, 5, 1, 43, 1, 7, 1, 0, 2, 0.5),
        };
        java.util.Map<String, java.util.function.UnaryOperator<INDArray>> layouts = new java.util.LinkedHashMap<>();
        layouts.put("double", x -> x.castTo(DataType.DOUBLE));
        layouts.put("half", x -> x.castTo(DataType.HALF));
        layouts.put("F order", x -> x.dup('f'));
        layouts.put("view at an offset", x -> Nd4j.concat(0, x, x).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(
                x.size(0), 2 * x.size(0)), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all()));
        layouts.put("permuted", x -> x.permute(0, 2, 3, 1).dup('c').permute(0, 3, 1, 2));
        for (Case c : cases) {
            Built b = build(c);
            List<DataSet> halfExact = new ArrayList<>();
            for (DataSet ds : b.batches) {
                halfExact.add(new DataSet(ds.getFeatures().castTo(DataType.HALF).castTo(DataType.FLOAT), ds.getLabels()));
            }
            Built h = new Built(c, b.net, halfExact);
            if (c.map() == MapKind.CONV && !c.nhwc()) {
                // the listener sees the features as the network is given them: permuted ones, too
                List<DataSet> permuted = new ArrayList<>();
                for (DataSet ds : halfExact) {
                    permuted.add(new DataSet(layouts.get("permuted").apply(ds.getFeatures()), ds.getLabels()));
                }
                check(new Built(c, build(c).net, permuted));
            }
            layouts.forEach((name, layout) -> {
                assertThat(layout.apply(h.batches.get(0).getFeatures()).equalsWithEps(
                        h.batches.get(0).getFeatures().castTo(layout.apply(h.batches.get(0).getFeatures()).dataType()), 0))
                        .as("%s holds the same values", name).isTrue();
                checkDirect(h, layout, " as " + name);
            });
        }
    }

    /**
     * Kernels, strides and paddings that differ between rows and columns, where a map is one guard away from a
     * shortcut: 1x1 maps next to the whole-plane copy (a 3x1 or 1x3 kernel; a stride of 2 along one axis whose
     * padding keeps that axis' size; padding along one axis only; a position limit), stride-1 depthwise maps next to the lag sums
     * (stride 2 along one axis), in both layouts.
     */
    @Test
    void kernelsStridesAndPaddingsThatDifferBetweenRowsAndColumns() {
        Case oneByOne = new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1, 1,
                ConvolutionMode.Truncate, 0, 2, 3, 1, 51, 1, ALL, 1, 0, 2, 0.5);
        Case same = new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1,
                ConvolutionMode.Same, 0, 2, 5, 1, 52, 1, ALL, 0.5, 0, 1, 0.5);
        Case depthwise = new Case(MapKind.DEPTHWISE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 2, 1,
                ConvolutionMode.Truncate, 0, 2, 5, 1, 53, 1, ALL, 1, 0, 1, 1);
        Case[] cases = {
            same.columns(1, 1, 0),                                       // 3x1 kernel, "same" keeps the size
            new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1, 1,
                    ConvolutionMode.Same, 0, 2, 5, 1, 54, 1, ALL, 0.5, 0, 1, 0.5).columns(3, 1, 0), // 1x3 kernel
            // stride 2 along one axis, padded by 1 along it: (3 + 2 - 1) / 2 + 1 = 3 rows out of 3
            new Case(oneByOne.map(), oneByOne.net(), false, oneByOne.param(), 1, 2, ConvolutionMode.Truncate, 1, 2, 3,
                    1, 55, 1, ALL, 1, 0, 1, 1).columns(1, 1, 0),
            oneByOne.columns(1, 2, 1),
            new Case(oneByOne.map(), oneByOne.net(), false, oneByOne.param(), 1, 1, ConvolutionMode.Truncate, 1, 2, 3,
                    1, 56, 1, ALL, 1, 0, 1, 1).columns(1, 1, 0),           // padded rows only
            oneByOne.columns(1, 1, 1),                                    // padded columns only
            new Case(oneByOne.map(), oneByOne.net(), false, oneByOne.param(), 1, 1, ConvolutionMode.Truncate, 0, 2, 3,
                    1, 58, 1, 7, 1, 0, 1, 1),                            // unpadded, 7 of its 27 positions taken
            depthwise.columns(2, 2, 0),
            new Case(depthwise.map(), depthwise.net(), true, depthwise.param(), 2, 2, ConvolutionMode.Truncate, 0, 2, 5,
                    1, 57, 1, ALL, 0.5, 0, 1, 0.5).columns(3, 1, 1),
        };
        for (Case c : cases) {
            checkDirect(build(c), x -> x);
        }
    }

    /**
     * Batches whose spatial size differs from batch to batch (a convolution's input size is not fixed) and inputs
     * higher than wide: the buffers sized on the first batch grow, on the lag sums, the plane sums and the gathered
     * patches.
     */
    @Test
    void batchesOfDifferentSpatialSizes() {
        Case depthwise = new Case(MapKind.DEPTHWISE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 1,
                ConvolutionMode.Same, 0, 2, 5, 1, 61, 1, ALL, 1, 0, 1, 1);
        checkDirect(build(depthwise).withBatches(new long[] {MB, 2, 5, 4}, new long[] {MB, 2, 6, 7},
                new long[] {MB, 2, 8, 9}), x -> x);
        Case planes = new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 2, 1,
                ConvolutionMode.Truncate, 1, 2, 5, 1, 62, 1, ALL, 0.5, 0, 3, 0.5);
        checkDirect(build(planes).withBatches(new long[] {MB, 2, 4, 4}, new long[] {MB, 2, 5, 6},
                new long[] {MB, 2, 8, 7}), x -> x);
        Case tall = new Case(MapKind.CONV, NetworkKind.GRAPH, true, VarianceParameterisation.VAR, 3, 2,
                ConvolutionMode.Same, 0, 2, 5, 1, 63, 1, ALL, 1, 0, 1, 1);
        checkDirect(build(tall).withBatches(new long[] {MB, 7, 4, 2}, new long[] {MB, 7, 4, 2},
                new long[] {MB, 9, 5, 2}), x -> x);
    }

    /** A native map's patch matrix follows its positions per batch (16x16, then 14x14, then 15x15 inputs). */
    @Test
    void aNativeMapWhosePositionsPerBatchChange() {
        Case nativeMap = new Case(MapKind.ONE_BY_ONE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1, 1,
                ConvolutionMode.Same, 0, 96, 16, 1, 64, 1, ALL, 1, 0, 1, 0.5);
        assertThat((long) MB * 14 * 14 * 96 * 96).isGreaterThanOrEqualTo(PatchMoments.NATIVE_WORK);
        checkDirect(build(nativeMap).withBatches(new long[] {MB, 96, 16, 16}, new long[] {MB, 96, 14, 14},
                new long[] {MB, 96, 15, 15}), x -> x);
    }

    /**
     * The native second moments pooled (covariance every batch with the input decay: no between-batch part) and
     * a dense map summed natively (256 examples of 130 inputs); maps without a bias on the native projection and on
     * the ND4J projection of Java-summed moments; and a depthwise map whose batches bring more than
     * {@code PatchMoments.NATIVE_WORK} multiply-adds, which stays on the Java sums (its blocks are per channel).
     */
    @Test
    void pooledNativeMomentsDenseNativeMapsMapsWithoutBiasAndALargeDepthwiseMap() {
        checkDirect(build(new Case(MapKind.ONE_BY_ONE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1,
                1, ConvolutionMode.Same, 0, 96, 16, 1, 71, 1, ALL, 0.5, 0, 1, 0.5)), x -> x);
        Case dense = new Case(MapKind.DENSE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1, 1,
                ConvolutionMode.Same, 0, 130, 5, 1, 72, 1, ALL, 0.5, 0, 2, 1);
        assertThat(256L * 130 * 130).isGreaterThanOrEqualTo(PatchMoments.NATIVE_WORK);
        long[] rows = {256, 130};
        checkDirect(build(dense).withBatches(rows, rows, rows), x -> x);
        checkDirect(build(dense.withoutBias()).withBatches(rows, rows, rows), x -> x);
        Case javaSums = new Case(MapKind.DENSE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 1, 1,
                ConvolutionMode.Same, 0, 130, 5, 1, 73, 1, ALL, 1, 0, 1, 1).withoutBias();
        assertThat(130L * 130 * 131).isGreaterThan(PatchMoments.JAVA_PROJECTION_LIMIT);
        checkDirect(build(javaSums), x -> x);
        Case largeDepthwise = new Case(MapKind.DEPTHWISE, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR,
                3, 1, ConvolutionMode.Same, 0, 2, 132, 1, 74, 1, ALL, 1, 0, 1, 1);
        assertThat((long) MB * 132 * 132 * 9 * 9).isGreaterThanOrEqualTo(PatchMoments.NATIVE_WORK);
        checkDirect(build(largeDepthwise), x -> x);
    }

    /** The comparison is sharp enough to see one misplaced padding row: the same check with the map's padding changed fails. */
    @Test
    void aMisreadPaddingWouldBeCaught() {
        Case c = new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 2,
                ConvolutionMode.Same, 0, 2, 6, 1, 5);
        Built b = build(c);
        Case wrong = new Case(MapKind.CONV, NetworkKind.MULTI_LAYER, false, VarianceParameterisation.VAR, 3, 2,
                ConvolutionMode.Truncate, 1, 2, 6, 1, 5);
        // same output size (3x3), other padding: statistics of the other patches must differ beyond the tolerance
        Built w = build(wrong);
        w.net.params().assign(b.net.params());
        MeanVariance expected = preciseStatistics(b);
        MeanVariance other = preciseStatistics(w);
        double[] tol = meanTolerance(b);
        boolean differs = false;
        for (int o = 0; o < expected.channels(); o++) {
            differs |= Math.abs(expected.mean()[o] - other.mean()[o]) > 10 * tol[o];
        }
        assertThat(differs).as("other padding gives other statistics").isTrue();
    }

    static void check(Case c) {
        check(build(c));
    }

    static void check(Built b) {
        Case c = b.c;
        ProjectedStatistics listener = ProjectedStatistics.builder().inputDecay(c.decay()).every(1_000_000)
                .accumulateEvery(c.every()).maxPositions(c.maxPositions()).minSamples(c.minSamples())
                .covarianceEvery(c.covarianceEvery()).covarianceDecay(c.covarianceDecay()).build();
        BnNetwork net = b.net;
        BnLayerRef ref = net.bnLayers().get(0);
        assertThat(listener.routes(net.model()).get(ref.name()).path()).as("%s route", c)
                .isEqualTo(ProjectedStatistics.Path.PROJECTED);
        net.model().setListeners(listener);
        for (DataSet ds : b.batches) {
            net.fit(ds);
        }
        net.model().setListeners();
        listener.writeNow(net.model());
        compare(b, MovingStatistics.read(net, ref), "");
    }

    /**
     * The same comparison with the map's inputs fed straight to {@link PatchMoments} (decay, limit, floor and
     * covariance settings as the listener derives them for {@code accumulateEvery} 1), each batch's features
     * first passed through {@code layout} (another memory layout or type of the same values), and the projection
     * compared unrounded: the tolerance of {@link #check(Built)} still bounds it (it only adds the storing's
     * rounding).
     */
    static void checkDirect(Built b, java.util.function.UnaryOperator<INDArray> layout) {
        checkDirect(b, layout, "");
    }

    static void checkDirect(Built b, java.util.function.UnaryOperator<INDArray> layout, String name) {
        Case c = b.c;
        assertThat(c.every()).isEqualTo(1);
        PatchMoments moments = PatchMoments.of(b.mapConf(), c.decay(), c.minSamples(), c.maxPositions(),
                c.covarianceEvery(), Math.pow(c.covarianceDecay(), c.covarianceEvery()));
        for (DataSet ds : b.batches) {
            moments.add(layout.apply(ds.getFeatures()));
        }
        assertThat(moments.batches()).isEqualTo(b.batches.size());
        compare(b, moments.project(b.mapLayer()), " fed directly" + name);
    }

    private static void compare(Built b, MeanVariance written, String how) {
        Case c = b.c;
        MeanVariance expected = preciseStatistics(b);
        double[] delta = meanTolerance(b);
        for (int o = 0; o < expected.channels(); o++) {
            double mean = expected.mean()[o];
            double var = expected.variance()[o];
            double storeVar = c.param() == VarianceParameterisation.VAR ? U * var
                    : (2 * Math.log(10) * U * Math.abs(Math.log10(Math.sqrt(var))) + U) * var;
            assertThat(written.mean()[o]).as("%s%s channel %d mean", c, how, o)
                    .isCloseTo(mean, within(delta[o] + U * Math.abs(mean)));
            // the estimator is a positive semi-definite quadratic form Q of the pre-BN values, so a change e of at most
            // delta per value moves it by at most 2 sqrt(Q(z) Q(e)) + Q(e), Q(e) <= delta^2 for the pooled variance
            // and <= 2 delta^2 for within-batch plus between-batch parts over different batches
            double qe = (c.covarianceEvery() == 1 && c.covarianceDecay() == c.decay() ? 1 : 2) * delta[o] * delta[o];
            assertThat(written.variance()[o]).as("%s%s channel %d variance", c, how, o)
                    .isCloseTo(var, within(2 * Math.sqrt(var * qe) + qe + storeVar));
        }
    }

    /**
     * Weighted mean and biased variance (within-batch plus between-batch, see the class notes) of the BN layer's
     * input, by a double loop over the batches the listener's contract says it accumulates (every {@code every}-th)
     * and, in each, the output positions it
     * takes: all if there are at most {@code maxPositions}, else {@code P = maxPositions} positions
     * {@code floor(N frac(a (sqrt 2 - 1) + j (sqrt 5 - 1) / 2))} ((example, row, column) order, {@code a} the
     * batches accumulated before), each weighing {@code N / P}, times {@code inputDecay^(age in iterations)}.
     */
    static MeanVariance preciseStatistics(Built b) {
        BnLayerRef ref = b.net.bnLayers().get(0);
        int channels = ref.channels();
        List<double[][]> values = new ArrayList<>();
        List<double[]> weights = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        int accumulated = 0;
        for (int i = 0; i < b.batches.size(); i++) {
            if ((i + 1) % b.c.every() != 0) {
                continue;
            }
            INDArray z = b.net.bnInputs(new INDArray[] {b.batches.get(i).getFeatures()}, true).get(ref.name())
                    .castTo(DataType.DOUBLE);
            if (z.rank() == 4 && b.c.nhwc()) {
                z = z.permute(0, 3, 1, 2);
            }
            double[][] perChannel = new double[channels][];
            for (int o = 0; o < channels; o++) {
                INDArray slice = z.rank() == 2 ? z.getColumn(o) : z.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(o));
                perChannel[o] = slice.dup('c').data().asDouble();
            }
            int n = perChannel[0].length;
            int taken = Math.min(n, b.c.maxPositions());
            double[][] picked = new double[channels][taken];
            double[] w = new double[taken];
            for (int j = 0; j < taken; j++) {
                double u = accumulated * (Math.sqrt(2) - 1) + j * (Math.sqrt(5) - 1) / 2;
                int q = taken == n ? j : (int) Math.floor(n * (u - Math.floor(u)));
                // a batch's weight falls by the input decay per training iteration of age, or by the floor's
                // decay per accumulated batch where that is larger
                double perBatch = Math.max(Math.pow(b.c.decay(), b.c.every()),
                        (b.c.minSamples() - (double) taken) / (b.c.minSamples() + taken));
                w[j] = Math.pow(perBatch, b.batches.size() / b.c.every() - 1 - accumulated) * n / taken;
                for (int o = 0; o < channels; o++) {
                    picked[o][j] = perChannel[o][q];
                }
            }
            values.add(picked);
            weights.add(w);
            positions.add(n);
            accumulated++;
        }
        // the covariance batches: the first accumulated one and every covarianceEvery-th after it, each weighing
        // its positions times the covariance decay to the power of the covariance batches after it
        int r = b.c.covarianceEvery();
        int covBatches = (values.size() + r - 1) / r;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int o = 0; o < channels; o++) {
            double sum = 0;
            double total = 0;
            for (int k = 0; k < values.size(); k++) {
                for (int j = 0; j < weights.get(k).length; j++) {
                    sum += weights.get(k)[j] * values.get(k)[o][j];
                    total += weights.get(k)[j];
                }
            }
            mean[o] = sum / total;
            double between = 0;
            double within = 0;
            double covTotal = 0;
            for (int k = 0; k < values.size(); k++) {
                double[] x = values.get(k)[o];
                double batchMean = 0;
                double batchWeight = 0;
                for (int j = 0; j < x.length; j++) {
                    batchMean += x[j];
                    batchWeight += weights.get(k)[j];
                }
                batchMean /= x.length;
                between += batchWeight * (batchMean - mean[o]) * (batchMean - mean[o]);
                if (k % r == 0) {
                    double sq = 0;
                    for (double v : x) {
                        sq += (v - batchMean) * (v - batchMean);
                    }
                    double perCov = Math.max(Math.pow(b.c.covarianceDecay(), b.c.every() * r),
                            (b.c.minSamples() - (double) x.length) / (b.c.minSamples() + x.length));
                    double omega = Math.pow(perCov, covBatches - 1 - k / r) * positions.get(k);
                    within += omega * sq / x.length;
                    covTotal += omega;
                }
            }
            var[o] = within / covTotal + between / total;
        }
        return new MeanVariance(mean, var);
    }

    /** {@code gamma_(D+1) (||w_o||_1 max|x| + |b_o|)} per output channel (see the class notes). */
    static double[] meanTolerance(Built b) {
        org.deeplearning4j.nn.api.Layer map = b.mapLayer();
        INDArray w = map.getParam("W").castTo(DataType.DOUBLE);
        INDArray bias = b.c.bias() ? map.getParam("b").castTo(DataType.DOUBLE).reshape(-1) : null;
        double maxX = 0;
        for (DataSet ds : b.batches) {
            maxX = Math.max(maxX, ds.getFeatures().amaxNumber().doubleValue());
        }
        int channels = b.net.bnLayers().get(0).channels();
        double[] out = new double[channels];
        for (int o = 0; o < channels; o++) {
            INDArray wo;
            long d;
            switch (b.c.map()) {
                case DENSE -> {
                    wo = w.getColumn(o);
                    d = w.size(0);
                }
                case DEPTHWISE -> {
                    int dm = b.c.depthMultiplier();
                    wo = w.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(o / dm),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(o % dm));
                    d = wo.length();
                }
                case SEPARABLE -> {
                    wo = null; // bounded below from its two stages
                    d = 0;
                }
                default -> {
                    wo = w.get(org.nd4j.linalg.indexing.NDArrayIndex.point(o));
                    d = wo.length();
                }
            }
            double norm1 = wo == null ? 0 : wo.norm1Number().doubleValue();
            if (b.c.map() == MapKind.SEPARABLE) {
                // two stages in float: depthwise (k_h k_w terms per channel), then 1x1 (C dm terms + bias), so
                // gamma_(k_h k_w + C dm + 1) times sum_(c,j) |pW[o, c dm + j]| ||W[j, c]||_1 max|x| + |b_o|
                INDArray pw = map.getParam("pW").castTo(DataType.DOUBLE);
                int dm = b.c.depthMultiplier();
                int inChannels = (int) w.size(1);
                norm1 = 0;
                for (int ch = 0; ch < inChannels; ch++) {
                    for (int j = 0; j < dm; j++) {
                        norm1 += Math.abs(pw.getDouble(o, ch * dm + j, 0, 0)) * w.get(
                                org.nd4j.linalg.indexing.NDArrayIndex.point(j), org.nd4j.linalg.indexing.NDArrayIndex.point(ch))
                                .norm1Number().doubleValue();
                    }
                }
                d = w.size(2) * w.size(3) + (long) inChannels * dm;
            }
            double gamma = (d + 1) * U / (1 - (d + 1) * U);
            out[o] = gamma * (norm1 * maxX + (bias == null ? 0 : Math.abs(bias.getDouble(o))));
        }
        return out;
    }

    record Built(Case c, BnNetwork net, List<DataSet> batches) {
        org.deeplearning4j.nn.api.Layer mapLayer() {
            if (net.model() instanceof MultiLayerNetwork mln) {
                return mln.getLayer(0);
            }
            return ((ComputationGraph) net.model()).getLayer("map");
        }

        org.deeplearning4j.nn.conf.layers.Layer mapConf() {
            return mapLayer().conf().getLayer();
        }

        /** The same network, each batch's features replaced by fresh ones of the given shape (labels to match). */
        Built withBatches(long[]... shapes) {
            List<DataSet> out = new ArrayList<>();
            Nd4j.getRandom().setSeed(c.seed() + 1);
            for (long[] shape : shapes) {
                INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(1.5).addi(0.7);
                INDArray y = net.output(new INDArray[] {x}, false)[0];
                out.add(new DataSet(x, Nd4j.randn(DataType.FLOAT, y.shape())));
            }
            return new Built(c, net, out);
        }
    }

    static Built build(Case c) {
        boolean dense = c.map() == MapKind.DENSE;
        CNN2DFormat format = c.nhwc() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        int nOut = c.map() == MapKind.DEPTHWISE ? c.channels() * c.depthMultiplier() : c.channels() + 1;
        Layer map = switch (c.map()) {
            case DENSE -> new DenseLayer.Builder().nOut(nOut).activation(Activation.IDENTITY).hasBias(c.bias()).build();
            case DEPTHWISE -> new DepthwiseConvolution2D.Builder(c.kernel(), c.kernelW()).stride(c.stride(), c.strideW())
                    .padding(c.pad(), c.padW()).convolutionMode(c.mode()).depthMultiplier(c.depthMultiplier())
                    .dataFormat(format).activation(Activation.IDENTITY).hasBias(c.bias()).build();
            case SEPARABLE -> new SeparableConvolution2D.Builder(c.kernel(), c.kernelW()).stride(c.stride(), c.strideW())
                    .padding(c.pad(), c.padW()).convolutionMode(c.mode()).depthMultiplier(c.depthMultiplier()).nOut(nOut)
                    .dataFormat(format).activation(Activation.IDENTITY).hasBias(c.bias()).build();
            default -> new ConvolutionLayer.Builder(c.kernel(), c.kernelW()).stride(c.stride(), c.strideW())
                    .padding(c.pad(), c.padW()).convolutionMode(c.mode()).nOut(nOut).dataFormat(format)
                    .activation(Activation.IDENTITY).hasBias(c.bias()).build();
        };
        BatchNormalization.Builder bnb = new BatchNormalization.Builder().decay(0.9)
                .useLogStd(c.param() == VarianceParameterisation.LOG10_STDEV);
        if (!dense) {
            bnb.dataFormat(format);
        }
        Layer bn = bnb.build();
        Layer loss = dense ? new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build()
                : new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(format).activation(Activation.IDENTITY)
                .build();
        InputType in = dense ? InputType.feedForward(c.channels())
                : InputType.convolutional(c.size(), c.size(), c.channels(), format);
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(c.seed()).dataType(DataType.FLOAT)
                // a separable map's raw gradient (NoOp: a step of 1) grows its weights past float range within a few
                // batches, so it takes small steps; the reference uses the final weights either way
                .updater(c.map() == MapKind.SEPARABLE ? new Sgd(1e-3) : new NoOp()).weightInit(WeightInit.XAVIER)
                .biasInit(0.3);
        BnNetwork net;
        if (c.net() == NetworkKind.MULTI_LAYER) {
            MultiLayerNetwork mln = new MultiLayerNetwork(base.list().layer(map).layer(bn).layer(loss).setInputType(in).build());
            mln.init();
            net = BnNetwork.of(mln);
        } else {
            ComputationGraph g = new ComputationGraph(base.graphBuilder().addInputs("in").setInputTypes(in)
                    .addLayer("map", map, "in").addLayer("bn", bn, "map").addLayer("loss", loss, "bn")
                    .setOutputs("loss").build());
            g.init();
            net = BnNetwork.of(g);
        }
        // a bias away from 0 so the mean's projection is tested too
        Nd4j.getRandom().setSeed(c.seed());
        INDArray bias = Nd4j.rand(DataType.FLOAT, 1, nOut).subi(0.5).muli(2);
        org.deeplearning4j.nn.api.Layer mapLayer = net.model() instanceof MultiLayerNetwork mln ? mln.getLayer(0)
                : ((ComputationGraph) net.model()).getLayer("map");
        if (c.bias()) {
            mapLayer.getParam("b").assign(bias.reshape(mapLayer.getParam("b").shape()));
        }
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < BATCHES * c.every(); i++) {
            long[] shape = dense ? new long[] {MB, c.channels()}
                    : c.nhwc() ? new long[] {MB, c.size(), c.size(), c.channels()}
                    : new long[] {MB, c.channels(), c.size(), c.size()};
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(1.5).addi(0.7);
            INDArray y = net.output(new INDArray[] {x}, false)[0];
            batches.add(new DataSet(x, Nd4j.randn(DataType.FLOAT, y.shape())));
        }
        return new Built(c, net, batches);
    }
}
