package io.github.bndoctor.scenario;

import io.github.bndoctor.backend.NativeSpeedSettings;
import io.github.bndoctor.backend.NativeThreadLimit;
import io.github.bndoctor.testkit.FullMobileNetV2;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Locale;

/**
 * Child-JVM entry point of {@code MobileNetV2TwinSpeedBenchmark}: trains {@link FullMobileNetV2} at
 * 3x96x96, batch 8, with the command line's native settings and the given native thread count, and
 * prints {@code ms/step=T params=N threads=K} (T: mean over the timed steps after the warm-up steps),
 * as the PyTorch twin {@code bench/train_step_mobilenetv2.py} does.
 */
public final class MobileNetV2StepProbe {
    private MobileNetV2StepProbe() {
    }

    /**
     * @param args threads, timed steps, warm-up steps (the JIT compiles DL4J's Java code meanwhile)
     */
    public static void main(String[] args) {
        NativeSpeedSettings.applyDefaults();
        int threads = Integer.parseInt(args[0]);
        int steps = Integer.parseInt(args[1]);
        NativeThreadLimit.apply(threads);
        ComputationGraph net = FullMobileNetV2.build(96, 1);
        Nd4j.getRandom().setSeed(1);
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 8, 3, 96, 96),
                Nd4j.rand(DataType.FLOAT, 8, FullMobileNetV2.HEATMAPS, 3, 3));
        int warmUp = Integer.parseInt(args[2]);
        for (int i = 0; i < warmUp; i++) {
            net.fit(batch);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            net.fit(batch);
        }
        double ms = (System.nanoTime() - t0) / 1e6 / steps;
        System.out.println(String.format(Locale.ROOT, "ms/step=%.1f params=%d threads=%d", ms,
                net.numParams(), threads));
    }
}
