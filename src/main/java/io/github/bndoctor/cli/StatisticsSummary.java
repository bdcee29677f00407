package io.github.bndoctor.cli;

import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Median;

import java.util.Arrays;
import java.util.Map;

/** One-line summaries of BN layers' moving statistics for the terminal. */
final class StatisticsSummary {
    /** Column headings matching {@link #line}. */
    static final String HEADER = String.format("%-24s %8s %11s %11s %11s %11s %11s %6s", "layer", "channels",
            "mean min", "mean max", "var min", "var median", "var max", "bad");

    private StatisticsSummary() {
    }

    /**
     * @param name layer name
     * @param s its statistics
     * @return channels, mean range, variance min/median/max and the count of non-finite or negative values
     */
    static String line(String name, MeanVariance s) {
        double[] m = s.mean();
        double[] v = s.variance();
        long bad = 0;
        for (int c = 0; c < m.length; c++) {
            if (!Double.isFinite(m[c]) || !Double.isFinite(v[c]) || v[c] < 0) {
                bad++;
            }
        }
        return String.format("%-24s %8d %11.4g %11.4g %11.4g %11.4g %11.4g %6d", name, m.length, min(m), max(m), min(v),
                Median.of(v), max(v), bad);
    }

    /**
     * @param all statistics by layer
     * @return a table
     */
    static String table(Map<String, MeanVariance> all) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        all.forEach((k, s) -> b.append(line(k, s)).append('\n'));
        return b.toString();
    }

    private static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    private static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }
}
