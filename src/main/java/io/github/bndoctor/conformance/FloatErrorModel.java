package io.github.bndoctor.conformance;

import io.github.bndoctor.dl4j.Layout;

/**
 * Per-element tolerances for comparing two float32 BatchNorm implementations, derived from float32
 * rounding rather than picked.
 *
 * <p>Unit roundoff {@code u = 2^-24}. A sum of m float terms computed in any order errs by at most
 * {@code gamma_m * sum|terms|} with {@code gamma_m ~= m u} (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., eq. 4.4); each further elementwise operation adds one rounding.
 * Two independent implementations (the reference and DL4J) may each err by that bound in opposite
 * directions, hence the factor 2 in {@link #reductionFactor(int)}. Everything the bounds need
 * (moments, normalised inputs) is recomputed here in double from the case's inputs.
 *
 * <p>The bounds are worst-case, so a correct implementation stays far inside them, yet they are
 * orders of magnitude tighter than the semantic differences the suite must catch (the Bessel factor
 * m/(m-1), swapping momentum and decay, eps outside the square root).
 */
public final class FloatErrorModel {

    /** float32 unit roundoff, 2^-24. */
    public static final double U = Math.ulp(1.0f) / 2;

    /** Elementwise roundings per output beyond the reductions (sub, div, sqrt, mul, add, casts), generously. */
    static final int ELEMENTWISE_OPS = 10;

    private FloatErrorModel() {
    }

    /**
     * Relative error budget of a quantity that involves a reduction over m values plus a few
     * elementwise operations, for two independent implementations: {@code 2 (m + 10) u}.
     */
    public static double reductionFactor(int m) {
        return 2.0 * (m + ELEMENTWISE_OPS) * U;
    }

    /**
     * Relative error of a variance that DL4J stores as {@code log10(std)} and reads back as
     * {@code (10^p)^2}: rounding p to float perturbs std by {@code ln(10) |p| u}, the variance by twice that;
     * pow and the square add a few roundings (8 u, generously), and two implementations double it.
     */
    public static double log10StdRoundTrip(double variance) {
        double p = 0.5 * Math.log10(variance);
        return 2.0 * (8 + 2 * Math.log(10) * Math.abs(p)) * U;
    }

    /** Moments of one channel, in double. */
    record ChannelMoments(double mean, double biasedVariance, double meanSquare, double meanAbs, int count) {
    }

    static ChannelMoments moments(float[] x, Layout layout, int[] shape, int channel) {
        double sum = 0;
        double sumAbs = 0;
        double sumSq = 0;
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (ReferenceTensors.channelOf(layout, i, shape) == channel) {
                sum += x[i];
                sumAbs += Math.abs(x[i]);
                sumSq += (double) x[i] * x[i];
                n++;
            }
        }
        double mean = sum / n;
        double var = 0;
        for (int i = 0; i < x.length; i++) {
            if (ReferenceTensors.channelOf(layout, i, shape) == channel) {
                double d = x[i] - mean;
                var += d * d;
            }
        }
        return new ChannelMoments(mean, var / n, sumSq / n, sumAbs / n, n);
    }

    /**
     * Tolerances of the training-mode forward and backward pass of one case.
     *
     * <p>Per channel with m values, mean mu, biased variance s2, {@code s = sqrt(s2 + eps)},
     * {@code q = mean(x^2) = s2 + mu^2} and {@code K = reductionFactor(m)}:
     * <ul>
     *   <li>batch mean errs by {@code K mean|x|}; batch variance by {@code K q} (the bound holds for
     *       one-pass {@code E[x^2] - mu^2} as well as two-pass algorithms); so {@code 1/s} errs
     *       relatively by {@code K q / (2 s^2)};</li>
     *   <li>{@code xhat_i} errs by {@code E_i = K (mean|x| / s + |xhat_i| (1 + q / (2 s^2))}};</li>
     *   <li>{@code y_i = gamma xhat_i + beta}: {@code |gamma| E_i + K (|gamma xhat_i| + |beta|)};</li>
     *   <li>{@code dbeta = sum dy}: {@code K sum|dy|}; {@code dgamma = sum dy xhat}:
     *       {@code K sum|dy xhat| + sum |dy| E};</li>
     *   <li>{@code dx_i = gamma/s (dy_i - mean(dy) - xhat_i mean(dy xhat))}: each of the three terms'
     *       magnitude times K, plus the propagated xhat errors, plus {@code |dx_i|} times the relative
     *       error of {@code 1/s} and K.</li>
     * </ul>
     */
    public static TrainTolerances train(BnReferenceCase c) {
        int m = c.samplesPerChannel();
        double k = reductionFactor(m);
        int n = c.input().length;
        double[] xhat = new double[n];
        double[] e = new double[n];
        double[] s = new double[c.channels()];
        double[] relInv = new double[c.channels()];
        double[] meanDy = new double[c.channels()];
        double[] meanDyXhat = new double[c.channels()];
        double[] meanAbsDy = new double[c.channels()];
        double[] meanAbsDyXhat = new double[c.channels()];
        double[] meanAbsDyE = new double[c.channels()];
        double[] gradBeta = new double[c.channels()];
        double[] gradGamma = new double[c.channels()];
        ChannelMoments[] mom = new ChannelMoments[c.channels()];
        for (int ch = 0; ch < c.channels(); ch++) {
            mom[ch] = moments(c.input(), c.layout(), c.shape(), ch);
            s[ch] = Math.sqrt(mom[ch].biasedVariance() + c.eps());
            relInv[ch] = k * mom[ch].meanSquare() / (2 * s[ch] * s[ch]);
        }
        for (int i = 0; i < n; i++) {
            int ch = ReferenceTensors.channelOf(c.layout(), i, c.shape());
            ChannelMoments mo = mom[ch];
            xhat[i] = (c.input()[i] - mo.mean()) / s[ch];
            e[i] = k * (mo.meanAbs() / s[ch] + Math.abs(xhat[i]) * (1 + mo.meanSquare() / (2 * s[ch] * s[ch])));
            double dy = c.gradOutput()[i];
            meanDy[ch] += dy / m;
            meanDyXhat[ch] += dy * xhat[i] / m;
            meanAbsDy[ch] += Math.abs(dy) / m;
            meanAbsDyXhat[ch] += Math.abs(dy * xhat[i]) / m;
            meanAbsDyE[ch] += Math.abs(dy) * e[i] / m;
        }
        double[] out = new double[n];
        double[] dx = new double[n];
        for (int i = 0; i < n; i++) {
            int ch = ReferenceTensors.channelOf(c.layout(), i, c.shape());
            double g = Math.abs(c.gamma()[ch]);
            out[i] = g * e[i] + k * (g * Math.abs(xhat[i]) + Math.abs(c.beta()[ch]));
            double dxExact = g / s[ch] * Math.abs(c.gradOutput()[i] - meanDy[ch] - xhat[i] * meanDyXhat[ch]);
            dx[i] = g / s[ch] * (k * (Math.abs(c.gradOutput()[i]) + meanAbsDy[ch] + Math.abs(xhat[i]) * meanAbsDyXhat[ch])
                    + e[i] * Math.abs(meanDyXhat[ch]) + Math.abs(xhat[i]) * meanAbsDyE[ch])
                    + dxExact * (relInv[ch] + k);
        }
        for (int ch = 0; ch < c.channels(); ch++) {
            gradBeta[ch] = k * meanAbsDy[ch] * m;
            gradGamma[ch] = k * meanAbsDyXhat[ch] * m + meanAbsDyE[ch] * m;
        }
        return new TrainTolerances(out, dx, gradGamma, gradBeta);
    }

    /**
     * Per-element tolerances of the training pass.
     *
     * @param output for y
     * @param gradInput for dL/dx
     * @param gradGamma for dL/dgamma
     * @param gradBeta for dL/dbeta
     */
    public record TrainTolerances(double[] output, double[] gradInput, double[] gradGamma, double[] gradBeta) {
    }

    /**
     * Tolerances of the eval-mode output {@code y = gamma (x - mean) / sqrt(var + eps) + beta} with given
     * running statistics: no reductions, so {@code K = reductionFactor(0)} for the elementwise operations on
     * {@code a_i = (|x_i| + |mean|) / s}, plus the variance's log10(std) round trip
     * ({@link #log10StdRoundTrip(double)}) scaled by {@code var / (2 s^2)}.
     */
    public static double[] eval(BnReferenceCase c, float[] runningMean, float[] runningVar) {
        double k = reductionFactor(0);
        double[] tol = new double[c.input().length];
        for (int i = 0; i < tol.length; i++) {
            int ch = ReferenceTensors.channelOf(c.layout(), i, c.shape());
            double var = runningVar[ch];
            double s = Math.sqrt(var + c.eps());
            double a = (Math.abs(c.input()[i]) + Math.abs(runningMean[ch])) / s;
            double g = Math.abs(c.gamma()[ch]);
            tol[i] = g * a * (k + log10StdRoundTrip(var) * var / (2 * s * s)) + k * (g * a + Math.abs(c.beta()[ch]));
        }
        return tol;
    }

    /**
     * Tolerances of the running mean after each update, accumulated over the updates: per update
     * {@code (1 - decay) K mean|x_t|} for the two batch means, plus 16 u of the running magnitude for the
     * EMA's own roundings in both implementations and in the inversion of PyTorch's update.
     */
    public static double[][] runningMean(BnReferenceCase c, double[][] expected) {
        return running(c, expected, false);
    }

    /**
     * Tolerances of the running variance after each update: per update {@code (1 - decay) K mean(x_t^2)}
     * for the two batch variances, 16 u of the running magnitude for the EMA roundings, and the log10(std)
     * round trip of the stored variance ({@link #log10StdRoundTrip(double)}), accumulated.
     */
    public static double[][] runningVariance(BnReferenceCase c, double[][] expected) {
        return running(c, expected, true);
    }

    private static double[][] running(BnReferenceCase c, double[][] expected, boolean variance) {
        double k = reductionFactor(c.samplesPerChannel());
        double weight = c.momentum();    // = 1 - decay: the weight of the batch statistic
        double[][] tol = new double[expected.length][c.channels()];
        for (int ch = 0; ch < c.channels(); ch++) {
            double acc = 0;
            double previous = variance ? c.initialRunningVar()[ch] : c.initialRunningMean()[ch];
            for (int t = 0; t < expected.length; t++) {
                ChannelMoments mo = moments(c.updates().get(t).input(), c.layout(), c.shape(), ch);
                double batchScale = variance ? mo.meanSquare() : mo.meanAbs();
                double magnitude = Math.max(Math.max(Math.abs(previous), Math.abs(expected[t][ch])), batchScale);
                acc += weight * k * batchScale + 16 * U * magnitude;
                if (variance) {
                    acc += log10StdRoundTrip(expected[t][ch]) * Math.abs(expected[t][ch]);
                }
                tol[t][ch] = acc;
                previous = expected[t][ch];
            }
        }
        return tol;
    }

    /**
     * Tolerance for a quantity of the SGD trajectory after step {@code step} (0-based). Each step's forward
     * and backward pass reduces over {@code m = N H' W'} BN values and {@code Cin k^2} conv terms, so one
     * step errs relatively by at most {@code K = reductionFactor(m + Cin k^2)} of the quantity's magnitude;
     * the errors of earlier steps carry over (the learning rate is small enough that they are not amplified
     * over a few steps), hence {@code (step + 1) K magnitude}, with magnitude the largest |value| of that
     * quantity along the reference trajectory.
     */
    public static double trajectory(ReferenceTrajectory t, int step, double magnitude) {
        int terms = t.samplesPerChannel() + t.channelsIn() * t.kernel() * t.kernel();
        return (step + 1) * reductionFactor(terms) * magnitude;
    }
}
