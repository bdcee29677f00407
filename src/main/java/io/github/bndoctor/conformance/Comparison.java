package io.github.bndoctor.conformance;

import java.util.Locale;

/**
 * Outcome of comparing one tensor against its reference, element by element, each element against
 * its own tolerance.
 *
 * @param label what was compared (case / quantity)
 * @param size number of elements
 * @param maxAbsError largest |actual - expected|
 * @param worstIndex index with the largest error-to-tolerance ratio
 * @param worstRatio largest |actual - expected| / tolerance; at most 1 means every element conforms
 * @param expectedAtWorst reference value at {@code worstIndex}
 * @param actualAtWorst actual value at {@code worstIndex}
 * @param toleranceAtWorst tolerance at {@code worstIndex}
 */
public record Comparison(String label, int size, double maxAbsError, int worstIndex, double worstRatio,
        double expectedAtWorst, double actualAtWorst, double toleranceAtWorst) {

    /** True when every element is within its tolerance (and nothing is NaN). */
    public boolean passed() {
        return worstRatio <= 1.0;
    }

    /** Throws an {@link AssertionError} naming the worst element unless {@link #passed()}. */
    public Comparison assertPassed() {
        if (!passed()) {
            throw new AssertionError("non-conformant: " + this);
        }
        return this;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "%s: n=%d max|err|=%.3g worst err/tol=%.3g at [%d] expected=%.9g actual=%.9g tol=%.3g",
                label, size, maxAbsError, worstRatio, worstIndex, expectedAtWorst, actualAtWorst, toleranceAtWorst);
    }
}
