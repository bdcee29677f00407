package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.Recommendations;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.report.RunVerdict;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monitor knows how much larger its probe is than a training batch, and the report judges
 * noise-limited layers at the training batch's spread. A real DL4J loop: dense, BN (decay 0.999,
 * so DL4J's mean-0/variance-1 prior still dominates the moving statistics of inputs far from it
 * and eval/precise exceeds the noise-limit criterion's 1.5), output; a probe of 64 examples.
 *
 * <p>Why the layer is noise-limited at batch 4 and not at 64: per channel, a batch of {@code m}
 * standardized samples has a mean shift {@code |N(0, 1/m)|} (median {@code 0.674/sqrt(m)}) and a
 * log variance ratio of order {@code sqrt(2/m)}, about 1 at {@code m = 4} (above the criterion's
 * {@code 0.5 sqrt(3) = 0.87}) and about 0.25 at {@code m = 64}. The probe of 64 shows the latter;
 * only scaled by {@code sqrt(64/4) = 4} does it reveal the former.
 */
@Tag("unit")
class NoiseLimitAtTrainingBatchTest {
    static final int PROBE = 64;
    static final int CHANNELS = 16;

    private static MultiLayerNetwork denseBnHead() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(1e-3))
                .list()
                .layer(new DenseLayer.Builder().nOut(CHANNELS).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(CHANNELS).decay(0.999).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.feedForward(4)).build());
        mln.init();
        return mln;
    }

    /** Inputs of mean 5, standard deviation 3: far from the moving statistics' prior. */
    private static INDArray features(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, n, 4).muli(3).addi(5);
    }

    private static BnMonitor train(int batch, int examples) {
        MultiLayerNetwork net = denseBnHead();
        INDArray probe = features(PROBE, 1);
        List<INDArray[]> precise = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            precise.add(new INDArray[] {features(32, 100 + i)});
        }
        BnMonitor monitor = BnMonitor.builder(probe, Nd4j.zeros(DataType.FLOAT, PROBE, 1)).preciseData(precise::iterator)
                .every(5).failFast(false).build();
        net.setListeners(monitor);
        INDArray x = features(examples, 2);
        for (int it = 0; it < 3; it++) {
            for (int from = 0; from < examples; from += batch) {
                int to = Math.min(examples, from + batch);
                INDArray b = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
                net.fit(new DataSet(b, Nd4j.zeros(DataType.FLOAT, to - from, 1)));
            }
        }
        return monitor;
    }

    private static List<String> recommendations(BnMonitor m) {
        return ReportAssembler.summary(ReportAssembler.Run.named("run", m)).recommendations();
    }

    private static boolean namesNoiseLimit(List<String> recs) {
        return recs.stream().anyMatch(s -> s.contains("is noise-limited"));
    }

    @Test
    void theMonitorRecordsTheProbeOverTheLargestTrainingBatch() {
        assertThat(train(4, 40).probePerTrainingBatch()).isEqualTo(16.0); // 64/4
        // batches of 8, 8 and a last one of 4: the largest batch, 8, understates nothing
        assertThat(train(8, 20).probePerTrainingBatch()).isEqualTo(8.0);
        // a probe smaller than the batch: 64/128
        assertThat(train(128, 128).probePerTrainingBatch()).isEqualTo(0.5);
        BnMonitor unused = BnMonitor.builder(features(PROBE, 1), features(PROBE, 1)).preciseData(List.<INDArray[]>of()::iterator).build();
        assertThat(unused.probePerTrainingBatch()).as("before any iteration: unknown, taken as 1").isEqualTo(1.0);
    }

    @Test
    void theReportNamesTheDenseBnLayerAtBatchFourThatTheProbeAloneWouldHide() {
        BnMonitor m = train(4, 40);
        List<Checkpoint> cs = m.checkpoints();
        assertThat(cs).anyMatch(c -> c.gap().evalToPreciseRatio() > 1.5);
        String bn = cs.get(0).layers().get(0).name();
        assertThat(recommendations(m)).filteredOn(s -> s.contains("is noise-limited")).singleElement().asString()
                .contains("'" + bn + "'");
        // the probe's own spread, unscaled, hides it
        assertThat(namesNoiseLimit(Recommendations.from(cs, RunVerdict.verdictCheckpoint(cs), 0.999))).isFalse();
        assertThat(namesNoiseLimit(ReportAssembler.summary(ReportAssembler.Run.of("run", Map.of(), cs, m.alarms(), 0.999))
                .recommendations())).isFalse();
    }

    @Test
    void aBatchAsLargeAsTheProbeIsNotNoiseLimited() {
        BnMonitor m = train(64, 64 * 5);
        assertThat(m.probePerTrainingBatch()).isEqualTo(1.0);
        assertThat(m.checkpoints()).anyMatch(c -> c.gap().evalToPreciseRatio() > 1.5);
        assertThat(namesNoiseLimit(recommendations(m))).isFalse();
    }
}
