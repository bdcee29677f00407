package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.BesselFactor;
import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.EmaBounds;
import io.github.bndoctor.stats.FalseFailureBudget;
import io.github.bndoctor.testkit.BnCase;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DL4J's moving variance converges to the biased batch variance {@code (m-1)/m sigma^2}, not to
 * {@code sigma^2}. With {@code m = 2} samples per channel the two differ by a factor of 2. One
 * channel's EMA is too noisy to tell them apart at a 1e-6 false-failure budget, so the check
 * averages {@code v_c / sigma_c^2} over 16 independent channels: the Laurent-Massart half-width
 * ({@link EmaBounds#normalisedVarianceAverageHalfWidth}) is then ~0.08 against a separation of
 * 0.5, and the test fails if DL4J, or this project's reading of it, used the unbiased variance.
 * 1,000 steps of a 100-step window leave a prior weight of {@code d^n < 5e-5}.
 */
@Tag("property")
class BiasedVarianceConvergenceTest {
    static final int STEPS = 1000;
    static final double DECAY = 0.99;
    static final int CHANNELS = 16;
    static final FalseFailureBudget BUDGET = PropertySuite.budget(Layout.values().length);
    /** float rounding per EMA step of a variance (32 ulps), relative to (mu^2 + sigma^2 + 1)/sigma^2 <= 9. */
    static final double VARIANCE_ULPS = 32;

    @ParameterizedTest
    @EnumSource(Layout.class)
    void movingVarianceConvergesToTheBiasedBatchVariance(Layout layout) {
        double[] mu = new double[CHANNELS];
        double[] sigma = new double[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            mu[c] = -1 + 2.0 * c / (CHANNELS - 1);
            sigma[c] = 0.5 + 1.5 * ((c * 7) % CHANNELS) / (CHANNELS - 1);
        }
        BnCase c = new BnCase(layout == Layout.NHWC ? NetworkKind.GRAPH : NetworkKind.MULTI_LAYER, layout,
                layout == Layout.NCHW ? VarianceParameterisation.VAR : VarianceParameterisation.LOG10_STDEV,
                DECAY, 2, 1, 1, mu, sigma, 20261127L + layout.ordinal());
        BnNetwork net = c.network();
        GaussianBatches batches = c.batches();
        for (int n = 0; n < STEPS; n++) {
            net.fit(batches.nextDataSet());
        }
        double[] moving = MovingStatistics.read(net, net.bnLayers().get(0)).variance();
        long m = c.samplesPerChannel();
        double average = 0;
        double prior = 0;
        for (int ch = 0; ch < CHANNELS; ch++) {
            average += moving[ch] / (sigma[ch] * sigma[ch]) / CHANNELS;
            prior += 1 / (sigma[ch] * sigma[ch]) / CHANNELS;
        }
        double biased = Ema.expectedValue(prior, BesselFactor.of(m).biasRatio(), DECAY, STEPS);
        double unbiased = Ema.expectedValue(prior, 1.0, DECAY, STEPS);
        double half = EmaBounds.normalisedVarianceAverageHalfWidth(m, CHANNELS, DECAY, STEPS, BUDGET)
                + EmaBounds.floatSlack(9, DECAY, STEPS, VARIANCE_ULPS);
        assertThat(Math.abs(biased - unbiased)).as("the check can tell the two apart").isGreaterThan(2 * half);
        assertThat(average).as("%s: channel-average of moving variance / sigma^2", layout)
                .isBetween(biased - half, biased + half);
    }
}
