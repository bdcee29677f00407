package io.github.bndoctor.testkit;

import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.Threshold;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.opentest4j.AssertionFailedError;

import java.util.List;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code assertThat(monitor).hasNoFailAlarms()} on a real training run: the same rotation (Adam
 * turning the weights that feed BN) raises FAIL alarms under a policy that fails on any rotation
 * and only WARN alarms under one that warns on any; a WARN alarm does not fail the assertion. The
 * failure names each alarm with its own checkpoint's gap and remedy (one alarm in the singular), the
 * checks chain, {@code latest()} is the last checkpoint, and a monitor that never probed fails
 * {@code hasCheckpoints()} with its interval.
 */
@Tag("unit")
class BnMonitorAssertTest {
    private static BnMonitor train(Threshold predictedLag) {
        return TinyMonitoredRun.train(predictedLag, (net, builder) -> {
            BnMonitor m = builder.failFast(false).build();
            ((MultiLayerNetwork) net).setListeners(m);
            return m;
        });
    }

    @Test
    void failAlarmsFailTheAssertionListingLayerIterationGapVerdictAndRemedy() {
        BnMonitor m = train(new Threshold(0, 0));
        AssertionFailedError e = catchThrowableOfType(AssertionFailedError.class, () -> assertThat(m).hasNoFailAlarms());
        org.assertj.core.api.Assertions.assertThat(e.getMessage()).startsWith("2 FAIL alarms in 2 checkpoints:")
                .contains("at iteration 6: predictedLag = ").contains("at iteration 12: predictedLag = ")
                .contains("eval/train ").contains("eval/precise ").contains("verdict ").contains("remedy: ")
                .doesNotContainPattern("\\d\\.\\d{6,}");
        org.assertj.core.api.Assertions.assertThat(e.getExpected().getStringRepresentation()).isEqualTo("no FAIL alarm");
        // each alarm is followed by its own checkpoint's gap and remedy, and the actual value lists every alarm briefly
        for (io.github.bndoctor.monitor.Alarm a : m.alarms()) {
            io.github.bndoctor.probe.Checkpoint c = m.checkpoints().stream().filter(x -> x.iteration() == a.iteration())
                    .findFirst().orElseThrow();
            org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains(String.format(java.util.Locale.ROOT,
                    "at iteration %d: predictedLag = %s > %s; %s", a.iteration(),
                    io.github.bndoctor.monitor.GapMessage.number(a.value()),
                    io.github.bndoctor.monitor.GapMessage.number(a.threshold()),
                    io.github.bndoctor.monitor.GapMessage.gapAndRemedy(c)));
            org.assertj.core.api.Assertions.assertThat(e.getActual().getStringRepresentation())
                    .contains("predictedLag '" + a.layer() + "' @" + a.iteration() + " = ");
        }
        // one FAIL alarm: a threshold between the two checkpoints' values fails only the larger, in the singular
        double v6 = m.alarms().get(0).value();
        double v12 = m.alarms().get(1).value();
        BnMonitor one = train(new Threshold(0, (v6 + v12) / 2));
        AssertionFailedError single = catchThrowableOfType(AssertionFailedError.class,
                () -> assertThat(one).hasNoFailAlarms());
        org.assertj.core.api.Assertions.assertThat(single.getMessage()).startsWith("1 FAIL alarm in 2 checkpoints:")
                .contains("at iteration " + (v6 > v12 ? 6 : 12) + ":")
                .doesNotContain("at iteration " + (v6 > v12 ? 12 : 6) + ":");
    }

    @Test
    void warnAlarmsAloneDoNotFailIt() {
        BnMonitor m = train(Threshold.warnOnly(0));
        org.assertj.core.api.Assertions.assertThat(m.alarms()).isNotEmpty().allMatch(a -> a.level() == AlarmLevel.WARN);
        BnMonitorAssert a = assertThat(m);
        // each check returns the same assertion, so that they chain
        org.assertj.core.api.Assertions.assertThat(a.hasCheckpoints()).isSameAs(a);
        org.assertj.core.api.Assertions.assertThat(a.hasNoFailAlarms()).isSameAs(a);
        // the latest checkpoint is the last one the monitor ran
        org.assertj.core.api.Assertions.assertThat(a.latest()).isSameAs(m.checkpoints().get(m.checkpoints().size() - 1));
        org.assertj.core.api.Assertions.assertThat(a.latest().iteration()).isEqualTo(TinyMonitoredRun.ITERATIONS);
    }

    @Test
    void aMonitorThatNeverProbedHasNoCheckpoints() {
        BnMonitor idle = BnMonitor.builder(Nd4j.zeros(DataType.FLOAT, 2, 2), Nd4j.zeros(DataType.FLOAT, 2, 2))
                .preciseData(() -> List.<INDArray[]>of().iterator()).build();
        AssertionError none = catchThrowableOfType(AssertionError.class, () -> assertThat(idle).hasCheckpoints());
        org.assertj.core.api.Assertions.assertThat(none).isNotNull();
        org.assertj.core.api.Assertions.assertThat(none.getMessage()).contains("ran none")
                .contains("every " + idle.every() + " iterations");
        assertThat(idle).hasNoFailAlarms();
        org.assertj.core.api.Assertions.assertThat(assertThat(idle).latest()).isNull();
    }
}
