package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.NonFiniteStatisticsException;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Precise BN with several batches in forward passes at once: the moving statistics written have the
 * serial pass's bits (the per-batch statistics are combined in batch order), every other parameter
 * is untouched, and the worker threads are gone when the call returns.
 */
@Tag("unit")
class PreciseBnParallelismTest {
    /** Batches of 8; 7 of them, divisible by neither 2 nor 3. */
    private static final int BATCHES = 7;

    /**
     * Network kind, parameterisation and layout in a half fraction of their 2 x 2 x 2 combinations: every
     * pair of levels of any two factors occurs once (the parallel path shares the serial path's arithmetic
     * and writing, so what could differ is reading batches and combining them, not a factor's interaction).
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(NetworkKind.MULTI_LAYER, VarianceParameterisation.VAR, Layout.NCHW),
                Arguments.of(NetworkKind.MULTI_LAYER, VarianceParameterisation.LOG10_STDEV, Layout.DENSE),
                Arguments.of(NetworkKind.GRAPH, VarianceParameterisation.VAR, Layout.DENSE),
                Arguments.of(NetworkKind.GRAPH, VarianceParameterisation.LOG10_STDEV, Layout.NCHW));
    }

    private static BnNetwork net(NetworkKind kind, VarianceParameterisation p, Layout layout) {
        int size = layout == Layout.DENSE ? 1 : 4;
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 4, size, 0.9, p, new Adam(1e-2), 5);
    }

    private static DataSetIterator iterator(List<INDArray[]> batches) {
        List<DataSet> ds = new ArrayList<>();
        for (INDArray[] b : batches) {
            ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return new ListDataSetIterator<>(ds, 1);
    }

    /** Parameters by name, moving statistics left out. */
    private static Map<String, ParameterSnapshot> nonStatistics(BnNetwork net) {
        Map<String, ParameterSnapshot> out = new java.util.TreeMap<>();
        net.model().paramTable().forEach((name, value) -> {
            if (!name.endsWith("_mean") && !name.endsWith("_var") && !name.endsWith("_log10stdev")) {
                out.put(name, ParameterSnapshot.of(value.dup().reshape(value.length())));
            }
        });
        return out;
    }

    private static boolean workerAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("bn-doctor-precise-") && t.isAlive());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void writesTheSerialPassBitsWithAnyParallelism(NetworkKind kind, VarianceParameterisation p, Layout layout) {
        BnNetwork original = net(kind, p, layout);
        List<INDArray[]> data = ProbeFixtures.batches(layout, BATCHES, 17);
        Map<String, ParameterSnapshot> others = nonStatistics(original);
        // all batches (the last one whole) with each estimator, and a sample count reached after 3 of the 7
        for (int samples : new int[] {BATCHES * 8 - 3, 17}) {
            for (PopulationEstimator estimator : samples == 17 ? new PopulationEstimator[] {PopulationEstimator.POOLED}
                    : PopulationEstimator.values()) {
                BnNetwork serial = original.copy();
                Map<String, MeanVariance> expected = PreciseBn.recalibrate(serial, iterator(data), samples, estimator, 1);
                ParameterSnapshot expectedParams = ParameterSnapshot.of(serial);
                assertThat(ParameterSnapshot.of(serial).isIdenticalTo(ParameterSnapshot.of(original)))
                        .as("the serial pass wrote something").isFalse();
                // parallelism 1 is the serial path itself (the expected values above)
                for (int n : new int[] {2, 3}) {
                    BnNetwork net = original.copy();
                    Map<String, MeanVariance> got = PreciseBn.recalibrate(net, iterator(data), samples, estimator, n);
                    String what = kind + " " + p + " " + layout + " samples " + samples + " " + estimator + " n=" + n;
                    assertThat(got.keySet()).as(what).containsExactlyElementsOf(expected.keySet());
                    for (String layer : expected.keySet()) {
                        assertThat(got.get(layer).mean()).as(what + " mean " + layer)
                                .isEqualTo(expected.get(layer).mean());
                        assertThat(got.get(layer).variance()).as(what + " variance " + layer)
                                .isEqualTo(expected.get(layer).variance());
                    }
                    ParameterSnapshot params = ParameterSnapshot.of(net);
                    assertThat(params.firstDifference(expectedParams)).as(what + ": written parameters").isEqualTo(-1);
                    Map<String, ParameterSnapshot> after = nonStatistics(net);
                    assertThat(after.keySet()).isEqualTo(others.keySet());
                    after.forEach((name, s) -> assertThat(s.isIdenticalTo(others.get(name)))
                            .as(what + ": " + name + " untouched").isTrue());
                    assertThat(workerAlive()).as(what + ": workers ended").isFalse();
                }
            }
        }
        assertThat(nonStatistics(original).keySet()).isEqualTo(others.keySet());
    }

    /** A pass that fails on some thread fails the call as the serial pass does, and writes nothing. */
    @Test
    void aFailingBatchFailsTheCallAndLeavesTheNetworkBitIdentical() {
        BnNetwork net = net(NetworkKind.GRAPH, VarianceParameterisation.LOG10_STDEV, Layout.NCHW);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        List<INDArray[]> data = ProbeFixtures.batches(Layout.NCHW, BATCHES, 5);
        data.get(4)[0].putScalar(new long[] {1, 0, 1, 1}, Double.NaN);
        for (int n : new int[] {1, 2, 3}) {
            assertThatThrownBy(() -> PreciseBn.recalibrate(net, iterator(data), BATCHES * 8,
                    PopulationEstimator.POOLED, n)).as("n=" + n).isInstanceOf(NonFiniteStatisticsException.class);
            assertThat(ParameterSnapshot.of(net).firstDifference(before)).as("n=" + n).isEqualTo(-1);
            assertThat(workerAlive()).isFalse();
        }
    }

    @Test
    void parallelismBelowOneIsRejected() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, iterator(ProbeFixtures.batches(Layout.DENSE, 2, 1)), 16,
                PopulationEstimator.POOLED, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parallelism");
        assertThat(PreciseBn.defaultParallelism()).isBetween(1, PreciseBn.MAX_DEFAULT_PARALLELISM);
    }

    /** {@code diagnose --model}'s route: a diagnoser's precise statistics with parallelism, bit for bit the serial ones. */
    @Test
    void diagnoserPreciseStatisticsWithParallelismAreTheSerialOnes() {
        BnNetwork net = net(NetworkKind.GRAPH, VarianceParameterisation.VAR, Layout.NCHW);
        List<INDArray[]> data = ProbeFixtures.batches(Layout.NCHW, BATCHES, 23);
        io.github.bndoctor.probe.Diagnoser d = new io.github.bndoctor.probe.Diagnoser(PopulationEstimator.POOLED,
                BATCHES * 8, io.github.bndoctor.probe.LossMeasure.MSE, io.github.bndoctor.probe.DiagnosisThresholds.DEFAULT);
        Map<String, MeanVariance> serial = d.preciseStatistics(net, data.iterator());
        for (int n : new int[] {2, 3}) {
            Map<String, MeanVariance> got = d.withPreciseParallelism(n).preciseStatistics(net, data.iterator());
            serial.forEach((layer, mv) -> {
                assertThat(got.get(layer).mean()).as("n=" + n + " " + layer).isEqualTo(mv.mean());
                assertThat(got.get(layer).variance()).as("n=" + n + " " + layer).isEqualTo(mv.variance());
            });
        }
        assertThatThrownBy(() -> d.withPreciseParallelism(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
