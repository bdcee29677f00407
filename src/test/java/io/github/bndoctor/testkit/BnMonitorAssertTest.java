package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.Threshold;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
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
    private static final int ITERATIONS = 12;
    private static final int EVERY = 6;

    private static BnMonitor train(Threshold predictedLag) {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 4, 1, 0.9,
                VarianceParameterisation.VAR, new Adam(1e-2), 11);
        GaussianBatches data = new GaussianBatches(Layout.DENSE, 8, 1, 1, new double[] {1, -1}, new double[] {1, 2}, 13);
        List<INDArray[]> precise = new ArrayList<>();
        precise.add(new INDArray[] {data.next()});
        INDArray probe = data.next();
        AlarmPolicy policy = new AlarmPolicy(Threshold.warnOnly(Double.POSITIVE_INFINITY),
                Threshold.warnOnly(Double.POSITIVE_INFINITY), predictedLag);
        BnMonitor m = BnMonitor.builder(probe, oneHot(probe)).every(EVERY).policy(policy).failFast(false)
                .preciseData(precise::iterator).build();
        net.model().setListeners(m);
        for (int i = 0; i < ITERATIONS; i++) {
            INDArray x = data.next();
            net.fit(new DataSet(x, oneHot(x)));
        }
        return m;
    }

    /** class 1 where the first feature is positive */
    private static INDArray oneHot(INDArray x) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, x.rows(), 2);
        for (int i = 0; i < x.rows(); i++) {
            y.putScalar(i, x.getDouble(i, 0) > 0 ? 1 : 0, 1.0);
        }
        return y;
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
