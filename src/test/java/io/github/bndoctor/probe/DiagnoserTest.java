package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Decomposition arithmetic and the verdict rules, on statistics constructed by hand. */
@Tag("unit")
class DiagnoserTest {
    private static final BnLayerRef REF = new BnLayerRef("bn", 0, 2, CNN2DFormat.NCHW, 0.99, 0.0,
            VarianceParameterisation.VAR, false, "bn_");
    private static final MeanVariance PRECISE = new MeanVariance(new double[] {2, -1}, new double[] {0.01, 0.04});

    @Test
    void anEmaThatTrackedPerfectlyHasOnlyWarmupError() {
        long n = 100;
        double w = Math.pow(0.99, n);
        // what an EMA started at (0, 1) holds after n steps on constant statistics
        MeanVariance moving = new MeanVariance(new double[] {(1 - w) * 2, (1 - w) * -1},
                new double[] {w + (1 - w) * 0.01, w + (1 - w) * 0.04});
        LayerDecomposition d = LayerDecomposition.of(REF, n, moving, PRECISE, PRECISE);
        assertThat(d.priorWeight()).isCloseTo(w, within(1e-15));
        assertThat(d.lagError()).isCloseTo(0, within(1e-12));
        assertThat(d.warmupError()).isCloseTo(d.emaError(), within(1e-12)).isGreaterThan(1);
        assertThat(d.batchNoise()).isZero();
    }

    @Test
    void aLaggingEmaWithoutPriorHasOnlyLagError() {
        MeanVariance moving = new MeanVariance(new double[] {2.1, -1}, new double[] {0.01 * Math.E, 0.04});
        LayerDecomposition d = LayerDecomposition.of(REF, Long.MAX_VALUE, moving, PRECISE, moving);
        assertThat(d.warmupError()).isZero();
        // channel 0: shift 0.1/0.1 = 1 plus log ratio 1 -> 2; channel 1: 0; median of {2, 0} = 1
        assertThat(d.lagError()).isCloseTo(1.0, within(1e-12));
        assertThat(d.emaError()).isCloseTo(1.0, within(1e-12));
        assertThat(d.meanShift()).isCloseTo(1.0, within(1e-12));
        assertThat(d.logVarianceRatio()).isCloseTo(1.0, within(1e-12));
        assertThat(d.batchNoise()).isCloseTo(1.0, within(1e-12));
    }

    private static LayerCheckpoint layer(double warm, double lag) {
        return new LayerCheckpoint(new LayerDecomposition("bn", 1, 0, warm + lag, warm, lag, 0, 0, 0), Double.NaN,
                Double.NaN);
    }

    @Test
    void verdictRules() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        List<LayerCheckpoint> lagging = List.of(layer(0.1, 2));
        List<LayerCheckpoint> warming = List.of(layer(3, 0.2));
        assertThat(Diagnoser.verdict(new OutputGap(Double.NaN, 1, 1), lagging, t)).isEqualTo(Verdict.DIVERGED);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 1), lagging, new DiagnosisThresholds(1.5, 0.5)))
                .isEqualTo(Verdict.DIVERGED);
        assertThat(Diagnoser.verdict(new OutputGap(1, 1.4, 1), lagging, t)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 3), lagging, t)).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 3), warming, t)).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 1.1), lagging, t)).isEqualTo(Verdict.EMA_LAG);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 1.1), warming, t)).isEqualTo(Verdict.EMA_WARMUP);
    }

    @Test
    void gapRatioThresholdAtBelowAndAbove() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        List<LayerCheckpoint> lagging = List.of(layer(0.1, 2));
        // precise = train: the whole gap is the EMA's
        assertThat(Diagnoser.verdict(new OutputGap(1, 1.5, 1), lagging, t)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(1, Math.nextDown(1.5), 1), lagging, t)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(1, Math.nextUp(1.5), 1), lagging, t)).isEqualTo(Verdict.EMA_LAG);
        // all of it batch noise
        assertThat(Diagnoser.verdict(new OutputGap(1, 1.5, 1.5), lagging, t)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(1, 1.6, 1.6), lagging, t)).isEqualTo(Verdict.BATCH_NOISE);
    }

    @Test
    void sharesSplitTheLogGap() {
        // independent route: the logarithms written out
        OutputGap g = new OutputGap(2, 38.4, 3.46); // eval/train 19.2, precise/train 1.73
        assertThat(g.batchNoiseShare()).isCloseTo(Math.log(1.73) / Math.log(19.2), within(1e-12));
        assertThat(g.emaShare()).isCloseTo(Math.log(38.4 / 3.46) / Math.log(19.2), within(1e-12));
        assertThat(g.emaShare() + g.batchNoiseShare()).isCloseTo(1, within(1e-15));
        // a factor below 1 helps and counts as 0
        assertThat(new OutputGap(1, 3, 0.5).batchNoiseShare()).isZero();
        assertThat(new OutputGap(1, 3, 0.5).emaShare()).isEqualTo(1);
        assertThat(new OutputGap(1, 0.9, 3).emaShare()).isZero();
        assertThat(new OutputGap(1, 0.9, 3).batchNoiseShare()).isEqualTo(1);
        // no gap at all: undefined
        assertThat(new OutputGap(1, 0.8, 0.9).emaShare()).isNaN();
        assertThat(new OutputGap(1, 1, 1).batchNoiseShare()).isNaN();
    }

    @Test
    void theDominatingFactorTakesTheGap() {
        DiagnosisThresholds t = DiagnosisThresholds.DEFAULT;
        List<LayerCheckpoint> lagging = List.of(layer(0.1, 2));
        List<LayerCheckpoint> warming = List.of(layer(3, 0.2));
        // the small-batch network with a dense BN layer: precise/train 1.73 > 1.5, yet the EMA explains 81%
        assertThat(Diagnoser.verdict(new OutputGap(1, 19.2, 1.73), lagging, t)).isEqualTo(Verdict.EMA_LAG);
        assertThat(Diagnoser.verdict(new OutputGap(1, 19.2, 1.73), warming, t)).isEqualTo(Verdict.EMA_WARMUP);
        // at the 0.5 threshold: eval/precise = precise/train = 2, ln 2 each, share exactly 0.5 -> not above: the EMA's
        OutputGap tie = new OutputGap(1, 4, 2);
        assertThat(tie.batchNoiseShare()).isEqualTo(0.5);
        assertThat(Diagnoser.verdict(tie, lagging, t)).isEqualTo(Verdict.EMA_LAG);
        // just above and below
        assertThat(Diagnoser.verdict(new OutputGap(1, 4, 2.01), lagging, t)).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(Diagnoser.verdict(new OutputGap(1, 4, 1.99), lagging, t)).isEqualTo(Verdict.EMA_LAG);
        // batch noise below the gap ratio on its own, yet dominating a gap above it
        OutputGap noisy = new OutputGap(1, 1.6, 1.4);
        assertThat(noisy.batchNoiseShare()).isGreaterThan(0.5);
        assertThat(Diagnoser.verdict(noisy, lagging, t)).isEqualTo(Verdict.BATCH_NOISE);
    }

    @Test
    void noiseShareThresholdIsConfigurable() {
        DiagnosisThresholds strict = new DiagnosisThresholds(1.5, Double.POSITIVE_INFINITY, 0.25);
        List<LayerCheckpoint> lagging = List.of(layer(0.1, 2));
        // share 0.25 exactly: precise/train = 2, eval/train = 16 (ln 2 of ln 16)
        OutputGap at = new OutputGap(1, 16, 2);
        assertThat(at.batchNoiseShare()).isCloseTo(0.25, within(1e-15));
        assertThat(Diagnoser.verdict(new OutputGap(1, 16, 2.05), lagging, strict)).isEqualTo(Verdict.BATCH_NOISE);
        assertThat(Diagnoser.verdict(new OutputGap(1, 16, 1.95), lagging, strict)).isEqualTo(Verdict.EMA_LAG);
        assertThat(new DiagnosisThresholds(1.5, 1).noiseShare()).isEqualTo(DiagnosisThresholds.DEFAULT.noiseShare());
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, 1, -0.1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void preciseParallelismStartsAtOne() {
        assertThat(Diagnoser.defaults().withPreciseParallelism(1)).isNotNull();
        assertThatThrownBy(() -> Diagnoser.defaults().withPreciseParallelism(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Diagnoser.defaults().withPreciseParallelism(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
