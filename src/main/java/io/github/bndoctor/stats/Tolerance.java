package io.github.bndoctor.stats;

/**
 * An absolute-plus-relative tolerance: {@code actual} matches {@code expected} when
 * {@code |actual - expected| <= absolute + relative * |expected|}. Every tolerance in bn-doctor's
 * checks is one of these, built from the mathematics of the quantity it compares.
 *
 * @param absolute absolute part, at least 0
 * @param relative relative part, at least 0
 */
public record Tolerance(double absolute, double relative) {
    /**
     * @param absolute absolute part, at least 0
     * @param relative relative part, at least 0
     */
    public Tolerance {
        if (!(absolute >= 0) || !(relative >= 0)) {
            throw new IllegalArgumentException("tolerance parts must be >= 0, got absolute=" + absolute
                    + " relative=" + relative);
        }
    }

    /**
     * @param absolute the allowed absolute difference
     * @return a purely absolute tolerance
     */
    public static Tolerance absolute(double absolute) {
        return new Tolerance(absolute, 0);
    }

    /**
     * @param relative the allowed relative difference
     * @return a purely relative tolerance
     */
    public static Tolerance relative(double relative) {
        return new Tolerance(0, relative);
    }

    /**
     * @param ulps number of float32 unit roundoffs
     * @return a relative tolerance of {@code ulps * 2^-24}
     */
    public static Tolerance floatUlps(double ulps) {
        return relative(ulps * EmaBounds.FLOAT_UNIT_ROUNDOFF);
    }

    /**
     * @param expected the expected value
     * @return the allowed absolute difference around it
     */
    public double allowedDifference(double expected) {
        return absolute + relative * Math.abs(expected);
    }

    /**
     * @param expected the expected value
     * @param actual the actual value
     * @return whether they match (NaN never matches)
     */
    public boolean test(double expected, double actual) {
        return Math.abs(actual - expected) <= allowedDifference(expected);
    }
}
