package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.remedy.ProjectedStatistics;
import org.deeplearning4j.optimize.api.TrainingListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Calibration driver for {@link ProjectedStatistics} (not a test; run with {@code java} on the test
 * classpath). Usage: {@code ProjectedStatisticsCalibration KIND:PRESET,SEED,INPUT_DECAY,EVERY[,adaptive|none[,ACCUMULATE_EVERY,MAX_POSITIONS]]...}
 * with {@code PRESET} {@code collapse} (the seed scenario's {@link ScenarioConfig#seedCollapse()}) or
 * {@code diverging} ({@link ScenarioKind#diverging()}); trains with the listener attached before the
 * monitor (so each checkpoint sees a fresh write) and prints eval/train and eval/precise at every
 * checkpoint, and the worst of each after warm-up.
 */
final class ProjectedStatisticsCalibration {
    private ProjectedStatisticsCalibration() {
    }

    public static void main(String[] args) {
        List<Callable<String>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> run(a));
        }
        ParallelRuns.all(jobs, 2, 1).forEach(System.out::println);
    }

    static String run(String spec) {
        String[] p = spec.split(",");
        String[] kp = p[0].split(":");
        ScenarioKind kind = ScenarioKind.valueOf(kp[0]);
        ScenarioConfig base = kp[1].equals("collapse") ? ScenarioConfig.seedCollapse() : kind.diverging();
        ScenarioConfig config = base.withSeed(Long.parseLong(p[1]));
        int every = Integer.parseInt(p[3]);
        List<TrainingListener> before = new ArrayList<>();
        List<TrainingListener> after = new ArrayList<>();
        if (!p[2].equals("none")) {
            ProjectedStatistics.Builder b = ProjectedStatistics.builder().inputDecay(Double.parseDouble(p[2])).every(every);
            if (p.length > 6) {
                b.accumulateEvery(Integer.parseInt(p[5])).maxPositions(Integer.parseInt(p[6]));
            }
            if (p.length > 7) {
                b.covarianceEvery(Integer.parseInt(p[7]));
            }
            if (p.length > 8) {
                b.covarianceDecay(Double.parseDouble(p[8]));
            }
            before.add(b.build());
        }
        if (p.length > 4 && p[4].equals("adaptive")) {
            after.add(AdaptiveDecay.builder().build());
        }
        long t0 = System.nanoTime();
        MonitoredScenario.Result r = MonitoredScenario.run(config, config.checkpointEvery() == 0 ? 100
                : kp[1].equals("collapse") ? 100 : config.checkpointEvery(), c -> { }, before, after);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s (%.0f s): iteration eval/train eval/precise:",
                spec, (System.nanoTime() - t0) / 1e9));
        double worstTrain = 0;
        double worstPrecise = 0;
        long warmup = kp[1].equals("collapse") ? 100 : 100;
        for (Checkpoint c : r.checkpoints()) {
            double et = c.gap().evalToTrainRatio();
            double ep = c.gap().evalModeLoss() / c.gap().preciseLoss();
            out.append(String.format(Locale.ROOT, " %d %.3f %.3f;", c.iteration(), et, ep));
            if (c.iteration() >= warmup) {
                worstTrain = Math.max(worstTrain, et);
                worstPrecise = Math.max(worstPrecise, ep);
            }
        }
        out.append(String.format(Locale.ROOT, "%n  WORST %s eval/train %.3f eval/precise %.3f", spec, worstTrain,
                worstPrecise));
        return out.toString();
    }
}
