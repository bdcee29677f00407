package io.github.bndoctor.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared mapper: indented output, and fields it does not know (a later minor version) ignored. */
@Tag("unit")
class ReportJsonMapperTest {
    @Test
    void theMapperIndentsAndIgnoresUnknownFields() throws IOException {
        assertThat(ReportJson.mapper()).isSameAs(ReportJson.mapper());
        assertThat(ReportJson.mapper().writeValueAsString(Map.of("a", 1))).isEqualTo("{\n  \"a\" : 1\n}");
        DiagnosisReport.LintEntry lint = ReportJson.mapper().readValue(
                "{\"layer\":\"bn1\",\"rule\":\"r\",\"message\":\"m\",\"later\":true}", DiagnosisReport.LintEntry.class);
        assertThat(lint).isEqualTo(new DiagnosisReport.LintEntry("bn1", "r", "m"));
        JsonNode tree = ReportJson.mapper().readTree("{\"x\": [1, 2]}");
        assertThat(tree.get("x").get(1).asInt()).isEqualTo(2);
    }
}
