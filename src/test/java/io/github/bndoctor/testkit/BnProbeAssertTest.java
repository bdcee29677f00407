package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.opentest4j.AssertionFailedError;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The gap assertions on a real DL4J BN layer fed by the probe directly (gamma 1, beta 0, identity
 * output, MSE against zero labels), where both losses have closed forms computed here by a direct
 * double loop over the probe: training mode standardizes with the probe's own biased batch
 * statistics, so its loss is {@code mean_c v_c/(v_c+eps)}; a fresh layer's inference mode uses
 * DL4J's prior (mean 0, variance 1), so its loss is {@code mean(x^2)/(1+eps)}.
 */
@Tag("unit")
class BnProbeAssertTest {
    private static final double EPS = 1e-5;
    private static final int N = 32;
    private static final int C = 2;
    /**
     * Relative slack of the hand-computed ratio: the network computes in float32 (relative
     * rounding 6e-8 per operation, a few operations per element, sums over 64 elements in another
     * order), so the two routes agree to well under 1e-5; 1e-4 bounds that from above.
     */
    private static final double SLACK = 1e-4;

    private static INDArray probe() {
        // N(3, 2^2) and N(-1, 0.5^2) per channel: far from DL4J's prior, so the fresh layer's gap is large
        return new GaussianBatches(Layout.DENSE, N, 1, 1, new double[] {3, -1}, new double[] {2, 0.5}, 7).next();
    }

    private static BnNetwork fresh(NetworkKind kind) {
        return TinyBnNetworks.singleBn(kind, Layout.DENSE, C, 1, 1, 0.9, VarianceParameterisation.VAR);
    }

    private static double[][] meanAndBiasedVariance(INDArray x) {
        double[] m = new double[C];
        double[] v = new double[C];
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < N; i++) {
                m[c] += x.getDouble(i, c) / N;
            }
            for (int i = 0; i < N; i++) {
                double d = x.getDouble(i, c) - m[c];
                v[c] += d * d / N;
            }
        }
        return new double[][] {m, v};
    }

    /** eval/train of a fresh layer by the closed forms above. */
    private static double freshRatioByHand(INDArray x) {
        double[] v = meanAndBiasedVariance(x)[1];
        double train = 0;
        for (int c = 0; c < C; c++) {
            train += v[c] / (v[c] + EPS) / C;
        }
        double eval = 0;
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < C; c++) {
                eval += x.getDouble(i, c) * x.getDouble(i, c) / (N * C);
            }
        }
        return eval / (1 + EPS) / train;
    }

    private static INDArray zeros() {
        return Nd4j.zeros(DataType.FLOAT, N, C);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void evalToTrainHoldsJustAboveTheHandComputedRatioAndFailsJustBelowIt(NetworkKind kind) {
        INDArray x = probe();
        double r = freshRatioByHand(x);
        BnNetwork net = fresh(kind);
        org.assertj.core.api.Assertions.assertThat(r).isGreaterThan(2);       // the premise: a real gap
        assertThat(net).onProbe(x, zeros()).hasEvalToTrainRatioAtMost(r * (1 + SLACK));
        // at the bound: inclusive
        BnProbeAssert onProbe = assertThat(net).onProbe(x, zeros());
        onProbe.hasEvalToTrainRatioAtMost(onProbe.checkpoint().gap().evalToTrainRatio());
        AssertionFailedError e = catchThrowableOfType(AssertionFailedError.class,
                () -> assertThat(net).onProbe(x, zeros()).hasEvalToTrainRatioAtMost(r * (1 - SLACK)));
        org.assertj.core.api.Assertions.assertThat(e.getMessage())
                .contains("layer '" + net.bnLayers().get(0).name() + "' at iteration 0: expected eval/train at most ")
                .contains("eval/train " + String.format(java.util.Locale.ROOT, "%.3g", r))
                .contains("eval/precise ").contains("verdict ").contains("remedy: ")
                .doesNotContainPattern("\\d\\.\\d{6,}");
        org.assertj.core.api.Assertions.assertThat(e.getExpected().getStringRepresentation()).startsWith("eval/train <= ");
        // bound and value (8.557 and 8.558 here) differ 1e-4 apart: written with the four digits that tell them apart
        org.assertj.core.api.Assertions.assertThat(e.getActual().getStringRepresentation())
                .isEqualTo("eval/train = " + String.format(java.util.Locale.ROOT, "%.4g", r));
    }

    @Test
    void movingStatisticsEqualToTheProbesOwnCloseTheGap() {
        INDArray x = probe();
        BnNetwork net = fresh(NetworkKind.MULTI_LAYER);
        double[][] mv = meanAndBiasedVariance(x);
        MovingStatistics.write(net, net.bnLayers().get(0), new MeanVariance(mv[0], mv[1]));
        // inference now standardizes exactly as training mode does: ratio 1 up to float rounding
        BnProbeAssert a = assertThat(net).onProbe(x, zeros());
        // each check returns the same assertion, so that they chain in any order
        org.assertj.core.api.Assertions.assertThat(a.hasEvalToTrainRatioAtMost(1 + SLACK)).isSameAs(a);
        org.assertj.core.api.Assertions.assertThat(a.hasEvalToPreciseRatioAtMost(1 + SLACK)).isSameAs(a);
        org.assertj.core.api.Assertions.assertThat(a.hasEveryLayerEmaErrorAtMost(1e6)).isSameAs(a);
        assertThatThrownBy(() -> assertThat(net).onProbe(x, zeros()).hasEvalToTrainRatioAtMost(1 - SLACK))
                .isInstanceOf(AssertionFailedError.class);
    }

    @Test
    void evalToPreciseUsesPreciseStatisticsFromTheGivenData() {
        INDArray x = probe();
        BnNetwork net = fresh(NetworkKind.GRAPH);
        // precise statistics from the probe itself: the prior's whole gap is the EMA's
        assertThatThrownBy(() -> assertThat(net).onProbe(x, zeros()).hasEvalToPreciseRatioAtMost(2))
                .isInstanceOf(AssertionFailedError.class).hasMessageContaining("expected eval/precise at most 2.00 but was ");
        // precise statistics from data like the prior (mean 0, variance 1): the moving ones are right, no EMA gap
        GaussianBatches prior = new GaussianBatches(Layout.DENSE, 256, 1, 1, new double[] {0, 0}, new double[] {1, 1}, 3);
        org.nd4j.linalg.dataset.api.iterator.DataSetIterator it = new org.deeplearning4j.datasets.iterator
                .ExistingDataSetIterator(java.util.List.of(prior.nextDataSet()));
        // 256 samples: the estimated mean is off by ~1/16 sd, the variance by ~9%, so eval/precise stays near 1
        assertThat(net).onProbe(x, zeros()).withPreciseDataFrom(it).hasEvalToPreciseRatioAtMost(1.5);
        // the iterator is read to its end by then: the assertion resets it, and reads the same statistics again
        org.assertj.core.api.Assertions.assertThat(it.hasNext()).isFalse();
        double again = assertThat(net).onProbe(x, zeros()).withPreciseDataFrom(it).checkpoint().gap().evalToPreciseRatio();
        it.reset();
        double fresh = assertThat(net).onProbe(x, zeros()).withPreciseDataFrom(it).checkpoint().gap().evalToPreciseRatio();
        org.assertj.core.api.Assertions.assertThat(again).isEqualTo(fresh).isLessThanOrEqualTo(1.5);
    }

    @Test
    void anotherDiagnoserMeasuresAgain() {
        INDArray x = probe();
        BnNetwork net = fresh(NetworkKind.MULTI_LAYER);
        BnProbeAssert a = assertThat(net).onProbe(x, zeros());
        io.github.bndoctor.probe.Checkpoint first = a.checkpoint();
        org.assertj.core.api.Assertions.assertThat(a.checkpoint()).isSameAs(first);
        org.assertj.core.api.Assertions.assertThat(a.withDiagnoser(io.github.bndoctor.probe.Diagnoser.defaults())).isSameAs(a);
        // measured again, to the same figures on the same network and probe
        org.assertj.core.api.Assertions.assertThat(a.checkpoint()).isNotSameAs(first);
        org.assertj.core.api.Assertions.assertThat(a.checkpoint().gap().evalToTrainRatio())
                .isEqualTo(first.gap().evalToTrainRatio());
    }

    @Test
    void everyLayerOverTheBoundIsListedInOneFailure() {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 4, 1, 0.9,
                VarianceParameterisation.VAR, new Adam(1e-3), 5);
        INDArray x = probe();
        INDArray y = Nd4j.zeros(DataType.FLOAT, N, 2);
        AssertionFailedError e = catchThrowableOfType(AssertionFailedError.class,
                () -> assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(0));
        org.assertj.core.api.Assertions.assertThat(e.getMessage()).startsWith("2 of 2 BN layers at iteration 0 have an EMA "
                + "error above 0.00: layer '").contains("verdict ").contains("remedy: ");
        assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(1e6);
        // inclusive: the largest layer's own EMA error passes, one ulp below it fails naming only that layer
        io.github.bndoctor.probe.LayerCheckpoint worst = assertThat(net).onProbe(x, y).checkpoint().layers().stream()
                .max(java.util.Comparator.comparingDouble(l -> l.decomposition().emaError())).orElseThrow();
        double largest = worst.decomposition().emaError();
        assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(largest);
        AssertionFailedError justBelow = catchThrowableOfType(AssertionFailedError.class,
                () -> assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(Math.nextDown(largest)));
        org.assertj.core.api.Assertions.assertThat(justBelow.getMessage()).startsWith("1 of 2 BN layers")
                .contains("layer '" + worst.name() + "'");
        // AssertJ's soft assertions collect the kit's failures like any other
        SoftAssertions softly = new SoftAssertions();
        softly.check(() -> assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(0));
        softly.check(() -> assertThat(net).onProbe(x, y).hasEvalToTrainRatioAtMost(0));
        softly.check(() -> assertThat(net).onProbe(x, y).hasEveryLayerEmaErrorAtMost(1e6));
        org.assertj.core.api.Assertions.assertThat(softly.errorsCollected()).hasSize(2);
    }

    @Test
    void aBoundThatIsNotAFiniteNonNegativeNumberIsAMistakeInTheTest() {
        BnNetwork net = fresh(NetworkKind.MULTI_LAYER);
        for (double bad : new double[] {-1e-9, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> assertThat(net).onProbe(probe(), zeros()).hasEvalToTrainRatioAtMost(bad))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> assertThat(net).onProbe(probe(), zeros()).hasEvalToPreciseRatioAtMost(bad))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> assertThat(net).onProbe(probe(), zeros()).hasEveryLayerEmaErrorAtMost(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void oneArrayPerInputAndOutputReadsTheSameProbe() {
        INDArray x = probe();
        BnNetwork net = fresh(NetworkKind.GRAPH);
        double single = assertThat(net).onProbe(x, zeros()).checkpoint().gap().evalToTrainRatio();
        double arrays = assertThat(net).onProbe(new INDArray[] {x}, new INDArray[] {zeros()}).checkpoint().gap()
                .evalToTrainRatio();
        org.assertj.core.api.Assertions.assertThat(arrays).isEqualTo(single).isGreaterThan(1);
    }
}
