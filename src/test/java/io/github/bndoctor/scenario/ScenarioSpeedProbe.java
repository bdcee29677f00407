package io.github.bndoctor.scenario;

import io.github.bndoctor.backend.BackendInfo;
import io.github.bndoctor.backend.NativeSpeedSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
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
    }
}
