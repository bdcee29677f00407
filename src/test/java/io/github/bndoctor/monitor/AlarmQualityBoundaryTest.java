package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.github.bndoctor.monitor.OutcomeCheckpoints.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Early-warning counts at their boundaries: an outcome exactly at the ratio counts, a checkpoint's
 * own outcome counts, unflagged checkpoints split into misses and true negatives; the summary line
 * and the alarm a gate failure carries.
 */
@Tag("unit")
class AlarmQualityBoundaryTest {
    @Test
    void theOutcomeRatioAndTheCheckpointItselfAreInclusive() {
        // eval/train exactly 2.0 at the ratio 2.0: degraded
        assertThat(AlarmQuality.ofRuns(List.of(List.of(at(100, 2.0))), c -> true, 2.0, 0))
                .isEqualTo(new AlarmQuality(1, 0, 0, 0));
        assertThat(AlarmQuality.ofRuns(List.of(List.of(at(100, 1.999))), c -> true, 2.0, 0))
                .isEqualTo(new AlarmQuality(0, 1, 0, 0));
        // unflagged: the degraded checkpoint is a miss, the healthy one a true negative
        assertThat(AlarmQuality.ofRuns(List.of(List.of(at(100, 1.0), at(200, 3.0))), c -> false, 2.0, 0))
                .isEqualTo(new AlarmQuality(0, 0, 1, 1));
        // an earlier degraded checkpoint does not count for a later one (the run observes 200's whole
        // window to 1,300; the checkpoint at 1,300 itself is undecided)
        assertThat(AlarmQuality.ofRuns(List.of(List.of(at(100, 3.0), at(200, 1.0), at(1300, 1.0))),
                c -> c.iteration() == 200, 2.0, 1000)).isEqualTo(new AlarmQuality(0, 1, 1, 0));
    }

    @Test
    void theSummaryLineAndTheGateFailuresAlarm() {
        AlarmQuality q = new AlarmQuality(1, 3, 1, 2);
        assertThat(q.toString()).isEqualTo(String.format("precision %.2f, recall %.2f (tp 1, fp 3, fn 1, tn 2)", 0.25, 0.5));
        Alarm a = new Alarm(40, "bn1", "eval/train", 2.5, 1.5, AlarmLevel.FAIL);
        Checkpoint c = at(40, 2.5);
        BnGateFailure f = new BnGateFailure(a, c, "the scheduled checkpoint, every 40 iterations");
        assertThat(f.alarm()).isSameAs(a);
        assertThat(f.checkpoint()).isSameAs(c);
        assertThat(f.getMessage()).startsWith("bn-doctor gate FAILED at iteration 40 (the scheduled checkpoint, every 40 "
                + "iterations): layer 'bn1' eval/train = 2.50 > 1.50");
    }
}
