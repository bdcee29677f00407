package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.remedy.ProjectedStatistics;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Calibration driver for {@link ProjectedStatistics} on the network families and the ResNet-style
 * scenario (not a test; run with {@code java} on the test classpath). Usage:
 * {@code ProjectedFamilyCalibration TARGET,SEED,MODE[,v][,warm]...} with {@code TARGET} a
 * {@link NetworkFamily} (its recipe) or {@code POSE_RESNET} ({@link ScenarioKind#diverging()}), and
 * {@code MODE} {@code proj} (the listener at its defaults, before the monitor),
 * {@code proj:INPUT_DECAY:ACCUMULATE_EVERY[:MIN_SAMPLES]}, {@code fixed:DECAY} (every BN layer at that
 * decay, no listener) or {@code none} (the configured decay, no listener), each optionally followed by
 * {@code +adaptive} ({@link AdaptiveDecay} at its defaults, after the monitor); {@code v} prints each BN
 * layer's standardised mean shift and log variance ratio against the precise statistics at each
 * checkpoint, {@code warm} warm-starts a family's moving statistics. Prints eval/train and eval/precise
 * at every checkpoint (every 100 iterations), the worst of each from iteration 100, the routes, and a
 * hash of the trained parameters without the moving statistics (equal hashes: the same training
 * trajectory).
 */
final class ProjectedFamilyCalibration {
    static final int PROBE_EVERY = 100;
    static final long WARMUP = 100;

    private ProjectedFamilyCalibration() {
    }

    public static void main(String[] args) {
        List<Callable<String>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> {
                String s = run(a);
                System.out.println(s);
                return s;
            });
        }
        ParallelRuns.all(jobs, Integer.getInteger("parallel", 2), 1);
    }

    /** One measured run. */
    record Outcome(List<Checkpoint> checkpoints, Model model, Map<String, ProjectedStatistics.Route> routes) {
        double worstPrecise() {
            return checkpoints.stream().filter(c -> c.iteration() >= WARMUP)
                    .mapToDouble(c -> c.gap().evalModeLoss() / c.gap().preciseLoss()).max().orElse(Double.NaN);
        }

        double worstTrain() {
            return checkpoints.stream().filter(c -> c.iteration() >= WARMUP)
                    .mapToDouble(c -> c.gap().evalToTrainRatio()).max().orElse(Double.NaN);
        }
    }

    static Outcome measure(String target, long seed, String mode, boolean warm) {
        List<TrainingListener> before = new ArrayList<>();
        List<TrainingListener> after = new ArrayList<>();
        if (mode.endsWith("+adaptive")) {
            after.add(AdaptiveDecay.builder().build());
            mode = mode.substring(0, mode.length() - "+adaptive".length());
        }
        Double decay = null;
        ProjectedStatistics ps = null;
        String[] m = mode.split(":");
        if (m[0].equals("proj")) {
            ProjectedStatistics.Builder b = ProjectedStatistics.builder();
            if (m.length > 1) {
                b.inputDecay(Double.parseDouble(m[1])).accumulateEvery(Integer.parseInt(m[2]));
            }
            if (m.length > 3) {
                b.minSamples(Integer.parseInt(m[3]));
            }
            ps = b.build();
            before.add(ps);
        } else if (m[0].equals("none")) {
            decay = null;
        } else if (m[0].equals("fixed")) {
            decay = Double.parseDouble(m[1]);
        } else {
            throw new IllegalArgumentException("mode " + mode);
        }
        if (target.equals("POSE_RESNET")) {
            ScenarioConfig c = ScenarioKind.POSE_RESNET.diverging().withSeed(seed);
            if (decay != null) {
                c = c.toBuilder().bnDecay(decay).build();
            }
            MonitoredScenario.Result r = MonitoredScenario.run(c, PROBE_EVERY, x -> { }, before, after);
            return new Outcome(r.checkpoints(), r.run().graph(), ps == null ? Map.of() : ps.routes());
        }
        FamilyConfig c = NetworkFamily.valueOf(target).recipe(seed).toBuilder().checkpointEvery(PROBE_EVERY).warmStart(warm)
                .build();
        if (decay != null) {
            c = c.toBuilder().decay(decay).build();
        }
        MonitoredFamily.Result r = MonitoredFamily.run(c, before, after);
        return new Outcome(r.checkpoints(), r.run().model(), ps == null ? Map.of() : ps.routes());
    }

    static String run(String spec) {
        String[] p = spec.split(",");
        long t0 = System.nanoTime();
        List<String> flags = Arrays.asList(p).subList(3, p.length);
        Outcome o = measure(p[0], Long.parseLong(p[1]), p[2], flags.contains("warm"));
        boolean verbose = flags.contains("v");
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s (%.0f s) params %08x: iteration eval/train eval/precise:",
                spec, (System.nanoTime() - t0) / 1e9, ProjectedStatisticsFamilyRegressionTest.trainedHash(o.model())));
        for (Checkpoint c : o.checkpoints()) {
            out.append(String.format(Locale.ROOT, " %d %.3f %.3f;", c.iteration(), c.gap().evalToTrainRatio(),
                    c.gap().evalModeLoss() / c.gap().preciseLoss()));
            if (verbose) {
                for (LayerCheckpoint l : c.layers()) {
                    out.append(String.format(Locale.ROOT, "%n    %s shift %.3f logvar %.3f", l.name(),
                            l.decomposition().meanShift(), l.decomposition().logVarianceRatio()));
                }
                out.append('\n');
            }
        }
        out.append(String.format(Locale.ROOT, "%n  WORST %s eval/train %.3f eval/precise %.3f", spec, o.worstTrain(),
                o.worstPrecise()));
        o.routes().forEach((k, v) -> out.append(String.format(Locale.ROOT, "%n  route %s %s %s", k, v.path(), v.reason())));
        return out.toString();
    }
}
