package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.EmaBounds;
import io.github.bndoctor.stats.FalseFailureBudget;
import io.github.bndoctor.testkit.BnCase;
import io.github.bndoctor.testkit.BnGenerators;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

/**
 * Property 1 (and 2 through the drawn parameterisation): a real DL4J BN layer trained with
 * {@code fit} on i.i.d. Gaussian batches has, at every checkpoint, a moving mean within
 * {@code E[m_n] = mu + d^n(0 - mu)} plus {@code z} EMA standard deviations, and a moving variance
 * within {@code d^n * 1 + (1-d^n)(m-1)/m sigma^2} plus the Laurent-Massart chi-square bound: it
 * converges to the <em>biased</em> batch variance. Decays cover [0.5, 0.9999] in three strata of
 * window length, crossed with the three layouts, so coverage is by construction and asserted.
 * A failure prints QuickTheories' seed; re-run it with {@code mvn test -DQT_SEED=<seed>}.
 */
@Tag("property")
class StationaryConvergencePropertyTest {
    static final int STEPS = 160;
    static final long[] CHECKPOINTS = {40, 80, 160};
    static final int MAX_CHANNELS = 3;
    static final int EXAMPLES_PER_STRATUM = 3;

    /** Window classes: converged (prior weight below e^-8 at the end), partial, and long (window > run). */
    enum Window {
        SHORT(0.5, 1 - 8.0 / STEPS),
        MEDIUM(1 - 8.0 / STEPS, 1 - 1.0 / STEPS),
        LONG(1 - 1.0 / STEPS, 0.9999);

        final double min;
        final double max;

        Window(double min, double max) {
            this.min = min;
            this.max = max;
        }
    }

    /** Every comparison the property makes, over all strata: the union bound runs over these. */
    static final long COMPARISONS = (long) Window.values().length * Layout.values().length * EXAMPLES_PER_STRATUM
            * MAX_CHANNELS * CHECKPOINTS.length * 2;
    static final FalseFailureBudget BUDGET = PropertySuite.budget(COMPARISONS);

    /** float rounding per EMA step of a mean: the update and batch mean each round a few times (16 ulps). */
    static final double MEAN_ULPS = 16;
    /** float rounding per EMA step of a variance, incl. 10^p squaring in log10stdev form (32 ulps). */
    static final double VARIANCE_ULPS = 32;

    @Test
    void movingStatisticsStayWithinClosedFormBoundsForAnyDecay() {
        List<BnCase> seen = new ArrayList<>();
        for (Window w : Window.values()) {
            for (Layout layout : Layout.values()) {
                qt().withExamples(EXAMPLES_PER_STRATUM).withShrinkCycles(5)
                        .forAll(BnGenerators.bnCases(MAX_CHANNELS, BnGenerators.decays(w.min, w.max),
                                Generate.constant(layout)))
                        .checkAssert(c -> {
                            seen.add(c);
                            trainAndCheck(c, w);
                        });
            }
        }
        // coverage is asserted, not hoped for
        for (Window w : Window.values()) {
            for (Layout layout : Layout.values()) {
                assertThat(seen).as("examples with %s window and %s layout", w, layout)
                        .anyMatch(c -> c.layout() == layout && c.decay() >= w.min && c.decay() <= w.max);
            }
        }
        assertThat(seen).anyMatch(c -> c.window() <= STEPS / 8.0).anyMatch(c -> c.window() >= STEPS);
        Set<NetworkKind> kinds = EnumSet.noneOf(NetworkKind.class);
        Set<VarianceParameterisation> params = EnumSet.noneOf(VarianceParameterisation.class);
        seen.forEach(c -> {
            kinds.add(c.kind());
            params.add(c.parameterisation());
        });
        assertThat(kinds).containsExactlyInAnyOrder(NetworkKind.values());
        assertThat(params).containsExactlyInAnyOrder(VarianceParameterisation.values());
    }

    private static void trainAndCheck(BnCase c, Window w) {
        BnNetwork net = c.network();
        GaussianBatches batches = c.batches();
        String layer = net.bnLayers().get(0).name();
        long m = c.samplesPerChannel();
        int ci = 0;
        for (long n = 1; n <= STEPS; n++) {
            net.fit(batches.nextDataSet());
            if (ci < CHECKPOINTS.length && n == CHECKPOINTS[ci]) {
                ci++;
                double[] meanExp = new double[c.channels()];
                double[] meanTol = new double[c.channels()];
                double[] varExp = new double[c.channels()];
                double[] varTol = new double[c.channels()];
                for (int ch = 0; ch < c.channels(); ch++) {
                    double mu = c.mu()[ch];
                    double s2 = c.sigma()[ch] * c.sigma()[ch];
                    meanExp[ch] = Ema.expectedValue(0, mu, c.decay(), n);
                    meanTol[ch] = EmaBounds.meanHalfWidth(s2, m, c.decay(), n, BUDGET)
                            + EmaBounds.floatSlack(Math.abs(mu) + c.sigma()[ch], c.decay(), n, MEAN_ULPS);
                    varExp[ch] = EmaBounds.expectedMovingVariance(1, s2, m, c.decay(), n);
                    varTol[ch] = EmaBounds.varianceHalfWidth(s2, m, c.decay(), n, BUDGET)
                            + EmaBounds.floatSlack(mu * mu + s2 + 1, c.decay(), n, VARIANCE_ULPS);
                }
                assertThat(net).layer(layer).hasMovingMeanWithin(meanExp, meanTol)
                        .hasMovingVarianceWithin(varExp, varTol);
                if (w == Window.SHORT && n == STEPS) {
                    assertNotUnbiased(net, c, varTol);
                }
            }
        }
    }

    /**
     * Converged short windows must sit on the biased (m-1)/m sigma^2, not on sigma^2: wherever
     * the two are further apart than twice the tolerance, sigma^2 must be rejected.
     */
    private static void assertNotUnbiased(BnNetwork net, BnCase c, double[] varTol) {
        double[] moving = MovingStatistics.read(net, net.bnLayers().get(0)).variance();
        for (int ch = 0; ch < c.channels(); ch++) {
            double s2 = c.sigma()[ch] * c.sigma()[ch];
            if (s2 / c.samplesPerChannel() > 2 * varTol[ch]) {
                assertThat(Math.abs(moving[ch] - s2)).as("channel %d should not converge to the unbiased %s", ch, s2)
                        .isGreaterThan(varTol[ch]);
            }
        }
    }
}
