package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The free lag signal's life cycle around the numbers: argument limits, nothing before the first
 * gradient, frozen layers left out, the prior age switched off by {@code priorFree}, a fresh start
 * when the listener moves to another network, and its own time accounting (every hook adds a
 * positive time, the sum never exceeds the wall time of the training around it).
 */
@Tag("unit")
class BatchStatisticsFromUpdatesLifecycleTest {
    private static BnNetwork net(NetworkKind kind, double decay) {
        return TinyBnNetworks.twoBlocks(kind, Layout.DENSE, 2, 3, 1, decay, VarianceParameterisation.LOG10_STDEV,
                new Adam(1e-2), 7);
    }

    private static void fit(BnNetwork net, GaussianBatches g, int steps) {
        for (int i = 0; i < steps; i++) {
            INDArray x = g.next();
            net.fit(new DataSet(x, ProbeFixtures.labels(x, i)));
        }
    }

    private static GaussianBatches data(long seed) {
        return new GaussianBatches(Layout.DENSE, 8, 1, 1, new double[] {0.5, -1}, new double[] {1, 2}, seed);
    }

    @Test
    void theWindowNeedsTwoIterationsAndTheDefaultsReadOnRequest() {
        assertThatThrownBy(() -> new BatchStatisticsFromUpdates(1, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("window must be >= 2 iterations, got 1");
        assertThatThrownBy(() -> new BatchStatisticsFromUpdates(0, 1, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
        assertThat(new BatchStatisticsFromUpdates(2, false, null).window()).isEqualTo(2);
        assertThat(new BatchStatisticsFromUpdates(3, 1, false, null).window()).isEqualTo(3);
        BatchStatisticsFromUpdates d = BatchStatisticsFromUpdates.defaults();
        assertThat(d.window()).isEqualTo(32);
        assertThat(d.readEvery()).isEqualTo(1);
        assertThat(d.latest()).isNull();
    }

    @Test
    void nothingIsReadBeforeTheFirstGradient() {
        BnNetwork net = net(NetworkKind.MULTI_LAYER, 0.9);
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(2, false, r -> {
            throw new AssertionError("no reading without a gradient");
        });
        assertThat(free.latest()).isNull();
        free.iterationDone(net.model(), 5, 0);
        assertThat(free.latest()).isNull();
        assertThat(free.nanos()).isZero();
    }

    @Test
    void frozenLayersAreLeftOutAndPriorFreeDropsThePriorAge() {
        BnNetwork net = net(NetworkKind.GRAPH, 0.9);
        BnLayerRef first = net.bnLayers().get(0);
        BnLayerRef second = net.bnLayers().get(1);
        net.setDecay(second, 1);
        List<LagReading> prior = new ArrayList<>();
        List<LagReading> free = new ArrayList<>();
        net.model().addListeners(new BatchStatisticsFromUpdates(2, false, prior::add),
                new BatchStatisticsFromUpdates(2, true, free::add));
        fit(net, data(3), 3);
        assertThat(prior).extracting(LagReading::iteration).containsExactly(2L, 3L);
        LayerDecomposition withPrior = prior.get(1).layers().get(0);
        LayerDecomposition without = free.get(1).layers().get(0);
        assertThat(prior.get(1).layers()).extracting(LayerDecomposition::layer).containsExactly(first.name());
        assertThat(withPrior.iterations()).isEqualTo(3);
        assertThat(withPrior.priorWeight()).isEqualTo(0.9 * 0.9 * 0.9);
        assertThat(without.iterations()).isEqualTo(Long.MAX_VALUE);
        assertThat(without.priorWeight()).isZero();

        // every layer frozen: no reading at all
        BnNetwork frozen = net(NetworkKind.MULTI_LAYER, 1.0);
        List<LagReading> none = new ArrayList<>();
        BatchStatisticsFromUpdates listener = new BatchStatisticsFromUpdates(2, false, none::add);
        frozen.model().addListeners(listener);
        fit(frozen, data(4), 3);
        assertThat(none).isEmpty();
        assertThat(listener.latest()).isNull();
    }

    @Test
    void movingToAnotherNetworkStartsAFreshWindow() {
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(2, false, null);
        BnNetwork a = net(NetworkKind.MULTI_LAYER, 0.9);
        a.model().addListeners(free);
        fit(a, data(5), 3);
        String aLayer = a.bnLayers().get(0).name();
        assertThat(free.latest().iteration()).isEqualTo(3);
        assertThat(free.samplesPerChannel(aLayer)).isEqualTo(8);
        assertThat(free.latestBatch(aLayer)).isNotNull();

        // the same architecture, same layer names: one iteration does not fill a new window
        BnNetwork twin = net(NetworkKind.MULTI_LAYER, 0.9);
        twin.model().addListeners(free);
        fit(twin, data(6), 1);
        assertThat(free.latest()).isNull();
        fit(twin, data(7), 1);
        assertThat(free.latest()).isNotNull();

        // another network with other layer names: nothing of the old one is left
        BnNetwork graph = net(NetworkKind.GRAPH, 0.9);
        assertThat(graph.bnLayers()).extracting(BnLayerRef::name).doesNotContain(aLayer);
        graph.model().addListeners(free);
        fit(graph, data(8), 1);
        assertThat(free.samplesPerChannel(aLayer)).isNull();
        assertThat(free.latestBatch(aLayer)).isNull();
        assertThat(free.samplesPerChannel(graph.bnLayers().get(0).name())).isEqualTo(8);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void everyHookAddsItsOwnPositiveTimeAndTheSumStaysWithinTheWallTime(NetworkKind kind) {
        for (boolean callback : new boolean[] {true, false}) {
            BnNetwork net = net(kind, 0.9);
            BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(2, false, callback ? r -> { } : null);
            ValueAfterHooks rec = new ValueAfterHooks(free::nanos, true);
            net.model().addListeners(free, rec);
            long t0 = System.nanoTime();
            fit(net, data(9), 4);
            long wall = System.nanoTime() - t0;
            // forward pass, gradient, iteration done: three hooks per iteration, each adding time
            rec.assertGrowsEveryTimeUpTo(12, free.nanos(), wall);
            long previous = free.nanos();
            if (!callback) {
                // the reading is computed on request, timed too, and only once
                long beforeRead = System.nanoTime();
                LagReading r = free.latest();
                long readWall = System.nanoTime() - beforeRead;
                assertThat(r.iteration()).isEqualTo(4);
                assertThat(free.nanos()).isGreaterThan(previous).isLessThanOrEqualTo(previous + readWall);
                long once = free.nanos();
                assertThat(free.latest()).isSameAs(r);
                assertThat(free.nanos()).isEqualTo(once);
            }
        }
    }
}
