package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.L2Regularization;

/** Structure, regularisation placement and output of the scenario network. */
final class MobileNetV2LikeTest {

    static List<String> batchNormVertices(ComputationGraph graph) {
        List<String> names = new ArrayList<>();
        for (GraphVertex v : graph.getVertices()) {
            if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof BatchNormalization) {
                names.add(v.getVertexName());
            }
        }
        return names;
    }

    @Test
    void everyBatchNormIsNamedAndFollowsABiasFreeConvolution() {
        ScenarioConfig config = ScenarioConfig.builder().build();
        ComputationGraph graph = MobileNetV2Like.build(config);
        assertThat(batchNormVertices(graph)).containsExactlyInAnyOrderElementsOf(MobileNetV2Like.batchNormLayerNames());
        assertThat(MobileNetV2Like.batchNormLayerNames()).contains("stem_bn", "b1_expand_bn", "b1_dw_bn", "b1_project_bn");
        for (String bn : MobileNetV2Like.batchNormLayerNames()) {
            String input = graph.getConfiguration().getVertexInputs().get(bn).get(0);
            Layer layer = ((LayerVertex) graph.getConfiguration().getVertices().get(input)).getLayerConf().getLayer();
            assertThat(layer).as(bn).isInstanceOf(ConvolutionLayer.class);
            assertThat(((ConvolutionLayer) layer).hasBias()).as(bn + " input bias").isFalse();
        }
    }

    @Test
    void hasResidualAdds() {
        ComputationGraph graph = MobileNetV2Like.build(ScenarioConfig.builder().build());
        long adds = graph.getConfiguration().getVertices().values().stream()
                .filter(v -> v instanceof ElementWiseVertex).count();
        assertThat(adds).isGreaterThanOrEqualTo(1);
    }

    @Test
    void l2OnlyOnRegularAndHeadConvolutions() {
        ComputationGraph graph = MobileNetV2Like.build(ScenarioConfig.builder().l2(1e-3).build());
        int regularised = 0;
        for (GraphVertex v : graph.getVertices()) {
            if (!v.hasLayer()) {
                continue;
            }
            Layer layer = v.getLayer().conf().getLayer();
            boolean hasL2 = layer instanceof BaseLayer base
                    && base.getRegularization().stream().anyMatch(r -> r instanceof L2Regularization);
            if (layer instanceof DepthwiseConvolution2D || layer instanceof BatchNormalization) {
                assertThat(hasL2).as(v.getVertexName()).isFalse();
            } else if (layer instanceof ConvolutionLayer) {
                assertThat(hasL2).as(v.getVertexName()).isTrue();
                regularised++;
            }
        }
        assertThat(regularised).isGreaterThan(1);
        ComputationGraph none = MobileNetV2Like.build(ScenarioConfig.builder().l2(0).build());
        for (GraphVertex v : none.getVertices()) {
            if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof BaseLayer base) {
                assertThat(base.getRegularization()).as(v.getVertexName()).isEmpty();
            }
        }
    }

    @Test
    void outputIsOneSigmoidHeatmapPerKeypoint() {
        for (int k : new int[] {1, 3}) {
            ScenarioConfig config = ScenarioConfig.builder().keypoints(k).build();
            ComputationGraph graph = MobileNetV2Like.build(config);
            INDArray x = PoseDataGenerator.forConfig(config).nextBatch(4).dataSet().getFeatures();
            INDArray out = graph.outputSingle(false, x);
            assertThat(out.shape()).containsExactly(4, k, ScenarioConfig.HEATMAP_SIZE, ScenarioConfig.HEATMAP_SIZE);
            assertThat(out.minNumber().doubleValue()).isGreaterThan(0.0);
            assertThat(out.maxNumber().doubleValue()).isLessThan(1.0);
        }
    }

    @Test
    void sameSeedGivesSameInitialWeights() {
        ScenarioConfig config = ScenarioConfig.builder().seed(4).build();
        assertThat(MobileNetV2Like.build(config).params()).isEqualTo(MobileNetV2Like.build(config).params());
        assertThat(MobileNetV2Like.build(config.withSeed(5)).params()).isNotEqualTo(MobileNetV2Like.build(config).params());
    }
}
