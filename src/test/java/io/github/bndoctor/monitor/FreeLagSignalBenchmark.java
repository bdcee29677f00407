package io.github.bndoctor.monitor;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.testkit.RoundRatio;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.scenario.InterleavedTraining;
import io.github.bndoctor.scenario.MonitoredScenario;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cost of the free per-iteration lag signal ({@link BatchStatisticsFromUpdates}) on the seed
 * scenario, measured in one run as ratios: three identical runs train in rounds rotated from round
 * to round, one with the listener at every iteration, one plain, one plain as an A/A control, timed by
 * the training thread's CPU time (the per-round ratio's mean with its approximate 95% interval); the
 * listener also times itself (printed for information: its clock also counts what happens on the thread
 * while it runs). Asserted: the listener's cost net of the A/A control (per round, the listener's time less
 * the control's, over plain; median) is at most 1% of training, and its interval is narrower than 1%. A
 * full checkpoint is timed on
 * the same network, in training iterations. Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
class FreeLagSignalBenchmark {
    static final int ROUNDS = 1200;
    /** A multiple of the listener's reading interval, so that every round holds one reading. */
    static final int PER_ROUND = 4;

    @Test
    void freeSignalCostsAtMostOnePercentOfTraining() {
        ScenarioConfig config = ScenarioConfig.seedDivergence();
        ScenarioRun plain = ScenarioRun.start(config);
        ScenarioRun watched = ScenarioRun.start(config);
        // as BnMonitor attaches it: batch statistics every iteration, a reading every DEFAULT_READ_EVERY
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(BatchStatisticsFromUpdates.DEFAULT_WINDOW,
                BatchStatisticsFromUpdates.DEFAULT_READ_EVERY, config.warmStartSamples() > 0, r -> { });
        watched.graph().addListeners(free);
        ScenarioRun control = ScenarioRun.start(config);
        InterleavedTraining.warmUp(plain, watched);
        control.train(InterleavedTraining.WARMUP);
        long freeBefore = free.nanos();
        long[][] cpu = InterleavedTraining.cpuNanos(ROUNDS, PER_ROUND, plain, control, watched);
        long plainNanos = java.util.Arrays.stream(cpu[0]).sum();
        long watchedNanos = java.util.Arrays.stream(cpu[2]).sum();
        long iterations = (long) cpu[0].length * PER_ROUND;
        RoundRatio.Median netCost = RoundRatio.netMedian(cpu[2], cpu[1], cpu[0]);
        // the listener's own time per iteration (all rounds) over a plain iteration's CPU time (kept rounds)
        double selfShare = (free.nanos() - freeBefore) / ((double) ROUNDS * PER_ROUND) / (plainNanos / (double) iterations);

        BnNetwork net = BnNetwork.of(watched.graph());
        DataSet probe = watched.data().probeSet(MonitoredScenario.PROBE_SIZE).dataSet();
        List<INDArray[]> precise = MonitoredScenario.preciseBatches(config);
        Diagnoser diagnoser = MonitoredScenario.diagnoser(config);
        INDArray[] x = {probe.getFeatures()};
        INDArray[] y = {probe.getLabels()};
        diagnoser.diagnose(net, x, y, precise.iterator(), watched.iteration(), Long.MAX_VALUE, Map.of());
        int checkpoints = 3;
        long c0 = System.nanoTime();
        for (int i = 0; i < checkpoints; i++) {
            diagnoser.diagnose(net, x, y, precise.iterator(), watched.iteration(), Long.MAX_VALUE, Map.of());
        }
        double checkpointIters = (System.nanoTime() - c0) / (double) checkpoints / (plainNanos / (double) iterations);

        try (RecordWriter.Section record = RecordWriter.section("FreeLagSignalBenchmark")) {
            System.out.printf("%nbn-doctor free lag signal (seed scenario, %d of %d rounds of %d iterations kept (no collection"
                    + " in or just before them), %s)%n", cpu[0].length, ROUNDS, PER_ROUND,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"));
            System.out.printf("  training iteration:               %.1f ms plain, %.1f ms with the listener%n",
                    plainNanos / 1e6 / iterations, watchedNanos / 1e6 / iterations);
            System.out.printf("  listener at every iteration:      %.3f%% of training time (self-timed: its clock also counts"
                    + " collections and safepoints that fall inside it; for information)%n", 100 * selfShare);
            System.out.println("  with the listener over plain:     " + RoundRatio.percent(cpu[2], cpu[0])
                    + "; " + RoundRatio.medianPercent(cpu[2], cpu[0])
                    + " (CPU time of the training thread, arms rotated in blocks of " + PER_ROUND + ")");
            System.out.println("  A/A control (a second plain run): " + RoundRatio.percent(cpu[1], cpu[0])
                    + "; " + RoundRatio.medianPercent(cpu[1], cpu[0]));
            System.out.println("  net of the A/A control:           " + netCost
                    + " (per round, with the listener less the control, over plain)");
            System.out.printf("  one full checkpoint:              %.1f training iterations%n", checkpointIters);
            System.out.printf("  latest reading at %d: median EMA error %.3f over %d layers%n",
                    free.latest().iteration(), free.latest().medianEmaError(), free.latest().layers().size());
        }
        assertThat(free.latest()).isNotNull();
        assertThat(netCost.width()).as("width of the net cost's interval").isLessThan(0.01);
        assertThat(netCost.value()).as("free signal's net share of training time").isLessThanOrEqualTo(0.01);
    }
}
