package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
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
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 1.1), lagging, t)).isEqualTo(Verdict.EMA_LAG);
        assertThat(Diagnoser.verdict(new OutputGap(1, 5, 1.1), warming, t)).isEqualTo(Verdict.EMA_WARMUP);
    }
}
