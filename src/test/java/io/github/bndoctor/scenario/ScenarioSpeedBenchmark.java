package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.scenario.SpeedProbeLauncher.Settings;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speed of one seed-scenario training step under the native settings that matter, measured in
 * one run: DL4J's defaults, JavaCPP's per-allocation memory check off, and the oneDNN layer
 * helpers on as well ({@link io.github.bndoctor.backend.NativeSpeedSettings}), one native thread;
 * and the fast settings on two threads. Each setting runs in a child JVM; settings are interleaved
 * round by round so load from other processes hits all of them, and the best round of each is
 * reported with its ratio to the fast one-thread setting. Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
final class ScenarioSpeedBenchmark {

    private static final int ROUNDS = 2;
    private static final int ITERATIONS = 100;

    private record Setting(Settings settings, int threads) {
        @Override
        public String toString() {
            return settings + "/" + threads + "t";
        }
    }

    @Test
    void msPerStepBySetting() throws Exception {
        List<Setting> settings = List.of(new Setting(Settings.PLAIN, 1), new Setting(Settings.NO_MEMORY_CHECK, 1),
                new Setting(Settings.FAST, 1), new Setting(Settings.FAST, 2));
        Map<Settings, Map<Integer, List<Double>>> ms = new EnumMap<>(Settings.class);
        for (int round = 0; round < ROUNDS; round++) {
            for (Setting s : settings) {
                ms.computeIfAbsent(s.settings(), k -> new java.util.TreeMap<>())
                        .computeIfAbsent(s.threads(), k -> new ArrayList<>())
                        .add(SpeedProbeLauncher.msPerStep(s.settings(), s.threads(), ITERATIONS));
            }
        }
        double fast = best(ms.get(Settings.FAST).get(1));
        StringBuilder line = new StringBuilder("ScenarioSpeedBenchmark: ms per training step (best of " + ROUNDS
                + " rounds x " + ITERATIONS + " steps), ratio to FAST/1t:");
        for (Setting s : settings) {
            List<Double> rounds = ms.get(s.settings()).get(s.threads());
            double b = best(rounds);
            line.append(String.format(Locale.ROOT, "%n  %-22s %6.1f ms  x%.2f  (rounds %s)", s, b, b / fast, rounds));
            assertThat(b).as("ms per step of %s", s).isPositive();
        }
        try (RecordWriter.Section record = RecordWriter.section("ScenarioSpeedBenchmark")) {
            System.out.println(line);
        }
    }

    private static double best(List<Double> rounds) {
        return rounds.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }
}
