package io.github.bndoctor.dl4j;

/**
 * How far statistics read from bn-doctor's training-mode pass may lie from the same statistics read
 * from DL4J's own training-mode {@code feedForward}. Where DL4J's batch statistics can be replaced
 * ({@link BatchStatisticsPass}), every BN layer normalises with the batch mean and biased variance
 * summed in double and rounded once to float (2^-24 relative), where DL4J's pass sums them in float
 * over the {@code m} values of a channel (at most {@code (m + 2) 2^-24} relative: Higham, "Accuracy
 * and Stability of Numerical Algorithms", 2nd ed., sec. 4.2, recursive summation). The first BN
 * layer's input precedes every normalisation, so both read the same float activations and differ by
 * summation order only (1e-9 is loose); every later layer inherits the normalisation's rounding, its
 * variance twice, and the layers in between at most double it again: {@code 4 (m + 2) 2^-24}
 * relative to the larger of the value and 1.
 */
public final class TrainingPassTolerance {
    private TrainingPassTolerance() {
    }

    /**
     * @param bnIndex the BN layer's position in forward order (0: no BN layer upstream)
     * @param expected the value read from DL4J's pass
     * @param valuesPerChannel the most values one channel of an upstream BN layer sums per batch
     * @return the absolute tolerance
     */
    public static double of(int bnIndex, double expected, long valuesPerChannel) {
        if (bnIndex == 0) {
            return 1e-9;
        }
        return 4 * (valuesPerChannel + 2) * Math.ulp(1.0f) / 2 * Math.max(1, Math.abs(expected));
    }
}
