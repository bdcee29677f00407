package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.FeedingWeights;
import io.github.bndoctor.probe.RotationTracker;
import io.github.bndoctor.probe.WeightSnapshotRing;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AdaptiveDecay} at its defaults on real training (the seed scenario), checked at every
 * iteration against the decision recomputed by the straightforward route: the test's own float copies
 * of the feeding weights every {@code s} iterations, every angle to them from
 * {@link RotationTracker#angleDegrees(double[], double[])}, the array form of
 * {@link AdaptiveDecay#decayFor(long[], double[], double, double, double)} and the upstream minimum
 * taken by hand. The decay in force in each BN layer's configuration after the listener ran must have
 * the reference's bits, and the listener's history must hold the same decays.
 */
@Tag("unit")
class AdaptiveDecayReferenceTest {
    private static final int ITERATIONS = 300;

    @Test
    void everyAdaptedDecayHasTheBitsOfTheStraightforwardRoute() {
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.seedCollapse());
        AdaptiveDecay listener = AdaptiveDecay.builder().build();
        Reference reference = new Reference(BnNetwork.of(run.graph()), listener);
        // DL4J calls the listeners in the order added: the reference sees the decays the listener just set
        run.graph().addListeners(listener, reference);
        run.train(ITERATIONS);

        assertThat(reference.checked).isEqualTo((long) ITERATIONS * reference.layers.size());
        assertThat(reference.mismatches).as("iteration, layer, listener's decay, reference's").isEmpty();
        assertThat(reference.lowered).as("decays below the configured one (not vacuous)")
                .isGreaterThan(ITERATIONS);
        assertThat(reference.limitedByUpstream).as("decays set by an upstream layer (not vacuous)").isPositive();
        List<AdaptiveDecay.Adaptation> history = listener.history();
        assertThat(history).hasSize(ITERATIONS);
        for (int i = 0; i < ITERATIONS; i++) {
            assertThat(history.get(i).iteration()).isEqualTo(i + 1L);
            assertThat(history.get(i).decays()).isEqualTo(reference.expected.get(i));
        }
    }

    /** Recomputes every adaptation the slow way and compares it with the decays in force. */
    private static final class Reference extends BaseTrainingListener {
        final BnNetwork net;
        final List<BnLayerRef> layers;
        final FeedingWeights feeding;
        final int every = WeightSnapshotRing.DEFAULT_EVERY;
        final int capacity;
        /** Per layer, snapshots youngest first: iteration and float weights. */
        final Map<String, ArrayDeque<Object[]>> snapshots = new HashMap<>();
        final List<Map<String, Double>> expected = new ArrayList<>();
        final List<String> mismatches = new ArrayList<>();
        final Map<String, Double> configured;
        long lastSnapshot = -1;
        long checked;
        long lowered;
        long limitedByUpstream;

        Reference(BnNetwork net, AdaptiveDecay listener) {
            this.net = net;
            this.layers = net.bnLayers();
            this.feeding = FeedingWeights.of(net);
            this.configured = new HashMap<>();
            double slowest = 0;
            for (BnLayerRef ref : layers) {
                configured.put(ref.name(), ref.decay());
                slowest = Math.max(slowest, ref.decay());
                snapshots.put(ref.name(), new ArrayDeque<>());
            }
            // as many snapshots as reach back the slowest EMA's mean age d/(1-d), plus one
            this.capacity = (int) Math.ceil(slowest / (1 - slowest) / every - 1e-9) + 1;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            long done = iteration + 1L;
            if (lastSnapshot < 0 || done - lastSnapshot >= every) {
                lastSnapshot = done;
                for (BnLayerRef ref : layers) {
                    double[] w = feeding.read(net, ref.name());
                    float[] f = new float[w.length];
                    for (int i = 0; i < w.length; i++) {
                        f[i] = (float) w[i];
                    }
                    ArrayDeque<Object[]> ring = snapshots.get(ref.name());
                    ring.addFirst(new Object[] {done, f});
                    if (ring.size() > capacity) {
                        ring.removeLast();
                    }
                }
            }
            Map<String, Double> own = new HashMap<>();
            for (BnLayerRef ref : layers) {
                double[] now = feeding.read(net, ref.name());
                ArrayDeque<Object[]> ring = snapshots.get(ref.name());
                long[] ages = new long[ring.size()];
                double[] angles = new double[ring.size()];
                Iterator<Object[]> it = ring.iterator();
                for (int k = 0; k < ages.length; k++) {
                    Object[] s = it.next();
                    ages[k] = done - (Long) s[0];
                    float[] f = (float[]) s[1];
                    double[] widened = new double[f.length];
                    for (int i = 0; i < f.length; i++) {
                        widened[i] = f[i];
                    }
                    angles[k] = RotationTracker.angleDegrees(now, widened);
                }
                own.put(ref.name(), AdaptiveDecay.decayFor(ages, angles, AdaptiveDecay.DEFAULT_BUDGET_DEG,
                        AdaptiveDecay.DEFAULT_MIN_DECAY, configured.get(ref.name())));
            }
            Map<String, Double> set = new java.util.LinkedHashMap<>();
            for (BnLayerRef ref : layers) {
                double conf = configured.get(ref.name());
                double d = own.get(ref.name());
                for (String up : net.upstreamBnLayers(ref)) {
                    d = Math.min(d, own.get(up));
                }
                d = conf >= 1 ? conf : Math.max(Math.min(AdaptiveDecay.DEFAULT_MIN_DECAY, conf), d);
                set.put(ref.name(), d);
                double live = net.decay(ref);
                checked++;
                if (Double.doubleToRawLongBits(live) != Double.doubleToRawLongBits(d)) {
                    mismatches.add(done + " " + ref.name() + " " + live + " " + d);
                }
                if (d < conf) {
                    lowered++;
                }
                if (d < own.get(ref.name())) {
                    limitedByUpstream++;
                }
            }
            expected.add(set);
        }
    }
}
