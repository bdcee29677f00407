package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.EmaBounds;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.BnCase;
import io.github.bndoctor.testkit.BnGenerators;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;

/**
 * Property 2: the {@code var} and {@code log10stdev} parameterisations track the same moving
 * variance. Two layers differing only in parameterisation are trained on the same batches; their
 * means follow identical float operations and must be bit-identical, and their variances may
 * differ only by float rounding accumulated over the EMA window.
 */
@Tag("property")
class VarianceParameterisationPropertyTest {
    static final int STEPS = 120;
    /** Both forms round per step (the log form also in log10 and 10^p): 64 ulps covers the pair. */
    static final double PAIR_ULPS = 64;

    @Test
    void varAndLog10StdevTrackTheSameMovingVariance() {
        qt().withExamples(10).withShrinkCycles(5).forAll(BnGenerators.bnCases(3, BnGenerators.decays()))
            .checkAssert(c -> {
                BnNetwork asVar = TinyBnNetworks.singleBn(c.kind(), c.layout(), c.channels(), c.height(), c.width(),
                        c.decay(), VarianceParameterisation.VAR);
                BnNetwork asLog = TinyBnNetworks.singleBn(c.kind(), c.layout(), c.channels(), c.height(), c.width(),
                        c.decay(), VarianceParameterisation.LOG10_STDEV);
                var a = c.batches();
                var b = c.batches();
                for (int n = 0; n < STEPS; n++) {
                    asVar.fit(a.nextDataSet());
                    asLog.fit(b.nextDataSet());
                }
                MeanVariance v = MovingStatistics.read(asVar, asVar.bnLayers().get(0));
                MeanVariance l = MovingStatistics.read(asLog, asLog.bnLayers().get(0));
                assertThat(l.mean()).as("means follow identical float operations").containsExactly(v.mean());
                for (int ch = 0; ch < c.channels(); ch++) {
                    double scale = c.mu()[ch] * c.mu()[ch] + c.sigma()[ch] * c.sigma()[ch] + 1;
                    assertThat(l.variance()[ch]).as("%s channel %d", c, ch).isCloseTo(v.variance()[ch],
                            within(EmaBounds.floatSlack(scale, c.decay(), STEPS, PAIR_ULPS)));
                }
            });
    }

    @Test
    void theComparisonWouldCatchAMisreadParameterisation() {
        // reading log10(std) as log10(var) halves the exponent: the check above must reject that
        BnCase c = new BnCase(io.github.bndoctor.testkit.NetworkKind.GRAPH, Layout.NCHW,
                VarianceParameterisation.LOG10_STDEV, 0.9, 4, 2, 2, new double[] {0.5}, new double[] {3}, 17);
        BnNetwork asLog = TinyBnNetworks.singleBn(c.kind(), c.layout(), 1, c.height(), c.width(), 0.9,
                VarianceParameterisation.LOG10_STDEV);
        var batches = c.batches();
        for (int n = 0; n < 60; n++) {
            asLog.fit(batches.nextDataSet());
        }
        double p = asLog.param(asLog.bnLayers().get(0), "log10stdev").getDouble(0);
        double right = Math.pow(10, 2 * p);
        double misread = Math.pow(10, p);
        double tol = EmaBounds.floatSlack(c.mu()[0] * c.mu()[0] + c.sigma()[0] * c.sigma()[0] + 1, 0.9, 60, PAIR_ULPS);
        assertThat(MovingStatistics.read(asLog, asLog.bnLayers().get(0)).variance()[0]).isCloseTo(right, within(1e-12));
        assertThat(Math.abs(misread - right)).isGreaterThan(tol);
    }
}
