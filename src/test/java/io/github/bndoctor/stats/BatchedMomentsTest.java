package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Batched moments merged in any tree shape against two-pass sums written here: pooled variance
 * {@code sum (x - mean)^2 / n} and the sample-weighted mean of per-batch biased variances.
 * Tolerance: a few hundred doubles of magnitude ~10 sum with relative error below 1e-13, so 1e-9
 * absolute is loose yet catches a lost batch or a wrong weight (effects of order 0.1 here).
 */
@Tag("unit")
class BatchedMomentsTest {
    private static final double TOL = 1e-9;

    private static double[][] batch(int n, double centre, SplittableRandom r) {
        double[][] x = new double[n][2];
        for (double[] row : x) {
            row[0] = centre + r.nextDouble() * 4 - 2;
            row[1] = -centre + r.nextDouble();
        }
        return x;
    }

    @Test
    void treeMergeEqualsTwoPassForBothEstimators() {
        SplittableRandom r = new SplittableRandom(3);
        List<double[][]> batches = new ArrayList<>();
        int[] sizes = {8, 8, 5, 8, 3, 8, 8};
        for (int b = 0; b < sizes.length; b++) {
            batches.add(batch(sizes[b], b - 3, r));
        }
        // a tree: ((0,1),(2,(3,4))),((5),(6)) with an empty leaf
        BatchedMoments[] leaf = new BatchedMoments[sizes.length];
        for (int b = 0; b < sizes.length; b++) {
            leaf[b] = BatchedMoments.empty(2).add(ChannelMoments.ofSamples(batches.get(b)));
        }
        BatchedMoments tree = leaf[0].combine(leaf[1]).combine(leaf[2].combine(leaf[3].combine(leaf[4])))
                .combine(leaf[5].combine(BatchedMoments.empty(2)).combine(leaf[6]));
        assertThat(tree.batches()).isEqualTo(sizes.length);
        assertThat(tree.count()).isEqualTo(Arrays.stream(sizes).sum());

        for (int c = 0; c < 2; c++) {
            double n = 0;
            double sum = 0;
            for (double[][] b : batches) {
                for (double[] row : b) {
                    sum += row[c];
                    n++;
                }
            }
            double mean = sum / n;
            double pooled = 0;
            double within = 0;
            for (double[][] b : batches) {
                double bs = 0;
                for (double[] row : b) {
                    bs += row[c];
                    pooled += (row[c] - mean) * (row[c] - mean);
                }
                double bm = bs / b.length;
                for (double[] row : b) {
                    within += (row[c] - bm) * (row[c] - bm);
                }
            }
            MeanVariance p = PopulationEstimator.POOLED.estimate(tree);
            MeanVariance m = PopulationEstimator.MEAN_OF_BATCH_VARIANCES.estimate(tree);
            assertThat(p.mean()[c]).isCloseTo(mean, within(TOL));
            assertThat(m.mean()[c]).isCloseTo(mean, within(TOL));
            assertThat(p.variance()[c]).isCloseTo(pooled / n, within(TOL));
            assertThat(m.variance()[c]).isCloseTo(within / n, within(TOL));
            assertThat(m.variance()[c]).isLessThan(p.variance()[c] - 0.1);
        }
    }

    @Test
    void emptyIsTheIdentity() {
        BatchedMoments one = BatchedMoments.empty(1).add(ChannelMoments.ofBatch(new double[] {2}, new double[] {3}, 4));
        BatchedMoments left = BatchedMoments.empty(1).combine(one);
        BatchedMoments right = one.combine(BatchedMoments.empty(1));
        for (BatchedMoments b : List.of(left, right)) {
            assertThat(b.count()).isEqualTo(4);
            assertThat(b.pooled().mean()[0]).isEqualTo(2.0);
            assertThat(b.meanOfBatchVariances()[0]).isEqualTo(3.0);
        }
    }
}
