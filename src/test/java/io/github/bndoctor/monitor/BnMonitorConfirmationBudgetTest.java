package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Confirming checkpoints cannot multiply under a free signal that reads high all the time
 * (threshold 0: every reading crosses it). Schedule: a checkpoint every 8 iterations, the free
 * signal's window 2 and a reading every 4 iterations, so the candidate confirmations are at
 * 4, 12, 20, 28, 36 (readings between scheduled checkpoints, each at least one window after the
 * last checkpoint). The expected iterations are worked out by hand from the contract
 * {@code confirmations <= ceil(b (floor(t/8) + 1))}.
 */
@Tag("unit")
class BnMonitorConfirmationBudgetTest {
    private static final int EVERY = 8;
    private static final int ITERATIONS = 40;
    private static final List<INDArray[]> PRECISE = ProbeFixtures.batches(Layout.NCHW, 2, 9);
    private static final INDArray PROBE = ProbeFixtures.batches(Layout.NCHW, 1, 10).get(0)[0];

    private static BnMonitor run(double threshold, double budget) {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        BnMonitor m = BnMonitor.builder(PROBE, ProbeFixtures.labels(PROBE, 0)).failFast(false).every(EVERY)
                .measureLagAngle(false).confirmLagAbove(threshold).freeSignalWindow(2).confirmationBudget(budget)
                .preciseData(() -> PRECISE.iterator()).build();
        net.model().setListeners(m);
        for (INDArray[] b : ProbeFixtures.batches(Layout.NCHW, ITERATIONS, 8)) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return m;
    }

    private static List<Long> confirmed(BnMonitor m) {
        return m.checkpoints().stream().map(Checkpoint::iteration).filter(t -> t % EVERY != 0).toList();
    }

    @Test
    void atTheBudgetASignalThatAlwaysFiresGetsExactlyTheBudget() {
        // b = 1/2: allowed 1 by t < 8, 1 by 8..15, 2 by 16..23, 2 by 24..31, 3 by 32..39: at 4, 20, 36
        BnMonitor m = run(0, 0.5);
        assertThat(confirmed(m)).containsExactly(4L, 20L, 36L);
        assertThat(m.confirmations()).isEqualTo(3).isEqualTo(BnMonitor.confirmationsAllowed(0.5, ITERATIONS / EVERY));
        assertThat(m.alarms()).filteredOn(a -> a.metric().equals(BnMonitor.FREE_LAG)).extracting(Alarm::iteration)
                .containsExactly(4L, 20L, 36L);
        assertThat(m.checkpoints()).filteredOn(c -> c.iteration() % EVERY == 0).hasSize(ITERATIONS / EVERY);
    }

    @Test
    void belowTheThresholdOrWithNoBudgetNothingIsAdded() {
        assertThat(confirmed(run(1e9, 0.5))).isEmpty();
        BnMonitor none = run(0, 0);
        assertThat(confirmed(none)).isEmpty();
        assertThat(none.alarms()).noneMatch(a -> a.metric().equals(BnMonitor.FREE_LAG));
    }

    @Test
    void aBudgetAboveTheWindowLimitLeavesTheWindowAsTheOnlyBound() {
        // b = 10 allows 10 before the first scheduled checkpoint: the window (2) and the reading
        // interval (4) leave one confirmation at every reading between scheduled checkpoints
        BnMonitor m = run(0, 10);
        assertThat(confirmed(m)).containsExactly(4L, 12L, 20L, 28L, 36L);
    }

    @Test
    void theBoundAtAndAroundIntegers() {
        assertThat(BnMonitor.confirmationsAllowed(0.25, 0)).isEqualTo(1);
        assertThat(BnMonitor.confirmationsAllowed(0.25, 3)).isEqualTo(1);
        assertThat(BnMonitor.confirmationsAllowed(0.25, 4)).isEqualTo(2);
        assertThat(BnMonitor.confirmationsAllowed(0.25, 14)).isEqualTo(4); // 15 checkpoints in a 1,500-iteration run
        assertThat(BnMonitor.confirmationsAllowed(0, 100)).isZero();
        assertThat(BnMonitor.confirmationsAllowed(1, 4)).isEqualTo(5);
        assertThatThrownBy(() -> BnMonitor.confirmationsAllowed(-0.1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BnMonitor.builder(PROBE, PROBE).confirmationBudget(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confirmation budget");
        assertThat(BnMonitor.DEFAULT_CONFIRMATION_BUDGET).isEqualTo(0.25);
    }

    @Test
    void theBudgetAndTheScheduledCountAreValidatedAtTheirEdges() {
        assertThat(BnMonitor.confirmationsAllowed(0, 0)).isZero();
        for (double bad : new double[] {Math.nextDown(0.0), Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> BnMonitor.confirmationsAllowed(bad, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> BnMonitor.builder(PROBE, PROBE).confirmationBudget(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confirmation budget");
        }
        assertThatThrownBy(() -> BnMonitor.confirmationsAllowed(1, -1)).isInstanceOf(IllegalArgumentException.class);
        // the builder's setters return the builder
        BnMonitor.Builder b = BnMonitor.builder(PROBE, PROBE);
        assertThat(b.confirmationBudget(0)).isSameAs(b);
        assertThat(b.measureNoiseCost(false)).isSameAs(b);
    }
}
