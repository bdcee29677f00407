package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The test kit cannot be fooled by non-finite values: a NaN or infinite moving statistic fails
 * every assertion with a message that says so, whatever the tolerance; a non-finite expected value
 * or tolerance, or a negative tolerance, fails as a mistake in the test. Tolerance boundaries are
 * inclusive: a deviation equal to the half-width passes, one ulp more fails.
 */
@Tag("unit")
class BnLayerAssertNonFiniteTest {
    private final BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 1, 1, 0.9,
            VarianceParameterisation.VAR);
    private final BnLayerRef bn = net.bnLayers().get(0);

    /** Puts a raw value into the parameter table, past {@link MovingStatistics#write}'s own checks. */
    private void poke(String param, int channel, double value) {
        INDArray p = net.param(bn, param).dup();
        p.putScalar(channel, value);
        net.setParam(bn, param, p);
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void aNonFiniteMovingMeanFailsWithAClearMessage(double bad) {
        MovingStatistics.write(net, bn, new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3}));
        poke("mean", 1, bad);
        assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasMovingMeanWithin(new double[] {0.5, 1},
                new double[] {1e300, 1e300}))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("layer '" + bn.name() + "' channel 1: moving mean is " + bad + ", not a finite number");
    }

    @Test
    void aNanMovingVarianceFailsTheToleranceAssertion() {
        MovingStatistics.write(net, bn, new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3}));
        poke("var", 0, Double.NaN);
        assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasMovingVarianceWithin(new double[] {2, 3},
                new double[] {10, 10})).isInstanceOf(AssertionError.class).hasMessageContaining("channel 0: moving variance is NaN");
        assertThatThrownBy(() -> assertThat(net).hasMovingStatisticsCloseTo(Map.of(bn.name(),
                new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3})), Tolerance.relative(0.5)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("moving variance is NaN");
    }

    @Test
    void nonFiniteExpectationsOrTolerancesAreMistakes() {
        MovingStatistics.write(net, bn, new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3}));
        double[] mean = {0.5, 1};
        for (double[][] bad : new double[][][] {
                {{0.5, Double.NaN}, {1, 1}},
                {{0.5, Double.POSITIVE_INFINITY}, {1, 1}},
                {mean, {1, Double.NaN}},
                {mean, {1, Double.POSITIVE_INFINITY}},
                {mean, {1, -Double.MIN_VALUE}}}) {
            assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasMovingMeanWithin(bad[0], bad[1]))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("channel 1: the moving mean check needs a finite expected value");
        }
    }

    @Test
    void theHalfWidthIsInclusive() {
        MovingStatistics.write(net, bn, new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3}));
        // float storage: 0.5 and 1 are exact, so the deviation from 0.25 is exactly 0.25
        assertThatCode(() -> assertThat(net).layer(bn.name()).hasMovingMeanWithin(new double[] {0.25, 1},
                new double[] {0.25, 0})).doesNotThrowAnyException();
        assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasMovingMeanWithin(new double[] {0.25, 1},
                new double[] {Math.nextDown(0.25), 0})).isInstanceOf(AssertionError.class)
                .hasMessageContaining("channel 0: moving mean expected 0.25 ± 0.24999999999999997 but was 0.5 (off by 0.25)");
        assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasMovingVarianceWithin(new double[] {2},
                new double[] {0})).isInstanceOf(AssertionError.class)
                .hasMessageContaining("has 2 channels; expected 1 values and 1 tolerances for the moving variance");
        assertThatThrownBy(() -> assertThat(net).layer(bn.name()).hasVarianceStoredAs(VarianceParameterisation.LOG10_STDEV))
                .isInstanceOf(AssertionError.class).hasMessageContaining("stored as VAR, expected LOG10_STDEV");
    }
}
