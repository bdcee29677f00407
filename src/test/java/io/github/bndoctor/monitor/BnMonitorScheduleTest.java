package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.DiagnosisThresholds;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The monitor's schedule and wiring on tiny real training runs: the free signal is built only when
 * asked for and sees the forward pass of both network types, a confirmation waits exactly one
 * window after the last checkpoint, the confirming alarm names the worst layer, frozen layers get no
 * lag angle, a given diagnoser is the one used, and the probe time grows at every iteration without
 * exceeding the wall time.
 */
@Tag("unit")
class BnMonitorScheduleTest {
    private static final List<INDArray[]> PRECISE = ProbeFixtures.batches(Layout.NCHW, 2, 9);
    private static final INDArray PROBE = ProbeFixtures.batches(Layout.NCHW, 1, 10).get(0)[0];

    private static BnMonitor.Builder builder() {
        return BnMonitor.builder(PROBE, ProbeFixtures.labels(PROBE, 0)).failFast(false)
                .preciseData(() -> PRECISE.iterator());
    }

    private static void train(BnNetwork net, int iterations) {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.NCHW, iterations, 8);
        for (INDArray[] b : batches) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
    }

    @Test
    void theFreeSignalExistsOnlyWhenAThresholdIsSetAndItsWindowNeedsTwoIterations() {
        assertThat(builder().every(4).build().freeSignal()).isNull();
        assertThat(builder().confirmLagAbove(0).build().freeSignal()).isNotNull();
        assertThatThrownBy(() -> builder().freeSignalWindow(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("window must be >= 2 iterations, got 1");
        assertThat(builder().confirmLagAbove(0).freeSignalWindow(2).build().freeSignal().window()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void theFreeSignalCountsSamplesPerChannelFromTheForwardPass(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.NCHW);
        BnMonitor m = builder().every(1000).confirmLagAbove(1e9).freeSignalWindow(2).build();
        net.model().setListeners(m);
        train(net, 2);
        // 8 examples of 4 x 4 positions: 128 samples per channel (the batch size alone would say 8)
        for (BnLayerRef ref : net.bnLayers()) {
            assertThat(m.freeSignal().samplesPerChannel(ref.name())).isEqualTo(8L * 4 * 4);
        }
    }

    @Test
    void aConfirmationComesExactlyOneWindowAfterTheLastCheckpointAndNamesTheWorstLayer() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        // threshold 0: every reading crosses it; window 4 = the reading interval, so readings at 4, 8, 12
        // each come exactly one window after the previous checkpoint
        BnMonitor m = builder().every(1000).confirmLagAbove(0).freeSignalWindow(4).confirmationBudget(3).build();
        net.model().setListeners(m);
        train(net, 12);
        assertThat(BatchStatisticsFromUpdates.DEFAULT_READ_EVERY).isEqualTo(4);
        assertThat(m.checkpoints()).extracting(Checkpoint::iteration).containsExactly(4L, 8L, 12L);
        Alarm last = m.alarms().stream().filter(a -> a.metric().equals(BnMonitor.FREE_LAG))
                .reduce((a, b) -> b).orElseThrow();
        LagReading r = m.freeSignal().latest();
        assertThat(r.iteration()).isEqualTo(12);
        String worst = null;
        double max = Double.NEGATIVE_INFINITY;
        for (LayerDecomposition l : r.layers()) {
            if (l.lagError() > max) {
                max = l.lagError();
                worst = l.layer();
            }
        }
        assertThat(last.iteration()).isEqualTo(12);
        assertThat(last.layer()).isEqualTo(worst);
        assertThat(last.value()).isEqualTo(r.medianLagError());
    }

    @Test
    void frozenLayersGetNoLagAngleAndAGivenDiagnoserIsUsed() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW);
        BnLayerRef frozen = net.bnLayers().get(1);
        net.setDecay(frozen, 1);
        // a loss that is 42 whatever the outputs: the checkpoint's losses must be 42
        Diagnoser fixed = new Diagnoser(PopulationEstimator.POOLED, 16, (out, labels) -> 42.0,
                DiagnosisThresholds.DEFAULT);
        BnMonitor m = builder().every(20).measureLagAngle(true).diagnoser(fixed).build();
        net.model().setListeners(m);
        train(net, 20);
        Checkpoint c = m.checkpoints().get(0);
        assertThat(c.gap().trainModeLoss()).isEqualTo(42.0);
        assertThat(c.gap().evalModeLoss()).isEqualTo(42.0);
        LayerCheckpoint moving = c.layers().stream().filter(l -> !l.decomposition().layer().equals(frozen.name()))
                .findFirst().orElseThrow();
        assertThat(moving.measuredLag()).isPositive();
        assertThat(c.layers()).filteredOn(l -> l.decomposition().layer().equals(frozen.name()))
                .allSatisfy(l -> assertThat(l.measuredLag()).isNaN());
    }

    @Test
    void probeTimeGrowsAtEveryIterationAndStaysWithinTheWallTime() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        // every 7 with snapshots every 10 and the free signal at every iteration: iterations 6, 13 and
        // 20 only update the rotation, 7 and 14 are checkpoints, 10 is a snapshot alone, the others
        // only feed the free signal
        BnMonitor m = builder().every(7).measureLagAngle(true).confirmLagAbove(1e9).freeSignalWindow(2).build();
        ValueAfterHooks t = new ValueAfterHooks(m::probeNanos, false);
        net.model().setListeners(m, t);
        long t0 = System.nanoTime();
        train(net, 20);
        long wall = System.nanoTime() - t0;
        assertThat(m.checkpoints()).extracting(Checkpoint::iteration).containsExactly(7L, 14L);
        t.assertGrowsEveryTimeUpTo(20, m.probeNanos(), wall);
    }
}
