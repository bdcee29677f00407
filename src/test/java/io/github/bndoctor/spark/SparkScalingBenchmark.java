package io.github.bndoctor.spark;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scaling of the distributed precise-BN statistics, measured in one run and printed as ratios
 * (these machines are noisy; absolute times are not compared across runs): the same batches on
 * {@code local[1]} and {@code local[2]} (each task computes with one native thread,
 * {@code OMP_NUM_THREADS=1}), against single-machine {@link PreciseStatistics} in this JVM. Each
 * figure is the median of three timed runs after one warm-up. Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
class SparkScalingBenchmark {
    private static final int BATCHES = 48;
    private static final int BATCH = 32;
    private static final int PARTITIONS = 4;

    private interface Timed {
        Map<String, MeanVariance> run();
    }

    private static double median3(Timed t) {
        t.run();
        double[] ns = new double[3];
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            t.run();
            ns[i] = System.nanoTime() - t0;
        }
        Arrays.sort(ns);
        return ns[1];
    }

    private static double spark(int cores, List<INDArray[]> batches, BnNetwork net) {
        JavaSparkContext sc = LocalSpark.start(cores);
        try {
            JavaRDD<INDArray[]> rdd = sc.parallelize(batches, PARTITIONS).cache();
            rdd.count();
            return median3(() -> DistributedMoments.of(rdd, net, BATCH).estimate(PopulationEstimator.POOLED));
        } finally {
            sc.stop();
        }
    }

    @Test
    void printsScalingRatios() {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.NCHW, 3, 16, 16, 0.9,
                VarianceParameterisation.LOG10_STDEV, new Adam(1e-3), 1);
        GaussianBatches g = new GaussianBatches(Layout.NCHW, BATCH, 16, 16, new double[] {1, -0.5, 0},
                new double[] {2, 0.5, 1}, 4);
        List<INDArray[]> batches = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            batches.add(new INDArray[] {g.next()});
        }
        double single = median3(() -> PreciseStatistics.estimate(net, batches.iterator(), Integer.MAX_VALUE,
                PopulationEstimator.POOLED));
        double one = spark(1, batches, net);
        double two = spark(2, batches, net);
        try (RecordWriter.Section record = RecordWriter.section("SparkScalingBenchmark")) {
            System.out.printf("%nbn-doctor Spark scaling (%d batches of %d, 16x16x3 inputs, 2 conv+BN blocks of 16 channels,"
                    + " %d partitions, %s)%n", BATCHES, BATCH, PARTITIONS,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"));
            System.out.printf("  single-machine PreciseStatistics: %.0f ms%n", single / 1e6);
            System.out.printf("  Spark local[1] / local[2]:        %.2f (speed-up from a second executor core)%n", one / two);
            System.out.printf("  Spark local[1] / single machine:  %.2f (overhead: broadcast, task scheduling, restore)%n",
                    one / single);
            System.out.printf("  Spark local[2] / single machine:  %.2f%n", two / single);
        }
        assertThat(single).isPositive();
    }
}
