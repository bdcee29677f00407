package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.MomentDistance;

/**
 * Where one BN layer's inference-mode error comes from.
 *
 * <p>All errors use one per-layer distance between statistics {@code a} and reference {@code b}:
 * the median over channels of {@code |mu_a - mu_b|/sqrt(var_b + eps) + |ln((var_a + eps)/(var_b + eps))|}
 * (standardized mean shift plus absolute log variance ratio, see {@link MomentDistance}); the
 * median keeps dead channels from dominating.
 * <ul>
 *   <li>{@code emaError}: moving vs precise statistics;</li>
 *   <li>{@code warmupError}: the part explained by the prior (mean 0, variance 1) that still
 *       holds weight {@code d^n} after {@code n} iterations: distance of
 *       {@code d^n prior + (1-d^n) precise} from precise;</li>
 *   <li>{@code lagError}: the rest, moving vs that warm-up-biased reference: the EMA trailing
 *       statistics that moved faster than its window follows;</li>
 *   <li>{@code batchNoise}: the probe batch's own statistics vs precise.</li>
 * </ul>
 *
 * @param layer the layer
 * @param iterations {@code n}, iterations since the moving statistics were initialised
 * @param priorWeight {@code d^n}, or the product of the decays in force where the decay changed
 * @param emaError moving vs precise
 * @param warmupError prior-weighted precise vs precise
 * @param lagError moving vs prior-weighted precise
 * @param batchNoise batch vs precise
 * @param meanShift largest standardized mean shift of moving vs precise over channels
 * @param logVarianceRatio largest absolute log variance ratio of moving vs precise over channels
 */
public record LayerDecomposition(String layer, long iterations, double priorWeight, double emaError,
                                 double warmupError, double lagError, double batchNoise, double meanShift,
                                 double logVarianceRatio) {

    /**
     * @param ref the BN layer
     * @param iterations iterations since the moving statistics were initialised
     * @param moving its moving statistics
     * @param precise its precise statistics
     * @param batch the probe batch's statistics at its input
     * @return the decomposition
     */
    public static LayerDecomposition of(BnLayerRef ref, long iterations, MeanVariance moving, MeanVariance precise,
                                        MeanVariance batch) {
        return of(ref, iterations, Ema.priorWeight(ref.decay(), iterations), moving, precise, batch);
    }

    /**
     * @param ref the BN layer
     * @param iterations iterations since the moving statistics were initialised
     * @param w the weight the prior still holds: {@code d^n} at a fixed decay, the product of the
     *     decays in force at each update where the decay changed while training
     * @param moving its moving statistics
     * @param precise its precise statistics
     * @param batch the probe batch's statistics at its input
     * @return the decomposition
     */
    public static LayerDecomposition of(BnLayerRef ref, long iterations, double w, MeanVariance moving,
                                        MeanVariance precise, MeanVariance batch) {
        if (!(w >= 0 && w <= 1)) {
            throw new IllegalArgumentException("prior weight must be in [0, 1], got " + w);
        }
        double[] pm = precise.mean();
        double[] pv = precise.variance();
        double[] wm = new double[pm.length];
        double[] wv = new double[pv.length];
        for (int c = 0; c < pm.length; c++) {
            wm[c] = w * 0 + (1 - w) * pm[c];
            wv[c] = w * 1 + (1 - w) * pv[c];
        }
        MeanVariance warm = new MeanVariance(wm, wv);
        double eps = ref.eps();
        return new LayerDecomposition(ref.name(), iterations, w, distance(moving, precise, eps),
                distance(warm, precise, eps), distance(moving, warm, eps), distance(batch, precise, eps),
                MomentDistance.maxStandardizedMeanShift(moving, precise, eps),
                MomentDistance.maxAbsLogVarianceRatio(moving, precise, eps));
    }

    /**
     * @param a statistics
     * @param b reference
     * @param eps BN epsilon
     * @return median over channels of standardized mean shift plus absolute log variance ratio
     */
    public static double distance(MeanVariance a, MeanVariance b, double eps) {
        double[] am = a.mean();
        double[] av = a.variance();
        double[] bm = b.mean();
        double[] bv = b.variance();
        double[] d = new double[am.length];
        for (int c = 0; c < d.length; c++) {
            d[c] = MomentDistance.standardizedMeanShift(am[c], bm[c], bv[c], eps)
                    + Math.abs(MomentDistance.logVarianceRatio(av[c], bv[c], eps));
        }
        return io.github.bndoctor.stats.Median.of(d);
    }
}
