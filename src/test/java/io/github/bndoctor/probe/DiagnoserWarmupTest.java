package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.scenario.FamilyConfig;
import io.github.bndoctor.scenario.FamilyRun;
import io.github.bndoctor.scenario.MonitoredFamily;
import io.github.bndoctor.scenario.NetworkFamily;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EMA_WARMUP is kept only where the prior alone explains the gap. On a plain CNN trained 100
 * iterations, the moving statistics are written as DL4J's recurrence leaves them after {@code n}
 * updates from its prior (mean 0, variance 1) at the decay {@code d}: {@code d^n prior + (1 - d^n) a},
 * with {@code a} either the precise statistics (the prior is the whole error: a warm-started twin
 * would be healthy) or statistics whose every layer's means sit some standard deviations off (the
 * EMA lags as well: the twin would be degraded too). The premises (the candidate verdict by the
 * error sums, and the probe's loss with {@code a} against the gap ratio) are checked on a copy of
 * the network with {@code a} written directly, not through the class under test.
 */
@Tag("unit")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiagnoserWarmupTest {
    /** Iterations the prior has been averaged over: weight 0.997^50 = 0.86 at the recipe's decay. */
    private static final long AGE = 50;
    /** Mean shift of the lagging statistics, in standard deviations: lag error (1 - w) x 2 = 0.28 per layer. */
    private static final double SHIFT = 2;

    private BnNetwork net;
    private INDArray[] x;
    private INDArray[] y;
    private List<INDArray[]> preciseData;
    private Map<String, MeanVariance> precise;
    private double w;

    @BeforeAll
    void train() {
        FamilyConfig c = NetworkFamily.PLAIN_CNN.recipe(1).toBuilder().warmStart(false).build();
        FamilyRun run = FamilyRun.start(c);
        run.train(100);
        net = BnNetwork.of(run.model());
        DataSet probe = run.samples().probe(MonitoredFamily.PROBE_SIZE);
        x = new INDArray[] {probe.getFeatures()};
        y = new INDArray[] {probe.getLabels()};
        preciseData = MonitoredFamily.preciseBatches(c);
        precise = PreciseStatistics.estimate(net, preciseData.iterator(), MonitoredFamily.PRECISE_SAMPLES,
                PopulationEstimator.POOLED);
        w = Math.pow(c.decay(), AGE);
    }

    /** {@code w prior + (1 - w) a} per layer, as the recurrence from mean 0 / variance 1 leaves it. */
    private Map<String, MeanVariance> withPrior(Map<String, MeanVariance> a) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        a.forEach((name, s) -> {
            double[] m = s.mean();
            double[] v = s.variance();
            for (int c = 0; c < m.length; c++) {
                m[c] = (1 - w) * m[c];
                v[c] = w + (1 - w) * v[c];
            }
            out.put(name, new MeanVariance(m, v));
        });
        return out;
    }

    /** Every layer's means moved by {@link #SHIFT} of their standard deviations. */
    private static Map<String, MeanVariance> shifted(Map<String, MeanVariance> a) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        a.forEach((name, s) -> {
            double[] m = s.mean();
            double[] v = s.variance();
            for (int c = 0; c < m.length; c++) {
                m[c] += SHIFT * Math.sqrt(v[c]);
            }
            out.put(name, new MeanVariance(m, v));
        });
        return out;
    }

    /** Inference-mode MSE over the probe with {@code stats} written into a copy: the direct route. */
    private double directLoss(Map<String, MeanVariance> stats) {
        BnNetwork copy = net.copy();
        MovingStatistics.writeAll(copy, stats);
        INDArray out = copy.output(x, false)[0];
        double sum = 0;
        for (int i = 0; i < out.length(); i++) {
            double d = out.getDouble(i) - y[0].getDouble(i);
            sum += d * d;
        }
        return sum / out.length();
    }

    private Checkpoint diagnoseWith(Map<String, MeanVariance> moving, long age, DiagnosisThresholds t) {
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        MovingStatistics.writeAll(net, moving);
        try {
            Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, MonitoredFamily.PRECISE_SAMPLES, LossMeasure.MSE, t);
            return d.diagnose(net, x, y, preciseData.iterator(), age, age, Map.of());
        } finally {
            MovingStatistics.writeAll(net, before);
        }
    }

    @Test
    void warmupIsNamedWhereThePriorAloneExplainsTheGap() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        Checkpoint c = diagnoseWith(withPrior(precise), AGE, t);
        // premises: a gap the error sums lay on the prior, and none left without it
        assertThat(Diagnoser.verdict(c.gap(), c.layers(), t)).isEqualTo(Verdict.EMA_WARMUP);
        assertThat(directLoss(precise) / c.gap().trainModeLoss()).isLessThanOrEqualTo(t.gapRatio());
        assertThat(c.verdict()).isEqualTo(Verdict.EMA_WARMUP);
    }

    @Test
    void aGapThatOutlivesThePriorIsLag() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        Map<String, MeanVariance> lagging = shifted(precise);
        Checkpoint c = diagnoseWith(withPrior(lagging), AGE, t);
        assertThat(Diagnoser.verdict(c.gap(), c.layers(), t)).isEqualTo(Verdict.EMA_WARMUP);
        assertThat(directLoss(lagging) / c.gap().trainModeLoss()).isGreaterThan(t.gapRatio());
        assertThat(c.verdict()).isEqualTo(Verdict.EMA_LAG);
        // the probe given chunk by chunk decides alike
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        MovingStatistics.writeAll(net, withPrior(lagging));
        try {
            Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, MonitoredFamily.PRECISE_SAMPLES, LossMeasure.MSE, t);
            Checkpoint chunked = d.diagnose(net, List.of(new ProbeChunk(x, y)), preciseData.iterator(), AGE, AGE,
                    Map.of());
            assertThat(chunked.verdict()).isEqualTo(Verdict.EMA_LAG);
        } finally {
            MovingStatistics.writeAll(net, before);
        }
    }

    @Test
    void anEmaThatHasSeenNoBatchKeepsThePriorAsTheCause() {
        // age 0: the prior holds all the weight, nothing to take it out of
        Map<String, MeanVariance> prior = new LinkedHashMap<>();
        precise.forEach((name, s) -> prior.put(name, new MeanVariance(new double[s.channels()],
                java.util.Arrays.stream(new double[s.channels()]).map(v -> 1).toArray())));
        Checkpoint c = diagnoseWith(prior, 0, DiagnosisThresholds.DEFAULT);
        assertThat(c.largestPriorWeight()).isEqualTo(1);
        assertThat(c.verdict()).isEqualTo(Verdict.EMA_WARMUP);
    }

    @Test
    void theNetworkIsLeftAsItWas() {
        Map<String, MeanVariance> moving = withPrior(shifted(precise));
        MovingStatistics.writeAll(net, moving);
        INDArray params = net.params().dup();
        Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, MonitoredFamily.PRECISE_SAMPLES, LossMeasure.MSE,
                DiagnosisThresholds.DEFAULT);
        assertThat(d.diagnose(net, x, y, preciseData.iterator(), AGE, AGE, Map.of()).verdict()).isEqualTo(Verdict.EMA_LAG);
        assertThat(net.params()).isEqualTo(params);
    }

    /** {@code w s0 + (1 - w) a} per layer: the warm-started twin's statistics, written out directly. */
    private Map<String, MeanVariance> twin(Map<String, MeanVariance> s0, Map<String, MeanVariance> a) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        a.forEach((name, s) -> {
            double[] m = s.mean();
            double[] v = s.variance();
            for (int c = 0; c < m.length; c++) {
                m[c] = w * s0.get(name).mean()[c] + (1 - w) * m[c];
                v[c] = w * s0.get(name).variance()[c] + (1 - w) * v[c];
            }
            out.put(name, new MeanVariance(m, v));
        });
        return out;
    }

    private Checkpoint diagnoseWithWarmStart(Map<String, MeanVariance> moving, Map<String, MeanVariance> warmStart) {
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        MovingStatistics.writeAll(net, moving);
        try {
            Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, MonitoredFamily.PRECISE_SAMPLES, LossMeasure.MSE,
                    DiagnosisThresholds.DEFAULT);
            return d.diagnose(net, x, y, preciseData.iterator(), AGE, AGE, Map.of(), Map.of(), warmStart, 0);
        } finally {
            MovingStatistics.writeAll(net, before);
        }
    }

    @Test
    void withTheWarmStartKnownWarmupIsNamedOnlyWhereTheTwinStaysWithinTheGap() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        Map<String, MeanVariance> moving = withPrior(precise);
        // a warm start that matches the batches: the twin holds the precise statistics
        Checkpoint fresh = diagnoseWithWarmStart(moving, precise);
        assertThat(Diagnoser.verdict(fresh.gap(), fresh.layers(), t)).isEqualTo(Verdict.EMA_WARMUP);
        assertThat(directLoss(twin(precise, precise)) / fresh.gap().trainModeLoss()).isLessThanOrEqualTo(t.gapRatio());
        assertThat(fresh.verdict()).isEqualTo(Verdict.EMA_WARMUP);
        // a stale warm start (means 2 sd off) still holding weight w = 0.86: the twin is degraded, so the
        // prior is not the whole story, although without the prior the batches alone are precise
        Checkpoint stale = diagnoseWithWarmStart(moving, shifted(precise));
        assertThat(directLoss(twin(shifted(precise), precise)) / stale.gap().trainModeLoss()).isGreaterThan(t.gapRatio());
        assertThat(stale.verdict()).isEqualTo(Verdict.EMA_LAG);
        // without the warm start the prior is taken out instead: warm-up, as before
        assertThat(diagnoseWith(moving, AGE, t).verdict()).isEqualTo(Verdict.EMA_WARMUP);
    }

    @Test
    void anEmaThatHasSeenNoBatchIsJudgedOnTheWarmStartWhenItIsKnown() {
        // age 0: the prior holds all the weight and the twin holds the warm start itself
        Map<String, MeanVariance> prior = new LinkedHashMap<>();
        precise.forEach((name, s) -> prior.put(name, new MeanVariance(new double[s.channels()],
                java.util.Arrays.stream(new double[s.channels()]).map(v -> 1).toArray())));
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        MovingStatistics.writeAll(net, prior);
        try {
            Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, MonitoredFamily.PRECISE_SAMPLES, LossMeasure.MSE,
                    DiagnosisThresholds.DEFAULT);
            Checkpoint stale = d.diagnose(net, x, y, preciseData.iterator(), 0, 0, Map.of(), Map.of(), shifted(precise), 0);
            assertThat(stale.largestPriorWeight()).isEqualTo(1);
            assertThat(directLoss(shifted(precise)) / stale.gap().trainModeLoss())
                    .isGreaterThan(DiagnosisThresholds.DEFAULT.gapRatio());
            assertThat(stale.verdict()).isEqualTo(Verdict.EMA_LAG);
            assertThat(d.diagnose(net, x, y, preciseData.iterator(), 0, 0, Map.of(), Map.of(), precise, 0).verdict())
                    .isEqualTo(Verdict.EMA_WARMUP);
        } finally {
            MovingStatistics.writeAll(net, before);
        }
    }
}
