package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.bndoctor.dl4j.BnNetwork;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Batch-norm decay switches: validation, and DL4J really averaging with the switched decay. */
@Tag("unit")
final class DecaySwitchTest {

    @Test
    void switchesMustBeIncreasingAndInsideTheUnitInterval() {
        assertThat(ScenarioConfig.builder().decaySwitch(1, 0.9).decaySwitch(2, 0.5).build().decaySwitches())
                .extracting(ScenarioConfig.DecaySwitch::iteration).containsExactly(1, 2);
        assertThatThrownBy(() -> ScenarioConfig.builder().decaySwitch(0, 0.9).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("increasing");
        assertThatThrownBy(() -> ScenarioConfig.builder().decaySwitch(5, 0.9).decaySwitch(5, 0.5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 after 5");
        assertThatThrownBy(() -> ScenarioConfig.builder().decaySwitch(5, 1.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> ScenarioConfig.builder().decaySwitch(5, 0.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1)");
    }

    @Test
    void switchIsDueOnlyAtItsIteration() {
        ScenarioConfig c = ScenarioConfig.builder().decaySwitch(3, 0.9).build();
        assertThat(c.decaySwitchAt(2)).isEmpty();
        assertThat(c.decaySwitchAt(3)).hasValue(0.9);
        assertThat(c.decaySwitchAt(4)).isEmpty();
        assertThat(c.toBuilder().noDecaySwitches().build()).isEqualTo(ScenarioConfig.builder().build());
        assertThat(c).isNotEqualTo(ScenarioConfig.builder().build());
    }

    /**
     * After a switch to 0.5 at iteration 1, the first BN's moving mean after one fit is
     * {@code 0.5 m0 + 0.5 mu}, mu being the per-channel mean of its input on that minibatch
     * (computed here by a direct loop over the stem convolution's training-mode activations).
     */
    @Test
    void dl4jAveragesWithTheSwitchedDecay() {
        double decay = 0.5;
        ScenarioConfig c = ScenarioConfig.builder().iterations(1).decaySwitch(1, decay).build();
        ScenarioRun run = ScenarioRun.start(c);
        ComputationGraph g = run.graph();
        // iteration 0 with the preset decay, so the switch is due before iteration 1
        PoseDataGenerator twin = PoseDataGenerator.forConfig(c);
        run.train(1);
        twin.nextBatch(c.batchSize());
        DataSet next = twin.nextBatch(c.batchSize()).dataSet();
        double[] m0 = g.getParam("stem_bn_mean").toDoubleVector();
        Map<String, INDArray> acts = g.feedForward(new INDArray[] {next.getFeatures()}, true, false);
        INDArray x = acts.get("stem_conv").castTo(DataType.DOUBLE);
        run.train(1);

        double[] m1 = g.getParam("stem_bn_mean").toDoubleVector();
        long n = x.size(0);
        long ch = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        for (int k = 0; k < ch; k++) {
            double sum = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        sum += x.getDouble(b, k, i, j);
                    }
                }
            }
            double mu = sum / (n * h * w);
            // float32 sums over 2,048 values of size ~1: relative error well under 1e-4
            assertThat(m1[k]).as("channel %d", k).isCloseTo(decay * m0[k] + (1 - decay) * mu,
                    within(1e-4 * (1 + Math.abs(mu) + Math.abs(m0[k]))));
        }
        assertThat(BnNetwork.of(g).bnLayers()).allSatisfy(l -> assertThat(l.decay()).isEqualTo(decay));
        assertThat(BnNetwork.of(g.clone()).bnLayers()).allSatisfy(l -> assertThat(l.decay()).isEqualTo(decay));
    }

    @Test
    void withoutASwitchTheDecayStays() {
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.builder().iterations(2).build());
        run.train(2);
        assertThat(BnNetwork.of(run.graph()).bnLayers()).allSatisfy(l -> assertThat(l.decay()).isEqualTo(0.997));
    }
}
