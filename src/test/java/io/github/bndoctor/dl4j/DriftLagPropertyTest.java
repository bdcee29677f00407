package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.EmaBounds;
import io.github.bndoctor.stats.FalseFailureBudget;
import io.github.bndoctor.testkit.BnCase;
import io.github.bndoctor.testkit.BnGenerators;
import io.github.bndoctor.testkit.GaussianBatches;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;

/**
 * Property 3: when the mean of a BN layer's input moves linearly at {@code r} per step, the moving
 * mean trails the current mean by the steady lag {@code L = r d/(1-d)} plus a transient that dies
 * as {@code d^n}. The expected lag is derived here, independently of {@link Ema}: the lag obeys
 * {@code L_n = d (L_{n-1} + r)} from {@code L_0 = mu0 - m_0}, whose fixed point is {@code L}, so
 * {@code E[L_n] = L + d^n (mu0 - m_0 - L)}. The band around it is only {@code z} EMA standard
 * deviations and float rounding: a wrong steady lag moves the centre and cannot widen the band.
 * A failure prints QuickTheories' seed; re-run it with {@code mvn test -DQT_SEED=<seed>}.
 */
@Tag("property")
class DriftLagPropertyTest {
    static final int STEPS = 200;
    static final long[] CHECKPOINTS = {100, 200};
    static final int MAX_CHANNELS = 3;
    static final int EXAMPLES_PER_STRATUM = 2;
    /** Strata: layout x sign of the drift. */
    static final long COMPARISONS = (long) Layout.values().length * 2 * EXAMPLES_PER_STRATUM * MAX_CHANNELS
            * CHECKPOINTS.length;
    static final FalseFailureBudget BUDGET = PropertySuite.budget(COMPARISONS);
    /** float rounding per EMA step of a mean (16 ulps, as for the stationary property). */
    static final double MEAN_ULPS = 16;

    @Test
    void movingMeanLagsByRateTimesDecayOverOneMinusDecay() {
        List<String> seen = new ArrayList<>();
        for (Layout layout : Layout.values()) {
            for (int sign : new int[] {-1, 1}) {
                // windows 2..40: the transient d^n has mostly died out by the checkpoints (d^100 <= 0.08)
                qt().withExamples(EXAMPLES_PER_STRATUM).withShrinkCycles(5)
                        .forAll(BnGenerators.bnCases(MAX_CHANNELS, BnGenerators.decays(0.5, 0.975),
                                Generate.constant(layout)), doubles().between(0.005, 0.05).map(r -> sign * r))
                        .checkAssert((c, rate) -> {
                            seen.add(c.layout() + (rate > 0 ? "+" : "-"));
                            trainAndCheck(c, rate);
                        });
            }
        }
        for (Layout layout : Layout.values()) {
            assertThat(seen).as("coverage of drift strata").contains(layout + "+", layout + "-");
        }
    }

    private static void trainAndCheck(BnCase c, double rate) {
        BnNetwork net = c.network();
        GaussianBatches batches = c.batches().withDrift(rate);
        BnLayerRef ref = net.bnLayers().get(0);
        int ci = 0;
        for (long n = 1; n <= STEPS; n++) {
            net.fit(batches.nextDataSet());
            if (ci < CHECKPOINTS.length && n == CHECKPOINTS[ci]) {
                ci++;
                double[] moving = MovingStatistics.read(net, ref).mean();
                for (int ch = 0; ch < c.channels(); ch++) {
                    double mu0 = c.mu()[ch];
                    double s2 = c.sigma()[ch] * c.sigma()[ch];
                    double lag = mu0 + rate * n - moving[ch];
                    double steady = rate * c.decay() / (1 - c.decay());
                    double expected = steady + Math.pow(c.decay(), n) * (mu0 - 0 - steady);
                    // the library's closed form agrees with the recursion's (a dozen double operations)
                    assertThat(Ema.expectedLagUnderDrift(0, mu0, rate, c.decay(), n))
                            .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9 * (1 + Math.abs(expected))));
                    double noise = EmaBounds.meanHalfWidth(s2, c.samplesPerChannel(), c.decay(), n, BUDGET)
                            + EmaBounds.floatSlack(Math.abs(mu0) + Math.abs(rate) * n + c.sigma()[ch], c.decay(), n,
                                    MEAN_ULPS);
                    assertThat(lag).as("%s, rate %s, channel %d, step %d: lag vs expected lag %s (steady %s)", c, rate, ch,
                            n, expected, steady).isBetween(expected - noise, expected + noise);
                }
            }
        }
    }
}
