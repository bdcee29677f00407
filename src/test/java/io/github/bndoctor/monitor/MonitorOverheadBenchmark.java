package io.github.bndoctor.monitor;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.WeightSnapshotRing;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.scenario.MonitoredScenario;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Costs measured in one run on the seed scenario, printed as ratios (these machines are noisy;
 * absolute times are not compared across runs): listener overhead as a share of training time at
 * the default interval, one checkpoint's probes as a multiple of one forward pass, and precise-BN
 * recalibration as a multiple of one training iteration. Run with {@code mvn test -Pbench}.
 *
 * <p>At the default interval a run of {@value #ITERATIONS} iterations holds two checkpoints, the first
 * of which also compiles the diagnostic code (the JIT), while plain training leaves out its first
 * 20 iterations; and the listener's time per checkpoint there includes the weight snapshots taken
 * between checkpoints. So the steady state is measured apart: {@value #STEADY_ITERATIONS} iterations
 * with a checkpoint every {@value #STEADY_EVERY}, the monitor bracketed by two listeners that read the
 * clock just before and just after it at every iteration. A checkpoint's cost is the monitor's time at
 * its iteration and at the iteration before (the rotation snapshot), a training iteration's the time
 * from the last listener of one iteration to the first of the next; each checkpoint is counted in the
 * median of the {@value #NEIGHBOURS} training iterations just before it, and the figure is the median
 * of the checkpoints after the first, in wall time and in the training thread's CPU time (which other
 * work on the machine inflates less).
 */
@Tag("bench")
class MonitorOverheadBenchmark {
    static final int ITERATIONS = 2 * BnMonitor.DEFAULT_EVERY;
    /** Checkpoint interval of the steady-state measurement: a multiple of the snapshot interval. */
    static final int STEADY_EVERY = 30;
    /** Iterations of the steady-state measurement: 40 checkpoints, so that their median is steady on a shared machine. */
    static final int STEADY_ITERATIONS = 40 * STEADY_EVERY;
    /** Training iterations a checkpoint is compared with: those just before it. */
    static final int NEIGHBOURS = 10;

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /**
     * Reads the clocks at every iteration's end, where DL4J calls it among the listeners: wall time and
     * the training thread's CPU time (with one native thread, {@code OMP_NUM_THREADS=1}, ND4J's ops run on
     * it), which other processes on the machine inflate less.
     */
    static final class Clock extends BaseTrainingListener {
        final long[] wall;
        final long[] cpu;
        private int n;

        Clock(int iterations) {
            wall = new long[iterations];
            cpu = new long[iterations];
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            cpu[n] = CPU.getCurrentThreadCpuTime();
            wall[n++] = System.nanoTime();
        }
    }

    /** Per-iteration times of a monitored run, by wall clock and by the training thread's CPU clock. */
    private record Bracketed(MonitoredScenario.Result result, Times wall, Times cpu) {
        static Bracketed run(ScenarioConfig config, int every) {
            Clock before = new Clock(config.iterations());
            Clock after = new Clock(config.iterations());
            MonitoredScenario.Result r = MonitoredScenario.run(config, every, c -> { }, List.of(before), List.of(after));
            return new Bracketed(r, Times.of(before.wall, after.wall), Times.of(before.cpu, after.cpu));
        }
    }

    /** One clock's readings as the monitor's time at each iteration and training's between iterations. */
    private record Times(long[] monitor, long[] training) {
        static Times of(long[] before, long[] after) {
            long[] monitor = new long[before.length];
            long[] training = new long[before.length];
            for (int i = 0; i < monitor.length; i++) {
                monitor[i] = after[i] - before[i];
                training[i] = i == 0 ? -1 : before[i] - after[i - 1];
            }
            return new Times(monitor, training);
        }

        /** The monitor's time at the checkpoint ending iteration {@code done} and at the iteration before. */
        long checkpoint(long done) {
            return monitor[(int) done - 1] + monitor[(int) done - 2];
        }

        /**
         * The checkpoint ending iteration {@code done} in training iterations: its time over the median of
         * the {@value MonitorOverheadBenchmark#NEIGHBOURS} training iterations just before it (the last of them is the iteration
         * whose end takes the rotation snapshot), so a slow spell of the machine longer than a few
         * iterations slows both alike.
         */
        double local(long done) {
            int last = (int) done - 2;
            return checkpoint(done) / median(Arrays.copyOfRange(training, last - NEIGHBOURS + 1, last + 1));
        }

        /** Checkpoints in training iterations ({@link #local}): the first, then the median, least and largest of the others. */
        double[] checkpoints(List<Checkpoint> checkpoints) {
            double[] all = checkpoints.stream().mapToDouble(c -> local(c.iteration())).toArray();
            double[] later = Arrays.copyOfRange(all, 1, all.length);
            return new double[] {all[0], median(later), Arrays.stream(later).min().getAsDouble(),
                Arrays.stream(later).max().getAsDouble()};
        }

        /** Time the monitor spent away from the checkpoints, as a share of training time. */
        double between(List<Checkpoint> checkpoints) {
            long at = checkpoints.stream().mapToLong(c -> checkpoint(c.iteration())).sum();
            return (double) (Arrays.stream(monitor).sum() - at) / Arrays.stream(training, 1, training.length).sum();
        }
    }

    private static double median(long[] values) {
        return median(Arrays.stream(values).asDoubleStream().toArray());
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double perCheckpointIters(double checkpointNanos, double iterationNanos) {
        return checkpointNanos / iterationNanos;
    }

    @Test
    void printsOverheadRatios() {
        ScenarioConfig config = ScenarioConfig.seedDivergence().toBuilder().iterations(ITERATIONS).build();
        // plain training, same configuration and seed
        ScenarioRun plain = ScenarioRun.start(config);
        plain.train(20); // JIT and workspace warm-up, excluded
        long t0 = System.nanoTime();
        plain.train(ITERATIONS - 20);
        double plainPerIter = (System.nanoTime() - t0) / (double) (ITERATIONS - 20);

        Bracketed atDefault = Bracketed.run(config, BnMonitor.DEFAULT_EVERY);
        MonitoredScenario.Result monitored = atDefault.result();
        double overhead = (double) monitored.probeNanos() / (monitored.trainNanos() - monitored.probeNanos());
        double monitoredPerIter = (monitored.trainNanos() - monitored.probeNanos()) / (double) ITERATIONS;

        BnNetwork net = MonitoredScenario.network(monitored);
        DataSet probe = monitored.run().data().probeSet(MonitoredScenario.PROBE_SIZE).dataSet();
        INDArray[] x = {probe.getFeatures()};
        for (int i = 0; i < 3; i++) {
            net.output(x, false);
        }
        long f0 = System.nanoTime();
        int forwards = 10;
        for (int i = 0; i < forwards; i++) {
            net.output(x, false);
        }
        double forward = (System.nanoTime() - f0) / (double) forwards;
        double perCheckpoint = monitored.probeNanos() / (double) monitored.checkpoints().size();

        // the steady state: checkpoints every STEADY_EVERY iterations, the diagnostic code compiled by now
        Bracketed steady = Bracketed.run(config.toBuilder().iterations(STEADY_ITERATIONS).build(), STEADY_EVERY);
        double[] steadyWall = steady.wall().checkpoints(steady.result().checkpoints());
        double[] steadyCpu = steady.cpu().checkpoints(steady.result().checkpoints());

        List<DataSet> recal = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            recal.add(monitored.run().data().nextBatch(config.batchSize()).dataSet());
        }
        long r0 = System.nanoTime();
        PreciseBn.recalibrate(net.copy(), new ListDataSetIterator<>(recal, 1), 256);
        double recalibration = System.nanoTime() - r0;

        try (RecordWriter.Section record = RecordWriter.section("MonitorOverheadBenchmark")) {
            System.out.printf("%nbn-doctor benchmark (seed scenario, %d iterations, %s)%n", ITERATIONS,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"));
            System.out.printf("  training iteration:            %.1f ms (plain), %.1f ms (monitored, probes excluded)%n",
                    plainPerIter / 1e6, monitoredPerIter / 1e6);
            System.out.printf("  listener overhead at every=%d: %.2f%% of training time (%d checkpoints)%n",
                    BnMonitor.DEFAULT_EVERY, 100 * overhead, monitored.checkpoints().size());
            System.out.printf("  one checkpoint:                %.1f training iterations%n", perCheckpointIters(
                    monitored.probeNanos() / (double) monitored.checkpoints().size(), monitoredPerIter));
            System.out.printf("    at every=%d, each:           %.1f (the first, with the JIT compiling the diagnostic code) and "
                    + "%.1f training iterations of wall time, %.1f and %.1f of CPU time (the monitor's time at the checkpoint "
                    + "and the iteration before, over the median of the %d iterations before)%n", BnMonitor.DEFAULT_EVERY,
                    atDefault.wall().local(BnMonitor.DEFAULT_EVERY), atDefault.wall().local(ITERATIONS),
                    atDefault.cpu().local(BnMonitor.DEFAULT_EVERY), atDefault.cpu().local(ITERATIONS), NEIGHBOURS);
            System.out.printf("  one checkpoint, steady state:  %.1f training iterations of wall time, %.1f of CPU time "
                    + "(median of the %d checkpoints after the first at every=%d; wall %.1f-%.1f, CPU %.1f-%.1f; "
                    + "the first: wall %.1f, CPU %.1f)%n", steadyWall[1], steadyCpu[1],
                    steady.result().checkpoints().size() - 1, STEADY_EVERY, steadyWall[2], steadyWall[3], steadyCpu[2],
                    steadyCpu[3], steadyWall[0], steadyCpu[0]);
            System.out.printf("  weight snapshots between checkpoints: %.2f%% of training time (every %d iterations)%n",
                    100 * steady.wall().between(steady.result().checkpoints()), WeightSnapshotRing.DEFAULT_EVERY);
            System.out.printf("  one checkpoint's probes:       %.1f x one inference forward pass of the %d-example probe%n",
                    perCheckpoint / forward, MonitoredScenario.PROBE_SIZE);
            System.out.printf("  recalibration (256 samples):   %.1f x one training iteration%n",
                    recalibration / plainPerIter);
        }
        assertThat(monitored.checkpoints()).extracting(Checkpoint::iteration)
                .containsExactly((long) BnMonitor.DEFAULT_EVERY, (long) ITERATIONS);
        assertThat(steady.result().checkpoints()).hasSize(STEADY_ITERATIONS / STEADY_EVERY);
    }
}
