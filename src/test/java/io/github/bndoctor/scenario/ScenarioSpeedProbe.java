package io.github.bndoctor.scenario;

import io.github.bndoctor.backend.BackendInfo;
import io.github.bndoctor.backend.NativeSpeedSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Speed probe (not a test): prints the native thread settings, whether the oneDNN natives are
 * loaded, the parameter count and the ms of one training step of
 * {@link ScenarioConfig#seedDivergence()} after 20 untimed steps, under this JVM's
 * {@code OMP_NUM_THREADS}. The minibatches are drawn before timing, so data generation is not
 * in the time (as in the PyTorch twin, {@code fixtures/torch_seed_twin.py}). Launched as a
 * child JVM by {@link ScenarioSpeedBenchmark} and {@link SeedTwinSpeedBenchmark}.
 * Args: {@code [iterations] [allowHelpers]}.
 */
final class ScenarioSpeedProbe {
    private static final int WARMUP = 20;

    private ScenarioSpeedProbe() {
    }

    public static void main(String[] args) {
        // the calibration ran with DL4J\'s oneDNN layer helpers (an explicit opt-in since ScenarioRun sets none)
        io.github.bndoctor.backend.NativeSpeedSettings.allowLayerHelpers();
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        if (args.length > 1) {
            Nd4j.getEnvironment().allowHelpers(Boolean.parseBoolean(args[1]));
        }

        System.out.println("OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS") + " maxThreads="
                + Nd4j.getEnvironment().maxThreads() + " maxMasterThreads=" + Nd4j.getEnvironment().maxMasterThreads()
                + " helpersAllowed=" + Nd4j.getEnvironment().helpersAllowed()
                + " oneDNN=" + BackendInfo.hasOneDnn(BackendInfo.nativeBuildInfo())
                + " oneDnnLayerHelpers=" + NativeSpeedSettings.oneDnnHelpersActive()
                + " javacppMaxPhysicalBytes=" + NativeSpeedSettings.javaCppMaxPhysicalBytes());
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.seedDivergence());
        ComputationGraph graph = run.graph();
        System.out.println("params=" + graph.numParams());
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < WARMUP + iters; i++) {
            batches.add(run.data().nextBatch(run.config().batchSize()).dataSet());
        }
        for (int i = 0; i < WARMUP; i++) {
            graph.fit(batches.get(i));
        }
        long t0 = System.nanoTime();
        for (int i = WARMUP; i < WARMUP + iters; i++) {
            graph.fit(batches.get(i));
        }
        System.out.println(String.format(Locale.ROOT, "ms/iteration=%.2f", (System.nanoTime() - t0) / 1e6 / iters));
        anatomy(graph, batches);
    }

    /**
     * Why a step costs what it costs: the native ops one step launches (ND4J's op profiler) and
     * the cost of one trivial op (an in-place add of two 8-element arrays), whose product is the
     * per-op floor of a step regardless of the arithmetic.
     */
    private static void anatomy(ComputationGraph graph, List<DataSet> batches) {
        int steps = 10;
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
        OpProfiler.getInstance().reset();
        for (int i = 0; i < steps; i++) {
            graph.fit(batches.get(i));
        }
        long ops = OpProfiler.getInstance().getInvocationsCount();
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
        INDArray a = Nd4j.rand(DataType.FLOAT, 8);
        INDArray b = Nd4j.rand(DataType.FLOAT, 8);
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            a.addi(b).subi(b);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            a.addi(b).subi(b);
        }
        double micros = (System.nanoTime() - t0) / 1e3 / (2.0 * n);
        double perStep = (double) ops / steps;
        System.out.println(String.format(Locale.ROOT, "opsPerStep=%.0f", perStep));
        System.out.println(String.format(Locale.ROOT, "trivialOpMicros=%.2f", micros));
        System.out.println(String.format(Locale.ROOT, "opFloorMs=%.2f", perStep * micros / 1e3));
    }
}
