package io.github.bndoctor.conformance;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upper bounds on the conformance tolerances, from first principles and written here without
 * {@link FloatErrorModel}: a tolerance may not exceed a stated number {@code k} of float32 unit
 * roundoffs ({@code u = 2^-24}) of the magnitude it applies to. An inflated error model (a larger
 * {@code u}, more operations, a factor of 100) would let real bugs through the conformance legs;
 * these bounds make that fail. Each bound is the model's own worst case with every condition
 * factor rounded up, so the model must sit at or below it (a relative 1e-12 absorbs the double
 * rounding of the two computations).
 */
@Tag("unit")
class FloatErrorModelBoundsTest {
    private static final double U = 0x1p-24;
    private static final double ROUNDING = 1 + 1e-12;

    static Stream<BnReferenceCase> cases() {
        return PyTorchConformanceTest.REFERENCE.cases().stream();
    }

    /** Reduction over m terms (Higham's gamma_m: m roundings), 10 elementwise ops, two implementations: 2(m+10). */
    private static double k(int m) {
        return 2.0 * (m + 10) * U;
    }

    @Test
    void primitivesAreAFewRoundingsOfUnitRoundoff() {
        assertThat(FloatErrorModel.U).isEqualTo(U);
        for (int m : new int[] {0, 1, 8, 1000}) {
            assertThat(FloatErrorModel.reductionFactor(m)).as("m=%d", m).isLessThanOrEqualTo(k(m) * ROUNDING);
        }
        // log10(std) round trip: p = log10(std) rounded to float moves std by ln(10)|p|u, the variance by
        // twice that; pow and square 8 roundings; two implementations: 2 (8 + 2 ln10 |p|)
        for (double v : new double[] {1e-6, 0.5, 1, 3, 1e6}) {
            double p = Math.abs(0.5 * Math.log10(v));
            assertThat(FloatErrorModel.log10StdRoundTrip(v)).as("v=%s", v)
                    .isLessThanOrEqualTo(2 * (8 + 2 * Math.log(10) * p) * U * ROUNDING)
                    .isGreaterThan(0);
        }
    }

    /** Moments of one channel: {mean, biased variance, mean square, mean |x|}. */
    private static double[] moments(float[] x, BnReferenceCase c, int ch) {
        double sum = 0;
        double abs = 0;
        double sq = 0;
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (ReferenceTensors.channelOf(c.layout(), i, c.shape()) == ch) {
                sum += x[i];
                abs += Math.abs(x[i]);
                sq += (double) x[i] * x[i];
                n++;
            }
        }
        double mean = sum / n;
        return new double[] {mean, sq / n - mean * mean, sq / n, abs / n};
    }

    /**
     * Training output {@code y = gamma xhat + beta}: at most {@code 2 K kappa} of
     * {@code |gamma| (mean|x|/s + |xhat|) + |beta|}, where {@code kappa = 1 + E[x^2]/s^2} is the
     * condition number of normalising by a computed variance.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void trainingToleranceIsBoundedByTheConditionedReductionError(BnReferenceCase c) {
        FloatErrorModel.TrainTolerances tol = FloatErrorModel.train(c);
        double k = k(c.samplesPerChannel());
        double[][] mom = new double[c.channels()][];
        for (int ch = 0; ch < c.channels(); ch++) {
            mom[ch] = moments(c.input(), c, ch);
        }
        for (int i = 0; i < c.input().length; i++) {
            int ch = ReferenceTensors.channelOf(c.layout(), i, c.shape());
            double s = Math.sqrt(Math.max(0, mom[ch][1]) + c.eps());
            double xhat = Math.abs((c.input()[i] - mom[ch][0]) / s);
            double kappa = 1 + mom[ch][2] / (s * s);
            double g = Math.abs(c.gamma()[ch]);
            double bound = 2 * k * kappa * (g * (mom[ch][3] / s + xhat) + Math.abs(c.beta()[ch]));
            assertThat(tol.output()[i]).as("%s element %d", c, i).isLessThanOrEqualTo(bound * (1 + 1e-9));
        }
        // dbeta = sum dy over m terms: K sum |dy|
        for (int ch = 0; ch < c.channels(); ch++) {
            double sumAbs = 0;
            for (int i = 0; i < c.gradOutput().length; i++) {
                if (ReferenceTensors.channelOf(c.layout(), i, c.shape()) == ch) {
                    sumAbs += Math.abs(c.gradOutput()[i]);
                }
            }
            assertThat(tol.gradBeta()[ch]).isLessThanOrEqualTo(k * sumAbs * (1 + 1e-9));
        }
    }

    /**
     * Eval output with running statistics: no reduction, so 2 x 10 roundings twice over (the
     * normalised input and the affine step) plus half the variance's log10(std) round trip, of
     * {@code |gamma| (|x| + |mean|)/s + |beta|}.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void evalToleranceIsBoundedByElementwiseRoundings(BnReferenceCase c) {
        BnReferenceCase.RunningUpdate last = c.updates().get(c.updates().size() - 1);
        double[] tol = FloatErrorModel.eval(c, last.runningMean(), last.runningVar());
        for (int i = 0; i < tol.length; i++) {
            int ch = ReferenceTensors.channelOf(c.layout(), i, c.shape());
            double var = last.runningVar()[ch];
            double s = Math.sqrt(var + c.eps());
            double a = (Math.abs(c.input()[i]) + Math.abs(last.runningMean()[ch])) / s;
            double p = Math.abs(0.5 * Math.log10(var));
            double kEval = (2 * 2 * 10 + 8 + 2 * Math.log(10) * p) * U;
            assertThat(tol[i]).as("%s element %d", c, i)
                    .isLessThanOrEqualTo(kEval * (Math.abs(c.gamma()[ch]) * a + Math.abs(c.beta()[ch])) * (1 + 1e-9));
        }
    }

    /**
     * Running statistics after update t: each update adds at most {@code (1-d) K} of the batch's
     * scale (mean |x| or E[x^2]) plus 16 roundings of the running magnitude (EMA in both
     * implementations and PyTorch's inversion), and for the variance its log10(std) round trip;
     * so after t+1 updates at most {@code t+1} times the largest such increment.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void runningTolerancesGrowAtMostLinearlyInUpdates(BnReferenceCase c) {
        int updates = c.updates().size();
        double[][] mean = new double[updates][c.channels()];
        double[][] var = new double[updates][c.channels()];
        for (int t = 0; t < updates; t++) {
            for (int ch = 0; ch < c.channels(); ch++) {
                mean[t][ch] = c.updates().get(t).runningMean()[ch];
                var[t][ch] = c.updates().get(t).runningVar()[ch];
            }
        }
        double[][] meanTol = FloatErrorModel.runningMean(c, mean);
        double[][] varTol = FloatErrorModel.runningVariance(c, var);
        double k = k(c.samplesPerChannel());
        for (int ch = 0; ch < c.channels(); ch++) {
            double maxAbs = Math.abs(c.initialRunningMean()[ch]);
            double maxSq = Math.abs(c.initialRunningVar()[ch]);
            double maxVar = 0;
            double maxRoundTrip = 0;
            for (int t = 0; t < updates; t++) {
                double[] mo = moments(c.updates().get(t).input(), c, ch);
                maxAbs = Math.max(maxAbs, Math.max(mo[3], Math.abs(mean[t][ch])));
                maxSq = Math.max(maxSq, Math.max(mo[2], Math.abs(var[t][ch])));
                maxVar = Math.max(maxVar, Math.abs(var[t][ch]));
                maxRoundTrip = Math.max(maxRoundTrip, 2 * (8 + 2 * Math.log(10) * Math.abs(0.5 * Math.log10(var[t][ch]))) * U);
            }
            for (int t = 0; t < updates; t++) {
                double steps = t + 1;
                assertThat(meanTol[t][ch]).as("%s mean ch %d update %d", c, ch, t)
                        .isLessThanOrEqualTo(steps * (c.momentum() * k + 16 * U) * maxAbs * (1 + 1e-9));
                assertThat(varTol[t][ch]).as("%s var ch %d update %d", c, ch, t)
                        .isLessThanOrEqualTo(steps * ((c.momentum() * k + 16 * U) * maxSq + maxRoundTrip * maxVar)
                                * (1 + 1e-9));
            }
        }
    }

    @Test
    void trajectoryToleranceIsStepsTimesOneStepsReductionError() {
        ReferenceTrajectory t = PyTorchConformanceTest.REFERENCE.trajectory();
        int terms = t.samplesPerChannel() + t.channelsIn() * t.kernel() * t.kernel();
        for (int step = 0; step < 3; step++) {
            assertThat(FloatErrorModel.trajectory(t, step, 2.0)).isLessThanOrEqualTo((step + 1) * k(terms) * 2.0 * ROUNDING)
                    .isPositive();
        }
    }
}
