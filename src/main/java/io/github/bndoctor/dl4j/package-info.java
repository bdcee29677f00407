/**
 * Access to the Batch Normalization layers of DL4J 1.0.0-M2.1 networks, both
 * {@code MultiLayerNetwork} and {@code ComputationGraph}.
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.dl4j.BnNetwork} - one view over either network type: its BN
 *       layers ({@link io.github.bndoctor.dl4j.BnLayerRef}), their parameters, and the inputs
 *       each BN layer sees in a forward pass;</li>
 *   <li>{@link io.github.bndoctor.dl4j.MovingStatistics} - reads and writes the moving mean and
 *       variance in either parameterisation ({@link io.github.bndoctor.dl4j.VarianceParameterisation}),
 *       through the network-level parameter API so the parameter views stay attached;</li>
 *   <li>{@link io.github.bndoctor.dl4j.BatchStatisticsCapture} - per-channel batch statistics of
 *       the input of every BN layer, from one forward pass, for dense, NCHW and NHWC layouts;</li>
 *   <li>{@link io.github.bndoctor.dl4j.BatchStatisticsFromUpdate} - the same batch statistics
 *       recovered for free from the pseudo-gradient of the moving statistics during {@code fit};</li>
 *   <li>{@link io.github.bndoctor.dl4j.ParameterSnapshot} - bit-exact copies of all parameters,
 *       used to prove that probes change nothing.</li>
 * </ul>
 *
 * <p>Facts about DL4J this package relies on (verified in its sources): moving statistics are
 * updated during backprop as a pseudo-gradient ({@code global = decay*global + (1-decay)*batch},
 * with the biased batch variance); with {@code useLogStd=true} (the builder default) the variance
 * is stored as parameter {@code log10stdev} ({@code var = (10^p)^2}), otherwise as {@code var};
 * {@code feedForward} does not change parameters.
 */
package io.github.bndoctor.dl4j;
