package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.lint.ScaleInvariance;
import io.github.bndoctor.monitor.AlarmQuality;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.scenario.AdaptiveDecayRegressionTest.StepRotation;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import io.github.bndoctor.report.ReportAssembler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * bn-doctor's defaults judged on whole network families they were not chosen on
 * ({@link FamilyCorpus#HELD_OUT}; {@code -Dgeneralization.set=tuning} runs the same on
 * {@link FamilyCorpus#TUNING} instead, to report the tuning side). Every family runs its recipe
 * ({@link NetworkFamily#recipe}) cold and warm-started, warm-started with {@link AdaptiveDecay}
 * where the recipe is Adam, its Nesterov variant ({@link FamilyCorpus#nesterov}), all under the
 * README's monitor ({@link MonitoredFamily}), and one equilibrium configuration unmonitored (SGD +
 * L2 and Adam + decoupled weight decay alternately). Each checkpoint is labelled by measurement:
 * degraded when eval/train is at least {@link #DEGRADED_RATIO}. Asserted:
 * <ul>
 *   <li>the {@code LagAlarm.CALIBRATED} early warning (scored against degraded now or within the
 *       run's {@code d/(1-d)}, at the checkpoints whose outcome the run decided:
 *       {@link io.github.bndoctor.monitor.AlarmQuality#ofRuns}) and state alarm (degraded now), as the
 *       monitor raised them: precision
 *       and recall at least {@link #TARGET} over all held-out runs, printed per family;</li>
 *   <li>adaptive decay: where the fixed decay's warm run exceeds {@link #FIXED_BAD} after
 *       {@link #WARMUP}, eval/train at most {@link #ADAPTIVE_RATIO} at every checkpoint from
 *       {@link #WARMUP}, or the recommendations name the layer no decay helps, noise-limited
 *       ({@code NoiseLimit}) or lagging even at the shortest window ({@code LagAtFloor}), and the
 *       remedy; training
 *       bit-identical with and without it;</li>
 *   <li>the lag forecast within {@link #FORECAST_FACTOR} of the root mean square one-step rotation of
 *       the run's second half on every layer where it claims equilibrium within the first half (and
 *       the BN input is scale-invariant, its premise), and "not at equilibrium" with the expected
 *       time where that lies beyond the run;</li>
 *   <li>no HEALTHY verdict, and a failing README gate, on every run degraded at half or more of its
 *       checkpoints; warm-up named only where the warm-started twin stays healthy: at every checkpoint
 *       the cold run calls EMA_WARMUP, the twin is not degraded at the same iteration.</li>
 * </ul>
 * Runs train two at a time, single-threaded each ({@link ParallelRuns}). Rows:
 * {@code target/generalization.csv}.
 */
@Tag("generalization")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GeneralizationTest {
    /** The runs' seed: 1 by default, {@code -Dgeneralization.seed=N} to hold out seeds as well as families. */
    static final long SEED = Long.getLong("generalization.seed", 1);
    /** Eval/train ratio that counts as degraded inference (the regression leg's). */
    static final double DEGRADED_RATIO = 2.0;
    /** Precision and recall each alarm role must reach on the held-out families. */
    static final double TARGET = 0.9;
    /** Fixed-decay worst eval/train above which adaptive decay must hold {@link #ADAPTIVE_RATIO}. */
    static final double FIXED_BAD = 3;
    /** Eval/train bound for adaptive decay after warm-up. */
    static final double ADAPTIVE_RATIO = 1.5;
    /** Checkpoints before this iteration are warm-up for the adaptive bound (the further scenarios' 100). */
    static final long WARMUP = 100;
    /** Forecast against measured root mean square rotation: within this factor either way. */
    static final double FORECAST_FACTOR = 2;
    /** v/(v+eps) of a BN input the forecast covers (the adaptive leg's premise check). */
    static final double SCALE_INVARIANT = 0.9;

    private final List<NetworkFamily> families = "tuning".equals(System.getProperty("generalization.set"))
            ? FamilyCorpus.TUNING : FamilyCorpus.HELD_OUT;
    private final Map<String, MonitoredFamily.Result> runs = new ConcurrentHashMap<>();
    private final Map<String, StepRotation> rotations = new ConcurrentHashMap<>();
    private final Map<String, List<LayerForecast>> forecasts = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Double>> invariance = new ConcurrentHashMap<>();

    /** The monitored runs of a family, by role. */
    static Map<String, FamilyConfig> monitored(NetworkFamily f) {
        Map<String, FamilyConfig> out = new LinkedHashMap<>();
        FamilyConfig recipe = f.recipe(SEED);
        FamilyConfig warm = recipe.toBuilder().warmStart(true).build();
        out.put("cold", recipe);
        out.put("warm", warm);
        if (recipe.optimizer() == Optimizer.ADAM) {
            out.put("adaptive", warm);
        }
        out.put("nesterov", FamilyCorpus.nesterov(warm));
        return out;
    }

    static FamilyConfig equilibrium(NetworkFamily f) {
        return f.ordinal() % 2 == 0 ? FamilyCorpus.sgdL2Equilibrium(f, SEED)
                : FamilyCorpus.adamWeightDecayEquilibrium(f, SEED);
    }

    /** File name suffix: empty at the default seed, {@code -seedN} otherwise. */
    private static String suffix() {
        return SEED == 1 ? "" : "-seed" + SEED;
    }

    private static String key(NetworkFamily f, String role) {
        return f + "/" + role;
    }

    @BeforeAll
    void trainAll() throws IOException {
        List<Callable<Object>> jobs = new ArrayList<>();
        for (NetworkFamily f : families) {
            monitored(f).forEach((role, c) -> jobs.add(() -> {
                List<TrainingListener> extra = "adaptive".equals(role) ? List.of(AdaptiveDecay.builder().build()) : List.of();
                runs.put(key(f, role), MonitoredFamily.run(c, extra));
                return null;
            }));
            FamilyConfig e = equilibrium(f);
            jobs.add(() -> {
                FamilyRun run = FamilyRun.start(e);
                forecasts.put(f.name(), LagForecast.of(BnNetwork.of(run.model())));
                StepRotation rotation = new StepRotation(e.iterations() / 2);
                run.model().addListeners(rotation);
                run.train(e.iterations());
                run.model().setListeners();
                rotations.put(f.name(), rotation);
                invariance.put(f.name(), ScaleInvariance.of(BnNetwork.of(run.model()),
                        MonitoredFamily.preciseBatches(e).get(0)));
                return null;
            });
        }
        long t0 = System.nanoTime();
        ParallelRuns.all(jobs, 2, 1);
        System.out.printf(Locale.ROOT, "generalization leg: %d runs on %s trained in %.1f s%n", jobs.size(), families,
                (System.nanoTime() - t0) / 1e9);
        writeCsv();
        writeLayerCsv();
    }

    private void writeCsv() throws IOException {
        Path csv = Path.of("target", "generalization-" + System.getProperty("generalization.set", "held-out") + suffix() + ".csv");
        Files.createDirectories(csv.getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
            w.println("run,config,iteration,evalTrain,evalPrecise,preciseTrain,predictedLag,measuredLag,freeLag,freeLagMax,priorWeight,"
                    + "meanAge,verdict,warn,alarm,fail");
            for (var e : new java.util.TreeMap<>(runs).entrySet()) {
                MonitoredFamily.Result r = e.getValue();
                for (Checkpoint c : r.checkpoints()) {
                    io.github.bndoctor.monitor.LagReading free = r.freeReadings().get(c.iteration());
                    w.printf(Locale.ROOT, "%s,%s,%d,%g,%g,%g,%g,%g,%g,%g,%g,%d,%s,%b,%b,%b%n", e.getKey(), r.config().name(),
                            c.iteration(), c.gap().evalToTrainRatio(), c.gap().evalToPreciseRatio(),
                            c.gap().preciseToTrainRatio(), c.medianPredictedLag(), c.medianMeasuredLag(),
                            free == null ? Double.NaN : free.medianLagError(),
                            free == null ? Double.NaN : free.layers().stream()
                                    .mapToDouble(io.github.bndoctor.probe.LayerDecomposition::lagError).max().orElse(Double.NaN),
                            free == null ? Double.NaN : free.layers().stream()
                                    .mapToDouble(io.github.bndoctor.probe.LayerDecomposition::priorWeight).max().orElse(Double.NaN),
                            r.config().meanAge(), c.verdict(),
                            r.raised(c.iteration(), BnMonitor.LAG_WARNING), r.raised(c.iteration(), BnMonitor.LAG_ALARM),
                            r.alarms().stream().anyMatch(a -> a.iteration() == c.iteration()
                                    && a.level() == io.github.bndoctor.monitor.AlarmLevel.FAIL));
                }
            }
        }
    }

    private void writeLayerCsv() throws IOException {
        Path csv = Path.of("target", "generalization-layers-" + System.getProperty("generalization.set", "held-out") + suffix()
                + ".csv");
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
            w.println("run,iteration,layer,decay,priorWeight,emaError,warmupError,lagError,batchNoise,rotation,predictedLag,"
                    + "measuredLag,freeLagError,freeBatchNoise,noiseCost");
            for (var e : new java.util.TreeMap<>(runs).entrySet()) {
                MonitoredFamily.Result r = e.getValue();
                for (Checkpoint c : r.checkpoints()) {
                    io.github.bndoctor.monitor.LagReading free = r.freeReadings().get(c.iteration());
                    for (var l : c.layers()) {
                        var d = l.decomposition();
                        var f = free == null ? null : free.layers().stream().filter(x -> x.layer().equals(d.layer()))
                                .findFirst().orElse(null);
                        w.printf(Locale.ROOT, "%s,%d,%s,%g,%g,%g,%g,%g,%g,%g,%g,%g,%g,%g,%g%n", e.getKey(), c.iteration(),
                                d.layer(), l.decay(), d.priorWeight(), d.emaError(), d.warmupError(), d.lagError(),
                                d.batchNoise(), l.rotationDegPerIter(), l.predictedLag(), l.measuredLag(),
                                f == null ? Double.NaN : f.lagError(), f == null ? Double.NaN : f.batchNoise(),
                                l.noiseCost());
                    }
                }
            }
        }
    }

    private static double worstAfter(MonitoredFamily.Result r, long from) {
        return r.checkpoints().stream().filter(c -> c.iteration() >= from).mapToDouble(c -> c.gap().evalToTrainRatio())
                .max().orElse(Double.NaN);
    }

    private static RunSummary summary(String name, MonitoredFamily.Result r) {
        return ReportAssembler.summary(ReportAssembler.Run.of(name, Map.of(), r.checkpoints(), r.alarms(),
                r.config().decay()).withProbePerTrainingBatch(r.probePerTrainingBatch()));
    }

    /**
     * Warm-up is named only where the prior explains the gap: at every checkpoint of the cold run
     * whose verdict is EMA_WARMUP, the warm-started twin (the same run with the prior removed) must
     * not be degraded at the same iteration. Checkpoints only one run has (a monitor's confirming
     * ones) are not compared.
     *
     * @return the iterations where the cold run says warm-up and the twin is degraded
     */
    static List<Long> warmupWhereTwinDegrades(MonitoredFamily.Result cold, MonitoredFamily.Result twin) {
        Map<Long, Double> twinRatio = new java.util.HashMap<>();
        twin.checkpoints().forEach(c -> twinRatio.put(c.iteration(), c.gap().evalToTrainRatio()));
        return cold.checkpoints().stream().filter(c -> c.verdict() == Verdict.EMA_WARMUP)
                .filter(c -> twinRatio.getOrDefault(c.iteration(), Double.NaN) >= DEGRADED_RATIO)
                .map(Checkpoint::iteration).toList();
    }

    private static long degradedCount(MonitoredFamily.Result r) {
        return r.checkpoints().stream().filter(c -> c.gap().evalToTrainRatio() >= DEGRADED_RATIO).count();
    }

    @Test
    void earlyWarningAndStateAlarmReachTheTargetOnHeldOutFamilies() {
        AlarmQuality warning = new AlarmQuality(0, 0, 0, 0);
        AlarmQuality state = warning;
        System.out.printf(Locale.ROOT, "%n== LagAlarm.CALIBRATED via BnMonitor on %s ==%n", families);
        System.out.printf(Locale.ROOT, "%-22s %4s %6s %9s  %-40s %-40s%n", "family", "runs", "cps", "degraded",
                "early warning", "state alarm");
        for (NetworkFamily f : families) {
            AlarmQuality fw = new AlarmQuality(0, 0, 0, 0);
            AlarmQuality fs = fw;
            int cps = 0;
            long bad = 0;
            for (String role : monitored(f).keySet()) {
                MonitoredFamily.Result r = runs.get(key(f, role));
                List<Checkpoint> c = r.checkpoints();
                Predicate<Checkpoint> warns = cp -> r.raised(cp.iteration(), BnMonitor.LAG_WARNING);
                Predicate<Checkpoint> alarms = cp -> r.raised(cp.iteration(), BnMonitor.LAG_ALARM);
                fw = fw.plus(AlarmQuality.ofRuns(List.of(c), warns, DEGRADED_RATIO, r.config().meanAge()));
                fs = fs.plus(AlarmQuality.of(c, alarms, DEGRADED_RATIO));
                cps += c.size();
                bad += degradedCount(r);
            }
            System.out.printf(Locale.ROOT, "%-22s %4d %6d %9d  %-40s %-40s%n", f, monitored(f).size(), cps, bad, fw, fs);
            warning = warning.plus(fw);
            state = state.plus(fs);
        }
        System.out.printf(Locale.ROOT, "%-22s %4s %6s %9s  %-40s %-40s%n", "overall", "", "", "", warning, state);
        assertThat(warning.precision()).as("early-warning precision %s", warning).isGreaterThanOrEqualTo(TARGET);
        assertThat(warning.recall()).as("early-warning recall %s", warning).isGreaterThanOrEqualTo(TARGET);
        assertThat(state.precision()).as("state-alarm precision %s", state).isGreaterThanOrEqualTo(TARGET);
        assertThat(state.recall()).as("state-alarm recall %s", state).isGreaterThanOrEqualTo(TARGET);
    }

    @Test
    void adaptiveDecayHoldsTheBoundOrNamesTheNoiseLimitedLayer() {
        List<String> failures = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%n== AdaptiveDecay (defaults) against fixed decay, warm-started, from %d ==%n",
                WARMUP);
        for (NetworkFamily f : families) {
            MonitoredFamily.Result adaptive = runs.get(key(f, "adaptive"));
            if (adaptive == null) {
                System.out.printf(Locale.ROOT, "%-22s recipe is not Adam: not run%n", f);
                continue;
            }
            MonitoredFamily.Result fixed = runs.get(key(f, "warm"));
            double fixedWorst = worstAfter(fixed, WARMUP);
            double adaptiveWorst = worstAfter(adaptive, WARMUP);
            RunSummary s = summary(f + " adaptive", adaptive);
            String said = String.join(" ", s.recommendations());
            // the honest outcomes where no decay helps: the layer is noise-limited, or it lags even at the shortest window
            boolean namesNoise = said.toLowerCase(Locale.ROOT).contains("noise-limited")
                    || said.contains(io.github.bndoctor.probe.LagAtFloor.NAMED);
            System.out.printf(Locale.ROOT, "%-22s fixed %.3f worst %6.2f; adaptive worst %6.2f; verdict %s; names the noise"
                    + " limit or lag at the floor %b%n", f, fixed.config().decay(), fixedWorst, adaptiveWorst, s.verdict(), namesNoise);
            System.out.printf(Locale.ROOT, "%-22s joint noise cost per checkpoint %s%n", "", adaptive.checkpoints().stream()
                    .map(c -> String.format(Locale.ROOT, "%d:%.2f", c.iteration(), c.jointNoiseCost())).toList());
            io.github.bndoctor.probe.JointNoiseLimit.of(adaptive.checkpoints(), adaptive.probePerTrainingBatch())
                    .ifPresent(j -> System.out.printf(Locale.ROOT, "%-22s %s%n", "", j.describe()));
            if (fixedWorst > FIXED_BAD && adaptiveWorst > ADAPTIVE_RATIO && !namesNoise) {
                failures.add(String.format(Locale.ROOT, "%s: adaptive %.2f (fixed %.2f), verdict %s, %s", f,
                        adaptiveWorst, fixedWorst, s.verdict(), s.recommendations()));
            }
            assertThat(trainedParameters(adaptive.run().model())).as("%s: training with and without adaptive decay", f)
                    .isEqualTo(trainedParameters(fixed.run().model()));
        }
        assertThat(failures).as("families where adaptive decay neither held %.1f nor named the noise limit",
                ADAPTIVE_RATIO).isEmpty();
    }

    /** Every parameter but the BN layers' moving statistics, as float bits per name. */
    private static Map<String, List<Float>> trainedParameters(Model model) {
        Map<String, List<Float>> out = new java.util.TreeMap<>();
        model.paramTable().forEach((name, p) -> {
            if (!name.endsWith("_mean") && !name.endsWith("_var") && !name.endsWith("_log10stdev")) {
                INDArray flat = p.dup().reshape(p.length());
                out.put(name, java.util.Arrays.asList(org.apache.commons.lang3.ArrayUtils.toObject(flat.toFloatVector())));
            }
        });
        return out;
    }

    @Test
    void forecastWithinTwiceTheMeasuredRotationWhereItClaimsEquilibrium() {
        List<String> failures = new ArrayList<>();
        int compared = 0;
        System.out.printf(Locale.ROOT, "%n== Lag forecast against measured RMS rotation, second half ==%n");
        for (NetworkFamily f : families) {
            FamilyConfig e = equilibrium(f);
            System.out.printf(Locale.ROOT, "%s (%s, %d iterations)%n", f, e.name(), e.iterations());
            for (LayerForecast lf : forecasts.get(f.name())) {
                double measured = rotations.get(f.name()).rms(lf.layer());
                double share = invariance.get(f.name()).getOrDefault(lf.layer(), Double.NaN);
                boolean claims = lf.regime() == LagForecast.Regime.EQUILIBRIUM
                        && lf.equilibriumIterations() <= e.iterations() / 2.0;
                double ratio = lf.rotationDegPerStep() / measured;
                System.out.printf(Locale.ROOT, "  %-14s %-13s forecast %7.3f reached ~%6.0f measured %7.3f ratio %5.2f"
                        + " v/(v+eps) %.2f%n", lf.layer(), lf.regime(), lf.rotationDegPerStep(), lf.equilibriumIterations(),
                        measured, ratio, share);
                if (claims && share >= SCALE_INVARIANT) {
                    compared++;
                    if (!(ratio <= FORECAST_FACTOR && ratio >= 1 / FORECAST_FACTOR)) {
                        failures.add(String.format(Locale.ROOT, "%s %s: forecast/measured %.2f", f, lf.layer(), ratio));
                    }
                }
            }
        }
        assertThat(compared).as("layers compared").isPositive();
        assertThat(failures).as("forecast off by more than %.0fx", FORECAST_FACTOR).isEmpty();
    }

    @Test
    void forecastSaysNotAtEquilibriumYetWithTheExpectedTimeWhereItLiesBeyondTheRun() {
        List<String> failures = new ArrayList<>();
        for (NetworkFamily f : families) {
            FamilyConfig slow = FamilyCorpus.slowEquilibrium(f, SEED);
            List<LayerForecast> fc = LagForecast.of(BnNetwork.of(f.build(slow)));
            String table = LagForecast.table(fc, java.util.OptionalLong.of(slow.iterations()));
            for (LayerForecast lf : fc) {
                if (lf.regime() == LagForecast.Regime.EQUILIBRIUM && lf.equilibriumIterations() > slow.iterations()) {
                    String when = String.format(Locale.ROOT, "%.0f", lf.equilibriumIterations());
                    if (!table.toLowerCase(Locale.ROOT).contains("not at equilibrium") || !table.contains(when)) {
                        failures.add(f + " " + lf.layer() + " (expected after ~" + when + " it)");
                    }
                }
            }
        }
        assertThat(failures).as("layers whose forecast claims an equilibrium beyond the run without saying so")
                .isEmpty();
    }

    @Test
    void degradedRunsAreNeverHealthyAndTheReadmeGateFailsThem() {
        List<String> failures = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%n== Run verdicts and the README's gate ==%n");
        for (NetworkFamily f : families) {
            for (String role : monitored(f).keySet()) {
                MonitoredFamily.Result r = runs.get(key(f, role));
                RunSummary s = summary(key(f, role), r);
                long bad = degradedCount(r);
                int n = r.checkpoints().size();
                boolean degraded = 2 * bad >= n;
                long firstFail = r.alarms().stream().filter(a -> a.level() == io.github.bndoctor.monitor.AlarmLevel.FAIL)
                        .mapToLong(io.github.bndoctor.monitor.Alarm::iteration).min().orElse(-1);
                System.out.printf(Locale.ROOT, "%-28s degraded %3d/%3d worst %6.2f verdict %-11s gate %s first FAIL %d%n",
                        key(f, role), bad, n, worstAfter(r, 0), s.verdict(), r.gateFails() ? "FAIL" : "PASS", firstFail);
                if (!degraded) {
                    continue;
                }
                String recs = String.join(" ", s.recommendations());
                if (Verdict.HEALTHY.name().equals(s.verdict()) || recs.contains("stayed within")) {
                    failures.add(key(f, role) + ": verdict " + s.verdict() + " over " + bad + "/" + n + " degraded");
                }
                if (!r.gateFails() && r.config().iterations() > r.config().window()) {
                    failures.add(key(f, role) + ": README gate passes " + bad + "/" + n + " degraded checkpoints");
                }
                if ("cold".equals(role)) {
                    List<Long> unexplained = warmupWhereTwinDegrades(r, runs.get(key(f, "warm")));
                    if (!unexplained.isEmpty()) {
                        failures.add(key(f, role) + ": called warm-up at iterations " + unexplained
                                + ", where the warm-started twin is degraded");
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
    }
}
