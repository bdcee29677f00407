/**
 * Side-effect-free probes of a DL4J network's BN behaviour: they leave parameters, updater state
 * and the random stream unchanged (dropout is suspended, precise statistics are evaluated on a
 * copy).
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.probe.OutputGapProbe} - loss in training mode (batch
 *       statistics), inference mode (moving statistics) and inference mode with precise
 *       statistics, on a probe batch ({@link io.github.bndoctor.probe.OutputGap}), next to the loss
 *       of all-zero outputs ({@link io.github.bndoctor.probe.LossMeasure#zerosLoss}) and each mode's
 *       largest absolute output ({@link io.github.bndoctor.probe.LargestOutput}): the output collapse
 *       as seen by eye;</li>
 *   <li>{@link io.github.bndoctor.probe.PreciseStatistics} - population statistics recomputed for
 *       the current weights (Wu and Johnson, "Rethinking 'Batch' in BatchNorm", 2021, sec. 3);</li>
 *   <li>{@link io.github.bndoctor.probe.LayerDecomposition} - per layer: EMA error (moving vs
 *       precise) split into warm-up bias and lag, and batch noise (batch vs precise);</li>
 *   <li>{@link io.github.bndoctor.probe.RotationTracker} - angular speed of the weights feeding
 *       each BN layer and the lag it predicts (rotation x d/(1-d)); the weights are found by
 *       {@link io.github.bndoctor.probe.FeedingWeights};</li>
 *   <li>{@link io.github.bndoctor.probe.WeightSnapshotRing} - snapshots of those weights every few
 *       iterations: the measured lag angle, to the weights of the EMA's mean age d/(1-d);</li>
 *   <li>{@link io.github.bndoctor.probe.NoiseCost} - what a short EMA window's sampling noise alone
 *       costs the output (expected eval/precise at the decay in force and the training batch's size),
 *       which {@link io.github.bndoctor.probe.NoiseLimit} reads to name noise-limited layers;</li>
 *   <li>{@link io.github.bndoctor.probe.LagAtFloor} - layers whose feeding weights turn more than the
 *       angle budget within the shortest window: no decay at or above it follows them;</li>
 *   <li>{@link io.github.bndoctor.probe.Verdict} and {@link io.github.bndoctor.probe.Diagnoser} -
 *       which of warm-up, lag or batch noise drives the gap.</li>
 * </ul>
 */
package io.github.bndoctor.probe;
