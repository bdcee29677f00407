package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.BatchedMoments;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link BatchedMoments} of every BN layer's input over the batches seen so far: what precise
 * BN accumulates, on one machine ({@link PreciseStatistics}) or per partition of a distributed
 * data set, where the partial results {@linkplain #combine merge} into the moments of all batches.
 *
 * <p>Immutable and serializable; the empty instance (no batch, no layer) is the identity of
 * {@link #combine}, so an empty partition contributes nothing.
 */
public final class NetworkMoments implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final NetworkMoments EMPTY = new NetworkMoments(new LinkedHashMap<>(), 0);

    private final LinkedHashMap<String, BatchedMoments> layers;
    private final long examples;

    private NetworkMoments(LinkedHashMap<String, BatchedMoments> layers, long examples) {
        this.layers = layers;
        this.examples = examples;
    }

    /** @return the moments of no batch */
    public static NetworkMoments empty() {
        return EMPTY;
    }

    /**
     * Runs one training-mode forward pass (dropout suspended) and adds the batch's statistics.
     *
     * @param net the network
     * @param features one batch of its inputs
     * @return the moments of the batches so far and this one
     */
    public NetworkMoments add(BnNetwork net, INDArray[] features) {
        return add(BatchStatisticsCapture.capture(net, features, true), features[0].size(0));
    }

    /**
     * Adds one batch's statistics captured elsewhere (by {@link #add(BnNetwork, INDArray[])}'s capture,
     * e.g. on another thread's copy of the network): the same arithmetic as adding the batch here.
     *
     * @param batch the batch's statistics per BN layer name, in forward order
     * @param examples examples in the batch
     * @return the moments of the batches so far and this one
     */
    NetworkMoments add(Map<String, BatchStatistics> batch, long examples) {
        LinkedHashMap<String, BatchedMoments> out = new LinkedHashMap<>(layers);
        for (Map.Entry<String, BatchStatistics> e : batch.entrySet()) {
            BatchedMoments before = out.get(e.getKey());
            if (before == null) {
                before = BatchedMoments.empty(e.getValue().moments().channels());
            }
            out.put(e.getKey(), before.add(e.getValue().moments()));
        }
        return new NetworkMoments(out, this.examples + examples);
    }

    /**
     * @param other the moments of other batches of the same network
     * @return the moments of both; layer order is this one's, then any layer only {@code other} has
     */
    public NetworkMoments combine(NetworkMoments other) {
        if (other.examples == 0) {
            return this;
        }
        if (examples == 0) {
            return other;
        }
        LinkedHashMap<String, BatchedMoments> out = new LinkedHashMap<>(layers);
        other.layers.forEach((name, m) -> out.merge(name, m, BatchedMoments::combine));
        return new NetworkMoments(out, examples + other.examples);
    }

    /** @return examples seen */
    public long examples() {
        return examples;
    }

    /** @return the moments per BN layer name, in forward order */
    public Map<String, BatchedMoments> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /**
     * @param estimator how to combine batch variances
     * @return population (mean, variance) per BN layer name, in forward order
     * @throws EmptyDataException if no batch was added
     */
    public Map<String, MeanVariance> estimate(PopulationEstimator estimator) {
        if (examples == 0) {
            throw new EmptyDataException("no training samples to estimate precise BN statistics from");
        }
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        layers.forEach((name, m) -> out.put(name, estimator.estimate(m)));
        return out;
    }
}
