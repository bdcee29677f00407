package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Tolerance;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on one BN layer. Failure messages name the layer, the channel, the expected
 * value, the actual value and the tolerance. A NaN or infinite statistic always fails, with a
 * message saying so; a NaN or infinite expected value or tolerance (or a negative tolerance) is a
 * mistake in the test and fails too.
 */
public final class BnLayerAssert extends AbstractAssert<BnLayerAssert, BnLayerRef> {
    private final BnNetwork net;

    BnLayerAssert(BnNetwork net, BnLayerRef layer) {
        super(layer, BnLayerAssert.class);
        this.net = net;
    }

    /**
     * @param expected the expected parameterisation of the moving variance
     * @return this
     */
    public BnLayerAssert hasVarianceStoredAs(VarianceParameterisation expected) {
        if (actual.parameterisation() != expected) {
            failWithMessage("layer '%s': moving variance stored as %s, expected %s", actual.name(),
                    actual.parameterisation(), expected);
        }
        return this;
    }

    /**
     * @param expected expected moving mean per channel
     * @param halfWidth allowed absolute deviation per channel
     * @return this
     */
    public BnLayerAssert hasMovingMeanWithin(double[] expected, double[] halfWidth) {
        return within("moving mean", MovingStatistics.read(net, actual).mean(), expected, halfWidth);
    }

    /**
     * @param expected expected moving variance per channel
     * @param halfWidth allowed absolute deviation per channel
     * @return this
     */
    public BnLayerAssert hasMovingVarianceWithin(double[] expected, double[] halfWidth) {
        return within("moving variance", MovingStatistics.read(net, actual).variance(), expected, halfWidth);
    }

    /**
     * @param expected expected moving mean and variance
     * @param tolerance tolerance for each value
     * @return this
     */
    public BnLayerAssert hasMovingStatisticsCloseTo(MeanVariance expected, Tolerance tolerance) {
        MeanVariance moving = MovingStatistics.read(net, actual);
        within("moving mean", moving.mean(), expected.mean(), widths(expected.mean(), tolerance));
        return within("moving variance", moving.variance(), expected.variance(), widths(expected.variance(), tolerance));
    }

    private static double[] widths(double[] expected, Tolerance tolerance) {
        double[] w = new double[expected.length];
        for (int c = 0; c < w.length; c++) {
            w[c] = tolerance.allowedDifference(expected[c]);
        }
        return w;
    }

    private BnLayerAssert within(String what, double[] values, double[] expected, double[] halfWidth) {
        if (expected.length != values.length || halfWidth.length != values.length) {
            failWithMessage("layer '%s' has %d channels; expected %d values and %d tolerances for the %s",
                    actual.name(), values.length, expected.length, halfWidth.length, what);
        }
        for (int c = 0; c < values.length; c++) {
            if (!Double.isFinite(expected[c]) || !Double.isFinite(halfWidth[c]) || halfWidth[c] < 0) {
                failWithMessage("layer '%s' channel %d: the %s check needs a finite expected value and a finite "
                        + "non-negative tolerance, got %s ± %s", actual.name(), c, what, expected[c], halfWidth[c]);
            }
            if (!Double.isFinite(values[c])) {
                failWithMessage("layer '%s' channel %d: %s is %s, not a finite number (expected %s ± %s)", actual.name(),
                        c, what, values[c], expected[c], halfWidth[c]);
            }
            if (Math.abs(values[c] - expected[c]) > halfWidth[c]) {
                failWithMessage("layer '%s' channel %d: %s expected %s ± %s but was %s (off by %s)", actual.name(), c,
                        what, expected[c], halfWidth[c], values[c], values[c] - expected[c]);
            }
        }
        return this;
    }
}
