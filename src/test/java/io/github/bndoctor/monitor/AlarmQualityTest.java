package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.github.bndoctor.monitor.OutcomeCheckpoints.at;
import static org.assertj.core.api.Assertions.assertThat;

/** Confusion counts of an alarm rule against the eval/train outcome. */
@Tag("unit")
class AlarmQualityTest {
    @Test
    void countsAndRates() {
        List<Checkpoint> cs = List.of(at(1, 1.0), at(2, 3.0), at(3, 2.5), at(4, 1.2));
        AlarmQuality q = AlarmQuality.of(cs, c -> c.iteration() >= 3, 2.0);
        assertThat(q).isEqualTo(new AlarmQuality(1, 1, 1, 1));
        assertThat(q.precision()).isEqualTo(0.5);
        assertThat(q.recall()).isEqualTo(0.5);
        assertThat(AlarmQuality.of(cs, c -> false, 2.0).precision()).isNaN();
        // checkpoints of different runs at the same iteration are judged separately
        assertThat(AlarmQuality.of(List.of(at(1, 3.0), at(1, 1.0)), c -> true, 2.0))
                .isEqualTo(new AlarmQuality(1, 1, 0, 0));
    }

    @Test
    void earlyWarningsCountWhenTheirRunDegradesWithinTheHorizon() {
        List<Checkpoint> run = List.of(at(100, 1.0), at(200, 1.2), at(300, 3.0));
        AlarmQuality q = AlarmQuality.ofRuns(List.of(run), c -> c.iteration() >= 100, 2.0, 100);
        // 100 is more than 100 iterations before the collapse at 300: false; 200 and 300 true (300's
        // horizon passes the run's end, but it is degraded itself: decided)
        assertThat(q).isEqualTo(new AlarmQuality(2, 1, 0, 0));
        assertThat(AlarmQuality.ofRuns(List.of(run), c -> c.iteration() >= 100, 2.0, 200))
                .isEqualTo(new AlarmQuality(3, 0, 0, 0));
    }

    @Test
    void aCheckpointIsScoredOnlyWhenItsRunDecidedItsOutcome() {
        List<Checkpoint> healthy = List.of(at(100, 1.0), at(400, 1.0));
        // 100 + h against the last checkpoint at 400: h = 300 reaches it exactly (decided: no degradation),
        // 301 passes it (undecided, flagged or not); 400 itself is undecided for any h > 0
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> true, 2.0, 299)).isEqualTo(new AlarmQuality(0, 1, 0, 0));
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> true, 2.0, 300)).isEqualTo(new AlarmQuality(0, 1, 0, 0));
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> true, 2.0, 301)).isEqualTo(new AlarmQuality(0, 0, 0, 0));
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> false, 2.0, 300)).isEqualTo(new AlarmQuality(0, 0, 0, 1));
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> false, 2.0, 301)).isEqualTo(new AlarmQuality(0, 0, 0, 0));
        // with horizon 0 every checkpoint is decided at itself
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> true, 2.0, 0)).isEqualTo(new AlarmQuality(0, 2, 0, 0));
        // a degradation seen within the part observed decides the outcome however far the horizon reaches,
        // and the largest horizon neither overflows nor loses it
        List<Checkpoint> degrading = List.of(at(100, 1.0), at(400, 3.0));
        assertThat(AlarmQuality.ofRuns(List.of(degrading), c -> false, 2.0, 301)).isEqualTo(new AlarmQuality(0, 0, 2, 0));
        assertThat(AlarmQuality.ofRuns(List.of(degrading), c -> c.iteration() == 100, 2.0, Long.MAX_VALUE))
                .isEqualTo(new AlarmQuality(1, 0, 1, 0));
        assertThat(AlarmQuality.ofRuns(List.of(healthy), c -> true, 2.0, Long.MAX_VALUE)).isEqualTo(new AlarmQuality(0, 0, 0, 0));
    }
}
