package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.scenario.PoseDataGenerator.PoseBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Determinism, geometry and distinguishability of the synthetic pose data. */
final class PoseDataGeneratorTest {

    @Test
    void sameSeedGivesSameBatchesAndOtherSeedDiffers() {
        PoseBatch a = new PoseDataGenerator(7, 2, 1.0).nextBatch(4);
        PoseBatch b = new PoseDataGenerator(7, 2, 1.0).nextBatch(4);
        PoseBatch c = new PoseDataGenerator(8, 2, 1.0).nextBatch(4);
        assertThat(a.dataSet().getFeatures()).isEqualTo(b.dataSet().getFeatures());
        assertThat(a.dataSet().getLabels()).isEqualTo(b.dataSet().getLabels());
        assertThat(a.dataSet().getFeatures()).isNotEqualTo(c.dataSet().getFeatures());
    }

    @Test
    void probeSetIsFixedAndIndependentOfTrainingStream() {
        PoseDataGenerator g = new PoseDataGenerator(3, 2, 1.0);
        INDArray before = g.probeSet(8).dataSet().getFeatures();
        PoseBatch firstTraining = g.nextBatch(8);
        g.nextBatch(8);
        INDArray after = g.probeSet(8).dataSet().getFeatures();
        assertThat(after).isEqualTo(before);
        assertThat(firstTraining.dataSet().getFeatures()).isNotEqualTo(before);
    }

    @Test
    void shapesAreNchwWithHeatmapsAtQuarterResolution() {
        PoseBatch batch = new PoseDataGenerator(1, 3, 1.0).nextBatch(5);
        assertThat(batch.dataSet().getFeatures().shape()).containsExactly(5, 1, 32, 32);
        assertThat(batch.dataSet().getLabels().shape()).containsExactly(5, 3, 8, 8);
        assertThat(batch.dataSet().getLabels().minNumber().doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(batch.dataSet().getLabels().maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
    }

    @Test
    void heatmapPeaksAtTheKeypointCell() {
        double sigma = 1.0;
        PoseBatch batch = new PoseDataGenerator(11, 2, sigma).nextBatch(16);
        INDArray labels = batch.dataSet().getLabels();
        for (int b = 0; b < 16; b++) {
            for (int k = 0; k < 2; k++) {
                double x = batch.keypoints()[b][k][0];
                double y = batch.keypoints()[b][k][1];
                // heatmap cell u covers image columns 4u..4u+3, centred at 4u + 1.5
                int u = (int) Math.round((x - 1.5) / 4.0);
                int v = (int) Math.round((y - 1.5) / 4.0);
                INDArray map = labels.get(NDArrayIndex.point(b),
                        NDArrayIndex.point(k)).reshape(64);
                int argmax = map.argMax(0).getInt(0);
                assertThat(argmax % 8).as("column of sample %d keypoint %d", b, k).isEqualTo(u);
                assertThat(argmax / 8).as("row of sample %d keypoint %d", b, k).isEqualTo(v);
                // the nearest cell is at most half a cell away on each axis
                assertThat(map.getDouble(argmax)).isGreaterThanOrEqualTo(Math.exp(-0.5 / (2 * sigma * sigma)) - 1e-6);
            }
        }
    }

    @Test
    void keypointsAreBrightAndApart() {
        PoseBatch batch = new PoseDataGenerator(5, 4, 1.0).nextBatch(16);
        INDArray f = batch.dataSet().getFeatures();
        for (int b = 0; b < 16; b++) {
            double[][] kp = batch.keypoints()[b];
            for (int k = 0; k < kp.length; k++) {
                int cx = (int) Math.round(kp[k][0]);
                int cy = (int) Math.round(kp[k][1]);
                double window = 0;
                for (int dy = -2; dy <= 2; dy++) {
                    for (int dx = -2; dx <= 2; dx++) {
                        window += f.getDouble(b, 0, cy + dy, cx + dx);
                    }
                }
                // every shape covers several pixels of the 5x5 window; noise alone averages 0
                assertThat(window / 25).as("sample %d keypoint %d", b, k).isGreaterThan(0.2);
                for (int j = 0; j < k; j++) {
                    assertThat(Math.hypot(kp[k][0] - kp[j][0], kp[k][1] - kp[j][1])).isGreaterThanOrEqualTo(8.0);
                }
            }
        }
    }

    @Test
    void shapesAreDistinguishableByNearestTemplateUnderNoise() {
        int keypoints = ScenarioConfig.MAX_KEYPOINTS;
        PoseBatch batch = new PoseDataGenerator(9, keypoints, 1.0).nextBatch(32);
        INDArray f = batch.dataSet().getFeatures();
        int correct = 0;
        int total = 0;
        for (int b = 0; b < 32; b++) {
            for (int k = 0; k < keypoints; k++) {
                double x = batch.keypoints()[b][k][0];
                double y = batch.keypoints()[b][k][1];
                int best = -1;
                double bestDistance = Double.MAX_VALUE;
                for (int t = 0; t < keypoints; t++) {
                    float[] template = PoseDataGenerator.renderShape(t, x, y);
                    double d = 0;
                    for (int row = (int) y - 3; row <= (int) y + 4; row++) {
                        for (int col = (int) x - 3; col <= (int) x + 4; col++) {
                            double diff = f.getDouble(b, 0, row, col) - template[row * 32 + col];
                            d += diff * diff;
                        }
                    }
                    if (d < bestDistance) {
                        bestDistance = d;
                        best = t;
                    }
                }
                correct += best == k ? 1 : 0;
                total++;
            }
        }
        assertThat((double) correct / total).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void templatesDifferInSeveralPixels() {
        for (int a = 0; a < ScenarioConfig.MAX_KEYPOINTS; a++) {
            for (int b = a + 1; b < ScenarioConfig.MAX_KEYPOINTS; b++) {
                float[] ta = PoseDataGenerator.renderShape(a, 15.3, 16.7);
                float[] tb = PoseDataGenerator.renderShape(b, 15.3, 16.7);
                int differing = 0;
                for (int i = 0; i < ta.length; i++) {
                    differing += ta[i] != tb[i] ? 1 : 0;
                }
                assertThat(differing).as("shapes %d and %d", a, b).isGreaterThanOrEqualTo(4);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new PoseDataGenerator(1, 0, 1.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keypoints");
        assertThatThrownBy(() -> new PoseDataGenerator(1, 2, 0.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sigma");
        assertThatThrownBy(() -> new PoseDataGenerator(1, 2, 1.0).nextBatch(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> PoseDataGenerator.renderShape(ScenarioConfig.MAX_KEYPOINTS, 5, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
