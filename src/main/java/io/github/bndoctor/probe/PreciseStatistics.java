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
        if (samples <= 0) {
            throw new IllegalArgumentException("samples must be positive, got " + samples);
        }
        NetworkMoments moments = NetworkMoments.empty();
        while (moments.examples() < samples && batches.hasNext()) {
            moments = moments.add(net, batches.next());
        }
        return moments.estimate(estimator);
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
