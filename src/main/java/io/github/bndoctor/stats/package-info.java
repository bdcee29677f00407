/**
 * Pure statistics behind Batch Normalization's moving averages, free of any DL4J dependency.
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.stats.ChannelMoments} - per-channel moments that merge
 *       (Welford's update and Chan et al.'s pairwise combination);</li>
 *   <li>{@link io.github.bndoctor.stats.Ema} - the recurrence {@code m <- d*m + (1-d)*x} used by
 *       DL4J (with {@code d} the layer's {@code decay}) and its closed forms: expected value, bias,
 *       stationary variance, and lag behind a drifting statistic;</li>
 *   <li>{@link io.github.bndoctor.stats.PopulationEstimator} - population statistics from batches,
 *       with the Bessel factor {@link io.github.bndoctor.stats.BesselFactor} made explicit;</li>
 *   <li>{@link io.github.bndoctor.stats.MomentWindow} - the pooled moments of the last few batches,
 *       a running population estimate;</li>
 *   <li>{@link io.github.bndoctor.stats.MomentDistance} - distances between a moving (mean,
 *       variance) pair and a reference pair;</li>
 *   <li>{@link io.github.bndoctor.stats.EmaBounds} and
 *       {@link io.github.bndoctor.stats.FalseFailureBudget} - probabilistic bounds on an EMA of
 *       Gaussian batch statistics, with a family-wise error budget.</li>
 * </ul>
 *
 * <p>References: B. P. Welford, "Note on a method for calculating corrected sums of squares and
 * products", Technometrics 4(3), 1962; T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae
 * and a pairwise algorithm for computing sample variances", Stanford CS tech. report STAN-CS-79-773,
 * 1979; B. Laurent, P. Massart, "Adaptive estimation of a quadratic functional by model
 * selection", Annals of Statistics 28(5), 2000, Lemma 1.
 */
package io.github.bndoctor.stats;
