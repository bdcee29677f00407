package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.scenario.ShapeImages.Task;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Every family of the corpus builds, trains a few real DL4J iterations (warm-started, so the warm
 * start is exercised too) and is seen by {@link BnNetwork} with the BN layers its documentation
 * lists; the data generator's shapes and labels; the tuning/held-out split.
 */
class NetworkFamilyTest {
    /** BN layers per family, counted from each family's documented layout (not from the built network). */
    private static final Map<NetworkFamily, Integer> BN_LAYERS = Map.of(
            NetworkFamily.PLAIN_CNN, 4, NetworkFamily.DENSE_HEAD_CNN, 3, NetworkFamily.DEPTHWISE_SEPARABLE, 5,
            NetworkFamily.RESIDUAL, 5, NetworkFamily.BN_AFTER_POOL, 2, NetworkFamily.BN_AFTER_MERGE, 3,
            NetworkFamily.NHWC_CNN, 3, NetworkFamily.CLASSIFIER, 3, NetworkFamily.RMSPROP_CNN, 2,
            NetworkFamily.DENSE_MLP, 2);

    @ParameterizedTest
    @EnumSource(NetworkFamily.class)
    void everyFamilyBuildsTrainsAndShowsItsBnLayers(NetworkFamily family) {
        FamilyConfig c = family.recipe(3).toBuilder().warmStart(true).build();
        FamilyRun run = FamilyRun.start(c);
        Model model = run.model();
        assertThat(model).isInstanceOf(family.isGraph() ? ComputationGraph.class : MultiLayerNetwork.class);
        BnNetwork net = BnNetwork.of(model);
        assertThat(net.bnLayers()).as("BN layers of %s", family).hasSize(BN_LAYERS.get(family));
        INDArray before = model.params().dup();

        run.train(3);

        assertThat(run.iteration()).isEqualTo(3);
        assertThat(model.params().equalsWithEps(before, 0)).as("parameters moved").isFalse();
        DataSet probe = run.samples().probe(MonitoredFamily.PROBE_SIZE);
        INDArray out = model instanceof MultiLayerNetwork m ? m.output(probe.getFeatures(), false)
                : ((ComputationGraph) model).outputSingle(false, probe.getFeatures());
        assertThat(out.shape()).containsExactly(MonitoredFamily.PROBE_SIZE, family.task().outputs());
        assertThat(out.isInfinite().any() || out.isNaN().any()).isFalse();
    }

    @Test
    void bothNetworkTypesLayoutsAndTasksAreCovered() {
        assertThat(Arrays.stream(NetworkFamily.values()).filter(NetworkFamily::isGraph)).hasSizeGreaterThanOrEqualTo(3);
        assertThat(Arrays.stream(NetworkFamily.values()).filter(f -> !f.isGraph())).hasSizeGreaterThanOrEqualTo(3);
        assertThat(Arrays.stream(NetworkFamily.values()).filter(NetworkFamily::nhwc)).isNotEmpty();
        assertThat(Arrays.stream(NetworkFamily.values()).filter(f -> f.task() == Task.CLASSIFICATION)).isNotEmpty();
        assertThat(FamilyCorpus.HELD_OUT).doesNotContainAnyElementsOf(FamilyCorpus.TUNING)
                .hasSize(NetworkFamily.values().length - FamilyCorpus.TUNING.size());
    }

    @Test
    void imagesHaveTheLayoutAndLabelsOfTheirTask() {
        DataSet reg = new ShapeImages(5, Task.REGRESSION, false).trainingBatch(6);
        assertThat(reg.getFeatures().shape()).containsExactly(6, 1, ShapeImages.SIDE, ShapeImages.SIDE);
        assertThat(reg.getLabels().shape()).containsExactly(6, 2);
        // centres lie at least the margin inside the 32-pixel image, scaled by 31
        double lo = PoseDataGenerator.MARGIN / 31;
        assertThat(reg.getLabels().minNumber().doubleValue()).isGreaterThanOrEqualTo(lo);
        assertThat(reg.getLabels().maxNumber().doubleValue()).isLessThanOrEqualTo(1 - lo);

        DataSet cls = new ShapeImages(5, Task.CLASSIFICATION, true).trainingBatch(6);
        assertThat(cls.getFeatures().shape()).containsExactly(6, ShapeImages.SIDE, ShapeImages.SIDE, 1);
        assertThat(cls.getLabels().sum(1).toDoubleVector()).containsOnly(1.0);
        assertThat(cls.getLabels().maxNumber().doubleValue()).isEqualTo(1.0);
    }

    @Test
    void probeSetDoesNotDependOnTheTrainingStream() {
        ShapeImages a = new ShapeImages(9, Task.REGRESSION, false);
        ShapeImages b = new ShapeImages(9, Task.REGRESSION, false);
        a.trainingBatch(16);
        assertThat(a.probe(8).getFeatures()).isEqualTo(b.probe(8).getFeatures());
        assertThat(a.trainingBatch(8).getFeatures()).isNotEqualTo(b.trainingBatch(8).getFeatures());
    }

    @Test
    void configurationChecksItsFieldsAtTheBoundary() {
        FamilyConfig c = NetworkFamily.PLAIN_CNN.recipe(1);
        assertThat(c.toBuilder().batchSize(2).build().batchSize()).isEqualTo(2);
        assertThatThrownBy(() -> c.toBuilder().batchSize(1).build()).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> c.toBuilder().decay(1).build()).hasMessageContaining("decay");
        assertThat(c.toBuilder().decay(0.999).build().window()).isEqualTo(1000);
        assertThat(c.toBuilder().decay(0.997).build().meanAge()).isEqualTo(332);
        assertThatThrownBy(() -> NetworkFamily.RESIDUAL.build(c)).hasMessageContaining("PLAIN_CNN");
    }
}
