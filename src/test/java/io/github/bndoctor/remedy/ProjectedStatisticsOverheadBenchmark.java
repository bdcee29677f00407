package io.github.bndoctor.remedy;

import io.github.bndoctor.scenario.InterleavedTraining;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import io.github.bndoctor.testkit.FullMobileNetV2;
import io.github.bndoctor.testkit.RoundRatio;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProjectedStatistics}' cost on the seed scenario, measured in one run against the same training without
 * listeners: four identical runs (no listener, a second one as an A/A control that shows the method's own bias
 * and noise, the listener with pooled moments accumulated every second batch, and the listeners as configured:
 * its defaults, or one per entry of {@code -Dbndoctor.bench.configs=N:R,...}, accumulated every {@code N}-th
 * batch with the covariance every {@code R}-th accumulated one) train in
 * rounds of {@value #BLOCK} iterations each, the order rotating per round, timed by the training thread's CPU
 * time (ND4J runs the ops on the calling thread with {@code OMP_NUM_THREADS=1}, as the build's test JVMs set
 * it); rounds with a garbage collection in or just before them are dropped
 * ({@link InterleavedTraining#cpuNanos}). Printed per arm: the ratio of the summed times to the plain run's,
 * and over groups of {@value #GROUP} kept rounds the mean ratio with +- 2 standard errors and the median with
 * its distribution-free 95% interval ({@link RoundRatio}); and each listener's own time (its callbacks, timed
 * inside) as a share of the plain step. The same A/B (no listener against the configured listener) runs on a
 * full-width MobileNetV2 ({@link FullMobileNetV2}, 3x96x96, batch 8, 52 BN layers, all projected) in rounds
 * of {@link #MOBILENET_BLOCK} iterations per arm, the order alternating. Run with
 * {@code mvn test -Pbench -Dtest=ProjectedStatisticsOverheadBenchmark} ({@code -Dbndoctor.bench.rounds=N},
 * default 1,200, for the seed scenario; {@code -Dbndoctor.bench.mobilenetRounds=N}, default 15, for MobileNetV2;
 * {@code #seedScenario} or {@code #mobileNetV2} after the class name runs one).
 */
@Tag("bench")
class ProjectedStatisticsOverheadBenchmark {
    /** Iterations per arm and round on the seed scenario: short, so that few rounds hold a collection. */
    static final int BLOCK = 4;
    static final int ROUNDS = Integer.getInteger("bndoctor.bench.rounds", 1200);
    static final int MOBILENET_ROUNDS = Integer.getInteger("bndoctor.bench.mobilenetRounds", 15);
    /**
     * MobileNetV2 iterations per arm and round: the default write interval, so every round holds one write and
     * five accumulations and the rounds differ only by load.
     */
    static final int MOBILENET_BLOCK = ProjectedStatistics.DEFAULT_EVERY;
    /** Untimed iterations per MobileNetV2 arm before the rounds (JIT, workspaces, the first writes). */
    static final int MOBILENET_WARMUP = 20;
    /** Distinct training batches the MobileNetV2 arms cycle through. */
    static final int MOBILENET_BATCHES = 4;

    /** Delegates to the listener and sums the thread CPU time of its callbacks. */
    static final class Timed extends BaseTrainingListener {
        private final ProjectedStatistics listener;
        private final ThreadMXBean mx;
        private long nanos;

        Timed(ProjectedStatistics listener, ThreadMXBean mx) {
            this.listener = listener;
            this.mx = mx;
        }

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            long t = mx.getCurrentThreadCpuTime();
            listener.onForwardPass(model, activations);
            nanos += mx.getCurrentThreadCpuTime() - t;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            long t = mx.getCurrentThreadCpuTime();
            listener.iterationDone(model, iteration, epoch);
            nanos += mx.getCurrentThreadCpuTime() - t;
        }

        @Override
        public void onEpochEnd(Model model) {
            listener.onEpochEnd(model);
        }
    }

    @Test
    void seedScenario() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assertThat(mx.isCurrentThreadCpuTimeSupported()).as("thread CPU time").isTrue();
        ScenarioConfig config = ScenarioConfig.seedCollapse();
        List<ProjectedStatistics> listeners = new ArrayList<>();
        listeners.add(ProjectedStatistics.builder().accumulateEvery(2).covarianceEvery(1).build());
        listeners.addAll(configured());
        List<String> names = new ArrayList<>(List.of("no listener", "A/A control"));
        for (ProjectedStatistics l : listeners) {
            names.add(l.accumulateEvery() + ":" + l.covarianceEvery());
        }
        ScenarioRun[] runs = new ScenarioRun[names.size()];
        for (int a = 0; a < runs.length; a++) {
            runs[a] = ScenarioRun.start(config);
        }
        Timed[] timed = new Timed[listeners.size()];
        for (int k = 0; k < timed.length; k++) {
            timed[k] = new Timed(listeners.get(k), mx);
            runs[2 + k].graph().addListeners(timed[k]);
        }
        for (ScenarioRun run : runs) {
            run.train(InterleavedTraining.WARMUP);
        }
        for (Timed t : timed) {
            t.nanos = 0;
        }
        long[][] cpu = InterleavedTraining.cpuNanos(ROUNDS, BLOCK, runs);
        int kept = cpu[0].length;
        System.out.printf(Locale.ROOT, "%nProjectedStatistics overhead (seed scenario, %d of %d rounds of %d iterations per arm kept"
                        + " (no collection in or just before them), arms rotated, after %d warm-up; CPU time of the training"
                        + " thread; groups of %d kept rounds for the intervals; %s):%n", kept, ROUNDS, BLOCK,
                InterleavedTraining.WARMUP, GROUP, System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"));
        for (int k = 0; k < timed.length; k++) {
            System.out.printf(Locale.ROOT, "  %s: %s%n", names.get(2 + k), describe(listeners.get(k)));
        }
        long[] plain = grouped(cpu[0]);
        for (int a = 0; a < runs.length; a++) {
            long[] arm = grouped(cpu[a]);
            System.out.printf(Locale.ROOT, "  %-12s %.3f ms/it; ratio of sums %.4f; %s; %s%n", names.get(a),
                    sum(cpu[a]) / 1e6 / kept / BLOCK, sum(cpu[a]) / (double) sum(cpu[0]), RoundRatio.percent(arm, plain),
                    RoundRatio.medianPercent(arm, plain));
        }
        double plainStep = sum(cpu[0]) / (double) kept / BLOCK;
        for (int k = 0; k < timed.length; k++) {
            double own = timed[k].nanos / (double) ROUNDS / BLOCK;
            System.out.printf(Locale.ROOT, "  %s: own callbacks %.3f ms/it CPU (every round), %.4f of the plain step%n",
                    names.get(2 + k), own / 1e6, own / plainStep);
        }
        for (ProjectedStatistics l : listeners) {
            assertThat(l.routes()).isNotEmpty();
        }
    }

    /**
     * The listeners under test: the defaults, or per {@code ACCUMULATE:COVARIANCE} entry of
     * {@code -Dbndoctor.bench.configs} (comma-separated) one with those intervals.
     */
    static List<ProjectedStatistics> configured() {
        String spec = System.getProperty("bndoctor.bench.configs");
        List<ProjectedStatistics> out = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            out.add(ProjectedStatistics.builder().build());
            return out;
        }
        for (String c : spec.split(",")) {
            String[] p = c.trim().split(":");
            out.add(ProjectedStatistics.builder().accumulateEvery(Integer.parseInt(p[0]))
                    .covarianceEvery(Integer.parseInt(p[1])).build());
        }
        return out;
    }
    static String describe(ProjectedStatistics l) {
        return String.format(Locale.ROOT, "every=%d, input decay %s, accumulated every %d, covariance every %d accumulated,"
                        + " position limit %s", l.every(), l.inputDecay(), l.accumulateEvery(), l.covarianceEvery(),
                l.maxPositions() == Integer.MAX_VALUE ? "none" : l.maxPositions());
    }

    /** Kept rounds per group: 40 iterations, a whole number of writes and of covariance batches at the intervals benchmarked. */
    static final int GROUP = 10;

    /** Sums of {@value #GROUP} consecutive kept rounds (the rest dropped), so every group holds about the same work. */
    static long[] grouped(long[] rounds) {
        long[] out = new long[rounds.length / GROUP];
        for (int i = 0; i < out.length * GROUP; i++) {
            out[i / GROUP] += rounds[i];
        }
        return out;
    }

    @Test
    void mobileNetV2() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assertThat(mx.isCurrentThreadCpuTimeSupported()).as("thread CPU time").isTrue();
        Nd4j.getRandom().setSeed(7);
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < MOBILENET_BATCHES; i++) {
            data.add(new DataSet(Nd4j.rand(DataType.FLOAT, 8, 3, 96, 96),
                    Nd4j.rand(DataType.FLOAT, 8, FullMobileNetV2.HEATMAPS, 3, 3)));
        }
        ComputationGraph[] nets = {FullMobileNetV2.build(96, 1), FullMobileNetV2.build(96, 1)};
        ProjectedStatistics listener = configured().get(0);
        Timed timed = new Timed(listener, mx);
        nets[1].addListeners(timed);
        int[] next = new int[nets.length];
        for (int a = 0; a < nets.length; a++) {
            for (int i = 0; i < MOBILENET_WARMUP; i++) {
                nets[a].fit(data.get(next[a]++ % MOBILENET_BATCHES));
            }
        }
        timed.nanos = 0;
        long[][][] times = interleave(mx, nets.length, MOBILENET_ROUNDS, a -> {
            for (int i = 0; i < MOBILENET_BLOCK; i++) {
                nets[a].fit(data.get(next[a]++ % MOBILENET_BATCHES));
            }
        });
        long[][] cpu = times[0];
        long[][] wall = times[1];
        int n = MOBILENET_ROUNDS * MOBILENET_BLOCK;
        long projected = listener.routes().values().stream()
                .filter(route -> route.path() == ProjectedStatistics.Path.PROJECTED).count();
        System.out.printf(Locale.ROOT, "%nProjectedStatistics overhead (full-width MobileNetV2 3x96x96, batch 8, %d of %d BN"
                        + " layers projected; %d rounds of %d iterations per arm, order alternating, after %d warm-up;"
                        + " %s):%n",
                projected, listener.routes().size(), MOBILENET_ROUNDS, MOBILENET_BLOCK, MOBILENET_WARMUP, describe(listener));
        String[] names = {"no listener", "ProjectedStatistics"};
        for (int a = 0; a < nets.length; a++) {
            System.out.printf(Locale.ROOT, "  %-20s CPU %.1f ms/it, ratio %s; wall %.1f ms/it, ratio %s%n", names[a],
                    sum(cpu[a]) / 1e6 / n, RoundRatio.of(cpu[a], cpu[0]), sum(wall[a]) / 1e6 / n, RoundRatio.of(wall[a], wall[0]));
        }
        System.out.printf(Locale.ROOT, "  the listener's own callbacks: %.2f ms/it CPU, %.4f of the plain step%n",
                timed.nanos / 1e6 / n, timed.nanos / (double) sum(cpu[0]));
        assertThat(projected).isPositive();
    }

    /**
     * Runs every arm once per round, the order rotating by one arm per round.
     *
     * @return the thread CPU and the wall nanoseconds, {@code [0 cpu | 1 wall][arm][round]}
     */
    private static long[][][] interleave(ThreadMXBean mx, int arms, int rounds, IntConsumer arm) {
        long[][][] times = new long[2][arms][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < arms; k++) {
                int a = (k + r) % arms;
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                arm.accept(a);
                times[1][a][r] = System.nanoTime() - t0;
                times[0][a][r] = mx.getCurrentThreadCpuTime() - c0;
            }
        }
        return times;
    }

    private static long sum(long[] x) {
        return Arrays.stream(x).sum();
    }
}
