package io.github.bndoctor.stats;

import io.github.bndoctor.probe.LayerDecomposition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Distances with a non-zero epsilon, against values worked out by hand (each chosen so the closed
 * form is a simple number): the epsilon must be added to the reference variance of the mean shift
 * and to both variances of the log ratio.
 */
@Tag("unit")
class MomentDistanceTest {
    /** Results are a handful of double operations on exact inputs: 4 ulps of 1 is ample. */
    private static final double TOL = 4 * Math.ulp(1.0);

    @Test
    void standardizedMeanShiftAddsEpsToTheReferenceVariance() {
        // |3 - 1| / sqrt(3 + 1) = 1; without eps it would be 2/sqrt(3) = 1.155
        assertThat(MomentDistance.standardizedMeanShift(3, 1, 3, 1)).isCloseTo(1.0, within(TOL));
        // the sign of the shift does not matter
        assertThat(MomentDistance.standardizedMeanShift(1, 3, 3, 1)).isCloseTo(1.0, within(TOL));
        // a dead channel (variance 0) is floored at eps: |0.5| / sqrt(0.25) = 1
        assertThat(MomentDistance.standardizedMeanShift(0.5, 0, 0, 0.25)).isCloseTo(1.0, within(TOL));
    }

    @Test
    void logVarianceRatioAddsEpsToBothVariances() {
        // ln((3 + 1) / (1 + 1)) = ln 2; without eps ln 3, with eps on one side only ln 4 or ln 1.5
        assertThat(MomentDistance.logVarianceRatio(3, 1, 1)).isCloseTo(Math.log(2), within(TOL));
        assertThat(MomentDistance.logVarianceRatio(1, 3, 1)).isCloseTo(-Math.log(2), within(TOL));
        assertThat(MomentDistance.logVarianceRatio(0, 0, 1e-5)).isZero();
    }

    @Test
    void channelReductionsUseEps() {
        MeanVariance a = new MeanVariance(new double[] {3, 0}, new double[] {3, 1});
        MeanVariance b = new MeanVariance(new double[] {1, 0}, new double[] {1, 1});
        // channel 0: shift 2/sqrt(1+1) = sqrt 2, log ratio ln(4/2) = ln 2; channel 1: 0 and 0
        assertThat(MomentDistance.maxStandardizedMeanShift(a, b, 1)).isCloseTo(Math.sqrt(2), within(TOL));
        assertThat(MomentDistance.maxAbsLogVarianceRatio(a, b, 1)).isCloseTo(Math.log(2), within(TOL));
        assertThat(MomentDistance.maxAbsLogVarianceRatio(b, a, 1)).isCloseTo(Math.log(2), within(TOL));
        // median of {ln 2, 0} over two channels is their mean
        assertThat(MomentDistance.medianAbsLogVarianceRatio(b, a, 1)).isCloseTo(Math.log(2) / 2, within(TOL));
        // maxima start at zero and take the largest channel, wherever it is
        MeanVariance c = new MeanVariance(new double[] {0, 0, 5}, new double[] {1, 7, 1});
        MeanVariance d = new MeanVariance(new double[] {0, 1, 0}, new double[] {1, 1, 1});
        // channel 1: shift 1/sqrt(1+1); log ratio ln(8/2) = ln 4; channel 2: shift 5/sqrt 2
        assertThat(MomentDistance.maxStandardizedMeanShift(c, d, 1)).isCloseTo(5 / Math.sqrt(2), within(4 * TOL));
        assertThat(MomentDistance.maxAbsLogVarianceRatio(c, d, 1)).isCloseTo(Math.log(4), within(TOL));
        assertThat(MomentDistance.medianAbsLogVarianceRatio(c, d, 1)).isZero();
    }

    @Test
    void decompositionDistanceUsesTheLayerEps() {
        MeanVariance a = new MeanVariance(new double[] {3}, new double[] {3});
        MeanVariance b = new MeanVariance(new double[] {1}, new double[] {1});
        // 2/sqrt(2) + ln(4/2)
        assertThat(LayerDecomposition.distance(a, b, 1)).isCloseTo(Math.sqrt(2) + Math.log(2), within(4 * TOL));
    }

    @Test
    void relativeErrorAndChannelChecks() {
        assertThat(MomentDistance.relativeError(3, 2)).isEqualTo(0.5);
        assertThat(MomentDistance.relativeError(1, 2)).isEqualTo(0.5);
        assertThat(MomentDistance.relativeError(0, 0)).isZero();
        assertThat(MomentDistance.relativeError(1, 0)).isEqualTo(Double.POSITIVE_INFINITY);
        MeanVariance one = new MeanVariance(new double[] {0}, new double[] {1});
        MeanVariance two = new MeanVariance(new double[] {0, 0}, new double[] {1, 1});
        assertThatThrownBy(() -> MomentDistance.maxStandardizedMeanShift(one, two, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 vs 2");
        assertThatThrownBy(() -> MomentDistance.maxAbsLogVarianceRatio(one, two, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MomentDistance.medianAbsLogVarianceRatio(one, two, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
