package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * QuickTheories generators for BN domains. Each is a {@link Gen} that composes with QuickTheories'
 * own ({@code map}, {@code zip}, {@code flatMap}).
 */
public final class BnGenerators {
    /** Smallest decay drawn by {@link #decays()}: a window of 2 steps. */
    public static final double MIN_DECAY = 0.5;
    /** Largest decay drawn by {@link #decays()}: a window of 10,000 steps. */
    public static final double MAX_DECAY = 0.9999;

    private BnGenerators() {
    }

    /**
     * Decays in {@code [0.5, 0.9999]} whose window {@code 1/(1-d)} is log-uniform in
     * {@code [2, 10^4]}, so that short and long windows are drawn equally often (a uniform decay
     * would almost never draw a long window).
     *
     * @return the generator
     */
    public static Gen<Double> decays() {
        return decays(MIN_DECAY, MAX_DECAY);
    }

    /**
     * @param min smallest decay, in (0, 1)
     * @param max largest decay, in [min, 1)
     * @return decays whose window is log-uniform between those of {@code min} and {@code max}
     */
    public static Gen<Double> decays(double min, double max) {
        if (!(min > 0 && min <= max && max < 1)) {
            throw new IllegalArgumentException("need 0 < min <= max < 1, got " + min + ", " + max);
        }
        double lo = Math.log10(1 / (1 - min));
        double hi = Math.log10(1 / (1 - max));
        return doubles().between(lo, hi).map(u -> 1 - Math.pow(10, -u))
                .describedAs(d -> String.format("%.6f (window %.1f)", d, 1 / (1 - d)));
    }

    /** @return dense, NCHW and NHWC, uniformly */
    public static Gen<Layout> layouts() {
        return Generate.enumValues(Layout.class);
    }

    /** @return both variance parameterisations, uniformly */
    public static Gen<VarianceParameterisation> parameterisations() {
        return Generate.enumValues(VarianceParameterisation.class);
    }

    /** @return both network types, uniformly */
    public static Gen<NetworkKind> networkKinds() {
        return Generate.enumValues(NetworkKind.class);
    }

    /**
     * @param max largest channel count
     * @return channel counts in {@code [1, max]}
     */
    public static Gen<Integer> channelCounts(int max) {
        return integers().between(1, max);
    }

    /**
     * Per-channel population (mean, standard deviation): means in {@code [-3, 3]}, standard
     * deviations log-uniform in {@code [0.1, 3]}.
     *
     * @param channels number of channels
     * @return pairs {@code {mu[], sigma[]}}
     */
    public static Gen<double[][]> channelDistributions(int channels) {
        Gen<Double> mu = doubles().between(-3, 3);
        Gen<Double> logSigma = doubles().between(Math.log(0.1), Math.log(3));
        return in -> {
            double[] m = new double[channels];
            double[] s = new double[channels];
            for (int c = 0; c < channels; c++) {
                m[c] = mu.generate(in);
                s[c] = Math.exp(logSigma.generate(in));
            }
            return new double[][] {m, s};
        };
    }

    /**
     * Batch shapes {@code {batch, height, width}} for a layout: batch in {@code [2, 8]}, and for
     * convolutional layouts height and width in {@code [1, 4]} (dense: 1 x 1).
     *
     * @param layout the layout
     * @return the shapes
     */
    public static Gen<int[]> batchShapes(Layout layout) {
        Gen<Integer> batch = integers().between(2, 8);
        if (layout == Layout.DENSE) {
            return batch.map(b -> new int[] {b, 1, 1});
        }
        Gen<Integer> side = integers().between(1, 4);
        return batch.zip(side, side, (b, h, w) -> new int[] {b, h, w});
    }

    /**
     * Complete single-layer examples: network type, layout, parameterisation, decay, batch shape,
     * per-channel population and data seed.
     *
     * @param maxChannels largest channel count
     * @param decays the decays to draw
     * @return the generator
     */
    public static Gen<BnCase> bnCases(int maxChannels, Gen<Double> decays) {
        return bnCases(maxChannels, decays, layouts());
    }

    /**
     * As {@link #bnCases(int, Gen)}, with the layouts drawn from a given generator (for example
     * {@code Generate.constant(Layout.NHWC)} to stratify a property by layout).
     *
     * @param maxChannels largest channel count
     * @param decays the decays to draw
     * @param layouts the layouts to draw
     * @return the generator
     */
    public static Gen<BnCase> bnCases(int maxChannels, Gen<Double> decays, Gen<Layout> layouts) {
        return networkKinds().zip(layouts, parameterisations(), decays, channelCounts(maxChannels),
                (kind, layout, param, decay, channels) -> new Object[] {kind, layout, param, decay, channels})
                .flatMap(o -> {
                    Layout layout = (Layout) o[1];
                    int channels = (Integer) o[4];
                    return batchShapes(layout).zip(channelDistributions(channels), longs().all(),
                            (shape, dist, seed) -> new BnCase((NetworkKind) o[0], layout,
                                    (VarianceParameterisation) o[2], (Double) o[3], shape[0], shape[1], shape[2],
                                    dist[0], dist[1], seed));
                }).describedAs(BnCase::toString);
    }
}
