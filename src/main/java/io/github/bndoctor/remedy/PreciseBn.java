package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.NoBatchNormException;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Map;

/**
 * Precise-BN recalibration: recomputes every BN layer's population mean and variance from
 * {@code samples} training examples and writes them as the layer's moving statistics, in the
 * layer's own parameterisation.
 *
 * <p>All statistics are computed before anything is written, and the write itself is
 * all-or-nothing ({@link MovingStatistics#writeAll}), so an iterator error, a NaN activation or a
 * shape mismatch leaves the network bit-identical.
 *
 * <p>Estimators: {@link PopulationEstimator#POOLED} (default) is the variance of all samples,
 * i.e. of the population the layer meets at inference; {@link PopulationEstimator#MEAN_OF_BATCH_VARIANCES}
 * is what a perfectly converged EMA would hold, smaller by the variance of the batch means
 * (for i.i.d. batches, a factor {@code (m-1)/m}). Pooled is right for inference on single
 * examples; mean-of-batch-variances reproduces the training-mode scale exactly for small batches.
 */
public final class PreciseBn {
    /**
     * The most batches {@link #defaultParallelism()} runs at once: 1, the serial pass. Two workers were
     * not faster than one on a loaded two-processor machine and held a second batch's activations
     * (docs/record.md, "parallel precise statistics"), so more is the caller's choice.
     */
    public static final int MAX_DEFAULT_PARALLELISM = 1;

    private PreciseBn() {
    }

    /**
     * @param net the network to recalibrate in place
     * @param data training data; consumed from its current position (it is reset first if it supports it)
     * @param samples examples to use
     * @param estimator how to combine batch variances
     * @return the statistics written, per BN layer
     */
    public static Map<String, MeanVariance> recalibrate(BnNetwork net, DataSetIterator data, int samples,
                                                         PopulationEstimator estimator) {
        return recalibrate(net, data, samples, estimator, defaultParallelism());
    }

    /**
     * As {@link #recalibrate(BnNetwork, DataSetIterator, int, PopulationEstimator)}, with the forward
     * passes of up to {@code parallelism} batches at once, each on its own thread, copy of the
     * network and single native thread ({@link PreciseStatistics#estimate(BnNetwork, java.util.Iterator,
     * int, PopulationEstimator, int)}): the statistics are the serial pass's, bit for bit, when the
     * calling thread's natives run on one thread too. 1 runs the serial pass on the calling thread.
     *
     * @param net the network to recalibrate in place
     * @param data training data, read on the calling thread; consumed from its current position (it is
     *     reset first if it supports it)
     * @param samples examples to use
     * @param estimator how to combine batch variances
     * @param parallelism batches in forward passes at once, at least 1
     * @return the statistics written, per BN layer
     */
    public static Map<String, MeanVariance> recalibrate(BnNetwork net, DataSetIterator data, int samples,
                                                         PopulationEstimator estimator, int parallelism) {
        if (data.resetSupported()) {
            data.reset();
        }
        Map<String, MeanVariance> stats = PreciseStatistics.estimate(BnNetwork.requireBatchNorm(net.model()), data,
                samples, estimator, parallelism);
        write(net, stats);
        return stats;
    }

    /**
     * @return the parallelism of the overloads without one: the available processors, at most
     *     {@link #MAX_DEFAULT_PARALLELISM}
     */
    public static int defaultParallelism() {
        return Math.max(1, Math.min(MAX_DEFAULT_PARALLELISM, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Writes population statistics computed elsewhere (e.g. by a distributed job over the same
     * network) as the moving statistics of every BN layer, all or nothing.
     *
     * @param net the network to recalibrate in place
     * @param stats population (mean, variance) for every BN layer of {@code net}
     * @throws NoBatchNormException if a BN layer of {@code net} has no statistics, or a name is not one
     */
    public static void write(BnNetwork net, Map<String, MeanVariance> stats) {
        for (BnLayerRef ref : BnNetwork.requireBatchNorm(net.model()).bnLayers()) {
            if (!stats.containsKey(ref.name())) {
                throw new NoBatchNormException("no statistics for BN layer '" + ref.name() + "'; have "
                        + stats.keySet());
            }
        }
        MovingStatistics.writeAll(net, stats);
    }

    /**
     * Recalibrates with the pooled estimator.
     *
     * @param net the network
     * @param data training data
     * @param samples examples to use
     * @return the statistics written
     */
    public static Map<String, MeanVariance> recalibrate(BnNetwork net, DataSetIterator data, int samples) {
        return recalibrate(net, data, samples, PopulationEstimator.POOLED);
    }
}
