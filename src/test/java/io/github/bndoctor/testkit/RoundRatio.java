package io.github.bndoctor.testkit;

import java.util.Arrays;
import java.util.Locale;

/**
 * The ratio of one benchmark arm's time to another's over interleaved rounds: the ratio of the sums,
 * and the mean of the per-round ratios with an approximate 95% interval (+- 2 standard errors), so a
 * printed ratio says how far it can be trusted on a noisy machine.
 */
public final class RoundRatio {
    private RoundRatio() {
    }

    /**
     * @param arm the arm's time per round
     * @param base the base arm's time in the same rounds
     * @return "sum ratio (per round mean +- 2 standard errors)"
     */
    public static String of(long[] arm, long[] base) {
        double[] r = ratios(arm, base);
        double mean = Arrays.stream(r).average().orElse(Double.NaN);
        double sd = Math.sqrt(Arrays.stream(r).map(v -> (v - mean) * (v - mean)).sum() / (r.length - 1));
        return String.format(Locale.ROOT, "%.4f (per round %.4f +- %.4f)", (double) Arrays.stream(arm).sum()
                / Arrays.stream(base).sum(), mean, 2 * sd / Math.sqrt(r.length));
    }

    /**
     * @param arm the arm's time per round
     * @param base the base arm's time in the same rounds
     * @return the arm's extra time over the base in percent, as the mean of the per-round ratios minus
     *     one, and the half-width of its approximate 95% interval: "+0.42% +- 0.31% (N rounds)"
     */
    public static String percent(long[] arm, long[] base) {
        double[] r = ratios(arm, base);
        double mean = Arrays.stream(r).average().orElse(Double.NaN);
        double sd = Math.sqrt(Arrays.stream(r).map(v -> (v - mean) * (v - mean)).sum() / (r.length - 1));
        return String.format(Locale.ROOT, "%+.2f%% +- %.2f%% (%d rounds)", 100 * (mean - 1),
                100 * 2 * sd / Math.sqrt(r.length), r.length);
    }

    /**
     * The robust counterpart of {@link #percent}: the median of the per-round ratios with its
     * distribution-free approximate 95% interval ({@link #medianOf}), so that a few rounds hit by a
     * collection or another process's burst do not widen it.
     *
     * @param arm the arm's time per round
     * @param base the base arm's time in the same rounds
     * @return "+0.42% [-0.10%, +0.80%] median (N rounds)"
     */
    public static String medianPercent(long[] arm, long[] base) {
        return medianOf(Arrays.stream(ratios(arm, base)).map(v -> v - 1).toArray()).toString();
    }

    /**
     * An arm's extra time over the base net of an A/A control (a second run of the base, timed in the
     * same rounds): per round {@code (arm - control) / base}, the arm's ratio to the base less the
     * control's, so that what sets identical runs apart in one round cancels; their median with its
     * interval ({@link #medianOf}).
     *
     * @param arm the arm's time per round
     * @param control the control's time in the same rounds
     * @param base the base arm's time in the same rounds
     * @return the net extra time, as fractions of the base
     */
    public static Median netMedian(long[] arm, long[] control, long[] base) {
        if (arm.length != base.length || control.length != base.length) {
            throw new IllegalArgumentException("arms differ in rounds: " + arm.length + ", " + control.length
                    + ", " + base.length);
        }
        double[] d = new double[base.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (double) (arm[i] - control[i]) / base[i];
        }
        return medianOf(d);
    }

    /**
     * The median of per-round values with its distribution-free approximate 95% interval: the order
     * statistics of ranks {@code n/2 -+ 0.98 sqrt(n)}, from the binomial(n, 1/2) distribution of the
     * count of values below the true median (Conover, "Practical Nonparametric Statistics", 3rd ed.,
     * section 3.2).
     *
     * @param values one value per round, at least one
     * @return the median and its interval
     */
    public static Median medianOf(double[] values) {
        double[] r = values.clone();
        Arrays.sort(r);
        int n = r.length;
        double median = n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
        int half = (int) Math.ceil(0.98 * Math.sqrt(n));
        int lo = Math.max(0, (n - 1) / 2 - half);
        int hi = Math.min(n - 1, n / 2 + half);
        return new Median(median, r[lo], r[hi], n);
    }

    /**
     * A median of per-round values and its approximate 95% interval.
     *
     * @param value the median, a fraction (0.01 is 1%)
     * @param low the interval's lower end
     * @param high the interval's upper end
     * @param rounds the rounds it was taken over
     */
    public record Median(double value, double low, double high, int rounds) {
        /** @return the interval's width, {@code high - low} */
        public double width() {
            return high - low;
        }

        /** @return "+0.42% [-0.10%, +0.80%] median (N rounds)" */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%+.2f%% [%+.2f%%, %+.2f%%] median (%d rounds)", 100 * value, 100 * low,
                    100 * high, rounds);
        }
    }

    private static double[] ratios(long[] arm, long[] base) {
        double[] r = new double[arm.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (double) arm[i] / base[i];
        }
        return r;
    }
}
