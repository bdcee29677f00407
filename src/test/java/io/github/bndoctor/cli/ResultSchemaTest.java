package io.github.bndoctor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.github.bndoctor.report.ReportJson;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON Schema of the {@code --json} result (draft 2020-12), shipped in the jar and under docs/,
 * against real output of every command that writes JSON: {@code diagnose} on a saved model with and
 * without labels, on one short scenario configuration and on the default demo (short). Validated with
 * networknt's json-schema-validator, an implementation independent of the code that writes the JSON.
 */
final class ResultSchemaTest {
    static final String RESOURCE = "/io/github/bndoctor/bn-doctor-result.schema.json";
    private static JsonSchema schema;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = ResultSchemaTest.class.getResourceAsStream(RESOURCE)) {
            assertThat(in).as("schema on the classpath at " + RESOURCE).isNotNull();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    @Test
    void theJarAndTheDocsShipTheSameSchema() throws Exception {
        byte[] shipped;
        try (InputStream in = ResultSchemaTest.class.getResourceAsStream(RESOURCE)) {
            shipped = in.readAllBytes();
        }
        assertThat(Files.readAllBytes(Path.of("docs/bn-doctor-result.schema.json"))).isEqualTo(shipped);
        JsonNode s = ReportJson.mapper().readTree(shipped);
        assertThat(s.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void savedModelResultsValidate() throws Exception {
        Path model = CliFixtures.trainedModel(dir, "g.zip", NetworkKind.GRAPH);
        Path x = CliFixtures.features(dir, "x.npy", 64, CliFixtures.FEATURES);
        Path y = CliFixtures.labels(dir, 64);
        JsonNode labelled = diagnose("--model", model.toString(), "--data", x.toString(), "--labels", y.toString());
        assertThat(errors(labelled)).isEmpty();
        JsonNode unlabelled = diagnose("--model", model.toString(), "--data", x.toString());
        assertThat(unlabelled.get("lossKind").asText()).isEqualTo("outputDeviationFromTrainMode");
        assertThat(errors(unlabelled)).isEmpty();

        // the schema can fail: an unknown verdict, a missing field, a share above 1, an unknown checkpoint field
        ObjectNode bad = labelled.deepCopy();
        bad.put("verdict", "FINE");
        assertThat(errors(bad)).isNotEmpty();
        bad = labelled.deepCopy();
        bad.remove("gate");
        assertThat(errors(bad)).isNotEmpty();
        bad = labelled.deepCopy();
        ((ObjectNode) bad.get("checkpoints").get(0)).put("emaShare", 1.5);
        assertThat(errors(bad)).isNotEmpty();
        bad = labelled.deepCopy();
        ((ObjectNode) bad.get("checkpoints").get(0)).put("evalLoss", 1.0);
        assertThat(errors(bad)).isNotEmpty();
    }

    @Test
    void scenarioAndDemoResultsValidate() throws Exception {
        JsonNode single = diagnose("--optimizer", "adam", "--iterations", "40", "--probe-every", "20");
        assertThat(single.get("checkpoints")).hasSize(2);
        assertThat(errors(single)).isEmpty();
        JsonNode demo = diagnose("--iterations", "40", "--probe-every", "20");
        assertThat(demo.get("comparisons")).hasSize(4);
        assertThat(errors(demo)).isEmpty();
    }

    private JsonNode diagnose(String... args) throws Exception {
        Path json = Files.createTempFile(dir, "result", ".json");
        String[] all = new String[args.length + 3];
        all[0] = "diagnose";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--json";
        all[args.length + 2] = json.toString();
        CliRunner.Result r = CliRunner.run(all);
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        return ReportJson.mapper().readTree(json.toFile());
    }

    private static Set<ValidationMessage> errors(JsonNode json) {
        return schema.validate(json);
    }
}
