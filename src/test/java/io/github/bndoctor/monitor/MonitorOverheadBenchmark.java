package io.github.bndoctor.monitor;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.scenario.MonitoredScenario;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Costs measured in one run on the seed scenario, printed as ratios (these machines are noisy;
 * absolute times are not compared across runs): listener overhead as a share of training time at
 * the default interval, one checkpoint's probes as a multiple of one forward pass, and precise-BN
 * recalibration as a multiple of one training iteration. Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
class MonitorOverheadBenchmark {
    static final int ITERATIONS = 2 * BnMonitor.DEFAULT_EVERY;

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

        MonitoredScenario.Result monitored = MonitoredScenario.run(config, BnMonitor.DEFAULT_EVERY, c -> { });
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
            System.out.printf("  one checkpoint's probes:       %.1f x one inference forward pass of the %d-example probe%n",
                    perCheckpoint / forward, MonitoredScenario.PROBE_SIZE);
            System.out.printf("  recalibration (256 samples):   %.1f x one training iteration%n",
                    recalibration / plainPerIter);
        }
        assertThat(monitored.checkpoints()).extracting(Checkpoint::iteration)
                .containsExactly((long) BnMonitor.DEFAULT_EVERY, (long) ITERATIONS);
    }
}
