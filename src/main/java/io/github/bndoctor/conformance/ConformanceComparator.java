package io.github.bndoctor.conformance;

/**
 * Element-wise comparison of an implementation's float32 result against a reference, with one
 * tolerance per element (from {@link FloatErrorModel}). NaN anywhere fails; a length mismatch throws.
 */
public final class ConformanceComparator {

    private ConformanceComparator() {
    }

    /** Compares {@code actual} against {@code expected}, element i within {@code tolerance[i]}. */
    public static Comparison compare(String label, double[] expected, float[] actual, double[] tolerance) {
        return compare(label, expected, toDouble(actual), tolerance);
    }

    /** Compares a double result (e.g. bn-doctor's own arithmetic) against {@code expected}, element i within {@code tolerance[i]}. */
    public static Comparison compare(String label, double[] expected, double[] actual, double[] tolerance) {
        if (expected.length != actual.length || expected.length != tolerance.length) {
            throw new IllegalArgumentException(label + ": lengths differ: expected " + expected.length
                    + ", actual " + actual.length + ", tolerance " + tolerance.length);
        }
        double maxAbs = 0;
        double worstRatio = -1;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double ratio = tolerance[i] > 0 ? err / tolerance[i] : (err == 0 ? 0 : Double.POSITIVE_INFINITY);
            if (Double.isNaN(err)) {
                ratio = Double.POSITIVE_INFINITY;
                err = Double.POSITIVE_INFINITY;
            }
            maxAbs = Math.max(maxAbs, err);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        return new Comparison(label, expected.length, maxAbs, worst, worstRatio, expected[worst], actual[worst],
                tolerance[worst]);
    }

    /** As {@link #compare(String, double[], float[], double[])} with a float32 reference. */
    public static Comparison compare(String label, float[] expected, float[] actual, double[] tolerance) {
        return compare(label, toDouble(expected), actual, tolerance);
    }

    /** Widens a float array. */
    public static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
