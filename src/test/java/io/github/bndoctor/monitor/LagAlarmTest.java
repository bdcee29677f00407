package io.github.bndoctor.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The lag alarm's two roles on synthetic checkpoints: each cheap signal at, one ulp below and one
 * ulp above its threshold (warnings are strict, the confirmation inclusive), NaN signals never warn,
 * the state alarm needs both the warning and the probe's eval/precise confirmation, and it does not
 * read eval/train.
 */
@Tag("unit")
class LagAlarmTest {
    private static final LagAlarm P = new LagAlarm(0.2, 7, 11, 2);

    /** A checkpoint of three layers with the given predicted and measured lags (median: the middle one). */
    private static Checkpoint at(double predicted, double measured, OutputGap gap) {
        return new Checkpoint(50, gap, List.of(layer(predicted - 1, measured - 1), layer(predicted, measured),
                layer(predicted + 1, measured + 1)), Verdict.EMA_LAG);
    }

    private static LayerCheckpoint layer(double predicted, double measured) {
        return new LayerCheckpoint(new LayerDecomposition("l", 10, 0.5, 0.9, 0.01, 0.8, 0.02, 0.03, 0.04), 0.1, predicted,
                measured, 0.997);
    }

    private static final OutputGap HEALTHY = new OutputGap(1, 1, 1);

    @Test
    void eachCheapSignalWarnsStrictlyAboveItsThreshold() {
        assertThat(P.warns(0.2, at(0, 0, HEALTHY))).isFalse();
        assertThat(P.warns(Math.nextDown(0.2), at(0, 0, HEALTHY))).isFalse();
        assertThat(P.warns(Math.nextUp(0.2), at(0, 0, HEALTHY))).isTrue();
        assertThat(P.warns(0, at(7, 0, HEALTHY))).isFalse();
        assertThat(P.warns(0, at(Math.nextDown(7.0), 0, HEALTHY))).isFalse();
        assertThat(P.warns(0, at(Math.nextUp(7.0), 0, HEALTHY))).isTrue();
        assertThat(P.warns(0, at(0, 11, HEALTHY))).isFalse();
        assertThat(P.warns(0, at(0, Math.nextDown(11.0), HEALTHY))).isFalse();
        assertThat(P.warns(0, at(0, Math.nextUp(11.0), HEALTHY))).isTrue();
    }

    @Test
    void missingSignalsNeverWarn() {
        Checkpoint none = at(Double.NaN, Double.NaN, HEALTHY);
        assertThat(none.medianPredictedLag()).isNaN();
        assertThat(P.warns(Double.NaN, none)).isFalse();
        assertThat(P.warns(1, none)).isTrue();
        LagAlarm off = new LagAlarm(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 2);
        assertThat(off.warns(Double.MAX_VALUE, at(1e300, 1e300, HEALTHY))).isFalse();
    }

    @Test
    void stateAlarmIsTheWarningConfirmedByEvalOverPrecise() {
        // eval/precise exactly 2 (precise loss 1), eval/train 1: the confirmation reads eval/precise only
        OutputGap emaGap = new OutputGap(2, 2, 1);
        OutputGap below = new OutputGap(2, Math.nextDown(2.0), 1);
        assertThat(P.confirms(at(0, 0, emaGap))).isTrue();
        assertThat(P.confirms(at(0, 0, below))).isFalse();
        assertThat(P.alarms(1, at(0, 0, emaGap))).isTrue();
        assertThat(P.alarms(1, at(0, 0, below))).isFalse();
        // confirmed but not warned: no alarm
        assertThat(P.alarms(0, at(0, 0, emaGap))).isFalse();
        // eval/train 10 with eval/precise 1 (batch noise): warned, not confirmed
        assertThat(P.alarms(1, at(0, 0, new OutputGap(0.1, 1, 1)))).isFalse();
    }

    @Test
    void calibratedThresholdsAreTheDocumentedOnes() {
        assertThat(LagAlarm.CALIBRATED).isEqualTo(new LagAlarm(0.16, 9, 5.4, 2.1, 1.3, 2.0));
        assertThat(new LagAlarm(0.16, 9, 5.4, 2.1)).isEqualTo(new LagAlarm(0.16, 9, 5.4, 2.1, 0, Double.POSITIVE_INFINITY));
    }

    @Test
    void rejectsNegativeOrNaNThresholds() {
        assertThatThrownBy(() -> new LagAlarm(-1e-9, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagAlarm(1, Double.NaN, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagAlarm(1, 1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagAlarm(1, 1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new LagAlarm(0, 0, 0, Double.MIN_VALUE).freeLag()).isZero();
        assertThatThrownBy(() -> new LagAlarm(1, 1, 1, 1, -1e-9, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagAlarm(1, 1, 1, 1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagAlarm(1, 1, 1, 1, Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new LagAlarm(0, 0, 0, 1, 0, Double.MIN_VALUE).supportRatio()).isZero();
    }

    /** Support 1.3, alone 2: the calibrated shape with the synthetic cheap thresholds of {@link #P}. */
    private static final LagAlarm S = new LagAlarm(0.2, 7, 11, 2, 1.3, 2);

    /** A checkpoint at {@code iteration} whose three layers hold decay {@code d}; eval/precise {@code ep}. */
    private static Checkpoint at(long iteration, double d, double ep) {
        List<LayerCheckpoint> layers = List.of(layerAt(d), layerAt(d), layerAt(d));
        return new Checkpoint(iteration, new OutputGap(1, ep, 1), layers, Verdict.EMA_LAG);
    }

    private static LayerCheckpoint layerAt(double d) {
        return new LayerCheckpoint(new LayerDecomposition("l", 10, 0.5, 0.9, 0.01, 0.8, 0.02, 0.03, 0.04), 0.1, 0, 0, d);
    }

    @Test
    void whileTheWindowFillsACheapSignalWarnsOnItsOwn() {
        // d = 0.99: mean age d/(1-d) = 99 (to float error), half of it 49.5: iterations 49 and 50 straddle it
        assertThat(LagAlarm.windowFilling(at(49, 0.99, 1))).isTrue();
        assertThat(LagAlarm.windowFilling(at(50, 0.99, 1))).isFalse();
        assertThat(S.warns(1, at(49, 0.99, 1))).isTrue();
        assertThat(S.warns(1, at(50, 0.99, 1))).isFalse();
        // frozen statistics have no window: never filling
        assertThat(LagAlarm.windowFilling(at(0, 1, 1))).isFalse();
        // the median layer's age decides: two layers at 0.9 (age 9) outvote one at 0.999
        Checkpoint mixed = new Checkpoint(10, new OutputGap(1, 1, 1), List.of(layerAt(0.9), layerAt(0.999),
                layerAt(0.9)), Verdict.EMA_LAG);
        assertThat(LagAlarm.windowFilling(mixed)).isFalse();
        // decay 0 has mean age 0 and counts: two such layers put the median at 0
        Checkpoint zero = new Checkpoint(10, new OutputGap(1, 1, 1), List.of(layerAt(0), layerAt(0.99), layerAt(0)),
                Verdict.EMA_LAG);
        assertThat(LagAlarm.windowFilling(zero)).isFalse();
        // ages 1 (d 0.5) and 3 (d 0.75), both exact in binary: median 2, half of it 1; strictly below
        Checkpoint two = new Checkpoint(1, new OutputGap(1, 1, 1), List.of(layerAt(0.5), layerAt(0.75)), Verdict.EMA_LAG);
        assertThat(LagAlarm.windowFilling(two)).isFalse();
        assertThat(LagAlarm.windowFilling(new Checkpoint(0, two.gap(), two.layers(), Verdict.EMA_LAG))).isTrue();
        // no layer with a window at all (every decay 1): never filling
        assertThat(LagAlarm.windowFilling(new Checkpoint(0, two.gap(), List.of(layerAt(1)), Verdict.EMA_LAG))).isFalse();
    }

    @Test
    void afterHalfAWindowACheapSignalNeedsTheProbesSupport() {
        // support 1.3 inclusive: at, one ulp below
        assertThat(S.warns(1, at(500, 0.99, 1.3))).isTrue();
        assertThat(S.warns(1, at(500, 0.99, Math.nextDown(1.3)))).isFalse();
        // without a cheap signal the support ratio alone does not warn
        assertThat(S.warns(0, at(500, 0.99, 1.9))).isFalse();
        assertThat(S.warning(1, at(500, 0.99, 1.3)).signal()).isEqualTo("freeLag");
    }

    @Test
    void evalOverPreciseAtTheAloneRatioWarnsWithoutACheapSignal() {
        assertThat(S.warns(0, at(500, 0.99, 2))).isTrue();
        assertThat(S.warns(0, at(500, 0.99, Math.nextDown(2.0)))).isFalse();
        assertThat(S.warning(0, at(500, 0.99, 2))).isEqualTo(new LagAlarm.Firing("evalPrecise", 2, 2));
        // the cheap-only rule never reads the probe for its warning
        assertThat(P.warns(0, at(500, 0.99, 1e9))).isFalse();
    }

    @Test
    void theStateAlarmStillNeedsACheapSignal() {
        // eval/precise 2 without a cheap signal: an early warning, no state alarm
        assertThat(S.alarms(0, at(500, 0.99, 2))).isFalse();
        assertThat(S.alarms(1, at(500, 0.99, 2))).isTrue();
    }
}
