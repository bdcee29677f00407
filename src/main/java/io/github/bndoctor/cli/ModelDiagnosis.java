package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.DropoutSuspension;
import io.github.bndoctor.lint.ConfigLints;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.DiagnosisThresholds;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.ProbeChunk;
import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.stats.Median;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Diagnoses a saved model at its current weights on the user's data: one checkpoint (probes,
 * decomposition), alarms, lints and recommendations. Rotation needs two weight snapshots, so it
 * is unknown here.
 *
 * <p>Probe = the first {@code probeSize} examples of the data; precise statistics = batches of the
 * same data (so the probe is not held out; the JSON config says so). Without labels each mode's
 * "loss" is the MSE between its outputs and the training-mode outputs
 * ({@link DiagnosisReport#LOSS_OUTPUT_DEVIATION}); the verdict and alarms then use losses offset by
 * the variance {@code V} of the training-mode outputs, so that the eval/train ratio is
 * {@code 1 + deviation / V} and the usual thresholds apply (eval deviation above half the output
 * variance is a gap).
 */
final class ModelDiagnosis {
    private ModelDiagnosis() {
    }

    /** Seconds a model diagnosis runs before its first progress line on stderr. */
    static final double QUIET_SECONDS = 10;
    /** Least seconds between two progress lines. */
    static final double PROGRESS_EVERY_SECONDS = 10;

    static DiagnosisReport run(Path modelFile, Path dataFile, Path labelsFile, int batch, int samples, int probeSize,
                               Long plannedIterations, Consumer<BnNetwork> onLoaded, PrintWriter err, int workers) {
        StageProgress progress = new StageProgress(err, QUIET_SECONDS, PROGRESS_EVERY_SECONDS);
        BnNetwork net = BnNetwork.requireBatchNorm(ModelFiles.load(modelFile));
        onLoaded.accept(net);
        DataFiles data = DataFiles.load(dataFile, labelsFile, net.params().dataType());
        data.requireFits(net);
        boolean labelled = data.hasLabels();
        Iterable<ProbeChunk> chunks = data.probe(probeSize, batch, x -> {
            try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
                return new INDArray[] {net.trainingModeOutput(x)[0].dup()};
            }
        });
        long probeChunks = (data.probeExamples(probeSize, batch) + batch - 1) / batch;
        Iterable<ProbeChunk> probe = () -> progress.counting("probe: chunk", probeChunks, chunks.iterator());
        long iterations = net.iterationCount();
        Diagnoser diagnoser = new Diagnoser(PopulationEstimator.POOLED, samples, LossMeasure.MSE, DiagnosisThresholds.DEFAULT)
                .withPreciseParallelism(workers);
        DataFiles.Batches batches = data.featureBatches(batch);
        long preciseBatches = Math.min(samples, data.examples()) / batch + 1;
        Checkpoint measured = diagnoser.diagnose(net, probe, progress.counting("precise statistics: batch", preciseBatches,
                batches), iterations, iterations, Map.of());
        Checkpoint judged = measured;
        if (!labelled) {
            double v = outputVariance(probe);
            OutputGap g = measured.gap();
            OutputGap offset = new OutputGap(v, v + g.evalModeLoss(), v + g.preciseLoss());
            judged = new Checkpoint(measured.iteration(), offset, measured.layers(),
                    Diagnoser.verdict(offset, measured.layers(), DiagnosisThresholds.DEFAULT));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", modelFile.getFileName().toString());
        config.put("model", modelFile.toString());
        config.put("modelType", net.model().getClass().getSimpleName());
        config.put("data", dataFile.toString());
        config.put("labels", labelsFile != null ? labelsFile.toString() : labelled ? "from the DataSet file" : "none");
        config.put("examples", data.examples());
        config.put("probe", "first " + data.probeExamples(probeSize, batch) + " examples of the data (not held out),"
                + " in chunks of " + batch);
        config.put("preciseSamples", batches.examplesRead());
        config.put("batch", batch);
        config.put("iterationCount", iterations);
        config.put("rotation", "unknown: one weight snapshot");
        double decay = Median.of(net.bnLayers().stream().mapToDouble(BnLayerRef::decay).toArray());
        ReportAssembler.Run run = new ReportAssembler.Run(modelFile.getFileName().toString(), config, List.of(judged),
                List.of(measured.gap()), AlarmPolicy.DEFAULT.evaluate(judged), decay);
        return ReportAssembler.report(run, labelled ? DiagnosisReport.LOSS_LABELS : DiagnosisReport.LOSS_OUTPUT_DEVIATION,
                ConfigLints.check(net, plannedIterations == null ? OptionalLong.empty() : OptionalLong.of(plannedIterations)),
                List.of());
    }

    /**
     * @param probe the probe
     * @return the unbiased variance of all its reference-output elements, pooled over the chunks
     *     (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1983)
     */
    private static double outputVariance(Iterable<ProbeChunk> probe) {
        double n = 0;
        double mean = 0;
        double m2 = 0;
        for (ProbeChunk c : probe) {
            INDArray y = c.labels()[0].castTo(DataType.DOUBLE);
            double k = y.length();
            double m = y.meanNumber().doubleValue();
            double s = y.sub(m).norm2Number().doubleValue();
            double delta = m - mean;
            m2 += s * s + delta * delta * n * k / (n + k);
            mean += delta * k / (n + k);
            n += k;
        }
        return m2 / (n - 1);
    }
}
