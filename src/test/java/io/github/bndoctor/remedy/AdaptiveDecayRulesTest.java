package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link AdaptiveDecay}'s rule at its edges on hand-made angle profiles (expected decays worked out
 * by hand from the linear interpolation {@code A = a0 + (B - t0)(a1 - a0)/(t1 - t0)} and
 * {@code d = A/(A+1)}), its settings read back at their limits, and its binding to a network with a
 * frozen layer and then to another network.
 */
@Tag("unit")
class AdaptiveDecayRulesTest {
    /** Interpolation and A/(A+1): a few roundings of values near 1, 1e-15 is ample. */
    private static final double TOL = 1e-15;

    @Test
    void aCrossingBeyondTheMeanAgeKeepsTheConfiguredDecay() {
        long[] ages = {5, 10, 20};
        double[] angles = {1, 2, 3};
        // budget 2.5 is crossed between ages 10 and 20 at A = 10 + 0.5 * 10 / 1 = 15
        // configured 0.9: mean age 9 < 15, keep 0.9; configured 0.99: mean age 99 > 15, A/(A+1) = 15/16
        assertThat(AdaptiveDecay.decayFor(ages, angles, 2.5, 0.5, 0.9)).isEqualTo(0.9);
        assertThat(AdaptiveDecay.decayFor(ages, angles, 2.5, 0.5, 0.99)).isCloseTo(15.0 / 16, within(TOL));
        // a frozen layer (decay 1) stays frozen whatever its angles: the user chose fixed statistics
        assertThat(AdaptiveDecay.decayFor(ages, angles, 2.5, 0.5, 1.0)).isEqualTo(1.0);
        assertThat(AdaptiveDecay.decayFor(new long[] {1, 10}, new double[] {40, 90}, 2, 0.9, 1.0)).isEqualTo(1.0);
        // just below 1 the layer adapts: mean age 1e6 - 1 > 15, so 15/16
        assertThat(AdaptiveDecay.decayFor(ages, angles, 2.5, 0.5, 1 - 1e-6)).isCloseTo(15.0 / 16, within(TOL));
    }

    @Test
    void snapshotsOfAgeZeroOrLessAreSkipped() {
        // the current weights (age 0) and a bad negative age say nothing about the lag, whatever their angle
        assertThat(AdaptiveDecay.decayFor(new long[] {0, 10}, new double[] {5, 1}, 2, 0.5, 0.99)).isEqualTo(0.99);
        assertThat(AdaptiveDecay.decayFor(new long[] {-1, 10}, new double[] {5, 1}, 2, 0.5, 0.99)).isEqualTo(0.99);
        // age 1 is used: angle 4 > budget 2 at age 1, A = 0 + 2 * 1 / 4 = 0.5, 0.5/1.5 = 1/3, floored at 0.5
        assertThat(AdaptiveDecay.decayFor(new long[] {1, 10}, new double[] {4, 1}, 2, 0.5, 0.99)).isEqualTo(0.5);
    }

    @Test
    void anAngleExactlyAtTheBudgetIsWithinIt() {
        // at, below and above the budget of 2 at age 10, nothing older
        assertThat(AdaptiveDecay.decayFor(new long[] {10}, new double[] {2}, 2, 0.5, 0.99)).isEqualTo(0.99);
        assertThat(AdaptiveDecay.decayFor(new long[] {10}, new double[] {1.999}, 2, 0.5, 0.99)).isEqualTo(0.99);
        // above: A = 10 * 2 / 2.5 = 8, 8/9
        assertThat(AdaptiveDecay.decayFor(new long[] {10}, new double[] {2.5}, 2, 0.5, 0.99))
                .isCloseTo(8.0 / 9, within(TOL));
        assertThatThrownBy(() -> AdaptiveDecay.decayFor(new long[] {10}, new double[] {1, 2}, 2, 0.5, 0.99))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 vs 2");
    }

    @Test
    void settingsAreReadBackAtTheirLimits() {
        AdaptiveDecay d = AdaptiveDecay.builder().every(1).snapshotEvery(1).budgetDegrees(0.25).minDecay(0.5).build();
        assertThat(d.every()).isEqualTo(1);
        assertThat(d.budgetDegrees()).isEqualTo(0.25);
        assertThat(d.minDecay()).isEqualTo(0.5);
        AdaptiveDecay defaults = AdaptiveDecay.builder().build();
        assertThat(defaults.every()).isEqualTo(1);
        assertThat(defaults.budgetDegrees()).isEqualTo(0.5);
        assertThat(defaults.minDecay()).isEqualTo(0.5);
        assertThat(defaults.followsUpstream()).isTrue();
        assertThat(AdaptiveDecay.DEFAULT_HISTORY).isEqualTo(4096);
        assertThatThrownBy(() -> AdaptiveDecay.builder().history(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("history capacity must be >= 1, got 0");
        AdaptiveDecay.builder().history(1);
        assertThat(AdaptiveDecay.builder().followUpstream(false).build().followsUpstream()).isFalse();
        assertThat(AdaptiveDecay.builder().minDecay(0.999).build().minDecay()).isEqualTo(0.999);
        assertThat(AdaptiveDecay.builder().minDecay(1e-9).build().minDecay()).isEqualTo(1e-9);
    }

    @Test
    void aLayerAveragesNoLongerThanItsUpstreamLayersAllow() {
        // a -> b -> c in a chain, d on a parallel branch fed by a only
        Map<String, Set<String>> upstream = new LinkedHashMap<>();
        upstream.put("a", Set.of());
        upstream.put("b", Set.of("a"));
        upstream.put("c", Set.of("a", "b"));
        upstream.put("d", Set.of("a"));
        Map<String, Double> own = new LinkedHashMap<>();
        own.put("a", 0.99);
        own.put("b", 0.7);
        own.put("c", 0.95);
        own.put("d", 0.98);
        Map<String, Double> configured = Map.of("a", 0.997, "b", 0.997, "c", 0.997, "d", 0.997);
        // c takes b's 0.7 (b is upstream); d only a's 0.99 limit, above its own 0.98; b its own
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, configured, 0.5))
                .containsExactly(Map.entry("a", 0.99), Map.entry("b", 0.7), Map.entry("c", 0.7), Map.entry("d", 0.98));
        // an upstream layer below the floor (configured 0.3 there) is followed only down to the floor
        own.put("a", 0.3);
        Map<String, Double> low = new LinkedHashMap<>(configured);
        low.put("a", 0.3);
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, low, 0.5))
                .containsExactly(Map.entry("a", 0.3), Map.entry("b", 0.5), Map.entry("c", 0.5), Map.entry("d", 0.5));
        // ... and down to a layer's own configured decay where that is below the floor: at, below, above
        low.put("d", 0.4);
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, low, 0.5).get("d")).isEqualTo(0.4);
        own.put("a", 0.45);
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, low, 0.5).get("d")).isEqualTo(0.45);
        own.put("a", 0.4);
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, low, 0.5).get("d")).isEqualTo(0.4);
    }

    @Test
    void aFrozenLayerNeitherMovesNorLimits() {
        Map<String, Set<String>> upstream = Map.of("a", Set.of(), "b", Set.of("a"));
        Map<String, Double> own = new LinkedHashMap<>();
        own.put("a", 1.0);
        own.put("b", 0.9);
        // a frozen (configured 1) upstream layer: b keeps its own decay
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, Map.of("a", 1.0, "b", 0.997), 0.5))
                .containsExactly(Map.entry("a", 1.0), Map.entry("b", 0.9));
        // a frozen downstream layer stays frozen below a fast upstream layer
        own.put("a", 0.6);
        own.put("b", 1.0);
        assertThat(AdaptiveDecay.limitByUpstream(own, upstream, Map.of("a", 0.997, "b", 1.0), 0.5))
                .containsExactly(Map.entry("a", 0.6), Map.entry("b", 1.0));
    }

    private static BnNetwork net(NetworkKind kind, double decay) {
        return TinyBnNetworks.twoBlocks(kind, Layout.DENSE, 2, 4, 1, decay, VarianceParameterisation.LOG10_STDEV,
                new Adam(1e-2), 5);
    }

    private static void fit(BnNetwork net, int steps) {
        for (INDArray[] x : ProbeFixtures.batches(Layout.DENSE, steps, 5L)) {
            net.fit(new DataSet(x[0], ProbeFixtures.labels(x[0], 5L)));
        }
    }

    @Test
    void theHistoryKeepsTheLatestAdaptationsOnly() {
        BnNetwork net = net(NetworkKind.MULTI_LAYER, 0.99);
        int cap = 3;
        AdaptiveDecay listener = AdaptiveDecay.builder().every(1).history(cap).build();
        net.model().addListeners(listener);
        INDArray x = ProbeFixtures.batches(Layout.DENSE, 1, 5L).get(0)[0];
        DataSet batch = new DataSet(x, ProbeFixtures.labels(x, 5L));
        for (int i = 0; i < cap - 1; i++) {
            net.fit(batch);
        }
        // below the capacity: all of them
        assertThat(listener.history()).hasSize(cap - 1).first().extracting(AdaptiveDecay.Adaptation::iteration)
                .isEqualTo(1L);
        net.fit(batch);
        // at it: still all
        assertThat(listener.history()).hasSize(cap).first().extracting(AdaptiveDecay.Adaptation::iteration)
                .isEqualTo(1L);
        net.fit(batch);
        // above: the oldest dropped, the newest kept
        assertThat(listener.history()).hasSize(cap);
        assertThat(listener.history().get(0).iteration()).isEqualTo(2L);
        assertThat(listener.history().get(cap - 1).iteration()).isEqualTo(cap + 1L);
    }

    @Test
    void aFrozenLayerIsKeptAndAnotherNetworkIsBoundAfresh() {
        BnNetwork first = net(NetworkKind.MULTI_LAYER, 0.95);
        BnLayerRef frozen = first.bnLayers().get(1);
        first.setDecay(frozen, 1);
        AdaptiveDecay listener = AdaptiveDecay.builder().every(2).snapshotEvery(1).build();
        first.model().addListeners(listener);
        fit(first, 4);
        assertThat(listener.configuredDecays()).containsEntry(first.bnLayers().get(0).name(), 0.95)
                .containsEntry(frozen.name(), 1.0).hasSize(2);
        // the ring is sized by the layers that move: binding with a frozen layer works and adapts
        assertThat(listener.history()).extracting(AdaptiveDecay.Adaptation::iteration).containsExactly(2L, 4L);
        // and the frozen layer stays frozen: decay 1 in every adaptation and in the network
        assertThat(listener.history()).allSatisfy(a -> assertThat(a.decays()).containsEntry(frozen.name(), 1.0));
        assertThat(first.decay(frozen)).isEqualTo(1.0);

        BnNetwork second = net(NetworkKind.GRAPH, 0.97);
        second.model().addListeners(listener);
        fit(second, 2);
        // only the second network's layers, with their own configured decay
        assertThat(listener.configuredDecays()).hasSize(2).allSatisfy((name, d) -> assertThat(d).isEqualTo(0.97));
        assertThat(listener.configuredDecays().keySet()).doesNotContain(first.bnLayers().get(0).name());
    }

    /** Decays 0.9-0.999 over random angle profiles: the lazy reading gives the array form's result bit for bit. */
    @Test
    void lazyAnglesGiveTheSameDecayAndStopAtTheCrossingOrTheMeanAge() {
        java.util.Random random = new java.util.Random(5);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + random.nextInt(60);
            long[] ages = new long[n];
            double[] angles = new double[n];
            long age = random.nextInt(3) - 1; // a first age of -1 or 0 is skipped, as the ring's can be
            double angle = 0;
            for (int k = 0; k < n; k++) {
                ages[k] = age;
                angle += random.nextDouble() * (random.nextBoolean() ? 0.3 : -0.05);
                angles[k] = random.nextInt(200) == 0 ? Double.NaN : Math.max(0, angle);
                age += 1 + random.nextInt(20);
            }
            double configured = new double[] {0.9, 0.99, 0.997, 0.999}[random.nextInt(4)];
            double budget = 0.5 + 3 * random.nextDouble();
            int[] reads = {-1};
            double lazy = AdaptiveDecay.decayFor(ages, k -> {
                reads[0] = Math.max(reads[0], k);
                return angles[k];
            }, budget, 0.5, configured);
            assertThat(lazy).as("trial %d", trial).isEqualTo(AdaptiveDecay.decayFor(ages, angles, budget, 0.5, configured));
            // nothing read past the first angle over the budget (or unknown), nor past the first age >= the mean age
            double meanAge = configured / (1 - configured);
            int last = n - 1;
            for (int k = 0; k < n; k++) {
                if (ages[k] > 0 && (angles[k] > budget || Double.isNaN(angles[k]) || ages[k] >= meanAge)) {
                    last = k;
                    break;
                }
            }
            assertThat(reads[0]).as("trial %d", trial).isLessThanOrEqualTo(last);
        }
    }
}
