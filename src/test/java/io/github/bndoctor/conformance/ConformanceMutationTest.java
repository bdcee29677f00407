package io.github.bndoctor.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Shows that the comparator used by {@link PyTorchConformanceTest} has the right resolution: a
 * perturbation of DL4J's results on the scale of a few ulps is accepted, while each semantic error
 * (biased vs unbiased running variance, momentum used as decay, eps dropped) is rejected.
 */
class ConformanceMutationTest {

    /** Perturbation size in ulps of each value: "one-ulp scale", alternating in sign. */
    private static final int ULPS = 2;

    static Stream<BnReferenceCase> cases() {
        return PyTorchConformanceTest.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fewUlpPerturbationOfDl4jIsWithinTolerance(BnReferenceCase c) {
        Dl4jBatchNormHarness.TrainResult r = Dl4jBatchNormHarness.train(c);
        Dl4jBatchNormHarness.TrainResult perturbed = new Dl4jBatchNormHarness.TrainResult(perturb(r.output()),
                perturb(r.gradInput()), perturb(r.gradGamma()), perturb(r.gradBeta()));
        assertThat(perturbed.output()).isNotEqualTo(r.output());
        ConformanceChecks.assertAllConform(ConformanceChecks.train(c, perturbed));

        double decay = TorchToDl4j.decay(c.momentum());
        Dl4jBatchNormHarness.RunningStats s = Dl4jBatchNormHarness.runningStats(c, decay);
        Dl4jBatchNormHarness.RunningStats perturbedStats = new Dl4jBatchNormHarness.RunningStats(
                Stream.of(s.mean()).map(ConformanceMutationTest::perturb).toArray(float[][]::new),
                Stream.of(s.variance()).map(ConformanceMutationTest::perturb).toArray(float[][]::new));
        ConformanceChecks.assertAllConform(ConformanceChecks.running(c, perturbedStats, decay,
                TorchToDl4j.unbiasedToBiased(c.samplesPerChannel())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unbiasedRunningVarianceTakenAsBiasedIsRejected(BnReferenceCase c) {
        double decay = TorchToDl4j.decay(c.momentum());
        Dl4jBatchNormHarness.RunningStats s = Dl4jBatchNormHarness.runningStats(c, decay);
        // wrong mapping: PyTorch's running variance (EMA of unbiased batch variances) used as DL4J's (biased)
        List<Comparison> wrong = ConformanceChecks.running(c, s, decay, 1.0);
        assertThat(wrong).filteredOn(r -> r.label().contains("running var")).noneMatch(Comparison::passed);
        assertThat(wrong).filteredOn(r -> r.label().contains("running mean")).allMatch(Comparison::passed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void momentumUsedAsDecayIsRejected(BnReferenceCase c) {
        double exact = TorchToDl4j.decay(c.momentum());
        double bessel = TorchToDl4j.unbiasedToBiased(c.samplesPerChannel());
        // a user configures DL4J with decay = PyTorch's momentum
        List<Comparison> swappedInDl4j = ConformanceChecks.running(c,
                Dl4jBatchNormHarness.runningStats(c, c.momentum()), exact, bessel);
        assertThat(swappedInDl4j).filteredOn(r -> r.label().contains("running mean")).noneMatch(Comparison::passed);
        // the mapping itself swaps them, DL4J configured correctly
        List<Comparison> swappedInMapping = ConformanceChecks.running(c,
                Dl4jBatchNormHarness.runningStats(c, exact), c.momentum(), bessel);
        assertThat(swappedInMapping).filteredOn(r -> r.label().contains("running mean")).noneMatch(Comparison::passed);
    }

    @Test
    void droppedEpsIsRejectedWhereEpsMatters() {
        BnReferenceCase c = PyTorchConformanceTest.REFERENCE.caseNamed("nchw-small");
        assertThat(c.eps()).isEqualTo(0.1);  // the case with a large eps, so that eps visibly matters
        List<Comparison> noEps = ConformanceChecks.train(c, Dl4jBatchNormHarness.train(c, 0.0));
        assertThat(noEps.get(0).passed()).as("train output").isFalse();
        assertThat(noEps.get(1).passed()).as("dL/dx").isFalse();
    }

    @Test
    void comparatorRejectsNanAndAcceptsExactEquality() {
        double[] tol = {1e-6, 1e-6};
        assertThat(ConformanceComparator.compare("exact", new double[] {1, 2}, new float[] {1, 2}, tol).passed()).isTrue();
        assertThat(ConformanceComparator.compare("nan", new double[] {1, 2}, new float[] {1, Float.NaN}, tol).passed())
                .isFalse();
        assertThat(ConformanceComparator.compare("off", new double[] {1, 2}, new float[] {1, 2.001f}, tol).worstIndex())
                .isEqualTo(1);
    }

    /** Moves each value {@link #ULPS} ulps away, alternating direction. */
    static float[] perturb(float[] values) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            for (int k = 0; k < ULPS; k++) {
                out[i] = i % 2 == 0 ? Math.nextUp(out[i]) : Math.nextDown(out[i]);
            }
        }
        return out;
    }
}
