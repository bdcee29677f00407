package io.github.bndoctor.scenario;

import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;

/** Ad-hoc speed probe (not a test): ms/iteration of the seed scenario under the current JVM's thread settings. */
final class ScenarioSpeedProbe {
    private ScenarioSpeedProbe() {
    }

    public static void main(String[] args) {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        if (args.length > 1) {
            Nd4j.getEnvironment().allowHelpers(Boolean.parseBoolean(args[1]));
        }
        System.out.println("OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS") + " maxThreads="
                + Nd4j.getEnvironment().maxThreads() + " maxMasterThreads=" + Nd4j.getEnvironment().maxMasterThreads()
                + " helpersAllowed=" + Nd4j.getEnvironment().helpersAllowed());
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.seedDivergence());
        System.out.println("params=" + run.graph().numParams());
        run.train(20);
        long t0 = System.nanoTime();
        run.train(iters);
        System.out.println(String.format(Locale.ROOT, "ms/iteration=%.2f", (System.nanoTime() - t0) / 1e6 / iters));
    }
}
