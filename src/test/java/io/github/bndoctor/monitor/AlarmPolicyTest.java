package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.DiagnosisThresholds;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FAIL gate stays on the EMA's factor of the gap (eval/precise), whatever the verdict
 * attributes the gap to: synthetic checkpoints where lag and batch noise occur together.
 */
@Tag("unit")
class AlarmPolicyTest {
    private static Checkpoint checkpoint(OutputGap gap) {
        List<LayerCheckpoint> layers = List.of(new LayerCheckpoint(
                new LayerDecomposition("bn", 100, 0, 1, 0, 1, 0.2, 0, 0), Double.NaN, Double.NaN));
        return new Checkpoint(100, gap, layers, Diagnoser.verdict(gap, layers, DiagnosisThresholds.DEFAULT));
    }

    private static boolean fails(Checkpoint c) {
        return AlarmPolicy.DEFAULT.evaluate(c).stream().anyMatch(a -> a.level() == AlarmLevel.FAIL
                && a.metric().equals(AlarmPolicy.EVAL_PRECISE_RATIO));
    }

    @Test
    void failsOnTheEmaFactorEvenWhenBatchNoiseDominates() {
        // batch noise 40x, EMA 5.5x: verdict BATCH_NOISE, the EMA's part alone still crosses 5
        Checkpoint c = checkpoint(new OutputGap(1, 220, 40));
        assertThat(c.verdict()).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(c.gap().batchNoiseShare()).isGreaterThan(0.5);
        assertThat(fails(c)).isTrue();
    }

    @Test
    void failThresholdOnTheEmaFactorAtBelowAndAbove() {
        // precise/train 2 > 1.5 (the old rule's BATCH_NOISE); eval/precise exactly 5, just below, just above
        assertThat(fails(checkpoint(new OutputGap(1, 10, 2)))).isFalse();
        assertThat(fails(checkpoint(new OutputGap(1, 2 * Math.nextDown(5.0), 2)))).isFalse();
        assertThat(fails(checkpoint(new OutputGap(1, 10.02, 2)))).isTrue();
        assertThat(checkpoint(new OutputGap(1, 10.02, 2)).verdict()).isEqualTo(Verdict.EMA_LAG);
    }

    @Test
    void batchNoiseAloneNeverFails() {
        Checkpoint c = checkpoint(new OutputGap(1, 40, 40));
        assertThat(c.verdict()).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(fails(c)).isFalse();
    }
}
