package io.github.bndoctor.probe;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The verdict rules at, one ulp below and one ulp above each threshold, on synthetic losses
 * chosen so that every ratio is exact in binary floating point.
 */
@Tag("unit")
class VerdictThresholdTest {
    private static final DiagnosisThresholds T = DiagnosisThresholds.DEFAULT;

    private static LayerCheckpoint layer(double warm, double lag) {
        return new LayerCheckpoint(new LayerDecomposition("bn", 1, 0, warm + lag, warm, lag, 0, 0, 0), Double.NaN,
                Double.NaN);
    }

    private static final List<LayerCheckpoint> LAGGING = List.of(layer(0.1, 2));

    private static Verdict verdict(double train, double eval, double precise, List<LayerCheckpoint> layers) {
        return Diagnoser.verdict(new OutputGap(train, eval, precise), layers, T);
    }

    @Test
    void defaultsAreTheDocumentedValues() {
        assertThat(T.gapRatio()).isEqualTo(1.5);
        assertThat(T.divergedLoss()).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void healthyUpToAndIncludingTheGapRatio() {
        // train 2: eval 3 gives eval/train = 1.5 exactly
        assertThat(verdict(2, Math.nextDown(3.0), 2, LAGGING)).isEqualTo(Verdict.HEALTHY);
        assertThat(verdict(2, 3, 2, LAGGING)).isEqualTo(Verdict.HEALTHY);
        assertThat(verdict(2, Math.nextUp(3.0), 2, LAGGING)).isEqualTo(Verdict.EMA_LAG);
    }

    @Test
    void batchNoiseOnlyWhenItsShareOfTheLogGapExceedsTheNoiseShare() {
        // train 1, eval 16: precise 4 splits ln(16) into ln 4 + ln 4, a batch-noise share of exactly 0.5
        // (x / (x + x) is exact in binary floating point); relative nudges of 1e-12 move ln(precise) by
        // 1e-12, about 7e3 ulps of ln 4, so the side of the threshold cannot be lost to rounding
        assertThat(T.noiseShare()).isEqualTo(0.5);
        assertThat(verdict(1, 16, 4 * (1 - 1e-12), LAGGING)).isEqualTo(Verdict.EMA_LAG);
        assertThat(verdict(1, 16, 4, LAGGING)).isEqualTo(Verdict.EMA_LAG);
        assertThat(verdict(1, 16, 4 * (1 + 1e-12), LAGGING)).isEqualTo(Verdict.BATCH_NOISE);
        // precise/train above the gap ratio no longer decides alone: eval/train 19.2 with precise/train
        // 1.73 is mostly the EMA's gap
        assertThat(verdict(1, 19.2, 1.73, LAGGING)).isEqualTo(Verdict.EMA_LAG);
    }

    @Test
    void divergedAboveTheLossLimitOrWhenNotFinite() {
        DiagnosisThresholds limit = new DiagnosisThresholds(1.5, 4);
        List<LayerCheckpoint> l = LAGGING;
        assertThat(Diagnoser.verdict(new OutputGap(4, 4, 4), l, limit)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(Math.nextDown(4.0), 4, 4), l, limit)).isEqualTo(Verdict.HEALTHY);
        assertThat(Diagnoser.verdict(new OutputGap(Math.nextUp(4.0), 4, 4), l, limit)).isEqualTo(Verdict.DIVERGED);
        assertThat(verdict(Double.POSITIVE_INFINITY, 1, 1, l)).isEqualTo(Verdict.DIVERGED);
        assertThat(verdict(Double.NaN, 1, 1, l)).isEqualTo(Verdict.DIVERGED);
        assertThat(verdict(Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, l)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void warmupWinsTiesAgainstLagSummedOverLayers() {
        // summed over layers: warm 0.5 + 0.25 = 0.75, lag 0.25 + 0.5 = 0.75 -> tie -> warm-up
        List<LayerCheckpoint> tie = List.of(layer(0.5, 0.25), layer(0.25, 0.5));
        assertThat(verdict(1, 9, 1, tie)).isEqualTo(Verdict.EMA_WARMUP);
        // the per-layer maxima point the other way: only the sums count
        List<LayerCheckpoint> sums = List.of(layer(0.5, 0.0), layer(0.0, 0.25), layer(0.0, 0.375));
        assertThat(verdict(1, 9, 1, sums)).isEqualTo(Verdict.EMA_LAG);
        List<LayerCheckpoint> warmer = List.of(layer(0.5, 0.25), layer(0.25, 0.375));
        assertThat(verdict(1, 9, 1, warmer)).isEqualTo(Verdict.EMA_WARMUP);
        List<LayerCheckpoint> lagger = List.of(layer(0.5, 0.25), layer(0.25, 0.625));
        assertThat(verdict(1, 9, 1, lagger)).isEqualTo(Verdict.EMA_LAG);
        // no layers at all: zero against zero is a tie
        assertThat(verdict(1, 9, 1, List.of())).isEqualTo(Verdict.EMA_WARMUP);
    }

    @Test
    void thresholdsAreValidated() {
        assertThatThrownBy(() -> new DiagnosisThresholds(1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gapRatio");
        assertThat(new DiagnosisThresholds(Math.nextUp(1.0), Double.MIN_VALUE).gapRatio()).isGreaterThan(1);
        assertThatThrownBy(() -> new DiagnosisThresholds(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("divergedLoss");
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outputGapRatiosAreTheDocumentedQuotients() {
        OutputGap g = new OutputGap(2, 6, 4);
        assertThat(g.evalToTrainRatio()).isEqualTo(3.0);
        assertThat(g.evalToPreciseRatio()).isEqualTo(1.5);
        assertThat(g.preciseToTrainRatio()).isEqualTo(2.0);
    }
}
