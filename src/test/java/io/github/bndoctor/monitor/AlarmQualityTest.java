package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Confusion counts of an alarm rule against the eval/train outcome. */
@Tag("unit")
class AlarmQualityTest {
    private static Checkpoint at(long it, double ratio) {
        return new Checkpoint(it, new OutputGap(1, ratio, 1), List.of(), Verdict.HEALTHY);
    }

    @Test
    void countsAndRates() {
        List<Checkpoint> cs = List.of(at(1, 1.0), at(2, 3.0), at(3, 2.5), at(4, 1.2));
        AlarmQuality q = AlarmQuality.of(cs, c -> c.iteration() >= 3, 2.0);
        assertThat(q).isEqualTo(new AlarmQuality(1, 1, 1, 1));
        assertThat(q.precision()).isEqualTo(0.5);
        assertThat(q.recall()).isEqualTo(0.5);
        assertThat(AlarmQuality.of(cs, c -> false, 2.0).precision()).isNaN();
    }
}
