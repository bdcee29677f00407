package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.OutputGapProbe;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Calibration driver for the seed scenario (not a test; run with {@code java} on the test
 * classpath, one JVM at a time, {@code OMP_NUM_THREADS=1}).
 *
 * <p>For a preset and a list of seeds it trains the preset and at every checkpoint prints one JSON
 * line with the probe-set training-mode loss, inference-mode loss and "precise" loss: inference
 * loss of a clone whose moving statistics were recomputed from {@value #PRECISE_SAMPLES} training
 * samples by {@link BatchNormPopulationStatistics}. The output lines are what
 * {@code fixtures/scenario-calibration.json} is assembled from.
 *
 * <p>Usage: {@code ScenarioCalibration PRESET SEEDS [ITERATIONS] [EVERY] [key=value...]} with
 * PRESET one of seedDivergence, adamLowLr, nesterov, lowDecay, SEEDS like {@code 1,2,3}, and
 * optional overrides {@code kind=, lr=, l2=, decay=, wd=, init=, warm=, opt=, mean=, batch=, switch=ITERATION:DECAY}.
 */
final class ScenarioCalibration {

    /** Probe-set size: eight minibatches of the default batch size. */
    static final int PROBE_SIZE = 64;
    /** Samples used for the precise-BN recomputation (the brief's ~200). */
    static final int PRECISE_SAMPLES = 200;
    private static final long PRECISE_STREAM = 0x2545F4914F6CDD1DL;

    private ScenarioCalibration() {
    }

    /**
     * The probe's losses, all-zeros loss and largest outputs at one checkpoint.
     *
     * @param iteration iterations trained
     * @param gap training-mode, inference-mode and precise loss (inference mode after recomputing the
     *     moving statistics), the all-zeros loss and the largest absolute output of each mode
     */
    record Point(int iteration, OutputGap gap) {
        double evalRatio() { return gap.evalToTrainRatio(); }
        double preciseRatio() { return gap.preciseToTrainRatio(); }
    }

    static ScenarioConfig preset(String name) {
        return switch (name) {
            case "seedDivergence" -> ScenarioConfig.seedDivergence();
            case "adamLowLr" -> ScenarioConfig.adamLowLr();
            case "nesterov" -> ScenarioConfig.nesterov();
            case "lowDecay" -> ScenarioConfig.lowDecay();
            case "seedCollapse" -> ScenarioConfig.seedCollapse();
            case "decaySwitch" -> ScenarioConfig.decaySwitch();
            default -> throw new IllegalArgumentException("unknown preset " + name);
        };
    }

    static ScenarioConfig override(ScenarioConfig base, String kv) {
        String[] p = kv.split("=", 2);
        ScenarioConfig.Builder b = base.toBuilder();
        switch (p[0]) {
            case "kind" -> b.kind(ScenarioKind.valueOf(p[1]));
            case "lr" -> b.learningRate(Double.parseDouble(p[1]));
            case "l2" -> b.l2(Double.parseDouble(p[1]));
            case "decay" -> b.bnDecay(Double.parseDouble(p[1]));
            case "eps" -> b.bnEpsilon(Double.parseDouble(p[1]));
            case "wd" -> b.weightDecay(Double.parseDouble(p[1]));
            case "init" -> b.initStd(Double.parseDouble(p[1]));
            case "warm" -> b.warmStartSamples(Integer.parseInt(p[1]));
            case "opt" -> b.optimizer(Optimizer.valueOf(p[1]));
            case "mean" -> b.meanNormalisedLoss(Boolean.parseBoolean(p[1]));
            case "batch" -> b.batchSize(Integer.parseInt(p[1]));
            case "switch" -> b.decaySwitch(Integer.parseInt(p[1].split(":")[0]), Double.parseDouble(p[1].split(":")[1]));
            default -> throw new IllegalArgumentException("unknown override " + kv);
        }
        return b.build();
    }

    /**
     * Trains one configuration and records every checkpoint.
     *
     * @param config configuration
     * @param sink receives each point as it is measured
     * @return all points
     */
    static List<Point> calibrate(ScenarioConfig config, java.util.function.Consumer<Point> sink) {
        ScenarioRun run = ScenarioRun.start(config);
        DataSet probe = run.samples().probe(PROBE_SIZE);
        INDArray preciseFeatures = config.kind().data(config.seed() ^ PRECISE_STREAM, config)
                .trainingBatch(PRECISE_SAMPLES).getFeatures();
        List<Point> points = new ArrayList<>();
        INDArray[] x = {probe.getFeatures()};
        INDArray[] y = {probe.getLabels()};
        run.run((iteration, graph) -> {
            INDArray[] trainOut = OutputGapProbe.trainModeOutputs(BnNetwork.of(graph), x, config.batchSize());
            INDArray[] evalOut = {graph.outputSingle(false, x[0])};
            ComputationGraph clone = graph.clone();
            BatchNormPopulationStatistics.recompute(clone, preciseFeatures, config.batchSize());
            INDArray[] preciseOut = {clone.outputSingle(false, x[0])};
            Point p = new Point(iteration, OutputGap.of(LossMeasure.MSE, y, trainOut, evalOut, preciseOut));
            points.add(p);
            sink.accept(p);
        });
        return points;
    }

    public static void main(String[] args) {
        // the calibration ran with DL4J's oneDNN layer helpers (an explicit opt-in since ScenarioRun sets none)
        io.github.bndoctor.backend.NativeSpeedSettings.allowLayerHelpers();
        try (RecordWriter.Section record = RecordWriter.section("ScenarioCalibration " + String.join(" ", args))) {
            String presetName = args[0];
            int iterations = args.length > 2 ? Integer.parseInt(args[2]) : -1;
            int every = args.length > 3 ? Integer.parseInt(args[3]) : -1;
            for (String seedText : args[1].split(",")) {
                ScenarioConfig config = preset(presetName).withSeed(Long.parseLong(seedText));
                for (int i = 4; i < args.length; i++) {
                    config = override(config, args[i]);
                }
                ScenarioConfig.Builder b = config.toBuilder();
                if (iterations >= 0) {
                    b.iterations(iterations);
                }
                if (every > 0) {
                    b.checkpointEvery(every);
                }
                final ScenarioConfig cfg = b.build();
                System.out.println("# " + presetName + " " + cfg);
                long t0 = System.nanoTime();
                List<Point> pts = calibrate(cfg, p -> System.out.println(String.format(Locale.ROOT,
                        "{\"preset\":\"%s\",\"seed\":%d,\"iteration\":%d,\"trainLoss\":%.6g,\"evalLoss\":%.6g,"
                                + "\"preciseLoss\":%.6g,\"evalRatio\":%.3f,\"preciseRatio\":%.3f,\"zerosLoss\":%.6g,"
                                + "\"evalToZeros\":%.3f,\"trainMax\":%.4g,\"evalMax\":%.4g,\"preciseMax\":%.4g}",
                        presetName, cfg.seed(), p.iteration(), p.gap().trainModeLoss(), p.gap().evalModeLoss(),
                        p.gap().preciseLoss(), p.evalRatio(), p.preciseRatio(), p.gap().zerosLoss(),
                        p.gap().evalToZerosRatio(), p.gap().trainModeMaxAbsOutput(), p.gap().evalModeMaxAbsOutput(),
                        p.gap().preciseMaxAbsOutput())));
                double secs = (System.nanoTime() - t0) / 1e9;
                double peak = pts.stream().mapToDouble(Point::evalRatio).max().orElse(Double.NaN);
                double peakPrecise = pts.stream().mapToDouble(Point::preciseRatio).max().orElse(Double.NaN);
                System.out.println(String.format(Locale.ROOT, "# done %s seed=%d peakEvalRatio=%.2f peakPreciseRatio=%.2f wall=%.1fs",
                        presetName, cfg.seed(), peak, peakPrecise, secs));
            }
        }
    }
}
