package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.NetworkMoments;
import io.github.bndoctor.stats.BatchedMoments;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.MomentDistance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.apache.spark.api.java.JavaRDD;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Diagnosis of a parameter-averaged model's BN statistics ({@link LayerAveragingBias} per layer):
 * how far the averaged moving statistics are from the population statistics of all the workers'
 * data, and how much of the variance deficit is the dropped between-worker spread.
 *
 * <p>Two routes: from the worker models themselves ({@link #ofWorkers}: each worker's moving
 * statistics stand for its shard, workers weigh equally), or from the averaged model and the
 * workers' shards ({@link #ofShards}: each shard's precise statistics at the averaged weights,
 * weighted by its size, computed on Spark one partition per shard).
 */
public final class AveragingDiagnosis {
    private final Map<String, LayerAveragingBias> layers;

    private AveragingDiagnosis(Map<String, LayerAveragingBias> layers) {
        this.layers = Collections.unmodifiableMap(layers);
    }

    /**
     * @param workers the workers' models (one configuration)
     * @param averaged the averaged model (e.g. {@link ParameterAveraging#average})
     * @return the diagnosis
     */
    public static AveragingDiagnosis ofWorkers(List<BnNetwork> workers, BnNetwork averaged) {
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("no worker models");
        }
        List<Map<String, MeanVariance>> stats = new ArrayList<>();
        for (BnNetwork w : workers) {
            stats.add(MovingStatistics.readAll(BnNetwork.requireBatchNorm(w.model())));
        }
        double[] weights = new double[workers.size()];
        java.util.Arrays.fill(weights, 1.0 / workers.size());
        return of(averaged, stats, weights);
    }

    /**
     * @param averaged the averaged model
     * @param shards the moments of each worker's shard at the averaged weights (empty ones are ignored)
     * @return the diagnosis
     */
    public static AveragingDiagnosis ofShards(BnNetwork averaged, List<NetworkMoments> shards) {
        List<Map<String, MeanVariance>> stats = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        for (NetworkMoments m : shards) {
            if (m.examples() > 0) {
                stats.add(m.estimate(PopulationEstimator.POOLED));
                counts.add(m.examples());
            }
        }
        if (stats.isEmpty()) {
            throw new io.github.bndoctor.probe.EmptyDataException("no shard holds examples");
        }
        long total = counts.stream().mapToLong(Long::longValue).sum();
        double[] weights = new double[stats.size()];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = (double) counts.get(k) / total;
        }
        return of(averaged, stats, weights);
    }

    /**
     * @param averaged the averaged model
     * @param shards network inputs, one partition per worker shard
     * @param batchSize examples per forward pass
     * @return the diagnosis, its shard statistics computed on Spark
     */
    public static AveragingDiagnosis ofShards(BnNetwork averaged, JavaRDD<INDArray[]> shards, int batchSize) {
        return ofShards(averaged, DistributedMoments.perPartition(shards, averaged, batchSize));
    }

    private static AveragingDiagnosis of(BnNetwork averaged, List<Map<String, MeanVariance>> workers, double[] w) {
        Map<String, LayerAveragingBias> out = new LinkedHashMap<>();
        for (BnLayerRef ref : BnNetwork.requireBatchNorm(averaged.model()).bnLayers()) {
            MeanVariance avg = MovingStatistics.read(averaged, ref);
            int channels = avg.channels();
            double[] mu = new double[channels];
            double[] within = new double[channels];
            for (int k = 0; k < workers.size(); k++) {
                MeanVariance s = workerLayer(workers.get(k), ref, k);
                double[] m = s.mean();
                double[] v = s.variance();
                for (int c = 0; c < channels; c++) {
                    mu[c] += w[k] * m[c];
                    within[c] += w[k] * v[c];
                }
            }
            double[] between = new double[channels];
            for (int k = 0; k < workers.size(); k++) {
                double[] m = workers.get(k).get(ref.name()).mean();
                for (int c = 0; c < channels; c++) {
                    between[c] += w[k] * (m[c] - mu[c]) * (m[c] - mu[c]);
                }
            }
            double[] popVar = new double[channels];
            for (int c = 0; c < channels; c++) {
                popVar[c] = within[c] + between[c];
            }
            MeanVariance population = new MeanVariance(mu, popVar);
            double[] avgVar = avg.variance();
            double logRatio = 0;
            double sumB = 0;
            double sumPop = 0;
            double sumDeficit = 0;
            for (int c = 0; c < channels; c++) {
                logRatio += MomentDistance.logVarianceRatio(avgVar[c], popVar[c], ref.eps());
                sumB += between[c];
                sumPop += popVar[c];
                sumDeficit += popVar[c] - avgVar[c];
            }
            out.put(ref.name(), new LayerAveragingBias(ref.name(), Math.exp(logRatio / channels),
                    MomentDistance.maxStandardizedMeanShift(avg, population, ref.eps()),
                    sumPop > 0 ? sumB / sumPop : 0, sumDeficit > 0 ? sumB / sumDeficit : Double.NaN));
        }
        return new AveragingDiagnosis(out);
    }

    private static MeanVariance workerLayer(Map<String, MeanVariance> worker, BnLayerRef ref, int k) {
        MeanVariance s = worker.get(ref.name());
        if (s == null || s.channels() != ref.channels()) {
            throw new io.github.bndoctor.dl4j.ShapeMismatchException("worker " + k + " has no statistics for BN layer '"
                    + ref.name() + "' with " + ref.channels() + " channels");
        }
        return s;
    }

    /** @return the diagnosis per BN layer name, in forward order */
    public Map<String, LayerAveragingBias> layers() {
        return layers;
    }

    /** @return one line per layer: variance ratio, mean shift, spread shares */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-24s %12s %12s %14s %14s%n", "layer",
                "var avg/pop", "mean shift", "spread/pop", "spread/deficit"));
        for (LayerAveragingBias b : layers.values()) {
            sb.append(String.format(Locale.ROOT, "%-24s %12.4f %12.4f %14.4f %14.4f%n", b.layer(), b.varianceRatio(),
                    b.maxMeanShift(), b.spreadShareOfPopulation(), b.spreadShareOfDeficit()));
        }
        return sb.toString();
    }
}
