package io.github.bndoctor.monitor;

import io.github.bndoctor.backend.NativeThreadLimit;
import io.github.bndoctor.testkit.FullMobileNetV2;
import io.github.bndoctor.testkit.RecordWriter;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One monitor checkpoint at the size users train: {@link FullMobileNetV2} at 3x96x96, batch 8, one
 * native thread, under the README's monitor ({@code BnMonitor.builder(probe).preciseData(...).every(k)}
 * with a probe of {@value #PROBE} examples and {@value #PRECISE} precise examples in batches of 8). The
 * monitor sits between two clock listeners; a checkpoint's cost is the monitor's time at its iteration
 * and at the one before (the rotation snapshot), in training steps: over the median of the
 * {@value #NEIGHBOURS} training steps just before it. Wall time and the training thread's CPU time; the
 * first checkpoint (the JIT compiling the diagnostic code) is printed apart. Run with
 * {@code mvn test -Pbench -Dtest=MonitorCheckpointMobileNetV2Benchmark}.
 *
 * <p>What bounds it: a checkpoint forwards the probe in inference mode, in training mode and with
 * precise statistics, and the precise examples in training mode, so about {@code 3 x PROBE + PRECISE}
 * example-passes forward against a training step's {@code 8} forward and backward (about three
 * forward passes' work each).
 */
@Tag("bench")
class MonitorCheckpointMobileNetV2Benchmark {
    static final int BATCH = 8;
    static final int PROBE = 64;
    static final int PRECISE = 128;
    static final int EVERY = 10;
    static final int CHECKPOINTS = 4;
    static final int NEIGHBOURS = 5;

    private static DataSet batch(int n) {
        return new DataSet(Nd4j.rand(DataType.FLOAT, n, 3, 96, 96),
                Nd4j.rand(DataType.FLOAT, n, FullMobileNetV2.HEATMAPS, 3, 3));
    }

    /** Checkpoint costs in training steps: index 0 the first, then the later ones. */
    private static double[] costs(long[] before, long[] after, List<Long> at) {
        double[] out = new double[at.size()];
        for (int k = 0; k < at.size(); k++) {
            int i = (int) (long) at.get(k) - 1;
            long monitor = after[i] - before[i] + after[i - 1] - before[i - 1];
            double[] steps = new double[NEIGHBOURS];
            for (int j = 0; j < NEIGHBOURS; j++) {
                int s = i - 1 - j;
                steps[j] = before[s] - after[s - 1];
            }
            Arrays.sort(steps);
            out[k] = monitor / steps[NEIGHBOURS / 2];
        }
        return out;
    }

    @Test
    void printsOneCheckpointInTrainingSteps() {
        NativeThreadLimit.apply(1);
        Nd4j.getRandom().setSeed(7);
        ComputationGraph net = FullMobileNetV2.build(96, 7);
        List<DataSet> training = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            training.add(batch(BATCH));
        }
        DataSet probe = batch(PROBE);
        List<DataSet> precise = new ArrayList<>();
        for (int i = 0; i < PRECISE / BATCH; i++) {
            precise.add(batch(BATCH));
        }
        int iterations = EVERY * CHECKPOINTS;
        MonitorOverheadBenchmark.Clock before = new MonitorOverheadBenchmark.Clock(iterations);
        MonitorOverheadBenchmark.Clock after = new MonitorOverheadBenchmark.Clock(iterations);
        BnMonitor monitor = BnMonitor.builder(probe.getFeatures(), probe.getLabels())
                .preciseData(new ListDataSetIterator<>(precise, BATCH)).every(EVERY).failFast(false).build();
        net.setListeners(before, monitor, after);
        for (int i = 0; i < iterations; i++) {
            net.fit(training.get(i % training.size()));
        }
        net.setListeners();
        List<Long> at = monitor.checkpoints().stream().map(c -> c.iteration()).toList();
        assertThat(at).as("scheduled checkpoints").contains((long) EVERY, (long) iterations);
        List<Long> scheduled = at.stream().filter(t -> t % EVERY == 0).toList();
        double[] wall = costs(before.wall, after.wall, scheduled);
        double[] cpu = costs(before.cpu, after.cpu, scheduled);
        double[] laterWall = Arrays.copyOfRange(wall, 1, wall.length);
        double[] laterCpu = Arrays.copyOfRange(cpu, 1, cpu.length);
        Arrays.sort(laterWall);
        Arrays.sort(laterCpu);
        try (RecordWriter.Section record = RecordWriter.section("MonitorCheckpointMobileNetV2Benchmark")) {
            System.out.printf(Locale.ROOT, "%nbn-doctor benchmark (full-width MobileNetV2, 3x96x96, batch %d, probe %d, "
                    + "precise %d, one native thread, %d checkpoints every %d)%n", BATCH, PROBE, PRECISE, scheduled.size(),
                    EVERY);
            System.out.printf(Locale.ROOT, "  one checkpoint after the first: %.1f training steps of wall time, %.1f of CPU "
                    + "time (median; wall %.1f-%.1f, CPU %.1f-%.1f)%n", laterWall[laterWall.length / 2],
                    laterCpu[laterCpu.length / 2], laterWall[0], laterWall[laterWall.length - 1], laterCpu[0],
                    laterCpu[laterCpu.length - 1]);
            System.out.printf(Locale.ROOT, "  the first checkpoint:           %.1f training steps of wall time, %.1f of CPU "
                    + "time%n", wall[0], cpu[0]);
            System.out.printf(Locale.ROOT, "  example-passes forward per checkpoint about %d (3 x probe + precise) against "
                    + "a step's %d forward and backward%n", 3 * PROBE + PRECISE, BATCH);
        }
    }
}
