package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The default alarm policy on synthetic checkpoints: every threshold at, one ulp below and one ulp
 * above its value (alarms are strict: a value equal to the threshold raises nothing), the metric
 * each alarm reads, the layer it names and the FAIL-to-WARN downgrade during EMA warm-up.
 */
@Tag("unit")
class AlarmPolicyThresholdTest {
    private static final AlarmPolicy P = AlarmPolicy.DEFAULT;

    /** A layer whose EMA error, lag error and predicted lag are given; the other fields are distinct decoys. */
    private static LayerCheckpoint layer(String name, double emaError, double lagError, double predictedLag) {
        return new LayerCheckpoint(new LayerDecomposition(name, 10, 0.5, emaError, 0.01, lagError, 0.02, 0.03, 0.04),
                0.7, predictedLag);
    }

    /** Eval/precise ratio {@code r} exactly (precise loss 1) with eval/train 1, so only the metric under test can alarm. */
    private static Checkpoint ratio(double evalOverPrecise, Verdict verdict) {
        return new Checkpoint(7, new OutputGap(evalOverPrecise, evalOverPrecise, 1), List.of(layer("a", 0.1, 0, 0)),
                verdict);
    }

    private static Checkpoint lags(Verdict verdict, LayerCheckpoint... layers) {
        return new Checkpoint(9, new OutputGap(1, 1, 1), List.of(layers), verdict);
    }

    @Test
    void defaultsAreTheDocumentedValues() {
        assertThat(P.evalPreciseRatio()).isEqualTo(new Threshold(1.5, 5));
        assertThat(P.emaLag()).isEqualTo(new Threshold(0.5, Double.POSITIVE_INFINITY));
        assertThat(P.predictedLag()).isEqualTo(new Threshold(5, Double.POSITIVE_INFINITY));
    }

    @Test
    void thresholdIsStrictAtEveryBoundary() {
        Threshold t = new Threshold(1.5, 5);
        assertThat(t.levelOf(Math.nextDown(1.5))).isNull();
        assertThat(t.levelOf(1.5)).isNull();
        assertThat(t.levelOf(Math.nextUp(1.5))).isEqualTo(AlarmLevel.WARN);
        assertThat(t.levelOf(Math.nextDown(5.0))).isEqualTo(AlarmLevel.WARN);
        assertThat(t.levelOf(5.0)).isEqualTo(AlarmLevel.WARN);
        assertThat(t.levelOf(Math.nextUp(5.0))).isEqualTo(AlarmLevel.FAIL);
        assertThat(t.levelOf(Double.NaN)).isNull();
        assertThat(t.valueOf(AlarmLevel.WARN)).isEqualTo(1.5);
        assertThat(t.valueOf(AlarmLevel.FAIL)).isEqualTo(5.0);
        assertThat(Threshold.warnOnly(2).levelOf(Double.MAX_VALUE)).isEqualTo(AlarmLevel.WARN);
        // equal levels are allowed, fail below warn and NaN are not
        assertThat(new Threshold(2, 2).levelOf(Math.nextUp(2.0))).isEqualTo(AlarmLevel.FAIL);
        assertThatThrownBy(() -> new Threshold(2, Math.nextDown(2.0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warn <= fail");
        assertThatThrownBy(() -> new Threshold(Double.NaN, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Threshold(1, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void evalPreciseRatioAlarmsAtEachLevel() {
        assertThat(P.evaluate(ratio(1.5, Verdict.EMA_LAG))).isEmpty();
        assertThat(P.evaluate(ratio(Math.nextUp(1.5), Verdict.EMA_LAG)))
                .extracting(Alarm::metric, Alarm::level, Alarm::threshold, Alarm::iteration, Alarm::layer)
                .containsExactly(tuple(AlarmPolicy.EVAL_PRECISE_RATIO, AlarmLevel.WARN, 1.5, 7L, "a"));
        assertThat(P.evaluate(ratio(5, Verdict.EMA_LAG))).extracting(Alarm::level).containsExactly(AlarmLevel.WARN);
        assertThat(P.evaluate(ratio(Math.nextUp(5.0), Verdict.EMA_LAG)))
                .extracting(Alarm::level, Alarm::threshold).containsExactly(tuple(AlarmLevel.FAIL, 5.0));
        Alarm a = P.evaluate(ratio(8, Verdict.EMA_LAG)).get(0);
        // the value is eval/precise: 8 / 1
        assertThat(a.value()).isEqualTo(8.0);
    }

    @Test
    void theRatioAlarmReadsEvalOverPreciseNotEvalOverTrain() {
        // eval/train 10 with precise as bad as eval: the moving statistics are not to blame
        Checkpoint batchNoise = new Checkpoint(3, new OutputGap(1, 10, 10), List.of(layer("a", 0, 0, 0)),
                Verdict.BATCH_NOISE);
        assertThat(P.evaluate(batchNoise)).isEmpty();
        // eval/train 1 but precise 10x better: the moving statistics are to blame
        Checkpoint lag = new Checkpoint(3, new OutputGap(10, 10, 1), List.of(layer("a", 0, 0, 0)), Verdict.EMA_LAG);
        assertThat(P.evaluate(lag)).extracting(Alarm::level).containsExactly(AlarmLevel.FAIL);
    }

    @Test
    void duringWarmupAFailIsCappedAtWarnWithTheWarnThreshold() {
        assertThat(P.evaluate(ratio(Math.nextUp(5.0), Verdict.EMA_WARMUP)))
                .extracting(Alarm::level, Alarm::threshold).containsExactly(tuple(AlarmLevel.WARN, 1.5));
        assertThat(P.evaluate(ratio(50, Verdict.EMA_WARMUP))).extracting(Alarm::level).containsExactly(AlarmLevel.WARN);
        assertThat(P.evaluate(ratio(Math.nextUp(1.5), Verdict.EMA_WARMUP))).extracting(Alarm::level)
                .containsExactly(AlarmLevel.WARN);
        assertThat(P.evaluate(ratio(1.5, Verdict.EMA_WARMUP))).isEmpty();
        for (Verdict v : List.of(Verdict.HEALTHY, Verdict.EMA_LAG, Verdict.BATCH_NOISE, Verdict.DIVERGED)) {
            assertThat(P.evaluate(ratio(50, v))).as(v.name()).extracting(Alarm::level).containsExactly(AlarmLevel.FAIL);
        }
    }

    @Test
    void theRatioAlarmNamesTheLayerWithTheLargestEmaError() {
        Checkpoint c = new Checkpoint(4, new OutputGap(1, 9, 1), List.of(layer("small", 0.2, 3, 9),
                layer("big", 0.9, 0, 0), layer("mid", 0.5, 0, 0)), Verdict.EMA_LAG);
        assertThat(P.evaluate(c)).filteredOn(a -> a.metric().equals(AlarmPolicy.EVAL_PRECISE_RATIO))
                .extracting(Alarm::layer).containsExactly("big");
        Checkpoint none = new Checkpoint(4, new OutputGap(1, 9, 1), List.of(), Verdict.EMA_LAG);
        assertThat(P.evaluate(none)).extracting(Alarm::layer).containsExactly("*");
    }

    @Test
    void emaLagAlarmsOnTheMedianLagErrorAndNamesTheWorstLayer() {
        // median of {0.1, 0.5, 3} is 0.5: at the threshold, nothing
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("x", 0, 0.1, 0), layer("y", 0, 0.5, 0),
                layer("z", 0, 3, 0)))).isEmpty();
        double above = Math.nextUp(0.5);
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("x", 0, 0.1, 0), layer("y", 0, above, 0),
                layer("z", 0, 3, 0))))
                .extracting(Alarm::metric, Alarm::level, Alarm::value, Alarm::threshold, Alarm::layer, Alarm::iteration)
                .containsExactly(tuple(AlarmPolicy.EMA_LAG, AlarmLevel.WARN, above, 0.5, "z", 9L));
        // one layer far above but the median below: no alarm (the median, not the maximum)
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("x", 0, 0.1, 0), layer("y", 0, Math.nextDown(0.5), 0),
                layer("z", 0, 30, 0)))).isEmpty();
        // a lag that never fails, however large
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("x", 0, 1e9, 0)))).extracting(Alarm::level)
                .containsExactly(AlarmLevel.WARN);
    }

    @Test
    void predictedLagAlarmsOnTheMedianOverKnownLayers() {
        // NaN layers are left out: the median of {5, 7} is 6
        List<Alarm> raised = P.evaluate(lags(Verdict.EMA_LAG, layer("u", 0, 0, Double.NaN), layer("v", 0, 0, 5),
                layer("w", 0, 0, 7)));
        assertThat(raised).extracting(Alarm::metric, Alarm::level, Alarm::value, Alarm::threshold, Alarm::layer)
                .containsExactly(tuple(AlarmPolicy.PREDICTED_LAG, AlarmLevel.WARN, 6.0, 5.0, "w"));
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("v", 0, 0, 5)))).isEmpty();
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("v", 0, 0, Math.nextDown(5.0))))).isEmpty();
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("v", 0, 0, Math.nextUp(5.0))))).hasSize(1);
        // the largest known layer is named even when a NaN layer comes later
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("v", 0, 0, 9), layer("u", 0, 0, Double.NaN))))
                .extracting(Alarm::layer).containsExactly("v");
        // unknown everywhere: no alarm at all
        assertThat(P.evaluate(lags(Verdict.EMA_LAG, layer("u", 0, 0, Double.NaN)))).isEmpty();
    }

    @Test
    void failuresComeFirst() {
        Checkpoint c = new Checkpoint(5, new OutputGap(1, 9, 1), List.of(layer("a", 1, 2, 9)), Verdict.EMA_LAG);
        assertThat(P.evaluate(c)).extracting(Alarm::level, Alarm::metric).containsExactly(
                tuple(AlarmLevel.FAIL, AlarmPolicy.EVAL_PRECISE_RATIO), tuple(AlarmLevel.WARN, AlarmPolicy.EMA_LAG),
                tuple(AlarmLevel.WARN, AlarmPolicy.PREDICTED_LAG));
        // a policy whose predicted-lag rule fails puts it before the ratio warning
        AlarmPolicy strict = new AlarmPolicy(new Threshold(1.5, 100), Threshold.warnOnly(100), new Threshold(1, 2));
        assertThat(strict.evaluate(c)).extracting(Alarm::metric).containsExactly(AlarmPolicy.PREDICTED_LAG,
                AlarmPolicy.EVAL_PRECISE_RATIO);
    }

    @Test
    void describeNamesLevelIterationLayerMetricAndThreshold() {
        Alarm a = new Alarm(12, "bn3", AlarmPolicy.EMA_LAG, 0.75, 0.5, AlarmLevel.WARN);
        assertThat(a.describe()).isEqualTo("WARN at iteration 12: layer 'bn3' metric emaLag = 0.7500 > threshold 0.5000");
    }
}
