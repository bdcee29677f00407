package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.FeedingWeights;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.probe.RotationTracker;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The decay rule against hand-computed profiles, and the listener on real DL4J training. */
@Tag("unit")
class AdaptiveDecayTest {
    static final int STEPS = 100;

    @Test
    void decayIsTheMeanAgeWhereTheAngleLeavesTheBudget() {
        long[] ages = {0, 10, 20, 30, 40};
        // crosses 2 deg between 30 (1.5) and 40 (2.5): A = 30 + 10 x 0.5/1.0 = 35, d = 35/36
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {0, 0.5, 1, 1.5, 2.5}, 2, 0.9, 0.997))
                .isCloseTo(35.0 / 36, within(1e-15));
        // exactly at the budget is within it; the crossing is then between 30 (2.0) and 40 (3.0): A = 30
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {0, 0.5, 1, 2, 3}, 2, 0.9, 0.997))
                .isCloseTo(30.0 / 31, within(1e-15));
        // within the budget up to the oldest snapshot: too short a history to lower the decay
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {0, 0.1, 0.2, 0.3, 0.4}, 2, 0.9, 0.997))
                .isEqualTo(0.997);
        // crossing (A = 35) beyond the configured decay's mean age (0.95: 19): the configured decay
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {0, 0.5, 1, 1.5, 2.5}, 2, 0.9, 0.95))
                .isEqualTo(0.95);
        // an unknown angle keeps the configured decay
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {0, 0.5, Double.NaN, 3, 4}, 2, 0.9, 0.997))
                .isEqualTo(0.997);
        assertThat(AdaptiveDecay.decayFor(new long[0], new double[0], 2, 0.9, 0.997)).isEqualTo(0.997);
    }

    @Test
    void floorAtBelowAndAbove() {
        long[] ages = {30};
        // A = 30 x 2/angle: A = 9 gives 0.9 exactly (the floor), A = 4 is clamped to it, A = 19 gives 0.95
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {60.0 / 9}, 2, 0.9, 0.997)).isCloseTo(0.9, within(1e-15));
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {15}, 2, 0.9, 0.997)).isEqualTo(0.9);
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {60.0 / 19}, 2, 0.9, 0.997))
                .isCloseTo(0.95, within(1e-15));
        // a configured decay below the floor is never raised
        assertThat(AdaptiveDecay.decayFor(ages, new double[] {15}, 2, 0.9, 0.8)).isEqualTo(0.8);
        assertThatThrownBy(() -> AdaptiveDecay.decayFor(ages, new double[] {1, 2}, 2, 0.9, 0.997))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> AdaptiveDecay.builder().every(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveDecay.builder().snapshotEvery(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveDecay.builder().budgetDegrees(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveDecay.builder().budgetDegrees(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveDecay.builder().minDecay(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveDecay.builder().minDecay(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Same seed, same batches, with and without the listener: every training-mode score and every
     * feeding weight are bit-identical, while the listener did lower decays (so the comparison is
     * not vacuous). Each adapted decay matches the angle profile recomputed from the test's own copy
     * of the weights at every iteration: the angle at age floor(A) is within the budget and the angle
     * at age ceil(A) + 1 is not.
     */
    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void trainingIsUntouchedAndDecaysFollowTheMeasuredAngles(NetworkKind kind) {
        List<DataSet> batches = new ArrayList<>();
        for (INDArray[] x : ProbeFixtures.batches(Layout.DENSE, STEPS, 5L)) {
            batches.add(new DataSet(x[0], ProbeFixtures.labels(x[0], 5L)));
        }
        BnNetwork plain = net(kind);
        BnNetwork adapted = net(kind);
        AdaptiveDecay listener = AdaptiveDecay.builder().every(10).snapshotEvery(1).budgetDegrees(2).minDecay(0.9)
                .followUpstream(false).build();
        WeightHistory weights = new WeightHistory(adapted);
        adapted.model().addListeners(weights, listener);
        // the same training with the upstream limit on (the default): second layer = min(own, first layer's own)
        BnNetwork chained = net(kind);
        AdaptiveDecay upstream = AdaptiveDecay.builder().every(10).snapshotEvery(1).budgetDegrees(2).minDecay(0.9).build();
        chained.model().addListeners(upstream);
        List<Double> plainScores = new ArrayList<>();
        List<Double> adaptedScores = new ArrayList<>();
        for (DataSet b : batches) {
            plain.fit(b);
            plainScores.add(plain.model().score());
            adapted.fit(b);
            adaptedScores.add(adapted.model().score());
            chained.fit(b);
        }
        assertThat(adaptedScores).isEqualTo(plainScores);
        String first = plain.bnLayers().get(0).name();
        String second = plain.bnLayers().get(1).name();
        assertThat(upstream.history()).hasSameSizeAs(listener.history());
        for (int i = 0; i < listener.history().size(); i++) {
            Map<String, Double> own = listener.history().get(i).decays();
            assertThat(upstream.history().get(i).decays()).containsEntry(first, own.get(first))
                    .containsEntry(second, Math.min(own.get(first), own.get(second)));
        }
        assertThat(upstream.history()).as("the upstream limit bit somewhere").anyMatch(a ->
                a.decays().get(second) < listener.history().get(upstream.history().indexOf(a)).decays().get(second));
        FeedingWeights feeding = FeedingWeights.of(plain);
        for (BnLayerRef ref : plain.bnLayers()) {
            assertThat(feeding.read(adapted, ref.name())).isEqualTo(feeding.read(plain, ref.name()));
        }

        assertThat(listener.history()).hasSize(STEPS / 10);
        boolean lowered = false;
        for (AdaptiveDecay.Adaptation a : listener.history()) {
            for (Map.Entry<String, Double> e : a.decays().entrySet()) {
                double d = e.getValue();
                assertThat(d).isBetween(0.9, 0.99);
                if (d < 0.99 && d > 0.9) {
                    lowered = true;
                    double age = d / (1 - d);
                    double[] now = weights.at(a.iteration(), e.getKey());
                    double inside = RotationTracker.angleDegrees(now,
                            weights.at(a.iteration() - (long) Math.floor(age), e.getKey()));
                    double outside = RotationTracker.angleDegrees(now,
                            weights.at(a.iteration() - (long) Math.ceil(age) - 1, e.getKey()));
                    // float32 weights: angle error < 1e-3 deg for angles near 2 deg (see WeightSnapshotRingTest)
                    assertThat(inside).as("%s at %d", e.getKey(), a.iteration()).isLessThanOrEqualTo(2 + 1e-3);
                    assertThat(outside).as("%s at %d", e.getKey(), a.iteration()).isGreaterThan(2 - 1e-3);
                }
            }
        }
        assertThat(lowered).as("the listener lowered some decay").isTrue();
        Map<String, Double> last = listener.history().get(listener.history().size() - 1).decays();
        for (BnLayerRef ref : adapted.bnLayers()) {
            assertThat(adapted.decay(ref)).isEqualTo(last.get(ref.name()));
        }
        listener.restoreConfigured(adapted.model());
        for (BnLayerRef ref : adapted.bnLayers()) {
            assertThat(adapted.decay(ref)).isEqualTo(0.99);
        }
        assertThatThrownBy(() -> listener.restoreConfigured(plain.model())).isInstanceOf(IllegalArgumentException.class);
    }

    private static BnNetwork net(NetworkKind kind) {
        return TinyBnNetworks.twoBlocks(kind, Layout.DENSE, 2, 4, 1, 0.99, VarianceParameterisation.LOG10_STDEV,
                new Adam(1e-2), 5);
    }

    /** The test's own copy of every BN layer's feeding weights after every iteration. */
    private static final class WeightHistory extends BaseTrainingListener {
        private final BnNetwork net;
        private final FeedingWeights feeding;
        private final Map<Long, Map<String, double[]>> byIteration = new HashMap<>();

        WeightHistory(BnNetwork net) {
            this.net = net;
            this.feeding = FeedingWeights.of(net);
            record(0);
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            record(iteration + 1L);
        }

        private void record(long done) {
            Map<String, double[]> m = new HashMap<>();
            for (BnLayerRef ref : net.bnLayers()) {
                m.put(ref.name(), feeding.read(net, ref.name()));
            }
            byIteration.put(done, m);
        }

        double[] at(long iteration, String layer) {
            assertThat(byIteration).containsKey(iteration);
            return byIteration.get(iteration).get(layer);
        }
    }
}
