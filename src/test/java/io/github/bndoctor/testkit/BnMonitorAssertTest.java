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
 * and only WARN alarms under one that warns on any; a WARN alarm does not fail the assertion.
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
    }

    @Test
    void warnAlarmsAloneDoNotFailIt() {
        BnMonitor m = train(Threshold.warnOnly(0));
        org.assertj.core.api.Assertions.assertThat(m.alarms()).isNotEmpty().allMatch(a -> a.level() == AlarmLevel.WARN);
        assertThat(m).hasCheckpoints().hasNoFailAlarms();
    }

    @Test
    void aMonitorThatNeverProbedHasNoCheckpoints() {
        BnMonitor idle = BnMonitor.builder(Nd4j.zeros(DataType.FLOAT, 2, 2), Nd4j.zeros(DataType.FLOAT, 2, 2))
                .preciseData(() -> List.<INDArray[]>of().iterator()).build();
        catchThrowableOfType(AssertionError.class, () -> assertThat(idle).hasCheckpoints());
        assertThat(idle).hasNoFailAlarms();
        org.assertj.core.api.Assertions.assertThat(assertThat(idle).latest()).isNull();
    }
}
