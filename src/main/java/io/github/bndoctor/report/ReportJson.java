package io.github.bndoctor.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Reads and writes {@link DiagnosisReport} as JSON with Jackson. */
public final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ReportJson() {
    }

    /** @return the configured mapper (indented output, unknown properties ignored on read for forward compatibility) */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * @param report a report
     * @return its JSON text
     */
    public static String toJson(DiagnosisReport report) {
        try {
            return MAPPER.writeValueAsString(report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes atomically (see {@link AtomicFiles}).
     *
     * @param report a report
     * @param file target file
     */
    public static void write(DiagnosisReport report, Path file) {
        AtomicFiles.write(file, out -> MAPPER.writeValue(out, report));
    }

    /**
     * Writes the JSON to a temporary file of {@code outs}, to be committed with the run's other outputs.
     *
     * @param outs the run's outputs
     * @param report a report
     * @param file target file
     */
    public static void stage(AtomicOutputs outs, DiagnosisReport report, Path file) {
        outs.file(file, out -> MAPPER.writeValue(out, report));
    }

    /**
     * @param file a JSON report
     * @return the report
     * @throws IOException if it cannot be read or parsed
     */
    public static DiagnosisReport read(Path file) throws IOException {
        return MAPPER.readValue(file.toFile(), DiagnosisReport.class);
    }
}
