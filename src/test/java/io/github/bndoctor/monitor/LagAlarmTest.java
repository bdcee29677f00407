package io.github.bndoctor.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

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
 * read eval/train. The early warning's forecast against the EMA's lag recurrence iterated directly
 * and against closed forms exact in binary; the forecast and degraded ratios at, one ulp below and
 * one ulp above.
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
        assertThat(LagAlarm.CALIBRATED).isEqualTo(new LagAlarm(0.16, 9, 5.4, 2.1, 1.72, 2.0));
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
        assertThat(new LagAlarm(0, 0, 0, 1, 0, Double.MIN_VALUE).forecastRatio()).isZero();
    }

    /** A checkpoint at {@code iteration} whose three layers hold decay {@code d}, with the probe's three losses. */
    private static Checkpoint at(long iteration, double d, double train, double eval, double precise) {
        List<LayerCheckpoint> layers = List.of(layerAt(d), layerAt(d), layerAt(d));
        return new Checkpoint(iteration, new OutputGap(train, eval, precise), layers, Verdict.EMA_LAG);
    }

    private static LayerCheckpoint layerAt(double d) {
        return new LayerCheckpoint(new LayerDecomposition("l", 10, 0.5, 0.9, 0.01, 0.8, 0.02, 0.03, 0.04), 0.1, 0, 0, d);
    }

    /**
     * The lag of an EMA behind statistics drifting at a steady rate, by its recurrence
     * {@code e_t = d (e_(t-1) + rate)} from {@code e_0 = 0}, iterated directly.
     */
    private static double lagAfter(double d, int t) {
        double e = 0;
        for (int i = 0; i < t; i++) {
            e = d * (e + 1);
        }
        return e;
    }

    @Test
    void lagGrowthIsTheRecurrencesGrowthOverOneMeanAge() {
        // d = 0.75: mean age d/(1-d) = 3, an integer, so the recurrence reaches t + 3 exactly
        for (int t : new int[] {1, 2, 5, 20}) {
            // relative 1e-12 (1e-10 percent): each route rounds a few dozen times, about 1e-16 each
            assertThat(LagAlarm.lagGrowth(at(t, 0.75, 1, 1, 1)))
                    .isCloseTo(lagAfter(0.75, t + 3) / lagAfter(0.75, t), withinPercentage(1e-10));
        }
        // d = 0.5, t = 1: (1 - 0.25) / (1 - 0.5), exact in binary
        assertThat(LagAlarm.lagGrowth(at(1, 0.5, 1, 1, 1))).isEqualTo(1.5);
        // iteration 0 counts as 1 (one update has been seen)
        assertThat(LagAlarm.lagGrowth(at(0, 0.5, 1, 1, 1))).isEqualTo(1.5);
        // a full window: no growth left to double precision
        assertThat(LagAlarm.lagGrowth(at(100, 0.5, 1, 1, 1))).isEqualTo(1);
        // frozen statistics (decay 1) and a decay of 0 (no memory): nothing grows
        assertThat(LagAlarm.lagGrowth(at(10, 1, 1, 1, 1))).isEqualTo(1);
        assertThat(LagAlarm.lagGrowth(at(10, 0, 1, 1, 1))).isEqualTo(1);
        // the median decay decides: two layers at 0.5 outvote one at 0.999
        Checkpoint mixed = new Checkpoint(1, new OutputGap(1, 1, 1), List.of(layerAt(0.5), layerAt(0.999),
                layerAt(0.5)), Verdict.EMA_LAG);
        assertThat(LagAlarm.lagGrowth(mixed)).isEqualTo(1.5);
        // a decay of 0 counts: two layers without memory outvote one at 0.5 (median 0: (1 - 0) / (1 - 0) = 1)
        Checkpoint memoryless = new Checkpoint(1, new OutputGap(1, 1, 1), List.of(layerAt(0), layerAt(0.5),
                layerAt(0)), Verdict.EMA_LAG);
        assertThat(LagAlarm.lagGrowth(memoryless)).isEqualTo(1);
    }

    @Test
    void forecastGrowsTheOutputsExcessWithTheSquareOfTheLag() {
        // d 0.5, t 1: growth 1.5; eval/precise 1.5, precise/train 1: 1 + 0.5 x 2.25 = 2.125 (exact in binary)
        assertThat(LagAlarm.forecast(at(1, 0.5, 1, 1.5, 1))).isEqualTo(2.125);
        // precise/train 0.5 (training-mode loss twice the precise one) scales it: 1.0625
        assertThat(LagAlarm.forecast(at(1, 0.5, 2, 1.5, 1))).isEqualTo(1.0625);
        // a full window: the forecast is eval/train itself
        assertThat(LagAlarm.forecast(at(100, 0.5, 0.5, 1.5, 1))).isEqualTo(3);
        // no excess (eval/precise at most 1): eval/train, whatever the growth
        assertThat(LagAlarm.forecast(at(1, 0.5, 0.5, 0.9, 1))).isEqualTo(0.9 / 0.5);
        assertThat(LagAlarm.forecast(at(1, 0.5, 1, 1, 1))).isEqualTo(1);
    }

    /** Forecast 2.125 required, degraded at eval/train 2: the calibrated shape with the synthetic cheap thresholds of {@link #P}. */
    private static final LagAlarm S = new LagAlarm(0.2, 7, 11, 2, 2.125, 2);

    @Test
    void aCheapSignalWarnsWhereTheForecastReachesItsRatio() {
        // forecast exactly 2.125 (eval/train now 1.5): warns on the cheap signal
        assertThat(S.warns(1, at(1, 0.5, 1, 1.5, 1))).isTrue();
        assertThat(S.warning(1, at(1, 0.5, 1, 1.5, 1)).signal()).isEqualTo("freeLag");
        // one ulp below in eval: the forecast falls below 2.125, eval/train 1.5 below 2: silent
        assertThat(LagAlarm.forecast(at(1, 0.5, 1, Math.nextDown(1.5), 1))).isLessThan(2.125);
        assertThat(S.warns(1, at(1, 0.5, 1, Math.nextDown(1.5), 1))).isFalse();
        assertThat(S.warns(1, at(1, 0.5, 1, Math.nextUp(1.5), 1))).isTrue();
        // the same output gap with the window full: forecast 1.5, silent
        assertThat(S.warns(1, at(100, 0.5, 1, 1.5, 1))).isFalse();
        // without a cheap signal the forecast alone does not warn
        assertThat(S.warns(0, at(1, 0.5, 1, 1.9, 1))).isFalse();
        // a forecast ratio of 0: every cheap signal warns, even where the probe read NaN
        LagAlarm cheapOnly = new LagAlarm(0.2, 7, 11, 2);
        assertThat(cheapOnly.warns(1, at(100, 0.5, Double.NaN, Double.NaN, Double.NaN))).isTrue();
    }

    @Test
    void evalOverTrainAtTheDegradedRatioWarnsWithoutACheapSignal() {
        // eval/train exactly 2 (eval/precise 1: the lag plays no part) warns, one ulp below does not
        assertThat(S.warns(0, at(500, 0.99, 1, 2, 2))).isTrue();
        assertThat(S.warning(0, at(500, 0.99, 1, 2, 2))).isEqualTo(new LagAlarm.Firing("evalTrain", 2, 2));
        assertThat(S.warns(0, at(500, 0.99, 1, Math.nextDown(2.0), 2))).isFalse();
        assertThat(S.warns(0, at(500, 0.99, 1, Math.nextUp(2.0), 2))).isTrue();
        // eval/precise 3 with eval/train 1.5 (training mode worse than precise): no warning without a cheap signal
        assertThat(S.warns(0, at(500, 0.99, 2, 3, 1))).isFalse();
        // the cheap-only rule never reads the probe for its warning
        assertThat(P.warns(0, at(500, 0.99, 1, 1e9, 1))).isFalse();
    }

    @Test
    void theStateAlarmStillNeedsACheapSignal() {
        // eval/train and eval/precise 2 without a cheap signal: an early warning, no state alarm
        assertThat(S.alarms(0, at(500, 0.99, 1, 2, 1))).isFalse();
        assertThat(S.alarms(1, at(500, 0.99, 1, 2, 1))).isTrue();
    }

    private static Checkpoint rotating(long iteration, double d, double... rotations) {
        List<LayerCheckpoint> layers = new java.util.ArrayList<>();
        for (int i = 0; i < rotations.length; i++) {
            layers.add(new LayerCheckpoint(new LayerDecomposition("l" + i, 10, 0.5, 0.9, 0.01, 0.8, 0.02, 0.03, 0.04),
                    rotations[i], 0, 0, d));
        }
        return new Checkpoint(iteration, new OutputGap(1, 1.5, 1), layers, Verdict.EMA_LAG);
    }

    /**
     * The EMA's lag after iterating {@code e_(s+1) = d (e_s + rate_s)} from 0, with {@code rates[s]} the
     * rate of step {@code s}.
     */
    private static double lagAfter(double d, double[] rates) {
        double e = 0;
        for (double r : rates) {
            e = d * (e + r);
        }
        return e;
    }

    @Test
    void theMeasuredRateHistoryGrowsTheLagAsTheRecurrenceDoes() {
        // d = 0.5 (mean age 1): rate 2 for steps 0-1 (read at iteration 2), 1 for steps 2-3 (read at 4),
        // then 1 for the mean age ahead; e_4 = 1.125, e_5 = 1.0625 by the recurrence
        double[] history = {2, 2, 1, 1};
        double[] ahead = {2, 2, 1, 1, 1};
        List<Checkpoint> run = List.of(rotating(2, 0.5, 2), rotating(4, 0.5, 1));
        // relative 1e-12: both routes round a few times, about 1e-16 each
        assertThat(LagAlarm.lagGrowth(run)).isCloseTo(lagAfter(0.5, ahead) / lagAfter(0.5, history),
                withinPercentage(1e-10));
        // a falling rate grows the lag less than the steady-rate growth of the same checkpoint, a rising one more
        assertThat(LagAlarm.lagGrowth(run)).isLessThan(LagAlarm.lagGrowth(rotating(4, 0.5, 1)));
        List<Checkpoint> rising = List.of(rotating(2, 0.5, 1), rotating(4, 0.5, 2));
        assertThat(LagAlarm.lagGrowth(rising)).isCloseTo(lagAfter(0.5, new double[] {1, 1, 2, 2, 2})
                / lagAfter(0.5, new double[] {1, 1, 2, 2}), withinPercentage(1e-10));
        assertThat(LagAlarm.lagGrowth(rising)).isGreaterThan(LagAlarm.lagGrowth(rotating(4, 0.5, 2)));
        // no rotation now: the lag only decays, by d^a = 0.5
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 0.5, 2), rotating(4, 0.5, 0)))).isEqualTo(0.5);
    }

    @Test
    void aSteadyRateGivesTheSteadyGrowthAndGapsAreSkipped() {
        // d = 0.75 (mean age 3), rate 0.1 read at iterations 4, 8 and 20: the single-checkpoint growth at 20
        List<Checkpoint> steady = List.of(rotating(4, 0.75, 0.1), rotating(8, 0.75, 0.1), rotating(20, 0.75, 0.1));
        // relative 1e-12: each route rounds a few dozen times
        assertThat(LagAlarm.lagGrowth(steady)).isCloseTo(LagAlarm.lagGrowth(rotating(20, 0.75, 0.1)),
                withinPercentage(1e-10));
        assertThat(LagAlarm.lagGrowth(steady)).isCloseTo(lagAfter(0.75, 23) / lagAfter(0.75, 20), withinPercentage(1e-10));
        // a NaN reading in between: its steps count at the next finite reading's rate (here the same rate)
        List<Checkpoint> gap = List.of(rotating(4, 0.75, 0.1), rotating(8, 0.75, Double.NaN), rotating(20, 0.75, 0.1));
        assertThat(LagAlarm.lagGrowth(gap)).isCloseTo(LagAlarm.lagGrowth(steady), withinPercentage(1e-10));
        // one checkpoint: the steady-rate growth (the first reading stands for every step since 0)
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 0.5, 3)))).isCloseTo(LagAlarm.lagGrowth(rotating(2, 0.5, 3)),
                withinPercentage(1e-10));
        // no finite rotation now, or decay 1 or 0: the steady-rate growth of the latest checkpoint
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 0.5, 2), rotating(4, 0.5, Double.NaN))))
                .isEqualTo(LagAlarm.lagGrowth(rotating(4, 0.5, 1)));
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 1, 2), rotating(4, 1, 1)))).isEqualTo(1);
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 0, 2), rotating(4, 0, 1)))).isEqualTo(1);
        // rotations all 0 build no lag: the steady-rate growth, not 0/0
        assertThat(LagAlarm.lagGrowth(List.of(rotating(2, 0.5, 0), rotating(4, 0.5, 0))))
                .isEqualTo(LagAlarm.lagGrowth(rotating(4, 0.5, 0)));
        // a layer missing from an earlier checkpoint (no reading there): its steps count at the next reading's rate
        List<Checkpoint> missing = List.of(rotating(4, 0.75), rotating(8, 0.75, 0.1), rotating(20, 0.75, 0.1));
        assertThat(LagAlarm.lagGrowth(missing)).isCloseTo(LagAlarm.lagGrowth(steady), withinPercentage(1e-10));
        assertThatThrownBy(() -> LagAlarm.lagGrowth(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LagAlarm.forecast(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theGrowthIsTheMedianOverTheLayersWithAReading() {
        // three layers: falling (2 then 1), steady (1, 1), rising (1 then 2); a fourth without feeding weights
        List<Checkpoint> run = List.of(rotating(2, 0.5, 2, 1, 1, Double.NaN), rotating(4, 0.5, 1, 1, 2, Double.NaN));
        // the middle one is the steady layer's: (1 - 0.5^5) / (1 - 0.5^4)
        assertThat(LagAlarm.lagGrowth(run)).isCloseTo((1 - 1 / 32.0) / (1 - 1 / 16.0), withinPercentage(1e-10));
        // the forecast at the latest checkpoint uses it: eval/precise 1.5, precise/train 1
        double g = LagAlarm.lagGrowth(run);
        assertThat(LagAlarm.forecast(run)).isCloseTo(1 + 0.5 * g * g, withinPercentage(1e-10));
        // and the early warning reads the forecast of the run, not of the checkpoint alone
        List<Checkpoint> falling = List.of(rotating(2, 0.5, 4), rotating(4, 0.5, 1));
        double f = LagAlarm.forecast(falling);
        assertThat(f).isLessThan(LagAlarm.forecast(falling.get(1)));
        LagAlarm at = new LagAlarm(0.2, 7, 11, 2, f, 2);
        assertThat(at.warns(1, falling)).isTrue();
        assertThat(new LagAlarm(0.2, 7, 11, 2, Math.nextUp(f), 2).warns(1, falling)).isFalse();
        assertThat(at.warning(1, falling).signal()).isEqualTo("freeLag");
    }
}
