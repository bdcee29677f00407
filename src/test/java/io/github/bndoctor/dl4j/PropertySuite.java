package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.FalseFailureBudget;

/**
 * The suite-wide false-failure budget shared by the stochastic properties: their bounds are
 * probabilistic, and together they may fail by chance with probability at most 1e-6.
 */
final class PropertySuite {
    /** Chance that any stochastic property of the suite fails by chance. */
    static final double SUITE_ALPHA = 1e-6;
    /** Stochastic properties sharing it: stationary convergence and drift lag (equally). */
    static final int STOCHASTIC_PROPERTIES = 2;

    private PropertySuite() {
    }

    /**
     * @param comparisons the property's comparisons (examples x channels x checkpoints x statistics)
     * @return the property's share of the budget
     */
    static FalseFailureBudget budget(long comparisons) {
        return FalseFailureBudget.of(SUITE_ALPHA / STOCHASTIC_PROPERTIES, comparisons);
    }
}
