package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Training iterations, checkpoints, warm start and probe losses of a scenario run. */
final class ScenarioRunTest {

    private static INDArray movingLog10Std(ComputationGraph graph, String bn) {
        return graph.getLayer(bn).getParam("log10stdev").dup();
    }

    @Test
    void oneIterationUpdatesWeightsAndMovingStatistics() {
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.builder().warmStartSamples(0).build());
        INDArray before = run.graph().params().dup();
        INDArray statsBefore = movingLog10Std(run.graph(), "b2_dw_bn");
        run.train(1);
        assertThat(run.iteration()).isEqualTo(1);
        assertThat(run.graph().params()).isNotEqualTo(before);
        assertThat(movingLog10Std(run.graph(), "b2_dw_bn")).isNotEqualTo(statsBefore);
        assertThat(Double.isFinite(run.graph().score())).isTrue();
    }

    @Test
    void checkpointsAtZeroAndEveryInterval() {
        ScenarioConfig config = ScenarioConfig.builder().warmStartSamples(0).iterations(5).checkpointEvery(2).build();
        ScenarioRun run = ScenarioRun.start(config);
        List<Integer> seen = new ArrayList<>();
        run.run((iteration, graph) -> seen.add(iteration));
        assertThat(seen).containsExactly(0, 2, 4);
        assertThat(run.iteration()).isEqualTo(5);
    }

    @Test
    void withoutWarmStartMovingStatisticsAreDl4jDefaults() {
        ScenarioRun run = ScenarioRun.start(ScenarioConfig.builder().warmStartSamples(0).build());
        for (String bn : MobileNetV2Like.batchNormLayerNames()) {
            assertThat(run.graph().getLayer(bn).getParam("mean").sumNumber().doubleValue()).isZero();
            assertThat(run.graph().getLayer(bn).getParam("log10stdev").sumNumber().doubleValue()).isZero();
        }
    }

    @Test
    void warmStartMakesInferenceModeMatchTrainingModeAtIterationZero() {
        ScenarioConfig warm = ScenarioConfig.builder().warmStartSamples(200).build();
        ScenarioConfig cold = warm.toBuilder().warmStartSamples(0).build();
        DataSet probe = PoseDataGenerator.forConfig(warm).probeSet(32).dataSet();

        ComputationGraph warmGraph = ScenarioRun.start(warm).graph();
        double warmRatio = ProbeLoss.inferenceMode(warmGraph, probe) / ProbeLoss.trainingMode(warmGraph, probe, 8);
        ComputationGraph coldGraph = ScenarioRun.start(cold).graph();
        double coldTrain = ProbeLoss.trainingMode(coldGraph, probe, 8);
        double coldEval = ProbeLoss.inferenceMode(coldGraph, probe);

        assertThat(warmRatio).isBetween(0.9, 1.1);
        // same weights (same seed) so the training-mode loss does not depend on the moving statistics
        assertThat(ProbeLoss.trainingMode(warmGraph, probe, 8)).isCloseTo(coldTrain, Percentage.withPercentage(1e-3));
        // cold moving variance 1 against small initial activations: inference output is far off
        assertThat(Math.abs(coldEval / coldTrain - 1.0)).isGreaterThan(Math.abs(warmRatio - 1.0));
    }

    @Test
    void allZerosLevelIsTheMeanSquaredLabel() {
        DataSet probe = PoseDataGenerator.forConfig(ScenarioConfig.builder().build()).probeSet(8).dataSet();
        INDArray y = probe.getLabels();
        double expected = y.mul(y).meanNumber().doubleValue();
        assertThat(ProbeLoss.allZerosLevel(probe)).isCloseTo(expected, Offset.offset(1e-6));
    }
}
