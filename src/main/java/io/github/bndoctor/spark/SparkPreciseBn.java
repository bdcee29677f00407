package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.apache.spark.api.java.JavaRDD;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Map;

/**
 * Precise-BN recalibration over a data set distributed on Apache Spark: the population statistics
 * of every BN layer at the current weights are computed on the executors
 * ({@link DistributedMoments}) and written on the driver by {@link PreciseBn#write}, the same code
 * that single-machine {@link PreciseBn#recalibrate} uses, all or nothing.
 *
 * <p>The estimators mean what they mean on one machine ({@link PopulationEstimator}); for
 * {@code MEAN_OF_BATCH_VARIANCES} the batches are those each partition forms (see
 * {@link DistributedMoments}). All the data is used: sample the RDD to use less.
 */
public final class SparkPreciseBn {
    private SparkPreciseBn() {
    }

    /**
     * @param net the network to recalibrate in place (on the driver)
     * @param data training data sets; labels are not used
     * @param batchSize examples per forward pass, at least 2
     * @param estimator how to combine batch variances
     * @return the statistics written, per BN layer
     * @throws DistributedJobException if the job fails; the network is then unchanged
     */
    public static Map<String, MeanVariance> recalibrate(BnNetwork net, JavaRDD<DataSet> data, int batchSize,
                                                        PopulationEstimator estimator) {
        return recalibrateFeatures(net, DistributedMoments.features(data), batchSize, estimator);
    }

    /**
     * @param net the network to recalibrate in place (on the driver)
     * @param features network inputs, one array per network input (multi-input graphs)
     * @param batchSize examples per forward pass, at least 2
     * @param estimator how to combine batch variances
     * @return the statistics written, per BN layer
     * @throws DistributedJobException if the job fails; the network is then unchanged
     */
    public static Map<String, MeanVariance> recalibrateFeatures(BnNetwork net, JavaRDD<INDArray[]> features,
                                                                int batchSize, PopulationEstimator estimator) {
        Map<String, MeanVariance> stats = DistributedMoments.of(features, net, batchSize).estimate(estimator);
        PreciseBn.write(net, stats);
        return stats;
    }
}
