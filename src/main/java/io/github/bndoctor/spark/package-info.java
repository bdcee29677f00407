/**
 * Batch Normalization statistics on Apache Spark: precise BN over a data set that lives on a
 * cluster, and the bias that parameter averaging puts into the moving statistics.
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.spark.DistributedMoments} - every BN layer's input moments,
 *       computed per partition from a broadcast network in training-mode forward passes and merged
 *       with {@code treeAggregate} (Chan, Golub and LeVeque's pairwise formula, in double);</li>
 *   <li>{@link io.github.bndoctor.spark.SparkPreciseBn} - recalibration: the driver writes the
 *       pooled statistics with the single-machine {@link io.github.bndoctor.remedy.PreciseBn} code,
 *       all or nothing;</li>
 *   <li>{@link io.github.bndoctor.spark.ParameterAveraging} - the model synchronous parameter
 *       averaging produces (plain mean of the flattened parameters, BN statistics included);</li>
 *   <li>{@link io.github.bndoctor.spark.AveragingDiagnosis} - per layer, how narrow the averaged
 *       statistics are against the population and how much of it is the dropped between-worker
 *       spread;</li>
 *   <li>{@link io.github.bndoctor.spark.SparkRecalibrate} - the {@code spark-submit} entry point:
 *       a model file and a directory of data shards in, the recalibrated model written atomically.</li>
 * </ul>
 * Spark is a {@code provided} dependency: {@code spark-submit} supplies it at run time.
 */
package io.github.bndoctor.spark;
