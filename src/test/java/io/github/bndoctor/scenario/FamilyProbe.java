package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Manual calibration, off unless {@code -Dfamily.probe=FAMILY,...} is given: one monitored run per
 * family (recipe, {@code -Dfamily.seed}, {@code -Dfamily.warm}), its checkpoints printed.
 */
class FamilyProbe {
    @Test
    @EnabledIfSystemProperty(named = "family.probe", matches = ".+")
    void probe() {
        long seed = Long.getLong("family.seed", 1);
        boolean warm = Boolean.getBoolean("family.warm");
        List<Callable<String>> jobs = new ArrayList<>();
        for (String f : System.getProperty("family.probe").split(",")) {
            FamilyConfig c = NetworkFamily.valueOf(f).recipe(seed).toBuilder().warmStart(warm).build();
            jobs.add(() -> {
                long t0 = System.nanoTime();
                MonitoredFamily.Result r = MonitoredFamily.run(c, List.of());
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s: %.1f s gate %s%n", c.name(),
                        (System.nanoTime() - t0) / 1e9, r.gateFails() ? "FAIL" : "PASS"));
                for (Checkpoint cp : r.checkpoints()) {
                    b.append(String.format(Locale.ROOT, "  %5d e/t %7.2f e/p %7.2f p/t %5.2f pred %6.1f meas %6.1f %s%n",
                            cp.iteration(), cp.gap().evalToTrainRatio(), cp.gap().evalToPreciseRatio(),
                            cp.gap().preciseToTrainRatio(), cp.medianPredictedLag(), cp.medianMeasuredLag(), cp.verdict()));
                }
                System.out.print(b);
                return b.toString();
            });
        }
        ParallelRuns.all(jobs, 2, 1);
    }
}
