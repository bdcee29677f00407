package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.ChannelMoments;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Batch statistics recovered from DL4J's moving-statistics updates, checked on real training
 * iterations against {@link BatchStatisticsCapture} run on the same batch at the same weights
 * just before {@code fit} (a separate forward pass, statistics in double precision).
 *
 * <p>Error bound per channel, {@code u = 2^-24}, {@code m} samples per channel, {@code b} the captured
 * statistic, {@code p} the stored parameter before the update, {@code s2 = var + mean^2}:
 * <ul>
 *   <li>DL4J's float batch mean: recursive summation, {@code <= (m+1) u E|x| <= (m+1) u sqrt(s2)};</li>
 *   <li>DL4J's float batch variance: {@code <= 4(m+2) u s2}, the bound of the one-pass formula, which
 *       two-pass and Welford reductions do not exceed;</li>
 *   <li>inverting a {@code (1-d)(p - b)} gradient: {@code 3u|p - b|} (three float roundings, not
 *       amplified);</li>
 *   <li>inverting a {@code log10stdev} gradient: {@code 16u v_new/(1-d)} (float pow, square, EMA, ratio
 *       and log, amplified by the division by {@code 1-d}).</li>
 * </ul>
 * The moving statistics are warm-started from one batch, as {@code WarmStart} does, so {@code v_new}
 * is of the order of the batch variance rather than the prior 1.
 * The tolerance is twice the sum (second-order terms) and is itself asserted to stay below
 * {@code 2e-3 max(var, v_new)}: far below the effects that would go unnoticed otherwise, the Bessel factor
 * {@code m/(m-1)} (0.8% at m = 128, 14% at m = 8) and {@code eps} (asserted above 5x the tolerance on the
 * first layer, whose inputs are scaled down so that {@code eps = 1e-5} is a visible share of the variance).
 */
@Tag("unit")
class BatchStatisticsFromUpdatesTest {
    private static final double U = Math.ulp(1.0f) / 2;
    private static final int STEPS = 5;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (NetworkKind kind : NetworkKind.values()) {
            for (Layout layout : new Layout[] {Layout.DENSE, Layout.NCHW}) {
                for (VarianceParameterisation p : VarianceParameterisation.values()) {
                    for (double decay : new double[] {0.9, 0.997}) {
                        out.add(Arguments.of(kind, layout, p, decay));
                    }
                }
            }
        }
        return out.stream();
    }

    private static BnNetwork net(NetworkKind kind, Layout layout, VarianceParameterisation p, double decay) {
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 3, layout == Layout.DENSE ? 1 : 4, decay, p, new Adam(1e-2), 7);
    }

    private static GaussianBatches data(Layout layout, long seed) {
        int s = layout == Layout.DENSE ? 1 : 4;
        // small inputs: the first BN layer's variance is ~1e-4, so eps = 1e-5 is a visible share of it
        return new GaussianBatches(layout, 8, s, s, new double[] {0.005, -0.01}, new double[] {0.01, 0.02}, seed);
    }

    /**
     * Moving statistics set to one batch's statistics (what a warm start does): the log10stdev bound
     * scales with the moving variance, which would otherwise start at the prior 1, far above the
     * ~1e-4 variance of the first layer.
     */
    private static void warmStart(BnNetwork net, INDArray x) {
        Map<String, MeanVariance> stats = new LinkedHashMap<>();
        BatchStatisticsCapture.capture(net, new INDArray[] {x}, true).forEach((k, v) -> stats.put(k, v.meanVariance()));
        MovingStatistics.writeAll(net, stats);
    }

    /** Records the BN parameters each hook sees, to pin down when DL4J updates them. */
    private static final class HookProbe extends BaseTrainingListener {
        final Map<String, ParameterSnapshot> seen = new LinkedHashMap<>();

        @Override
        public void onGradientCalculation(Model model) {
            seen.put("onGradientCalculation", ParameterSnapshot.of(BnNetwork.of(model)));
        }

        @Override
        public void onBackwardPass(Model model) {
            seen.put("onBackwardPass", ParameterSnapshot.of(BnNetwork.of(model)));
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            seen.put("iterationDone", ParameterSnapshot.of(BnNetwork.of(model)));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recoversEachIterationsBatchStatisticsExactlyUpToFloatError(NetworkKind kind, Layout layout,
                                                                   VarianceParameterisation p, double decay) {
        BnNetwork net = net(kind, layout, p, decay);
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(4, false, r -> { });
        HookProbe hooks = new HookProbe();
        net.model().addListeners(hooks, free);
        GaussianBatches g = data(layout, 3);
        warmStart(net, g.next());
        for (int step = 0; step < STEPS; step++) {
            INDArray x = g.next();
            Map<String, BatchStatistics> captured = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
            Map<String, MeanVariance> before = MovingStatistics.readAll(net);
            ParameterSnapshot beforeParams = ParameterSnapshot.of(net);
            net.fit(new DataSet(x, ProbeFixtures.labels(x, step)));
            // the hooks: parameters are untouched until after onGradientCalculation, updated by iterationDone
            assertThat(hooks.seen.get("onBackwardPass").isIdenticalTo(beforeParams)).isTrue();
            assertThat(hooks.seen.get("onGradientCalculation").isIdenticalTo(beforeParams)).isTrue();
            assertThat(hooks.seen.get("iterationDone").isIdenticalTo(ParameterSnapshot.of(net))).isTrue();
            assertThat(hooks.seen.get("iterationDone").isIdenticalTo(beforeParams)).isFalse();
            int layerNo = 0;
            for (BnLayerRef ref : net.bnLayers()) {
                BatchStatistics cap = captured.get(ref.name());
                MeanVariance got = free.latestBatch(ref.name());
                assertThat(free.samplesPerChannel(ref.name())).isEqualTo(cap.samplesPerChannel());
                double[] tolVar = assertRecovered(ref.name() + " step " + step, cap, got, before.get(ref.name()),
                        decay, p);
                if (layerNo == 0) {
                    for (double t : tolVar) {
                        assertThat(ref.eps()).as("eps visible against the tolerance").isGreaterThan(5 * t);
                    }
                }
                layerNo++;
            }
        }
    }

    /**
     * Asserts the recovered statistics against the captured ones within the bound of the class notes.
     *
     * @param what layer and step, for the messages
     * @param cap the forward-pass capture
     * @param got the recovered batch statistics
     * @param before the moving statistics before the update
     * @param decay the decay the update used
     * @param p the variance parameterisation
     * @return the variance tolerance per channel
     */
    static double[] assertRecovered(String what, BatchStatistics cap, MeanVariance got, MeanVariance before,
                                    double decay, VarianceParameterisation p) {
        long m = cap.samplesPerChannel();
        double[] bm = cap.moments().mean();
        double[] bv = cap.moments().biasedVariance();
        double[] pm = before.mean();
        double[] pv = before.variance();
        double[] tolVars = new double[bm.length];
        for (int c = 0; c < bm.length; c++) {
            double s2 = bv[c] + bm[c] * bm[c];
            double tolMean = 2 * ((m + 1) * U * Math.sqrt(s2) + 3 * U * Math.abs(pm[c] - bm[c]));
            double vNew = decay * pv[c] + (1 - decay) * bv[c];
            double inversion = p == VarianceParameterisation.VAR ? 3 * U * Math.abs(pv[c] - bv[c])
                    : 16 * U * vNew / (1 - decay);
            double tolVar = 2 * (4 * (m + 2) * U * s2 + inversion);
            assertThat(tolVar).as("tolerance bounded above").isLessThan(2e-3 * Math.max(bv[c], vNew));
            assertThat(tolMean).as("tolerance bounded above").isLessThan(2e-3 * Math.sqrt(bv[c]));
            assertThat(got.mean()[c]).as("%s channel %d mean at decay %s", what, c, decay).isCloseTo(bm[c], within(tolMean));
            assertThat(got.variance()[c]).as("%s channel %d variance at decay %s", what, c, decay)
                    .isCloseTo(bv[c], within(tolVar));
            tolVars[c] = tolVar;
        }
        return tolVars;
    }

    /** Readings at every multiple of readEvery once the window is full, none between; bounds of the interval. */
    @Test
    void readsOnlyAtMultiplesOfTheReadingInterval() {
        BnNetwork net = net(NetworkKind.GRAPH, Layout.NCHW, VarianceParameterisation.LOG10_STDEV, 0.997);
        List<LagReading> readings = new ArrayList<>();
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(2, 3, false, readings::add);
        net.model().addListeners(free);
        GaussianBatches g = data(Layout.NCHW, 9);
        for (int step = 1; step <= 10; step++) {
            INDArray x = g.next();
            net.fit(new DataSet(x, ProbeFixtures.labels(x, step)));
        }
        assertThat(readings).extracting(LagReading::iteration).containsExactly(3L, 6L, 9L);
        assertThat(free.latest().iteration()).isEqualTo(9L);
        assertThat(free.readEvery()).isEqualTo(3);
        assertThatThrownBy(() -> new BatchStatisticsFromUpdates(2, 0, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readEvery");
        assertThat(new BatchStatisticsFromUpdates(2, 1, false, null).readEvery()).isEqualTo(1);
    }

    @Test
    void readsEmaErrorAgainstTheWindowOfRecoveredBatches() {
        int window = 4;
        BnNetwork net = net(NetworkKind.GRAPH, Layout.NCHW, VarianceParameterisation.LOG10_STDEV, 0.997);
        List<LagReading> readings = new ArrayList<>();
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(window, false, readings::add);
        net.model().addListeners(free);
        GaussianBatches g = data(Layout.NCHW, 5);
        warmStart(net, g.next());
        Map<String, Deque<ChannelMoments>> capturedWindow = new LinkedHashMap<>();
        Map<String, BatchStatistics> last = null;
        for (int step = 1; step <= 7; step++) {
            INDArray x = g.next();
            last = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
            for (Map.Entry<String, BatchStatistics> e : last.entrySet()) {
                Deque<ChannelMoments> d = capturedWindow.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>());
                d.addLast(e.getValue().moments());
                if (d.size() > window) {
                    d.removeFirst();
                }
            }
            net.fit(new DataSet(x, ProbeFixtures.labels(x, step)));
            // no reading until the window is full, one per iteration after
            assertThat(readings).hasSize(Math.max(0, step - window + 1));
        }
        LagReading r = free.latest();
        assertThat(r.iteration()).isEqualTo(7);
        for (BnLayerRef ref : net.bnLayers()) {
            // independent route: the captured moments of the last `window` batches, pooled (all samples together)
            ChannelMoments all = capturedWindow.get(ref.name()).stream().reduce(ChannelMoments::combine).orElseThrow();
            MeanVariance pooled = new MeanVariance(all.mean(), all.biasedVariance());
            // warm-started before the listener first saw the network: no prior left to weigh
            LayerDecomposition expected = LayerDecomposition.of(ref, Long.MAX_VALUE, 0, MovingStatistics.read(net, ref),
                    pooled, last.get(ref.name()).meanVariance());
            LayerDecomposition got = r.layers().stream().filter(l -> l.layer().equals(ref.name())).findFirst().orElseThrow();
            // the median is 1-Lipschitz; per channel the distance moves by <= dmu/sigma + dv/v (1 + shift/2):
            // with dmu/sigma, dv/v <= 2e-3 (the bounds above) and shifts below 10, 1e-2 covers it
            double tol = 1e-2 * Math.max(1, expected.emaError());
            assertThat(got.emaError()).isCloseTo(expected.emaError(), within(tol));
            assertThat(got.lagError()).isCloseTo(expected.lagError(), within(tol));
            assertThat(got.warmupError()).isCloseTo(expected.warmupError(), within(tol));
            assertThat(got.batchNoise()).isCloseTo(expected.batchNoise(), within(tol));
            assertThat(got.priorWeight()).isZero();
        }
        assertThat(r.medianEmaError()).isGreaterThan(0);
    }

    @Test
    void changesNothing() {
        BnNetwork plain = net(NetworkKind.MULTI_LAYER, Layout.NCHW, VarianceParameterisation.LOG10_STDEV, 0.9);
        BnNetwork watched = net(NetworkKind.MULTI_LAYER, Layout.NCHW, VarianceParameterisation.LOG10_STDEV, 0.9);
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(2, false, null); // readings on request
        watched.model().addListeners(free);
        GaussianBatches g1 = data(Layout.NCHW, 9);
        GaussianBatches g2 = data(Layout.NCHW, 9);
        for (int i = 0; i < 6; i++) {
            INDArray a = g1.next();
            INDArray b = g2.next();
            plain.fit(new DataSet(a, ProbeFixtures.labels(a, i)));
            watched.fit(new DataSet(b, ProbeFixtures.labels(b, i)));
        }
        assertThat(ParameterSnapshot.of(watched).isIdenticalTo(ParameterSnapshot.of(plain))).isTrue();
        assertThat(free.latest().iteration()).isEqualTo(6);
        assertThat(free.latest()).isSameAs(free.latest());
    }
}
