package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import java.util.List;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** The scenario kinds: structure of the two further networks, their data, and the shared wiring. */
final class ScenarioKindTest {

    private static ScenarioConfig small(ScenarioKind kind) {
        return ScenarioConfig.builder().kind(kind).batchSize(4).warmStartSamples(8).iterations(3).build();
    }

    private static Layer layerOf(ComputationGraph graph, String vertex) {
        return ((LayerVertex) graph.getConfiguration().getVertices().get(vertex)).getLayerConf().getLayer();
    }

    private static void assertBiasFreeInputs(ComputationGraph graph, List<String> bnNames) {
        assertThat(MobileNetV2LikeTest.batchNormVertices(graph)).containsExactlyInAnyOrderElementsOf(bnNames);
        for (String bn : bnNames) {
            Layer in = layerOf(graph, graph.getConfiguration().getVertexInputs().get(bn).get(0));
            if (in instanceof ConvolutionLayer conv) {
                assertThat(conv.hasBias()).as(bn + " input bias").isFalse();
            } else {
                assertThat(in).as(bn).isInstanceOf(DenseLayer.class);
                assertThat(((DenseLayer) in).hasBias()).as(bn + " input bias").isFalse();
            }
        }
    }

    @Test
    void resNetHasSixBatchNormsAfterBiasFreeConvolutionsAndIdentityShortcuts() {
        ComputationGraph graph = ResNetLike.build(small(ScenarioKind.POSE_RESNET));
        assertThat(ResNetLike.batchNormLayerNames()).hasSize(6);
        assertBiasFreeInputs(graph, ResNetLike.batchNormLayerNames());
        for (int i = 1; i <= 2; i++) {
            String add = "r" + i + "_add";
            assertThat(graph.getConfiguration().getVertices().get(add)).isInstanceOf(ElementWiseVertex.class);
            List<String> in = graph.getConfiguration().getVertexInputs().get(add);
            // the shortcut is the block's own input: the vertex feeding rN_a_conv
            String blockInput = graph.getConfiguration().getVertexInputs().get("r" + i + "_a_conv").get(0);
            assertThat(in).containsExactly("r" + i + "_b_bn", blockInput);
            assertThat(((ConvolutionLayer) layerOf(graph, "r" + i + "_a_conv")).getKernelSize()).containsExactly(3, 3);
        }
    }

    @Test
    void resNetMapsImagesToHeatmaps() {
        ScenarioConfig config = small(ScenarioKind.POSE_RESNET).toBuilder().keypoints(3).build();
        DataSet batch = ScenarioKind.POSE_RESNET.data(1, config).trainingBatch(2);
        INDArray out = ResNetLike.build(config).outputSingle(false, batch.getFeatures());
        assertThat(out.shape()).containsExactly(2, 3, ScenarioConfig.HEATMAP_SIZE, ScenarioConfig.HEATMAP_SIZE);
        // sigmoid outputs; in float they can round to the ends of [0, 1]
        assertThat(out.minNumber().doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(out.maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
    }

    @Test
    void denseMlpHasABatchNormAfterEveryBiasFreeDenseLayerAndOneOutput() {
        ComputationGraph graph = DenseRegressionMlp.build(small(ScenarioKind.DENSE_REGRESSION));
        assertThat(DenseRegressionMlp.batchNormLayerNames()).hasSize(DenseRegressionMlp.HIDDEN_LAYERS);
        assertBiasFreeInputs(graph, DenseRegressionMlp.batchNormLayerNames());
        INDArray out = graph.outputSingle(false, new DenseRegressionData(1).trainingBatch(5).getFeatures());
        assertThat(out.shape()).containsExactly(5, 1);
    }

    @Test
    void denseDataIsTheTeacherPlusNoiseOfTheStatedSize() {
        DenseRegressionData data = new DenseRegressionData(7);
        int n = 4000;
        DataSet ds = data.trainingBatch(n);
        INDArray x = ds.getFeatures().castTo(DataType.DOUBLE);
        INDArray y = ds.getLabels().castTo(DataType.DOUBLE);
        assertThat(x.shape()).containsExactly(n, DenseRegressionData.INPUTS);
        double sumSq = 0;
        double xSum = 0;
        double xSq = 0;
        for (int i = 0; i < n; i++) {
            double[] row = x.getRow(i).toDoubleVector();
            for (int f = 0; f < row.length; f++) {
                double[] ms = data.feature(f);
                row[f] = (row[f] - ms[0]) / ms[1];
                xSum += row[f];
                xSq += row[f] * row[f];
            }
            double r = y.getDouble(i, 0) - data.teacher(row);
            sumSq += r * r;
        }
        // residual std of n = 4000 Gaussian draws: relative standard error 1/sqrt(2n) = 1.1%; 5% is
        // 4.5 standard errors, plus the float rounding of features and labels (~1e-7 relative)
        assertThat(Math.sqrt(sumSq / n)).isCloseTo(DenseRegressionData.NOISE_STD,
                org.assertj.core.data.Offset.offset(0.05 * DenseRegressionData.NOISE_STD));
        long m = (long) n * DenseRegressionData.INPUTS;
        // standardised inputs are standard normal: mean within 5 standard errors 5/sqrt(m), variance within 5 x sqrt(2/m)
        assertThat(xSum / m).isCloseTo(0.0, org.assertj.core.data.Offset.offset(5 / Math.sqrt(m)));
        assertThat(xSq / m).isCloseTo(1.0, org.assertj.core.data.Offset.offset(5 * Math.sqrt(2.0 / m)));
    }

    @Test
    void denseFeaturesHaveTheirOwnOffsetsAndScales() {
        DenseRegressionData data = new DenseRegressionData(7);
        double smallest = Double.MAX_VALUE;
        double largest = 0;
        for (int f = 0; f < DenseRegressionData.INPUTS; f++) {
            double[] ms = data.feature(f);
            assertThat(Math.abs(ms[0])).isLessThanOrEqualTo(DenseRegressionData.OFFSET);
            assertThat(ms[1]).isBetween(DenseRegressionData.MIN_SCALE, DenseRegressionData.MAX_SCALE);
            smallest = Math.min(smallest, ms[1]);
            largest = Math.max(largest, ms[1]);
        }
        // not isotropic: with 16 log-uniform draws over a factor of 15, a spread below 2 has
        // probability below 16 x (ln 2 / ln 15)^15 < 1e-8
        assertThat(largest / smallest).isGreaterThan(2.0);
    }

    @Test
    void denseProbeSetIsFixedWhateverTheTrainingStreamDrew() {
        DenseRegressionData a = new DenseRegressionData(3);
        DenseRegressionData b = new DenseRegressionData(3);
        b.trainingBatch(17);
        assertThat(a.probe(8).getFeatures()).isEqualTo(b.probe(8).getFeatures());
        assertThat(a.probe(8).getLabels()).isEqualTo(b.probe(8).getLabels());
        assertThat(a.trainingBatch(8).getFeatures()).isNotEqualTo(a.probe(8).getFeatures());
        assertThat(new DenseRegressionData(4).probe(8).getLabels()).isNotEqualTo(a.probe(8).getLabels());
    }

    @Test
    void derivedStreamsOfADenseRunDrawFromTheSameTask() {
        ScenarioConfig config = small(ScenarioKind.DENSE_REGRESSION).withSeed(9);
        DenseRegressionData own = (DenseRegressionData) ScenarioKind.DENSE_REGRESSION.data(9, config);
        DenseRegressionData other = (DenseRegressionData) ScenarioKind.DENSE_REGRESSION.data(12345, config);
        for (int f = 0; f < DenseRegressionData.INPUTS; f++) {
            assertThat(other.feature(f)).containsExactly(own.feature(f));
        }
        double[] z = new double[DenseRegressionData.INPUTS];
        z[0] = 1;
        assertThat(other.teacher(z)).isEqualTo(own.teacher(z));
        assertThat(other.probe(4).getFeatures()).isNotEqualTo(own.probe(4).getFeatures());
    }

    @Test
    void denseDataRejectsBadSizes() {
        DenseRegressionData data = new DenseRegressionData(1);
        assertThatThrownBy(() -> data.trainingBatch(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> data.probe(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> data.teacher(new double[DenseRegressionData.INPUTS - 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(data.trainingBatch(1).getFeatures().shape()).containsExactly(1, DenseRegressionData.INPUTS);
    }

    @ParameterizedTest
    @EnumSource(ScenarioKind.class)
    void everyKindTrainsWarmStartedThroughTheSharedRun(ScenarioKind kind) {
        ScenarioConfig config = small(kind);
        ScenarioRun cold = ScenarioRun.start(config.toBuilder().warmStartSamples(0).build());
        ScenarioRun run = ScenarioRun.start(config);
        BnNetwork net = BnNetwork.of(run.graph());
        BnLayerRef first = net.bnLayers().get(0);
        // DL4J's initial moving mean is 0; the warm start writes the statistics of real inputs
        assertThat(BnNetwork.of(cold.graph()).param(first, "mean").castTo(DataType.DOUBLE).amaxNumber().doubleValue())
                .isEqualTo(0.0);
        assertThat(net.param(first, "mean").castTo(DataType.DOUBLE).amaxNumber().doubleValue()).isGreaterThan(0.0);
        INDArray before = run.graph().params().dup();
        run.train(2);
        assertThat(run.iteration()).isEqualTo(2);
        assertThat(run.graph().params()).isNotEqualTo(before);
        assertThat(run.samples().probe(4).getFeatures().size(0)).isEqualTo(4);
    }

    @Test
    void onlyPoseRunsExposeThePoseGenerator() {
        assertThat(ScenarioRun.start(small(ScenarioKind.POSE_RESNET)).data()).isInstanceOf(PoseDataGenerator.class);
        ScenarioRun dense = ScenarioRun.start(small(ScenarioKind.DENSE_REGRESSION));
        assertThatThrownBy(dense::data).isInstanceOf(IllegalStateException.class).hasMessageContaining("samples()");
    }

    @Test
    void kindIsPartOfTheConfiguration() {
        assertThat(ScenarioConfig.builder().build().kind()).isEqualTo(ScenarioKind.POSE_MOBILENET_V2);
        ScenarioConfig res = ScenarioConfig.builder().kind(ScenarioKind.POSE_RESNET).build();
        assertThat(res).isNotEqualTo(ScenarioConfig.builder().build());
        assertThat(res.toBuilder().build()).isEqualTo(res).hasSameHashCodeAs(res);
        assertThat(res.withSeed(5).kind()).isEqualTo(ScenarioKind.POSE_RESNET);
        assertThatThrownBy(() -> ScenarioConfig.builder().kind(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind");
    }

    @ParameterizedTest
    @EnumSource(ScenarioKind.class)
    void presetsBelongToTheirKind(ScenarioKind kind) {
        assertThat(kind.diverging().kind()).isEqualTo(kind);
        assertThat(kind.fixes()).isNotEmpty().allSatisfy(f -> assertThat(f.kind()).isEqualTo(kind))
                .doesNotContain(kind.diverging());
    }
}
