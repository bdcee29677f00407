package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.probe.ProbeChunk;
import io.github.bndoctor.remedy.ProjectedStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Calibration driver (not a test; run with {@code java} on the test classpath, {@code OMP_NUM_THREADS=1}):
 * how finely eval/precise can be read at all on the seed scenario. Usage: {@code PreciseResolutionProbe
 * SEED[,INPUT_DECAY]...}: trains {@link ScenarioConfig#seedCollapse()} with {@link ProjectedStatistics}
 * (defaults, or the input decay given) as {@link ProjectedStatisticsCalibration} does, and at every 100th
 * iteration scores the probe with the moving statistics (what the listener wrote) and with precise statistics
 * of several independent sets of training-distribution examples: the monitor's reference set
 * ({@link MonitoredScenario#preciseBatches}, {@value MonitoredScenario#PRECISE_SAMPLES} examples), four more of
 * the same size from streams of their own, and one of 1,024 examples. The alternates over the reference show
 * the spread of eval/precise that comes from the reference's own sample alone.
 */
final class PreciseResolutionProbe {
    private static final int ALTERNATES = 4;
    private static final int LARGE = 1024;

    private PreciseResolutionProbe() {
    }

    public static void main(String[] args) {
        List<Callable<String>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> run(a));
        }
        ParallelRuns.all(jobs, 2, 1).forEach(System.out::println);
    }

    private static List<INDArray[]> batches(ScenarioConfig config, long stream, int examples) {
        ScenarioData data = config.kind().data(stream, config);
        List<INDArray[]> out = new ArrayList<>();
        for (int i = 0; i < examples / config.batchSize(); i++) {
            out.add(new INDArray[] {data.trainingBatch(config.batchSize()).getFeatures()});
        }
        return out;
    }

    static String run(String spec) {
        String[] p = spec.split(",");
        ScenarioConfig config = ScenarioConfig.seedCollapse().withSeed(Long.parseLong(p[0]));
        ProjectedStatistics.Builder pb = ProjectedStatistics.builder();
        if (p.length > 1) {
            pb.inputDecay(Double.parseDouble(p[1]));
        }
        DataSet probe = config.kind().data(config.seed(), config).probe(MonitoredScenario.PROBE_SIZE);
        List<ProbeChunk> chunks = List.of(new ProbeChunk(new INDArray[] {probe.getFeatures()},
                new INDArray[] {probe.getLabels()}));
        List<List<INDArray[]>> sets = new ArrayList<>();
        sets.add(MonitoredScenario.preciseBatches(config));
        for (int k = 1; k <= ALTERNATES; k++) {
            sets.add(batches(config, config.seed() ^ 0x9E3779B97F4A7C15L ^ (0x5DEECE66DL * k), MonitoredScenario.PRECISE_SAMPLES));
        }
        sets.add(batches(config, config.seed() ^ 0xC2B2AE3D27D4EB4FL, LARGE));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%s: iteration | eval/ref | alt1..%d/ref | eval/large ref/large alt/large (min-max)%n", spec, ALTERNATES));
        BaseTrainingListener scorer = new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                long done = iteration + 1L;
                if (done % 100 != 0) {
                    return;
                }
                BnNetwork net = BnNetwork.of(model);
                double eval = OutputGapProbe.lossWith(net, chunks, Map.of(), LossMeasure.MSE);
                double[] loss = new double[sets.size()];
                for (int s = 0; s < sets.size(); s++) {
                    List<INDArray[]> set = sets.get(s);
                    int samples = set.size() * config.batchSize();
                    Map<String, MeanVariance> st = PreciseStatistics.estimate(net, set.iterator(), samples,
                            PopulationEstimator.POOLED);
                    loss[s] = OutputGapProbe.lossWith(net, chunks, st, LossMeasure.MSE);
                }
                double ref = loss[0];
                double large = loss[sets.size() - 1];
                out.append(String.format(Locale.ROOT, "  %5d | %.3f |", done, eval / ref));
                double lo = Double.POSITIVE_INFINITY;
                double hi = 0;
                for (int k = 1; k <= ALTERNATES; k++) {
                    out.append(String.format(Locale.ROOT, " %.3f", loss[k] / ref));
                    lo = Math.min(lo, loss[k] / large);
                    hi = Math.max(hi, loss[k] / large);
                }
                out.append(String.format(Locale.ROOT, " | %.3f %.3f %.3f-%.3f%n", eval / large, ref / large, lo, hi));
            }
        };
        MonitoredScenario.run(config, 100, c -> { }, List.of(pb.build()), List.of(scorer));
        return out.toString();
    }
}
