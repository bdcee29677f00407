package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.probe.EmptyDataException;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Distributed precise statistics on a real local Spark ({@code local[2]}) against the
 * single-machine route on the same batches.
 *
 * <p>Tolerance. Each batch's forward pass runs the same float code on the same float parameters
 * (the broadcast zip stores them bit for bit) and the same inputs, so the per-batch moments are the
 * same doubles; only the order in which Chan's pairwise formula merges them differs (a sequential
 * fold against a tree). Each merge rounds with relative error of a few {@code u = 2^-53}; over at
 * most 10 batches that is below {@code 1e-14} of the scale {@code |mu| + sigma} (means) and
 * {@code sigma^2} (variances). The bound used, {@code 1e-12} of the scale, leaves two orders of
 * margin and is still 10^5 below float resolution {@code 2^-24 = 6e-8}: a lost, repeated or
 * float-accumulated batch fails it. The float parameters written to the model then round these
 * doubles to float: equal, or one float ulp apart when a double lies within {@code 1e-12} of a
 * rounding boundary, so the written parameters must agree to one ulp.
 */
@Tag("spark")
class DistributedMomentsTest extends LocalSparkContext {
    private static final int BATCH = 8;
    private static final int BATCHES = 10;
    private static final double REL = 1e-12;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (NetworkKind kind : NetworkKind.values()) {
            for (int partitions : new int[] {1, 2, 7, BATCHES + 3}) {
                out.add(Arguments.of(kind, Layout.values()[out.size() % Layout.values().length], partitions));
            }
        }
        return out.stream();
    }

    /**
     * 1, 2 and 7 partitions, and 13 partitions for 10 batches (so some partitions are empty), for a
     * MultiLayerNetwork and a ComputationGraph, both estimators.
     */
    @ParameterizedTest(name = "{0} {1} {2} partitions")
    @MethodSource("cases")
    void equalsSingleMachineOnTheSameBatches(NetworkKind kind, Layout layout, int partitions) {
        BnNetwork net = ProbeFixtures.net(kind, layout);
        List<INDArray[]> batches = ProbeFixtures.batches(layout, BATCHES, 17 + partitions);
        JavaRDD<INDArray[]> rdd = sc.parallelize(batches, partitions);
        List<List<INDArray[]>> parts = rdd.glom().collect();
        assertThat(parts).hasSize(partitions);
        if (partitions > BATCHES) {
            assertThat(parts).anySatisfy(p -> assertThat(p).isEmpty());
        }
        ParameterSnapshot before = ParameterSnapshot.of(net);
        for (PopulationEstimator est : PopulationEstimator.values()) {
            Map<String, MeanVariance> single = PreciseStatistics.estimate(net, batches.iterator(), Integer.MAX_VALUE, est);
            Map<String, MeanVariance> spark = DistributedMoments.of(rdd, net, BATCH).estimate(est);
            assertClose(spark, single);
        }
        assertThat(ParameterSnapshot.of(net).isIdenticalTo(before)).as("the job changes no parameter").isTrue();
    }

    /** The model written on the driver equals the model single-machine PreciseBn writes, to one float ulp. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(NetworkKind.class)
    void recalibratedModelEqualsSingleMachinePreciseBn(NetworkKind kind) {
        for (PopulationEstimator est : PopulationEstimator.values()) {
            BnNetwork single = ProbeFixtures.net(kind, Layout.NCHW);
            BnNetwork distributed = ProbeFixtures.net(kind, Layout.NCHW);
            List<INDArray[]> batches = ProbeFixtures.batches(Layout.NCHW, BATCHES, 5);
            List<DataSet> ds = new ArrayList<>();
            for (INDArray[] b : batches) {
                ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
            }
            PreciseBn.recalibrate(single, new ListDataSetIterator<>(ds, 1), Integer.MAX_VALUE, est);
            SparkPreciseBn.recalibrate(distributed, sc.parallelize(ds, 3), BATCH, est);
            float[] a = single.params().toFloatVector();
            float[] b = distributed.params().toFloatVector();
            assertThat(b).hasSameSizeAs(a);
            for (int i = 0; i < a.length; i++) {
                assertThat((double) b[i]).as("parameter %d (%s)", i, est).isCloseTo(a[i],
                        org.assertj.core.api.Assertions.within((double) Math.ulp(a[i])));
            }
            assertThat(distributed.params()).isNotEqualTo(ProbeFixtures.net(kind, Layout.NCHW).params());
        }
    }

    /**
     * Elements of any size are regrouped into the requested batches within each partition: one
     * partition of 80 single examples gives the same batches as 10 elements of 8.
     */
    @Test
    void regroupsSmallElementsIntoBatches() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, BATCHES, 3);
        List<INDArray[]> singles = new ArrayList<>();
        for (INDArray[] b : batches) {
            for (int i = 0; i < b[0].size(0); i++) {
                singles.add(new INDArray[] {b[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup()});
            }
        }
        Map<String, MeanVariance> single = PreciseStatistics.estimate(net, batches.iterator(), Integer.MAX_VALUE,
                PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
        Map<String, MeanVariance> spark = DistributedMoments.of(sc.parallelize(singles, 1), net, BATCH)
                .estimate(PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
        assertClose(spark, single);
    }

    @Test
    void allPartitionsEmptyIsEmptyData() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        JavaRDD<INDArray[]> empty = sc.parallelize(new ArrayList<INDArray[]>(), 3);
        assertThatThrownBy(() -> SparkPreciseBn.recalibrateFeatures(net, empty, BATCH, PopulationEstimator.POOLED))
                .isInstanceOf(EmptyDataException.class);
    }

    /**
     * A task that throws mid-partition (its fourth element is malformed: 3 channels for a 2-channel
     * input) fails the job with the layer and the partition named, and the network is unchanged.
     */
    @Test
    void failingTaskFailsTheJobAndChangesNothing() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE);
        List<INDArray[]> batches = new ArrayList<>(ProbeFixtures.batches(Layout.DENSE, 6, 9));
        batches.set(4, new INDArray[] {org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3)});
        ParameterSnapshot before = ParameterSnapshot.of(net);
        assertThatThrownBy(() -> SparkPreciseBn.recalibrateFeatures(net, sc.parallelize(batches, 2), BATCH,
                PopulationEstimator.POOLED))
                .isInstanceOf(DistributedJobException.class)
                .hasMessageStartingWith("Spark job collecting BN statistics failed: partition 1, batch 1:");
        assertThat(ParameterSnapshot.of(net).isIdenticalTo(before)).isTrue();
    }

    /** An exception thrown by user code upstream (a map that fails) fails the job the same way. */
    @Test
    void failingUpstreamTaskFailsTheJob() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        JavaRDD<INDArray[]> rdd = sc.parallelize(ProbeFixtures.batches(Layout.DENSE, 6, 9), 2).map(x -> {
            if (x[0].getDouble(0, 0) > -1e9) {
                throw new IllegalStateException("shard reader failed");
            }
            return x;
        });
        assertThatThrownBy(() -> DistributedMoments.of(rdd, net, BATCH))
                .isInstanceOf(DistributedJobException.class)
                .hasMessageContaining("shard reader failed");
        assertThat(BnDoctorException.class).isAssignableFrom(DistributedJobException.class);
    }

    static void assertClose(Map<String, MeanVariance> actual, Map<String, MeanVariance> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((layer, e) -> {
            MeanVariance a = actual.get(layer);
            double[] em = e.mean();
            double[] ev = e.variance();
            double[] am = a.mean();
            double[] av = a.variance();
            for (int c = 0; c < em.length; c++) {
                double scale = Math.abs(em[c]) + Math.sqrt(ev[c]);
                assertThat(am[c]).as("%s mean[%d]", layer, c).isCloseTo(em[c],
                        org.assertj.core.api.Assertions.within(REL * scale));
                assertThat(av[c]).as("%s var[%d]", layer, c).isCloseTo(ev[c],
                        org.assertj.core.api.Assertions.within(REL * ev[c]));
            }
        });
    }
}
