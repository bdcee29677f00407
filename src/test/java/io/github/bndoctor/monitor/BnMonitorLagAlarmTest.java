package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BnMonitor} with a {@link LagAlarm} on tiny real training runs: the early warning names the
 * cheap signal that fired and carries its value (read back from the free signal and the checkpoint,
 * not from the rule), the state alarm carries the checkpoint's eval/precise and fires at its
 * threshold but not one ulp above it, both stay {@code WARN}, and without a rule nothing of the
 * kind is recorded.
 */
@Tag("unit")
class BnMonitorLagAlarmTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final List<INDArray[]> PRECISE = ProbeFixtures.batches(Layout.NCHW, 2, 9);
    private static final INDArray PROBE = ProbeFixtures.batches(Layout.NCHW, 1, 10).get(0)[0];

    /** Trains a fresh seeded network 12 iterations with checkpoints at 4, 8 and 12. */
    private static BnMonitor run(LagAlarm rule) {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        BnMonitor.Builder b = BnMonitor.builder(PROBE, ProbeFixtures.labels(PROBE, 0)).failFast(false).every(4)
                .freeSignalWindow(2).preciseData(() -> PRECISE.iterator());
        BnMonitor m = (rule == null ? b : b.lagAlarm(rule)).build();
        net.model().setListeners(m);
        for (INDArray[] x : ProbeFixtures.batches(Layout.NCHW, 12, 8)) {
            net.fit(new DataSet(x[0], ProbeFixtures.labels(x[0], 0)));
        }
        return m;
    }

    private static List<Alarm> withMetric(BnMonitor m, String metric) {
        return m.alarms().stream().filter(a -> a.metric().equals(metric)).toList();
    }

    @Test
    void theFreeSignalWarnsWithItsOwnValueAndTheProbeConfirmsWithEvalOverPrecise() {
        BnMonitor m = run(new LagAlarm(0, INF, INF, Double.MIN_VALUE));
        assertThat(m.freeSignal()).isNotNull();
        assertThat(m.checkpoints()).extracting(Checkpoint::iteration).containsExactly(4L, 8L, 12L);
        List<Alarm> warnings = withMetric(m, BnMonitor.LAG_WARNING + "." + BnMonitor.FREE_LAG);
        List<Alarm> states = withMetric(m, BnMonitor.LAG_ALARM);
        assertThat(warnings).isNotEmpty().allSatisfy(a -> assertThat(a.level()).isEqualTo(AlarmLevel.WARN));
        assertThat(states).hasSameSizeAs(warnings).allSatisfy(a -> assertThat(a.level()).isEqualTo(AlarmLevel.WARN));
        Alarm lastWarning = warnings.get(warnings.size() - 1);
        assertThat(lastWarning.iteration()).isEqualTo(12);
        assertThat(lastWarning.value()).isEqualTo(m.freeSignal().latest().medianLagError());
        assertThat(lastWarning.threshold()).isEqualTo(0.0);
        Checkpoint last = m.checkpoints().get(2);
        Alarm lastState = states.get(states.size() - 1);
        assertThat(lastState.iteration()).isEqualTo(12);
        assertThat(lastState.value()).isEqualTo(last.gap().evalToPreciseRatio());
        assertThat(lastState.threshold()).isEqualTo(Double.MIN_VALUE);
    }

    @Test
    void theStateAlarmFiresAtItsThresholdAndNotOneUlpAbove() {
        double ratio = run(new LagAlarm(0, INF, INF, Double.MIN_VALUE)).checkpoints().get(2).gap().evalToPreciseRatio();
        // the seeded runs are identical, so the third checkpoint's ratio is the same in each
        assertThat(withMetric(run(new LagAlarm(0, INF, INF, ratio)), BnMonitor.LAG_ALARM))
                .extracting(Alarm::iteration).contains(12L);
        assertThat(withMetric(run(new LagAlarm(0, INF, INF, Math.nextUp(ratio))), BnMonitor.LAG_ALARM))
                .extracting(Alarm::iteration).doesNotContain(12L);
    }

    @Test
    void thePredictedAndMeasuredAnglesWarnByThemselvesWithTheCheckpointsValues() {
        BnMonitor predicted = run(new LagAlarm(INF, 0, INF, INF));
        List<Long> rotating = predicted.checkpoints().stream().filter(c -> c.medianPredictedLag() > 0)
                .map(Checkpoint::iteration).toList();
        assertThat(rotating).isNotEmpty();
        List<Alarm> p = withMetric(predicted, BnMonitor.LAG_WARNING + ".predictedLag");
        assertThat(p).extracting(Alarm::iteration).containsExactlyElementsOf(rotating);
        Checkpoint c = predicted.checkpoints().stream().filter(k -> k.iteration() == p.get(0).iteration())
                .findFirst().orElseThrow();
        assertThat(p.get(0).value()).isEqualTo(c.medianPredictedLag());
        // a confirmation threshold of +infinity is never reached
        assertThat(withMetric(predicted, BnMonitor.LAG_ALARM)).isEmpty();

        BnMonitor measured = run(new LagAlarm(INF, INF, 0, INF));
        List<Long> measurable = measured.checkpoints().stream().filter(k -> k.medianMeasuredLag() > 0)
                .map(Checkpoint::iteration).toList();
        assertThat(withMetric(measured, BnMonitor.LAG_WARNING + ".measuredLag")).extracting(Alarm::iteration)
                .containsExactlyElementsOf(measurable);
    }

    @Test
    void aWarningNamesTheWorstLayerOfTheLatestReadingOrNoneBeforeTheFirstReading() {
        // checkpoints every 2 iterations, readings every 4: at iteration 2 there is no reading yet
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        BnMonitor m = BnMonitor.builder(PROBE, ProbeFixtures.labels(PROBE, 0)).failFast(false).every(2)
                .freeSignalWindow(2).preciseData(() -> PRECISE.iterator()).lagAlarm(new LagAlarm(INF, 0, INF, INF))
                .build();
        net.model().setListeners(m);
        for (INDArray[] x : ProbeFixtures.batches(Layout.NCHW, 4, 8)) {
            net.fit(new DataSet(x[0], ProbeFixtures.labels(x[0], 0)));
        }
        List<Alarm> w = withMetric(m, BnMonitor.LAG_WARNING + ".predictedLag");
        assertThat(w).extracting(Alarm::iteration).containsExactly(2L, 4L);
        assertThat(w.get(0).layer()).isEqualTo("*");
        String worst = m.freeSignal().latest().layers().stream()
                .max(java.util.Comparator.comparingDouble(io.github.bndoctor.probe.LayerDecomposition::lagError))
                .orElseThrow().layer();
        assertThat(w.get(1).layer()).isEqualTo(worst).isNotEqualTo("*");
    }

    @Test
    void aFreeLagExactlyAtItsThresholdDoesNotWarnByItself() {
        double reading = run(new LagAlarm(0, INF, INF, INF)).freeSignal().latest().medianLagError();
        // the seeded runs are identical: at the threshold the free signal does not fire, the predicted lag does
        List<Alarm> at = run(new LagAlarm(reading, 0, INF, INF)).alarms().stream()
                .filter(a -> a.iteration() == 12 && a.metric().startsWith(BnMonitor.LAG_WARNING)).toList();
        assertThat(at).extracting(Alarm::metric).containsExactly(BnMonitor.LAG_WARNING + ".predictedLag");
        List<Alarm> below = run(new LagAlarm(Math.nextDown(reading), 0, INF, INF)).alarms().stream()
                .filter(a -> a.iteration() == 12 && a.metric().startsWith(BnMonitor.LAG_WARNING)).toList();
        assertThat(below).extracting(Alarm::metric).containsExactly(BnMonitor.LAG_WARNING + "." + BnMonitor.FREE_LAG);
    }

    @Test
    void withoutARuleThereAreNoLagAlarmsAndNoFreeSignal() {
        BnMonitor m = run(null);
        assertThat(m.freeSignal()).isNull();
        assertThat(m.alarms()).noneMatch(a -> a.metric().startsWith(BnMonitor.LAG_WARNING)
                || a.metric().equals(BnMonitor.LAG_ALARM));
    }
}
