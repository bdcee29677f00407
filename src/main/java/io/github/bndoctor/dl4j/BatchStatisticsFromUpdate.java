package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The batch statistics one training iteration fed into a BN layer's moving statistics, recovered
 * from the pseudo-gradient DL4J computes for them, without a forward pass of its own.
 *
 * <p>DL4J 1.0.0-M2.1 updates the moving statistics in backprop as a gradient that a no-op updater
 * subtracts: for the mean (and for the variance in the {@code var} parameterisation)
 * {@code g = (1-d)(p - b)}, so {@code b = p - g/(1-d)}; for {@code log10stdev}
 * {@code g = log10(sigma_old/sigma_new) = ln(v_old/v_new)/(2 ln 10)} with
 * {@code v_new = d v_old + (1-d) b}, so {@code b = v_old (10^(-2g) - d)/(1-d)}, evaluated as
 * {@code v_old (expm1(-2g ln 10) + (1-d))/(1-d)} so no two nearly equal numbers are subtracted.
 * {@code b} is the biased batch variance ({@code eps} is not part of the stored statistics), and
 * {@code p}, {@code v_old} are the values before the update.
 *
 * <p>Float error. The gradient is a float: for the mean {@code g} carries a relative error of at
 * most ~3u ({@code u = 2^-24}: one rounding each for {@code p - b}, {@code 1-d} and the product), so
 * {@code b} is off by at most {@code 3u|p - b|}, not amplified. For {@code log10stdev} DL4J evaluates
 * {@code (10^p)^2} (~5u), {@code d v + (1-d) b} (~8u), their ratio and its logarithm in float, so
 * {@code v_new/v_old} carries ~14u and the division by {@code 1-d} amplifies it:
 * {@code |db| <= 16u v_new/(1-d)} (about {@code 3.2e-4 v} at {@code d = 0.997}). The batch
 * statistics DL4J itself computed are float reductions, which add their own summation error
 * relative to a double-precision capture.
 *
 * <p>Read the values in {@code TrainingListener.onGradientCalculation}: the gradient is then the
 * raw pseudo-gradient (before any gradient normalisation or clipping) and the parameters still
 * hold the values before the update.
 *
 * <p>The decay. The update is inverted with the decay in force in the layer's configuration when
 * read ({@link BnNetwork#decay}), not the one {@link BnLayerRef#decay()} captured when the view was
 * built: a listener such as {@code AdaptiveDecay} changes it while training. DL4J's optimiser runs
 * backprop, then every listener's {@code onGradientCalculation}, then the update, then every
 * listener's {@code iterationDone}; a decay changed in {@code iterationDone} therefore first drives
 * the next iteration's backprop, and the decay read in {@code onGradientCalculation} is the one the
 * gradient was computed with, whatever the order of the listeners (tested on both network types).
 */
public final class BatchStatisticsFromUpdate {
    private BatchStatisticsFromUpdate() {
    }

    /**
     * @param net the network, between gradient calculation and parameter update
     * @param gradient the network's current gradient ({@code model.gradient()})
     * @param ref one of its BN layers
     * @return the batch mean and biased batch variance of this iteration at the layer's input
     * @throws IllegalStateException if the gradient holds no moving-statistics entry for the layer
     * @throws IllegalArgumentException if the layer's decay in force is 1 (nothing to invert)
     */
    public static MeanVariance read(BnNetwork net, Gradient gradient, BnLayerRef ref) {
        String meanKey = ref.paramKey(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        String varKey = ref.paramKey(ref.parameterisation().paramName());
        INDArray gMean = gradient.getGradientFor(meanKey);
        INDArray gVar = gradient.getGradientFor(varKey);
        if (gMean == null || gVar == null) {
            throw new IllegalStateException("no gradient for '" + meanKey + "' or '" + varKey
                    + "': read batch statistics between gradient calculation and update");
        }
        double[] meanParam = doubles(net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN));
        double[] varParam = doubles(net.param(ref, ref.parameterisation().paramName()));
        return invert(ref.parameterisation(), net.decay(ref), meanParam, doubles(gMean), varParam, doubles(gVar));
    }

    /**
     * @param parameterisation how the variance parameter is stored
     * @param decay the layer's decay {@code d}, in (0, 1)
     * @param meanParam moving mean before the update
     * @param meanGradient its pseudo-gradient
     * @param varParam stored variance parameter before the update ({@code var} or {@code log10stdev})
     * @param varGradient its pseudo-gradient
     * @return the batch mean and biased batch variance
     */
    public static MeanVariance invert(VarianceParameterisation parameterisation, double decay, double[] meanParam,
                                      double[] meanGradient, double[] varParam, double[] varGradient) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("decay must be in (0, 1) to invert an update, got " + decay);
        }
        int n = meanParam.length;
        if (meanGradient.length != n || varParam.length != n || varGradient.length != n) {
            throw new IllegalArgumentException("parameter and gradient lengths differ: " + n + ", "
                    + meanGradient.length + ", " + varParam.length + ", " + varGradient.length);
        }
        double oneMinus = 1 - decay;
        double[] mean = new double[n];
        double[] var = new double[n];
        for (int c = 0; c < n; c++) {
            mean[c] = meanParam[c] - meanGradient[c] / oneMinus;
            if (parameterisation == VarianceParameterisation.VAR) {
                var[c] = varParam[c] - varGradient[c] / oneMinus;
            } else {
                double std = Math.pow(10, varParam[c]);
                var[c] = std * std * (Math.expm1(-2 * varGradient[c] * Math.log(10)) + oneMinus) / oneMinus;
            }
        }
        return new MeanVariance(mean, var);
    }

    private static double[] doubles(INDArray a) {
        return VectorReader.doubles(a);
    }
}
