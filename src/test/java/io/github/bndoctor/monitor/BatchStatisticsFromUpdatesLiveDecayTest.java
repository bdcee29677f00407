package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The free signal with {@link AdaptiveDecay} attached and changing the decay while training: each
 * iteration's recovered batch statistics equal a forward-pass capture ({@link BatchStatisticsCapture},
 * double precision, same batch, same weights, taken just before {@code fit}) within the float bound
 * derived in {@link BatchStatisticsFromUpdatesTest}, evaluated at the decay in force during that
 * iteration's backprop (read from the layer configuration before {@code fit}, which only
 * {@code iterationDone} changes). Inverting with the configured decay instead is off by a factor of
 * order {@code (1-d_live)/(1-d_configured)} of the gap {@code p - b}, hundreds of tolerances here.
 * Both listener orders, both network types, both variance parameterisations.
 */
@Tag("unit")
class BatchStatisticsFromUpdatesLiveDecayTest {
    private static final double CONFIGURED = 0.997;
    private static final int STEPS = 8;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (NetworkKind kind : NetworkKind.values()) {
            for (VarianceParameterisation p : VarianceParameterisation.values()) {
                for (boolean adaptiveFirst : new boolean[] {true, false}) {
                    out.add(Arguments.of(kind, p, adaptiveFirst));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recoversBatchStatisticsAtTheDecayInForce(NetworkKind kind, VarianceParameterisation p, boolean adaptiveFirst) {
        BnNetwork net = TinyBnNetworks.twoBlocks(kind, Layout.NCHW, 2, 3, 4, CONFIGURED, p, new Adam(1e-2), 7);
        BatchStatisticsFromUpdates free = new BatchStatisticsFromUpdates(4, false, r -> { });
        // a budget far below the per-step rotation: the decay drops from the configured one to the floor
        AdaptiveDecay adaptive = AdaptiveDecay.builder().budgetDegrees(1e-3).minDecay(0.6).snapshotEvery(1).build();
        TrainingListener[] order = adaptiveFirst ? new TrainingListener[] {adaptive, free}
                : new TrainingListener[] {free, adaptive};
        net.model().addListeners(order);
        GaussianBatches g = new GaussianBatches(Layout.NCHW, 8, 4, 4, new double[] {0.5, -1}, new double[] {1, 2}, 3);
        // DL4J's initial statistics (mean 0, variance 1): the prior whose weight is tracked
        Set<Double> decaysSeen = new HashSet<>();
        Map<String, Double> product = new LinkedHashMap<>();
        for (int step = 0; step < STEPS; step++) {
            INDArray x = g.next();
            Map<String, BatchStatistics> captured = BatchStatisticsCapture.capture(net, new INDArray[] {x}, true);
            Map<String, MeanVariance> before = MovingStatistics.readAll(net);
            Map<String, Double> inForce = new LinkedHashMap<>();
            for (BnLayerRef ref : net.bnLayers()) {
                inForce.put(ref.name(), net.decay(ref));
                product.merge(ref.name(), net.decay(ref), (a, b) -> a * b);
            }
            net.fit(new DataSet(x, ProbeFixtures.labels(x, step)));
            for (BnLayerRef ref : net.bnLayers()) {
                double d = inForce.get(ref.name());
                decaysSeen.add(d);
                BatchStatisticsFromUpdatesTest.assertRecovered(ref.name() + " step " + step, captured.get(ref.name()),
                        free.latestBatch(ref.name()), before.get(ref.name()), d, p);
            }
        }
        assertThat(decaysSeen).as("the adaptive listener changed the decay while training")
                .contains(CONFIGURED).anyMatch(d -> d < CONFIGURED - 0.1);
        LagReading r = free.latest();
        assertThat(r.iteration()).isEqualTo(STEPS);
        // the prior's weight: the product of the decays in force at each update (a direct product over
        // the decays read above; at most STEPS roundings of 1 ulp each)
        r.layers().forEach(l -> assertThat(l.priorWeight())
                .isCloseTo(product.get(l.layer()), within(STEPS * 2 * Math.ulp(product.get(l.layer())))));
    }
}
