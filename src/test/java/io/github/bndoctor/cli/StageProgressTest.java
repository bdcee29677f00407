package io.github.bndoctor.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Progress lines: none in the quiet period, then at most one per interval, on a hand-driven clock. */
@Tag("unit")
class StageProgressTest {
    @Test
    void silentAtFirstThenOneLinePerInterval() {
        StringWriter text = new StringWriter();
        long[] now = {0};
        StageProgress p = new StageProgress(new PrintWriter(text), 10, 5, () -> now[0]);
        List<Integer> items = List.of(1, 2, 3, 4, 5, 6);
        var it = p.counting("precise statistics: batch", 6, items.iterator());
        long[] times = {0, 9_999_999_999L, 10_000_000_000L, 14_999_999_999L, 15_000_000_000L, 16_000_000_000L};
        for (long t : times) {
            now[0] = t;
            it.next();
        }
        assertThat(text.toString().lines()).containsExactly(
                "diagnose: precise statistics: batch 3 of 6, elapsed 10s",
                "diagnose: precise statistics: batch 5 of 6, elapsed 15s");
    }
}
