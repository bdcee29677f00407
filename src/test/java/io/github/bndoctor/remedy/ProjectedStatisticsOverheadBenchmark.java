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
 * {@link ProjectedStatistics}' cost at its defaults on the seed scenario, measured in one run against the
 * same training without listeners and with a listener that takes every forward pass's activations and does
 * nothing (what DL4J itself spends on an {@code onForwardPass} listener). Three identical runs train in
 * rounds of {@value #BLOCK} iterations each, the order rotating per round, so load from other processes
 * drifts into all arms alike. Times are the training thread's CPU time (ND4J runs the ops on the calling
 * thread with {@code OMP_NUM_THREADS=1}, as the build's test JVMs set it; CPU time does not count the waits
 * that other processes on a shared machine cause) and, for comparison, wall time. Printed per arm: the ratio
 * of the summed times to the plain run's, and the mean of the per-round ratios with an approximate 95%
 * interval (mean +- 2 standard errors). The listener's own time (its callbacks, timed inside) is printed
 * as a share of the plain step too. The same A/B (no listener against the listener at its defaults) runs on a
 * full-width MobileNetV2 ({@link FullMobileNetV2}, 3x96x96, batch 8, 52 BN layers, all projected) in rounds
 * of {@link #MOBILENET_BLOCK} iterations per arm, the order alternating. Run with
 * {@code mvn test -Pbench -Dtest=ProjectedStatisticsOverheadBenchmark} ({@code -Dbndoctor.bench.rounds=N},
 * default 400, for the seed scenario; {@code -Dbndoctor.bench.mobilenetRounds=N}, default 15, for MobileNetV2;
 * {@code #seedScenario} or {@code #mobileNetV2} after the class name runs one).
 */
@Tag("bench")
class ProjectedStatisticsOverheadBenchmark {
    /** Iterations per arm and round: one accumulation at the default interval of 2. */
    static final int BLOCK = 2;
    static final int ROUNDS = Integer.getInteger("bndoctor.bench.rounds", 400);
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

    /** Takes the activations of every training forward pass and does nothing with them. */
    static final class ForwardPassOnly extends BaseTrainingListener {
        private long seen;

        @Override
        public void onForwardPass(Model model, List<INDArray> activations) {
            seen += activations.size();
        }

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            seen += activations.size();
        }
    }

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
        String[] names = {"no listener", "onForwardPass no-op", "ProjectedStatistics"};
        ScenarioRun[] runs = {ScenarioRun.start(config), ScenarioRun.start(config), ScenarioRun.start(config)};
        ProjectedStatistics listener = ProjectedStatistics.builder().build();
        Timed timed = new Timed(listener, mx);
        runs[1].graph().addListeners(new ForwardPassOnly());
        runs[2].graph().addListeners(timed);
        for (ScenarioRun run : runs) {
            run.train(InterleavedTraining.WARMUP);
        }
        timed.nanos = 0;
        long[][][] times = interleave(mx, runs.length, ROUNDS, a -> runs[a].train(BLOCK));
        long[][] cpu = times[0];
        long[][] wall = times[1];
        int n = ROUNDS * BLOCK;
        System.out.printf(Locale.ROOT, "%nProjectedStatistics overhead (seed scenario, %d rounds of %d iterations per arm, order"
                        + " rotating, after %d warm-up; every=%d, input decay %s, accumulated every %d, position limit %s):%n",
                ROUNDS, BLOCK, InterleavedTraining.WARMUP, listener.every(), listener.inputDecay(), listener.accumulateEvery(),
                listener.maxPositions() == Integer.MAX_VALUE ? "none" : listener.maxPositions());
        for (int a = 0; a < runs.length; a++) {
            System.out.printf(Locale.ROOT, "  %-20s CPU %.2f ms/it, ratio %s; wall %.2f ms/it, ratio %s%n", names[a],
                    sum(cpu[a]) / 1e6 / n, RoundRatio.of(cpu[a], cpu[0]), sum(wall[a]) / 1e6 / n, RoundRatio.of(wall[a], wall[0]));
        }
        System.out.printf(Locale.ROOT, "  the listener's own callbacks: %.3f ms/it CPU, %.4f of the plain step%n",
                timed.nanos / 1e6 / n, timed.nanos / (double) sum(cpu[0]));
        assertThat(listener.routes()).isNotEmpty();
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
        ProjectedStatistics listener = ProjectedStatistics.builder().build();
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
                        + " every=%d, input decay %s, accumulated every %d, position limit %s):%n",
                projected, listener.routes().size(), MOBILENET_ROUNDS, MOBILENET_BLOCK, MOBILENET_WARMUP, listener.every(),
                listener.inputDecay(), listener.accumulateEvery(),
                listener.maxPositions() == Integer.MAX_VALUE ? "none" : listener.maxPositions());
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
