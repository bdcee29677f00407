package io.github.bndoctor.probe;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A run's gap history on hand-made checkpoints: degraded strictly above eval/train 2, persistent
 * from half the checkpoints on and only past the warm-up window (prior weight at most e^-1), the
 * trend from the halves' mean log ratio; each boundary at, just below and just above.
 */
@Tag("unit")
class GapHistoryTest {
    static final double E1 = Math.exp(-1);

    static Checkpoint cp(long it, double evalToTrain, double priorWeight) {
        return cp(it, evalToTrain, priorWeight, evalToTrain > 1.5 ? Verdict.EMA_LAG : Verdict.HEALTHY);
    }

    static Checkpoint cp(long it, double evalToTrain, double priorWeight, Verdict v) {
        return cp(it, evalToTrain, priorWeight, v, Double.NaN);
    }

    /** One BN layer with the given prior weight and decay in force ({@code NaN}: unknown). */
    static Checkpoint cp(long it, double evalToTrain, double priorWeight, Verdict v, double decay) {
        LayerDecomposition d = new LayerDecomposition("bn", it, priorWeight, 0.1, 0, 0.1, 0.1, 0, 0);
        return new Checkpoint(it, new OutputGap(1, evalToTrain, 1),
                List.of(new LayerCheckpoint(d, 0.1, 1, Double.NaN, decay)), v);
    }

    @Test
    void degradedStrictlyAboveTwo() {
        assertThat(GapHistory.degraded(cp(1, 2, 0))).isFalse();
        assertThat(GapHistory.degraded(cp(1, Math.nextUp(2.0), 0))).isTrue();
        assertThat(GapHistory.degraded(cp(1, Double.NaN, 0))).isFalse();
    }

    @Test
    void persistentFromHalfTheCheckpointsOn() {
        // degraded at 1 of 2 so far (exactly half) at 200, 2 of 4 at 400: persistent at both
        List<Checkpoint> half = List.of(cp(100, 1, 0), cp(200, 3, 0), cp(300, 1, 0), cp(400, 3, 0));
        GapHistory h = GapHistory.of(half);
        assertThat(h.degraded()).isEqualTo(2);
        assertThat(h.degradedAtHalfOrMore()).isTrue();
        assertThat(h.firstPersistent()).isSameAs(half.get(1));
        assertThat(GapHistory.persistentAtLast(half)).isTrue();
        // 2 of 5: below half, never persistent after the first two
        List<Checkpoint> below = List.of(cp(100, 1, 0), cp(200, 1, 0), cp(300, 3, 0), cp(400, 1, 0), cp(500, 3, 0));
        assertThat(GapHistory.of(below).persistent()).isFalse();
        assertThat(GapHistory.of(below).degradedAtHalfOrMore()).isFalse();
        // 3 of 5: above half
        List<Checkpoint> above = new ArrayList<>(below);
        above.set(3, cp(400, 4, 0));
        assertThat(GapHistory.of(above).firstPersistent()).isSameAs(above.get(3));
        // the checkpoint itself must be degraded
        assertThat(GapHistory.persistentAtLast(List.of(cp(100, 3, 0), cp(200, 1, 0)))).isFalse();
    }

    @Test
    void notPersistentWithinTheWarmupWindow() {
        double justAbove = Math.nextUp(E1);
        assertThat(GapHistory.persistentAtLast(List.of(cp(100, 5, justAbove)))).isFalse();
        assertThat(GapHistory.persistentAtLast(List.of(cp(100, 5, E1)))).isTrue();
        assertThat(cp(1, 1, justAbove).withinWarmupWindow()).isTrue();
        assertThat(cp(1, 1, E1).withinWarmupWindow()).isFalse();
        // d^(1/(1-d)) <= e^-1 for decays across the range: the window 1/(1-d) ends the excuse
        for (double d : new double[] {0.5, 0.9, 0.99, 0.997, 0.9999}) {
            assertThat(Math.pow(d, 1 / (1 - d))).isLessThanOrEqualTo(E1);
        }
        // all degraded checkpoints inside the window: a warm-up run that recovered is not persistent
        List<Checkpoint> recovered = List.of(cp(100, 9, 0.7), cp(200, 6, 0.5), cp(300, 1.2, 0.3), cp(400, 1.1, 0.2));
        assertThat(GapHistory.of(recovered).persistent()).isFalse();
        assertThat(GapHistory.of(recovered).degradedAtHalfOrMore()).isTrue();
    }

    @Test
    void worstLastAndTrend() {
        // halves' mean ln ratio: ln 1 vs ln r; rising above 1.25, falling below 1/1.25
        assertThat(GapHistory.of(List.of(cp(1, 1, 0), cp(2, 1.26, 0))).trend()).isEqualTo(GapHistory.Trend.RISING);
        assertThat(GapHistory.of(List.of(cp(1, 1, 0), cp(2, 1.24, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        assertThat(GapHistory.of(List.of(cp(1, 1.26, 0), cp(2, 1, 0))).trend()).isEqualTo(GapHistory.Trend.FALLING);
        // odd count: the middle one is left out (a huge middle value changes nothing)
        assertThat(GapHistory.of(List.of(cp(1, 2, 0), cp(2, 50, 0), cp(3, 2, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        assertThat(GapHistory.of(List.of(cp(1, 2, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        GapHistory h = GapHistory.of(List.of(cp(100, 3, 0), cp(200, 7, 0), cp(300, 1.2, 0)));
        assertThat(h.worst().iteration()).isEqualTo(200);
        assertThat(h.last().iteration()).isEqualTo(300);
        assertThat(h.describe()).isEqualTo("eval/train worst 7.00 at iteration 200 (EMA_LAG), last 1.20 at iteration"
                + " 300 (HEALTHY), trend falling; above 2 at 2 of 3 checkpoints.");
        assertThatThrownBy(() -> GapHistory.of(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    static Checkpoint withDecay(long it, double decay, double priorWeight) {
        return cp(it, 1, priorWeight, Verdict.HEALTHY, decay);
    }

    @Test
    void theWarmupWindowEndsWhenTheDecayInForceHasWornTheStartDownToEToTheMinusOne() {
        // d^n against e^-1 at n = 1: d = e^-1 itself is not above it, one ulp more is
        assertThat(withDecay(1, E1, 0).withinWarmupWindow()).isFalse();
        assertThat(withDecay(1, Math.nextUp(E1), 0).withinWarmupWindow()).isTrue();
        // 0.5^1 = 0.5 is above e^-1, 0.5^2 = 0.25 below
        assertThat(withDecay(1, 0.5, 0).withinWarmupWindow()).isTrue();
        assertThat(withDecay(2, 0.5, 0).withinWarmupWindow()).isFalse();
        // frozen statistics (decay 1) wait for nothing, whatever their prior; one ulp below 1 they do
        assertThat(withDecay(10, 1, 0.9).withinWarmupWindow()).isFalse();
        assertThat(withDecay(10, Math.nextDown(1.0), 0.9).withinWarmupWindow()).isTrue();
        // decay 0 keeps nothing of the start, even at iteration 0; an unknown decay leaves the prior weight to decide
        assertThat(withDecay(0, 0, 0).withinWarmupWindow()).isFalse();
        assertThat(withDecay(0, Double.NaN, 0).withinWarmupWindow()).isFalse();
        assertThat(withDecay(0, Double.NaN, Math.nextUp(E1)).withinWarmupWindow()).isTrue();
        // the prior weight alone, at and one ulp above e^-1, where the decay has worn off
        assertThat(withDecay(100, 0.5, E1).withinWarmupWindow()).isFalse();
        assertThat(withDecay(100, 0.5, Math.nextUp(E1)).withinWarmupWindow()).isTrue();
    }

    @Test
    void theTrendAtExactlyItsFactorIsFlatAndHalvesAreMeans() {
        // ln 1.25 - ln 1 is exactly the threshold ln 1.25: neither rising nor falling
        assertThat(GapHistory.of(List.of(cp(1, 1, 0), cp(2, 1.25, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        assertThat(GapHistory.of(List.of(cp(1, 1.25, 0), cp(2, 1, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        // the halves' means, not sums: two checkpoints at 1 then two at 1.2 change by 1.2, below 1.25
        assertThat(GapHistory.of(List.of(cp(1, 1, 0), cp(2, 1, 0), cp(3, 1.2, 0), cp(4, 1.2, 0))).trend())
                .isEqualTo(GapHistory.Trend.FLAT);
        // an infinite or NaN ratio in a half gives no trend
        assertThat(GapHistory.of(List.of(cp(1, 1, 0), cp(2, Double.POSITIVE_INFINITY, 0))).trend())
                .isEqualTo(GapHistory.Trend.FLAT);
        assertThat(GapHistory.of(List.of(cp(1, 0, 0), cp(2, 3, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
        assertThat(GapHistory.of(List.of(cp(1, Double.NaN, 0), cp(2, 3, 0))).trend()).isEqualTo(GapHistory.Trend.FLAT);
    }

    @Test
    void theWorstIsTheEarliestOfEqualOnesAndNaNCountsLowest() {
        assertThat(GapHistory.of(List.of(cp(100, 3, 0), cp(200, 3, 0))).worst().iteration()).isEqualTo(100);
        assertThat(GapHistory.of(List.of(cp(100, Double.NaN, 0), cp(200, 1.5, 0))).worst().iteration()).isEqualTo(200);
        assertThat(GapHistory.of(List.of(cp(100, 1.5, 0), cp(200, Double.NaN, 0))).worst().iteration()).isEqualTo(100);
    }

    @Test
    void noCheckpointsAreRejectedAndAHistoryOfNoneIsNotDegraded() {
        assertThatThrownBy(() -> GapHistory.persistentAtLast(List.of())).isInstanceOf(IllegalArgumentException.class);
        // a history built by hand over no checkpoints: 0 degraded is not half of 0
        assertThat(new GapHistory(0, 0, null, null, GapHistory.Trend.FLAT, null).degradedAtHalfOrMore()).isFalse();
        // one degraded of two is half
        assertThat(new GapHistory(2, 1, null, null, GapHistory.Trend.FLAT, null).degradedAtHalfOrMore()).isTrue();
        assertThat(new GapHistory(3, 1, null, null, GapHistory.Trend.FLAT, null).degradedAtHalfOrMore()).isFalse();
    }
}
