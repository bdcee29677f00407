package io.github.bndoctor.stats;

/**
 * A family-wise budget for false failures of probabilistic bounds: when a suite makes
 * {@code N} comparisons, each checked with a two-sided bound whose tails have probability at
 * most {@code e^-x} each, the chance that any of them fails by chance is at most
 * {@code 2 N e^-x} (union bound). This class solves for {@code x}.
 */
public final class FalseFailureBudget {
    private final double alpha;
    private final long comparisons;

    private FalseFailureBudget(double alpha, long comparisons) {
        this.alpha = alpha;
        this.comparisons = comparisons;
    }

    /**
     * @param alpha the largest acceptable chance of any false failure, in (0, 1)
     * @param comparisons {@code N}, the number of two-sided comparisons that share it
     * @return the budget
     */
    public static FalseFailureBudget of(double alpha, long comparisons) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        }
        if (comparisons <= 0) {
            throw new IllegalArgumentException("comparisons must be positive, got " + comparisons);
        }
        return new FalseFailureBudget(alpha, comparisons);
    }

    /** @return {@code x = ln(2N/alpha)}: each tail of each comparison has probability {@code e^-x} */
    public double exponent() {
        return Math.log(2.0 * comparisons / alpha);
    }

    /**
     * @return the z-score {@code sqrt(2x)} for Gaussian quantities, from the Chernoff bound
     *     {@code P(Z > z) <= e^(-z^2/2)}
     */
    public double gaussianZ() {
        return Math.sqrt(2 * exponent());
    }

    /** @return {@code alpha} */
    public double alpha() {
        return alpha;
    }

    /** @return {@code N} */
    public long comparisons() {
        return comparisons;
    }

    @Override
    public String toString() {
        return "FalseFailureBudget{alpha=" + alpha + ", N=" + comparisons + ", z=" + gaussianZ() + "}";
    }
}
