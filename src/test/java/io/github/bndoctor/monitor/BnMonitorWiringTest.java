package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * How the monitor wires its parts, in a real DL4J training loop: the prior age handed to the
 * decomposition (the iteration count, or none after a warm start), the checkpoint schedule, the
 * policy it applies, the callback, the precise-data iterator reset and fail-fast off.
 */
@Tag("unit")
class BnMonitorWiringTest {
    static final int EVERY = 4;
    static final int ITERATIONS = 8;

    private static List<Checkpoint> train(BnMonitor.Builder builder) {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        BnMonitor m = builder.build();
        net.model().setListeners(m);
        for (INDArray[] b : ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8)) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        assertThat(m.every()).isEqualTo(EVERY);
        assertThat(m.probeNanos()).isPositive();
        return m.checkpoints();
    }

    private static BnMonitor.Builder builder() {
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 2, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        return BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).failFast(false)
                .preciseData(() -> precise.iterator());
    }

    @Test
    void thePriorAgeIsTheIterationCountUnlessWarmStarted() {
        List<Checkpoint> plain = train(builder());
        assertThat(plain).extracting(Checkpoint::iteration).containsExactly(4L, 8L);
        for (Checkpoint c : plain) {
            LayerDecomposition d = c.layers().get(0).decomposition();
            assertThat(d.iterations()).isEqualTo(c.iteration());
            // decay 0.9: the prior keeps weight 0.9^n
            assertThat(d.priorWeight()).isCloseTo(Math.pow(0.9, c.iteration()), within(1e-12));
            assertThat(d.warmupError()).isPositive();
        }
        List<Checkpoint> warm = train(builder().warmStarted());
        for (Checkpoint c : warm) {
            LayerDecomposition d = c.layers().get(0).decomposition();
            assertThat(d.iterations()).isEqualTo(Long.MAX_VALUE);
            assertThat(d.priorWeight()).isZero();
            assertThat(d.warmupError()).isZero();
        }
    }

    /** Two precise batches of 9 examples in an iterator that counts its resets in {@code resets[0]}. */
    private static ListDataSetIterator<DataSet> countingResets(int[] resets) {
        List<DataSet> ds = new ArrayList<>();
        for (INDArray[] b : ProbeFixtures.batches(Layout.DENSE, 2, 9)) {
            ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return new ListDataSetIterator<>(ds, 1) {
            @Override
            public void reset() {
                resets[0]++;
                super.reset();
            }
        };
    }

    @Test
    void aWarmStartedRunReadsThePreciseDataOnlyAtCheckpoints() {
        int[] resets = {0};
        ListDataSetIterator<DataSet> it = countingResets(resets);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE);
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).preciseData(it)
                .warmStarted().build();
        net.model().setListeners(m);
        for (INDArray[] b : ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8)) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        // no prior, no twin to build: one reset per checkpoint only
        assertThat(m.checkpoints()).hasSize(2);
        assertThat(resets[0]).isEqualTo(2);
    }

    @Test
    void thePolicyCallbackAndIteratorResetAreWired() {
        List<Long> seen = new ArrayList<>();
        // every checkpoint warns: a negative predicted-lag threshold is crossed by any known rotation
        AlarmPolicy warnAll = new AlarmPolicy(Threshold.warnOnly(Double.POSITIVE_INFINITY),
                Threshold.warnOnly(-1), Threshold.warnOnly(Double.POSITIVE_INFINITY));
        int[] resets = {0};
        ListDataSetIterator<DataSet> it = countingResets(resets);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE);
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).policy(warnAll)
                .preciseData(it).onCheckpoint(c -> seen.add(c.iteration())).build();
        net.model().setListeners(m);
        for (INDArray[] b : ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8)) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        assertThat(seen).containsExactly(4L, 8L);
        // one reset per checkpoint, and one on the first iteration: the prior is present, so the monitor
        // measures what a warm start would have written (the warm-started twin's start)
        assertThat(resets[0]).isEqualTo(3);
        assertThat(m.alarms()).extracting(Alarm::iteration).containsExactly(4L, 8L);
        assertThat(m.alarms()).allMatch(a -> a.metric().equals(AlarmPolicy.EMA_LAG) && a.level() == AlarmLevel.WARN);
        assertThat(m.checkpoints()).hasSize(2);
        // the lists handed out are read-only views
        assertThatThrownBy(() -> m.alarms().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.checkpoints().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theIntervalIsValidatedAndRequiresPreciseData() {
        BnMonitor.Builder b = BnMonitor.builder(Nd4j.zeros(1, 2), Nd4j.zeros(1, 2));
        assertThatThrownBy(() -> b.every(1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 1");
        assertThat(b.every(2)).isSameAs(b);
        assertThatThrownBy(b::build).isInstanceOf(NullPointerException.class).hasMessageContaining("preciseData");
        assertThat(BnMonitor.builder(Nd4j.zeros(1, 2), Nd4j.zeros(1, 2)).preciseData(() -> null).build().every())
                .isEqualTo(BnMonitor.DEFAULT_EVERY);
    }
}
