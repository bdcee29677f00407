package io.github.bndoctor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Child-JVM entry point of {@link HostileInputTest}: runs many command lines in one JVM (one ND4J
 * start-up for all), each through {@link Main#commandLine()} as {@code Main.main} does, and writes
 * every exit code and output as JSON. A native crash or an out-of-memory error ends the whole
 * batch, which the test sees.
 */
public final class HostileBatch {
    private HostileBatch() {
    }

    /**
     * @param args the cases file (one JSON array of arguments per line) and the results file
     * @throws IOException on a read or write error
     */
    public static void main(String[] args) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Map<String, Object>> results = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            Map<String, Object> r = new LinkedHashMap<>();
            try {
                CliRunner.Result res = CliRunner.run(json.readValue(line, String[].class));
                r.put("exit", res.exitCode());
                r.put("out", res.out());
                r.put("err", res.err());
            } catch (Throwable t) {
                r.put("exit", -1);
                r.put("out", "");
                r.put("err", "thrown out of the command line: " + t);
            }
            results.add(r);
        }
        json.writeValue(Path.of(args[1]).toFile(), results);
        System.exit(0);
    }
}
