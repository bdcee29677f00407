package io.github.bndoctor.monitor;

import static io.github.bndoctor.monitor.OutcomeCheckpoints.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.probe.Checkpoint;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scores of runs scored one at a time and added ({@link AlarmQuality#plus}) equal the scores of the
 * runs scored together, the route the alarm-quality regression test takes when each run has its own
 * horizon; counts checked against a hand count.
 */
@Tag("unit")
class AlarmQualitySumTest {
    @Test
    void runsScoredApartAndAddedEqualRunsScoredTogether() {
        List<Checkpoint> diverging = List.of(at(100, 1.2), at(200, 1.9), at(300, 2.5), at(400, 6));
        List<Checkpoint> healthy = List.of(at(100, 1.1), at(200, 1.0), at(300, 1.3), at(400, 1.2));
        Predicate<Checkpoint> rule = c -> c.iteration() >= 200;
        AlarmQuality apart = AlarmQuality.ofRuns(List.of(diverging), rule, 2, 150)
                .plus(AlarmQuality.ofRuns(List.of(healthy), rule, 2, 150));
        AlarmQuality together = AlarmQuality.ofRuns(List.of(diverging, healthy), rule, 2, 150);
        assertThat(apart).isEqualTo(together);
        // by hand: diverging 100 (degrades at 300 > 100 + 150: no) unflagged -> tn; 200, 300, 400 flagged
        // and degraded within 150 -> tp 3; healthy 100 -> tn, 200 flagged -> fp, 300 and 400 undecided (the
        // run ends at 400, before their horizon, without degrading) -> not scored
        assertThat(apart).isEqualTo(new AlarmQuality(3, 1, 0, 2));
        assertThat(new AlarmQuality(1, 2, 3, 4).plus(new AlarmQuality(10, 20, 30, 40)))
                .isEqualTo(new AlarmQuality(11, 22, 33, 44));
    }
}
