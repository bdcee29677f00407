package io.github.bndoctor.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import static org.assertj.core.api.Assertions.assertThat;

/** The record's sections: the header once, then each run's date, commit, machine, load, what and figures. */
final class RecordWriterTest {
    @TempDir
    Path dir;

    @Test
    void aSectionCarriesItsContextAndTheFiguresPrinted() throws Exception {
        Path file = dir.resolve("record.md");
        String before = System.getProperty("bndoctor.record");
        System.setProperty("bndoctor.record", file.toString());
        try {
            try (RecordWriter.Section s = RecordWriter.section("SomeBenchmark: 10 iterations")) {
                System.out.println("step 24.9 ms");
            }
            RecordWriter.append("Other", "ratio 1.5");
        } finally {
            if (before == null) {
                System.clearProperty("bndoctor.record");
            } else {
                System.setProperty("bndoctor.record", before);
            }
        }
        String text = Files.readString(file);
        assertThat(text).startsWith(RecordWriter.HEADER + "\n");
        assertThat(text.indexOf(RecordWriter.HEADER, 1)).as("the header once").isEqualTo(-1);
        assertThat(text).containsPattern("\n## \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: SomeBenchmark: 10 iterations\n")
                .contains("```\nstep 24.9 ms\n```", "```\nratio 1.5\n```", "Machine: ", " processors", "Load (1/5/15 min): ",
                        "Commit: ");
        // the tests run in the project's git work tree: a commit, not "unknown"
        assertThat(text).containsPattern("Commit: [0-9a-f]{7,}(\\+dirty)?\\.");
        assertThat(text.indexOf("SomeBenchmark")).isLessThan(text.indexOf("## ", text.indexOf("SomeBenchmark")));
    }

    @Test
    void renderPutsTheDateFirst() {
        String s = RecordWriter.render(ZonedDateTime.of(2026, 12, 5, 9, 7, 0, 0, ZoneOffset.UTC), "abc1234", "2 processors",
                "0.5 0.4 0.3", "X", "fig\n");
        assertThat(s).isEqualTo("\n## 2026-12-05 09:07 UTC: X\n\nCommit: abc1234. Machine: 2 processors. Load (1/5/15 min):"
                + " 0.5 0.4 0.3.\n\n```\nfig\n```\n");
    }
}
