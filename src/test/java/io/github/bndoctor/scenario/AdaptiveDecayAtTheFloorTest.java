package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LagAtFloor;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.NoiseCost;
import io.github.bndoctor.probe.NoiseLimit;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.stats.Median;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adaptive decay at its floor, on real DL4J runs.
 *
 * <p>A graph with BN after a concatenation and after an element-wise sum
 * ({@link NetworkFamily#BN_AFTER_MERGE}: Adam 3e-3, batch 8, warm-started) with {@link AdaptiveDecay}
 * at its defaults: the BN layer after the sum of two stride-2 convolutions is held at the floor, where
 * the weights feeding it still turn more than the budget in one iteration, measured here directly from
 * the two convolutions' raw weights; {@link LagAtFloor} names it and not the stem, whose window the
 * budget leaves longer.
 *
 * <p>A dense network at batch 32 ({@link NetworkFamily#DENSE_MLP}) with every layer pinned at the floor
 * (a budget of a thousandth of a degree): a probe of two training batches cannot measure the noise
 * cost, and the report says so; one of four can, and nothing is said.
 */
@Tag("unit")
class AdaptiveDecayAtTheFloorTest {
    private static final String[] SUM_INPUTS = {"b1", "b2"};

    @Test
    void theLayerAfterTheSumLagsEvenAtTheShortestWindowAndIsNamed() {
        FamilyConfig c = NetworkFamily.BN_AFTER_MERGE.recipe(1).toBuilder().warmStart(true).iterations(300)
                .checkpointEvery(50).build();
        Map<Long, Double> direct = new LinkedHashMap<>();
        AdaptiveDecay adaptive = AdaptiveDecay.builder().build();
        MonitoredFamily.Result r = MonitoredFamily.run(c, List.of(adaptive, sumRotation(c.checkpointEvery(), direct)));

        List<Double> atFloor = new ArrayList<>();
        List<Double> rotations = new ArrayList<>();
        int sumNear = 0;
        int scheduled = 0;
        for (Checkpoint cp : r.checkpoints()) {
            if (cp.iteration() % c.checkpointEvery() != 0) {
                continue; // a confirming checkpoint: its rotation spans more than one iteration
            }
            scheduled++;
            LayerCheckpoint sum = cp.layers().stream().filter(l -> l.name().equals("sum_bn")).findFirst().orElseThrow();
            // the monitor's rotation against the angle between the raw weights of the iteration before and this one
            // (float weights read as doubles either way; 1e-6 degrees covers the two sums' rounding order)
            assertThat(sum.rotationDegPerIter()).as("rotation at %d", cp.iteration())
                    .isCloseTo(direct.get(cp.iteration()), org.assertj.core.api.Assertions.within(1e-6));
            if (sum.decay() <= NoiseCost.NEAR_FLOOR_DECAY) {
                sumNear++;
                rotations.add(direct.get(cp.iteration()));
            }
            atFloor.add(sum.decay());
        }
        assertThat(sumNear).as("sum_bn near the floor at half the checkpoints or more").isGreaterThanOrEqualTo((scheduled + 1) / 2);
        double median = Median.of(rotations.stream().mapToDouble(Double::doubleValue).toArray());
        // the physical claim: at the floor (mean age one iteration) the weights still turn more than the budget
        assertThat(median).isGreaterThan(AdaptiveDecay.DEFAULT_BUDGET_DEG);
        // the listener's own history: the sum's decay at the floor most of the time
        double[] history = adaptive.history().stream().mapToDouble(a -> a.decays().get("sum_bn")).toArray();
        assertThat(Median.of(history)).isEqualTo(AdaptiveDecay.DEFAULT_MIN_DECAY);

        List<LagAtFloor> named = LagAtFloor.layers(r.checkpoints(), AdaptiveDecay.DEFAULT_BUDGET_DEG);
        assertThat(named).extracting(LagAtFloor::layer).contains("sum_bn").doesNotContain("stem_bn");
        // nothing in this short run needed a remedy (eval/precise <= 1.5), so the report names nothing yet
        boolean needed = r.checkpoints().stream().anyMatch(x -> x.gap().evalToPreciseRatio() > NoiseLimit.EVAL_PRECISE_BOUND);
        assertThat(LagAtFloor.of(r.checkpoints(), AdaptiveDecay.DEFAULT_BUDGET_DEG)).hasSize(needed ? named.size() : 0);
    }

    /** At each scheduled checkpoint: the angle, degrees, between the sum's feeding weights one iteration before and now. */
    private static BaseTrainingListener sumRotation(int every, Map<Long, Double> into) {
        return new BaseTrainingListener() {
            private double[] before;

            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                long done = iteration + 1L;
                if (done % every == every - 1) {
                    before = weights((ComputationGraph) model);
                } else if (done % every == 0 && before != null) {
                    double[] now = weights((ComputationGraph) model);
                    double dot = 0;
                    double a = 0;
                    double b = 0;
                    for (int i = 0; i < now.length; i++) {
                        dot += now[i] * before[i];
                        a += now[i] * now[i];
                        b += before[i] * before[i];
                    }
                    into.put(done, Math.toDegrees(Math.acos(Math.min(1, dot / Math.sqrt(a * b)))));
                }
            }
        };
    }

    private static double[] weights(ComputationGraph g) {
        List<double[]> parts = new ArrayList<>();
        int n = 0;
        for (String layer : SUM_INPUTS) {
            double[] w = g.getLayer(layer).getParam("W").castTo(DataType.DOUBLE).dup('c').data().asDouble();
            parts.add(w);
            n += w.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void aProbeOfTwoTrainingBatchesCannotMeasureTheNoiseCostAndTheReportSaysSo() {
        FamilyConfig c = NetworkFamily.DENSE_MLP.recipe(1).toBuilder().warmStart(true).iterations(100)
                .checkpointEvery(50).build();
        AdaptiveDecay pinned = AdaptiveDecay.builder().budgetDegrees(1e-3).build();
        MonitoredFamily.Result small = MonitoredFamily.run(c, 2 * c.batchSize(), List.of(), List.of(pinned));
        assertThat(small.probePerTrainingBatch()).isEqualTo(2.0);
        List<String> near = new ArrayList<>();
        for (Checkpoint cp : small.checkpoints()) {
            for (LayerCheckpoint l : cp.layers()) {
                assertThat(l.noiseCost()).as("%s at %d", l.name(), cp.iteration()).isNaN();
                if (l.decay() <= NoiseCost.NEAR_FLOOR_DECAY && !near.contains(l.name())) {
                    near.add(l.name());
                }
            }
        }
        assertThat(near).as("layers pinned near the floor").hasSize(2);
        List<String> rec = ReportAssembler.summary(ReportAssembler.Run.of("mlp", Map.of(), small.checkpoints(),
                small.alarms(), 0.5).withProbePerTrainingBatch(small.probePerTrainingBatch())).recommendations();
        assertThat(rec).filteredOn(s -> s.contains("was not measured")).singleElement().asString()
                .contains("'" + near.get(0) + "'", "'" + near.get(1) + "'", "holds 2 training batches", "needs 4");

        AdaptiveDecay pinned4 = AdaptiveDecay.builder().budgetDegrees(1e-3).build();
        MonitoredFamily.Result enough = MonitoredFamily.run(c, 4 * c.batchSize(), List.of(), List.of(pinned4));
        assertThat(enough.checkpoints()).flatMap(Checkpoint::layers)
                .filteredOn(l -> l.decay() <= NoiseCost.NEAR_FLOOR_DECAY).isNotEmpty()
                .allMatch(l -> Double.isFinite(l.noiseCost()));
        assertThat(NoiseLimit.unmeasured(enough.checkpoints(), enough.probePerTrainingBatch())).isEmpty();
    }
}
