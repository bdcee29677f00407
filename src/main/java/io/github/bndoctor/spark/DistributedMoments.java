package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.NetworkMoments;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Iterator;
import java.util.List;

/**
 * The moments of every BN layer's input over a distributed data set, computed where the data
 * lives: the network is broadcast (as its serialized zip), each partition restores its own copy,
 * regroups its examples into batches of the requested size, runs one training-mode forward pass per
 * batch (dropout suspended, as {@link io.github.bndoctor.probe.PreciseStatistics} does) and returns
 * one {@link NetworkMoments}; the partitions' moments are merged with {@code treeAggregate} by
 * Chan, Golub and LeVeque's pairwise formula (STAN-CS-79-773, 1979; The American Statistician
 * 37(3), 1983), in double precision.
 *
 * <p>Batches never span partitions: each partition's last batch holds its remainder (dropped if it
 * is a single example). With elements that are whole batches the batches are the elements, and the
 * result equals a sequential pass over the same batches on one machine up to double rounding.
 * A partition without examples contributes nothing and does not even restore the network.
 *
 * <p>Nothing is written anywhere. A failing task fails the job: {@link DistributedJobException}.
 */
public final class DistributedMoments {
    private DistributedMoments() {
    }

    /**
     * @param features network inputs (one array per network input; any number of examples each)
     * @param net the network, with at least one BN layer; not modified
     * @param batchSize examples per forward pass, at least 2
     * @return the moments of all batches
     * @throws DistributedJobException if the job fails
     */
    public static NetworkMoments of(JavaRDD<INDArray[]> features, BnNetwork net, int batchSize) {
        JavaRDD<NetworkMoments> parts = perPartitionRdd(features, net, batchSize);
        return run(() -> parts.treeAggregate(NetworkMoments.empty(), NetworkMoments::combine, NetworkMoments::combine));
    }

    /**
     * The moments of each partition separately, e.g. of each worker's shard.
     *
     * @param features network inputs
     * @param net the network; not modified
     * @param batchSize examples per forward pass, at least 2
     * @return one entry per partition, in partition order (empty partitions included, as empty moments)
     * @throws DistributedJobException if the job fails
     */
    public static List<NetworkMoments> perPartition(JavaRDD<INDArray[]> features, BnNetwork net, int batchSize) {
        JavaRDD<NetworkMoments> parts = perPartitionRdd(features, net, batchSize);
        return run(parts::collect);
    }

    /**
     * @param data data sets (features and labels; labels are not used)
     * @return their features as single-input network inputs
     */
    public static JavaRDD<INDArray[]> features(JavaRDD<DataSet> data) {
        return data.map(ds -> new INDArray[] {ds.getFeatures()});
    }

    /**
     * Deals the examples out anew, one by one, so that the batches each partition then forms
     * sample the whole data set rather than one shard: for shards that differ (one per worker,
     * class or source), where shard-pure batches would give the deeper BN layers statistics of
     * inputs normalised per shard.
     *
     * @param features network inputs
     * @param partitions partitions of the result
     * @return the same examples, one per element, spread over the partitions by a shuffle
     */
    public static JavaRDD<INDArray[]> mixed(JavaRDD<INDArray[]> features, int partitions) {
        return features.flatMap(x -> {
            java.util.List<INDArray[]> one = new java.util.ArrayList<>();
            for (long i = 0; i < x[0].size(0); i++) {
                INDArray[] e = new INDArray[x.length];
                for (int j = 0; j < x.length; j++) {
                    e[j] = Batches.slice(x[j], i, i + 1);
                }
                one.add(e);
            }
            return one.iterator();
        }).repartition(partitions);
    }

    private static JavaRDD<NetworkMoments> perPartitionRdd(JavaRDD<INDArray[]> features, BnNetwork net, int batchSize) {
        if (batchSize < 2) {
            throw new IllegalArgumentException("batch size must be at least 2, got " + batchSize);
        }
        BnNetwork.requireBatchNorm(net.model());
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(features.context());
        Broadcast<ModelBytes> model = sc.broadcast(ModelBytes.of(net.model()));
        return features.mapPartitions(it -> List.of(partition(model.value(), it, batchSize)).iterator());
    }

    /**
     * What one task computes.
     *
     * @param model the broadcast network
     * @param examples the partition's elements
     * @param batchSize examples per forward pass
     * @return the partition's moments
     */
    static NetworkMoments partition(ModelBytes model, Iterator<INDArray[]> examples, int batchSize) {
        Batches batches = new Batches(examples, batchSize);
        NetworkMoments moments = NetworkMoments.empty();
        int batch = 0;
        try {
            if (!batches.hasNext()) {
                return moments;
            }
            BnNetwork net = model.restore();
            while (batches.hasNext()) {
                moments = moments.add(net, batches.next());
                batch++;
            }
            return moments;
        } catch (RuntimeException e) {
            TaskContext task = TaskContext.get();
            throw new BnDoctorException("partition " + (task == null ? "?" : task.partitionId()) + ", batch " + batch
                    + ": " + (e.getMessage() == null ? e.getClass().getName() : e.getMessage()), e);
        }
    }

    private interface Job<T> {
        T run() throws Exception;
    }

    private static <T> T run(Job<T> job) {
        try {
            return job.run();
        } catch (BnDoctorException e) {
            throw e;
        } catch (Exception e) {
            throw new DistributedJobException("Spark job collecting BN statistics failed: " + rootMessage(e), e);
        }
    }

    /**
     * @param e a failure
     * @return the first line of the innermost bn-doctor error's message, else of the innermost cause's
     */
    static String rootMessage(Throwable e) {
        Throwable ours = null;
        Throwable last = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BnDoctorException && ours == null) {
                ours = t;
            }
            last = t;
        }
        Throwable pick = ours != null ? ours : last;
        String m = pick.getMessage() == null ? pick.getClass().getName() : pick.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
