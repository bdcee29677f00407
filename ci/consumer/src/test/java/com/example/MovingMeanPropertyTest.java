package com.example;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.EmaBounds;
import io.github.bndoctor.stats.FalseFailureBudget;
import io.github.bndoctor.testkit.BnGenerators;
import io.github.bndoctor.testkit.GaussianBatches;
import org.junit.jupiter.api.Test;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

class MovingMeanPropertyTest {
    static final int EXAMPLES = 10;
    static final int STEPS = 100;

    @Test
    void movingMeanFollowsTheEmaClosedForm() {
        // 10 examples x up to 2 channels share a 1e-6 chance of failing by accident
        FalseFailureBudget budget = FalseFailureBudget.of(1e-6, EXAMPLES * 2);
        qt().withExamples(EXAMPLES)
            .forAll(BnGenerators.bnCases(2, BnGenerators.decays(0.5, 0.95)))
            .checkAssert(c -> {
                BnNetwork net = c.network();              // a real DL4J BN layer, MLN or graph
                GaussianBatches data = c.batches();       // i.i.d. N(mu_c, sigma_c^2) per channel
                for (int i = 0; i < STEPS; i++) {
                    net.fit(data.nextDataSet());
                }
                double[] expected = new double[c.channels()];
                double[] width = new double[c.channels()];
                for (int ch = 0; ch < c.channels(); ch++) {
                    double s2 = c.sigma()[ch] * c.sigma()[ch];
                    expected[ch] = Ema.expectedValue(0, c.mu()[ch], c.decay(), STEPS);  // mu + d^n (0 - mu)
                    width[ch] = EmaBounds.meanHalfWidth(s2, c.samplesPerChannel(), c.decay(), STEPS, budget)
                            + EmaBounds.floatSlack(Math.abs(c.mu()[ch]) + c.sigma()[ch], c.decay(), STEPS, 16);
                }
                assertThat(net).layer(net.bnLayers().get(0).name()).hasMovingMeanWithin(expected, width);
            });
    }
}
