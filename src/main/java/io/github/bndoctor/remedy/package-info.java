/**
 * Treatments for BN's train/inference divergence.
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.remedy.PreciseBn} - recalibration: replace every BN layer's
 *       moving statistics by population statistics recomputed for the current weights, all or
 *       nothing;</li>
 *   <li>{@link io.github.bndoctor.remedy.WarmStart} - initialise moving statistics from the
 *       initial weights' statistics, so short trainings do not carry the mean-0/variance-1
 *       prior;</li>
 *   <li>{@link io.github.bndoctor.remedy.AdaptiveDecay} - a training listener that lowers each BN
 *       layer's decay while its feeding weights (or those of a BN layer upstream) turn fast, so the
 *       EMA's lag stays within an angle budget measured on snapshots of those weights; training
 *       itself is untouched;</li>
 *   <li>{@link io.github.bndoctor.remedy.ProjectedStatistics} - a training listener that keeps the
 *       input patch moments of every linear map feeding a BN layer and writes that layer's moving
 *       statistics as their projection through the map's current weights (no rotation lag); other BN
 *       layers keep their moving average;</li>
 *   <li>{@link io.github.bndoctor.remedy.Recommendations} - advice derived from measurements: the
 *       largest decay whose predicted lag fits a budget, a lower learning rate, momentum SGD,
 *       recalibration before export.</li>
 * </ul>
 */
package io.github.bndoctor.remedy;
