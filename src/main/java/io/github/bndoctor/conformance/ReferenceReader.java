package io.github.bndoctor.conformance;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON written by {@code fixtures/generate_reference.py}.
 *
 * <p>The generator writes each float32 as the shortest decimal that round-trips to it; numbers are
 * read as {@link java.math.BigDecimal} and rounded once to float, so every value is recovered
 * bit-exactly (going through double first could round twice).
 */
public final class ReferenceReader {

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private ReferenceReader() {
    }

    /** Reads a reference document from a file. */
    public static ReferenceSet read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read reference " + file, e);
        }
    }

    /** Reads a reference document from a stream (not closed). */
    public static ReferenceSet read(InputStream in) throws IOException {
        JsonNode root = MAPPER.readTree(in);
        List<BnReferenceCase> cases = new ArrayList<>();
        for (JsonNode c : root.withArray("cases")) {
            cases.add(readCase(c));
        }
        JsonNode pkg = root.get("torchPackage");
        return new ReferenceSet(root.path("torchVersion").asText(), pkg == null || pkg.isNull() ? null : pkg.asText(),
                root.path("seed").asLong(), List.copyOf(cases), readTrajectory(root.required("trajectory")));
    }

    private static BnReferenceCase readCase(JsonNode c) {
        List<BnReferenceCase.RunningUpdate> updates = new ArrayList<>();
        for (JsonNode u : c.withArray("updates")) {
            updates.add(new BnReferenceCase.RunningUpdate(floats(u, "input"), floats(u, "runningMean"),
                    floats(u, "runningVar")));
        }
        JsonNode train = c.required("train");
        return new BnReferenceCase(c.required("name").asText(), ReferenceTensors.parseLayout(c.required("layout").asText()),
                ints(c.required("shape")), c.required("channels").asInt(), c.required("samplesPerChannel").asInt(),
                c.required("eps").asDouble(), c.required("momentum").asDouble(),
                floats(c, "input"), floats(c, "gamma"), floats(c, "beta"), floats(c, "gradOutput"),
                floats(train, "output"), floats(train, "gradInput"), floats(train, "gradGamma"),
                floats(train, "gradBeta"), floats(c, "initialRunningMean"), floats(c, "initialRunningVar"),
                List.copyOf(updates), floats(c.required("eval"), "output"));
    }

    private static ReferenceTrajectory readTrajectory(JsonNode t) {
        List<ReferenceTrajectory.Step> steps = new ArrayList<>();
        for (JsonNode s : t.withArray("steps")) {
            steps.add(new ReferenceTrajectory.Step(floats(s, "input"), floats(s, "target"),
                    s.required("loss").decimalValue().floatValue(), params(s)));
        }
        return new ReferenceTrajectory(t.required("batch").asInt(), t.required("channelsIn").asInt(),
                t.required("channels").asInt(), t.required("size").asInt(), t.required("kernel").asInt(),
                t.required("learningRate").asDouble(), t.required("eps").asDouble(),
                t.required("momentum").asDouble(), params(t.required("initial")), List.copyOf(steps));
    }

    private static final List<String> TRAJECTORY_PARAMS = List.of("convWeight", "convBias", "gamma", "beta",
            "runningMean", "runningVar", "fcWeight", "fcBias");

    private static Map<String, float[]> params(JsonNode node) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : TRAJECTORY_PARAMS) {
            out.put(name, floats(node, name));
        }
        return Map.copyOf(out);
    }

    private static float[] floats(JsonNode parent, String field) {
        JsonNode arr = parent.required(field);
        float[] out = new float[arr.size()];
        Iterator<JsonNode> it = arr.elements();
        for (int i = 0; it.hasNext(); i++) {
            out[i] = it.next().decimalValue().floatValue();
        }
        return out;
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }
}
