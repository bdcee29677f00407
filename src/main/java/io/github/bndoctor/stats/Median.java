package io.github.bndoctor.stats;

import java.util.Arrays;

/** The median of a sample: the middle value, or the mean of the two middle values. */
public final class Median {
    private Median() {
    }

    /**
     * @param values the sample (not modified)
     * @return its median, {@code NaN} for an empty sample
     */
    public static double of(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
