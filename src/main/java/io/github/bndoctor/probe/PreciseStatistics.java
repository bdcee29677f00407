package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Iterator;
import java.util.Map;

/**
 * Population statistics of every BN layer's input, recomputed for the network's current weights
 * ("precise BN": Wu and Johnson, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576, sec. 3).
 *
 * <p>The network runs forward in training mode on training batches, as during {@code fit}, so each
 * layer sees inputs normalised the way training normalised them; the per-batch statistics of every
 * BN input are captured in one pass per batch, accumulated in {@link NetworkMoments} and combined
 * with a {@link PopulationEstimator}.
 * Nothing is written: the network is left bit-identical.
 */
public final class PreciseStatistics {
    private PreciseStatistics() {
    }

    /**
     * @param net the network
     * @param data training batches; consumed from its current position (reset it first if needed)
     * @param samples how many examples to use, at least one batch's worth (the last batch is used whole)
     * @param estimator how to combine batch variances
     * @return population (mean, variance) per BN layer name, in forward order
     * @throws EmptyDataException if the iterator yields nothing
     */
    public static Map<String, MeanVariance> estimate(BnNetwork net, DataSetIterator data, int samples,
                                                     PopulationEstimator estimator) {
        return estimate(net, features(data), samples, estimator);
    }

    /**
     * @param net the network
     * @param batches training batches (network inputs per batch)
     * @param samples how many examples to use
     * @param estimator how to combine batch variances
     * @return population (mean, variance) per BN layer name, in forward order
     */
    public static Map<String, MeanVariance> estimate(BnNetwork net, Iterator<INDArray[]> batches, int samples,
                                                     PopulationEstimator estimator) {
        return estimate(net, batches, samples, estimator, 1);
    }

    /**
     * As {@link #estimate(BnNetwork, Iterator, int, PopulationEstimator)}, with the forward passes of
     * up to {@code parallelism} batches running at once, each on its own thread and its own copy of
     * the network, with one native (OpenMP) thread each; the batches' statistics are combined in
     * batch order, so the result has the same bits as the serial pass (parallelism 1) when that
     * runs with one native thread too. Each extra thread holds a copy of the parameters and one
     * batch's activations.
     *
     * @param net the network (used by one thread at a time, and left bit-identical)
     * @param batches training batches, read on the calling thread
     * @param samples how many examples to use
     * @param estimator how to combine batch variances
     * @param parallelism batches in forward passes at once, at least 1 (1: the serial pass on the calling thread)
     * @return population (mean, variance) per BN layer name, in forward order
     */
    public static Map<String, MeanVariance> estimate(BnNetwork net, Iterator<INDArray[]> batches, int samples,
                                                     PopulationEstimator estimator, int parallelism) {
        if (samples <= 0) {
            throw new IllegalArgumentException("samples must be positive, got " + samples);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
        return ParallelMoments.of(net, batches, samples, parallelism).estimate(estimator);
    }

    /**
     * @param net the network
     * @param data training batches; consumed from its current position
     * @param samples how many examples to use
     * @param estimator how to combine batch variances
     * @param parallelism batches in forward passes at once ({@link #estimate(BnNetwork, Iterator, int, PopulationEstimator, int)})
     * @return population (mean, variance) per BN layer name, in forward order
     */
    public static Map<String, MeanVariance> estimate(BnNetwork net, DataSetIterator data, int samples,
                                                     PopulationEstimator estimator, int parallelism) {
        return estimate(net, features(data), samples, estimator, parallelism);
    }

    /**
     * @param data a data set iterator
     * @return its features, batch by batch
     */
    public static Iterator<INDArray[]> features(DataSetIterator data) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return data.hasNext();
            }

            @Override
            public INDArray[] next() {
                DataSet ds = data.next();
                return new INDArray[] {ds.getFeatures()};
            }
        };
    }
}
