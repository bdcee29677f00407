package io.github.bndoctor.dl4j;

import io.github.bndoctor.backend.NativeSpeedSettings;
import io.github.bndoctor.testkit.FullMobileNetV2;
import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.testkit.RoundRatio;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One precise-statistics pass over a batch of a full-width MobileNetV2 ({@link FullMobileNetV2},
 * 3x96x96, batches of 8 and 64): DL4J's training-mode pass read at every BN input against the same
 * pass computed in inference mode with the batch statistics substituted ({@link BatchStatisticsPass}),
 * with DL4J's plain training-mode and inference-mode outputs for reference. Rounds interleaved, the
 * order rotating, in one JVM; the training thread's CPU time (ND4J runs the ops on the calling thread
 * at one native thread), so load from other processes moves wall time more than these figures.
 * Printed: time per example per arm and each arm's ratio to DL4J's pass, with the mean of per-round
 * ratios +- 2 standard errors. Run with {@code mvn test -Pbench -Dtest=PrecisePassSpeedBenchmark}.
 */
@Tag("bench")
final class PrecisePassSpeedBenchmark {
    private static final int ROUNDS = 8;
    private static final int EXAMPLES_PER_ARM = 128;
    private static final String[] ARMS = {"DL4J training pass, read", "substituted pass, read", "output(train)",
        "output(inference)"};

    @Test
    void substitutedPassAgainstDl4jsTrainingPass() throws Exception {
        NativeSpeedSettings.applyDefaults();
        Nd4j.getEnvironment().setMaxThreads(1);
        BnNetwork net = BnNetwork.of(FullMobileNetV2.build(96, 1));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "full-width MobileNetV2 3x96x96, oneDNN helpers %s, %d rounds of %d examples"
                + " per arm, order rotating; CPU ms per example, ratio to DL4J's training pass%n",
                NativeSpeedSettings.oneDnnHelpersActive(), ROUNDS, EXAMPLES_PER_ARM));
        for (int batch : new int[] {8, 64}) {
            Nd4j.getRandom().setSeed(batch);
            INDArray[] x = {Nd4j.rand(DataType.FLOAT, batch, 3, 96, 96)};
            long[][] cpu = new long[ARMS.length][ROUNDS];
            for (int a = 0; a < ARMS.length; a++) {
                run(net, a, x, batch); // warm-up: JIT, workspaces at this batch size
            }
            for (int r = 0; r < ROUNDS; r++) {
                for (int k = 0; k < ARMS.length; k++) {
                    int a = (k + r) % ARMS.length;
                    long c0 = mx.getCurrentThreadCpuTime();
                    for (int n = 0; n < EXAMPLES_PER_ARM; n += batch) {
                        run(net, a, x, batch);
                    }
                    cpu[a][r] = mx.getCurrentThreadCpuTime() - c0;
                }
            }
            out.append(String.format(Locale.ROOT, "batch %d:%n", batch));
            for (int a = 0; a < ARMS.length; a++) {
                out.append(String.format(Locale.ROOT, "  %-26s %6.2f ms/example, ratio %s%n", ARMS[a],
                        Arrays.stream(cpu[a]).sum() / 1e6 / (ROUNDS * EXAMPLES_PER_ARM), RoundRatio.of(cpu[a], cpu[0])));
            }
        }
        try (RecordWriter.Section record = RecordWriter.section("PrecisePassSpeedBenchmark")) {
            System.out.print(out);
        }
    }

    private static void run(BnNetwork net, int arm, INDArray[] x, int batch) {
        switch (arm) {
            case 0 -> {
                Map<String, BatchStatistics> s = new HashMap<>();
                net.forEachBnInput(x, true, (ref, in) -> s.put(ref.name(), BatchStatisticsCapture.of(ref, in)));
            }
            case 1 -> BatchStatisticsPass.capture(net, x);
            case 2 -> net.output(x, true);
            default -> net.output(x, false);
        }
    }
}
