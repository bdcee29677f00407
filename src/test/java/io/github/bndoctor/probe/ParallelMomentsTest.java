package io.github.bndoctor.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link ParallelMoments}: the batches it reads and the threads it runs them on. With W workers it stops
 * reading where the serial pass stops (the first batch that brings the examples to {@code samples}),
 * at, below and above every multiple of the batch size, and its statistics are the serial pass's bits;
 * its workers are daemon threads named {@code bn-doctor-precise-1..W}, alive while it reads and gone when it
 * returns; one worker, or data for one batch, runs on the calling thread alone.
 */
@Tag("unit")
class ParallelMomentsTest {
    private static final int BATCHES = 7;
    private static final int BATCH = 8;

    /** Reads the batches and notes, at every call, the precise-pass worker threads alive then. */
    private static final class Watched implements Iterator<INDArray[]> {
        final Iterator<INDArray[]> in;
        int read;
        final Set<String> workers = new TreeSet<>();
        boolean allDaemon = true;

        Watched(List<INDArray[]> batches) {
            this.in = batches.iterator();
        }

        private void look() {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("bn-doctor-precise-") && t.isAlive()) {
                    workers.add(t.getName());
                    allDaemon &= t.isDaemon();
                }
            }
        }

        @Override
        public boolean hasNext() {
            look();
            return in.hasNext();
        }

        @Override
        public INDArray[] next() {
            look();
            read++;
            return in.next();
        }
    }

    @Test
    void readsWhereTheSerialPassStopsAndGivesItsBits() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW);
        List<INDArray[]> data = ProbeFixtures.batches(Layout.NCHW, BATCHES, 31);
        for (int samples : new int[] {1, 8, 9, 16, 17, 24, 25, 32, 33, 55, 56, 57}) {
            // the serial pass reads ceil(samples / 8) batches, all 7 at most
            int expectedRead = Math.min(BATCHES, (samples + BATCH - 1) / BATCH);
            Watched serialData = new Watched(data);
            Map<String, MeanVariance> serial = PreciseStatistics.estimate(net, serialData, samples,
                    PopulationEstimator.POOLED, 1);
            assertThat(serialData.read).as("serial, samples %d", samples).isEqualTo(expectedRead);
            assertThat(serialData.workers).as("serial, samples %d: no worker thread", samples).isEmpty();
            for (int workers : new int[] {2, 3}) {
                Watched d = new Watched(data);
                Map<String, MeanVariance> got = PreciseStatistics.estimate(net, d, samples, PopulationEstimator.POOLED,
                        workers);
                String what = "samples " + samples + ", workers " + workers;
                assertThat(d.read).as(what + ": batches read").isEqualTo(expectedRead);
                serial.forEach((layer, mv) -> {
                    assertThat(got.get(layer).mean()).as(what + " mean " + layer).isEqualTo(mv.mean());
                    assertThat(got.get(layer).variance()).as(what + " variance " + layer).isEqualTo(mv.variance());
                });
                if (expectedRead == 1) {
                    assertThat(d.workers).as(what + ": one batch runs on the calling thread").isEmpty();
                } else if (expectedRead > workers) {
                    // batches left to read once the first W are in flight: the workers are seen while reading
                    Set<String> names = new TreeSet<>();
                    for (int i = 1; i <= workers; i++) {
                        names.add("bn-doctor-precise-" + i);
                    }
                    assertThat(d.workers).as(what + ": worker threads").isEqualTo(names);
                    assertThat(d.allDaemon).as(what + ": daemon workers").isTrue();
                }
                assertThat(Thread.getAllStackTraces().keySet()).as(what + ": workers gone on return")
                        .noneMatch(t -> t.getName().startsWith("bn-doctor-precise-") && t.isAlive());
            }
        }
    }

    @Test
    void theDataSetIteratorOverloadsReadTheSameBatches() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW);
        List<INDArray[]> data = ProbeFixtures.batches(Layout.NCHW, 4, 7);
        List<org.nd4j.linalg.dataset.DataSet> sets = new java.util.ArrayList<>();
        for (INDArray[] b : data) {
            sets.add(new org.nd4j.linalg.dataset.DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        Map<String, MeanVariance> expected = PreciseStatistics.estimate(net, data.iterator(), 24,
                PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
        List<Map<String, MeanVariance>> got = List.of(
                PreciseStatistics.estimate(net, new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(sets, 1),
                        24, PopulationEstimator.MEAN_OF_BATCH_VARIANCES),
                PreciseStatistics.estimate(net, new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(sets, 1),
                        24, PopulationEstimator.MEAN_OF_BATCH_VARIANCES, 2));
        for (Map<String, MeanVariance> g : got) {
            assertThat(g.keySet()).containsExactlyElementsOf(expected.keySet());
            expected.forEach((layer, mv) -> {
                assertThat(g.get(layer).mean()).isEqualTo(mv.mean());
                assertThat(g.get(layer).variance()).isEqualTo(mv.variance());
            });
        }
    }

    @Test
    void noWorkerIsRejected() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        assertThatThrownBy(() -> ParallelMoments.of(net, ProbeFixtures.batches(Layout.DENSE, 2, 1).iterator(), 16, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("workers must be >= 1, got 0");
    }
}
