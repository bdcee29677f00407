package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The diagnoser's shorter overloads are the long one with the documented defaults (prior age = the
 * iteration count, no measured lag), a probe given as one chunk gives the whole-probe checkpoint,
 * and the settings' limits: at least one precise sample, a noise share in [0, 1), a median that
 * skips layers without a measured angle.
 */
@Tag("unit")
class DiagnoserOverloadsTest {
    @Test
    void shorterOverloadsAndASingleChunkGiveTheSameCheckpoint() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 3, 4);
        INDArray[] x = ProbeFixtures.batches(Layout.DENSE, 1, 5).get(0);
        INDArray[] y = {ProbeFixtures.labels(x[0], 0)};
        Map<String, Double> rot = Map.of(net.bnLayers().get(0).name(), 0.5);
        Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, 24, io.github.bndoctor.probe.LossMeasure.MSE,
                DiagnosisThresholds.DEFAULT);
        Checkpoint longest = d.diagnose(net, x, y, precise.iterator(), 10, 10, rot, Map.of());
        assertThat(d.diagnose(net, x, y, precise.iterator(), 10, rot)).isEqualTo(longest);
        assertThat(d.diagnose(net, x, y, precise.iterator(), 10, 10, rot)).isEqualTo(longest);
        Checkpoint noPrior = d.diagnose(net, x, y, precise.iterator(), 10, Long.MAX_VALUE, rot);
        assertThat(noPrior.layers().get(0).decomposition().priorWeight()).isZero();
        // decay 0.9, 10 iterations: prior weight 0.9^10
        assertThat(longest.layers().get(0).decomposition().priorWeight()).isCloseTo(Math.pow(0.9, 10), within(1e-15));

        Checkpoint chunked = d.diagnose(net, List.of(new ProbeChunk(x, y)), precise.iterator(), 10, 10, rot);
        assertThat(chunked.iteration()).isEqualTo(10);
        assertThat(chunked.verdict()).isEqualTo(longest.verdict());
        // one chunk = the whole probe: the same float forward passes, summed in double
        assertThat(chunked.gap().trainModeLoss()).isCloseTo(longest.gap().trainModeLoss(), within(1e-9));
        assertThat(chunked.gap().evalModeLoss()).isCloseTo(longest.gap().evalModeLoss(), within(1e-9));
        assertThat(chunked.gap().preciseLoss()).isCloseTo(longest.gap().preciseLoss(), within(1e-9));
        assertThat(chunked.layers()).hasSameSizeAs(longest.layers());
        for (int i = 0; i < chunked.layers().size(); i++) {
            assertThat(chunked.layers().get(i).decomposition().emaError())
                    .isCloseTo(longest.layers().get(i).decomposition().emaError(), within(1e-9));
        }
    }

    /**
     * With the whole probe in one training-mode pass (no training-mode batch, or one as large as the
     * probe), the batch statistics and the training-mode loss come from one pass: the checkpoint is the
     * one the separate passes give (the capture, then the output-gap probe with its own training-mode
     * pass), exactly; with a smaller training-mode batch the probe is still run in chunks, as before.
     */
    @Test
    void theWholeProbeInOnePassGivesTheCheckpointOfSeparatePasses() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.NCHW, 3, 4);
        for (INDArray[] b : precise) {
            net.fit(new org.nd4j.linalg.dataset.DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        INDArray[] x = ProbeFixtures.batches(Layout.NCHW, 1, 5).get(0);
        INDArray[] y = {ProbeFixtures.labels(x[0], 0)};
        int n = (int) x[0].size(0);
        Map<String, Double> rot = Map.of(net.bnLayers().get(0).name(), 0.5);
        Checkpoint merged = new Diagnoser(PopulationEstimator.POOLED, 24, LossMeasure.MSE, DiagnosisThresholds.DEFAULT)
                .diagnose(net, x, y, precise.iterator(), 10, 10, rot, Map.of());

        Map<String, io.github.bndoctor.stats.MeanVariance> p = PreciseStatistics.estimate(net, precise.iterator(), 24,
                PopulationEstimator.POOLED);
        Map<String, io.github.bndoctor.dl4j.BatchStatistics> batch =
                io.github.bndoctor.dl4j.BatchStatisticsCapture.capture(net, x, true);
        OutputGap separate = OutputGapProbe.measure(net, x, y, p, LossMeasure.MSE, 0);
        assertThat(merged.gap()).isEqualTo(separate);
        for (int i = 0; i < net.bnLayers().size(); i++) {
            io.github.bndoctor.dl4j.BnLayerRef ref = net.bnLayers().get(i);
            assertThat(merged.layers().get(i).decomposition()).isEqualTo(LayerDecomposition.of(ref, 10,
                    io.github.bndoctor.dl4j.MovingStatistics.read(net, ref), p.get(ref.name()),
                    batch.get(ref.name()).meanVariance()));
        }
        assertThat(new Diagnoser(PopulationEstimator.POOLED, 24, LossMeasure.MSE, DiagnosisThresholds.DEFAULT, n)
                .diagnose(net, x, y, precise.iterator(), 10, 10, rot, Map.of())).isEqualTo(merged);
        Checkpoint chunked = new Diagnoser(PopulationEstimator.POOLED, 24, LossMeasure.MSE, DiagnosisThresholds.DEFAULT,
                n / 2).diagnose(net, x, y, precise.iterator(), 10, 10, rot, Map.of());
        assertThat(chunked.gap()).isEqualTo(OutputGapProbe.measure(net, x, y, p, LossMeasure.MSE, n / 2));
        assertThat(chunked.gap().trainModeLoss()).as("half-probe batches are noisier").isNotEqualTo(separate.trainModeLoss());
        assertThat(chunked.layers()).isEqualTo(merged.layers());
    }

    @Test
    void settingsAreCheckedAtTheirLimits() {
        assertThatThrownBy(() -> new Diagnoser(PopulationEstimator.POOLED, 0, LossMeasure.MSE, DiagnosisThresholds.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        new Diagnoser(PopulationEstimator.POOLED, 1, LossMeasure.MSE, DiagnosisThresholds.DEFAULT);
        assertThat(new DiagnosisThresholds(1.5, 1, 0).noiseShare()).isZero();
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, 1, -1e-9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DiagnosisThresholds(1.5, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new DiagnosisThresholds(1.5, 1, 0.999).noiseShare()).isEqualTo(0.999);
    }

    @Test
    void theMedianMeasuredLagSkipsLayersWithoutOne() {
        LayerDecomposition dec = new LayerDecomposition("a", 10, 0, 0, 0, 0, 0, 0, 0);
        Checkpoint c = new Checkpoint(10, new OutputGap(1, 1, 1), List.of(
                new LayerCheckpoint(dec, 1, 1, 1.0, 0.9), new LayerCheckpoint(dec, 1, Double.NaN, Double.NaN, 0.9),
                new LayerCheckpoint(dec, 1, 5, 3.0, 0.9)), Verdict.HEALTHY);
        // 1 and 3 (the NaN left out): median 2; predicted 1 and 5: median 3
        assertThat(c.medianMeasuredLag()).isEqualTo(2.0);
        assertThat(c.medianPredictedLag()).isEqualTo(3.0);
    }

    @Test
    void preciseStatisticsArePooledOverTheBatchesUpToTheSampleCap() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 4, 9);
        // a cap of 24 examples takes the first three batches of 8 (the fourth would exceed it)
        Diagnoser d = new Diagnoser(PopulationEstimator.POOLED, 24, LossMeasure.MSE, DiagnosisThresholds.DEFAULT);
        Map<String, io.github.bndoctor.stats.MeanVariance> p = d.preciseStatistics(net, batches.iterator());
        assertThat(p).containsOnlyKeys(net.bnLayers().get(0).name(), net.bnLayers().get(1).name());
        for (int li = 0; li < 2; li++) {
            // the network's own training-mode activations pooled with plain loops: the first layer's are the
            // same float activations summed in another order, later layers inherit the normalisation's
            // float rounding (TrainingPassTolerance); 8 dense examples per batch
            io.github.bndoctor.stats.MeanVariance direct = ProbeFixtures.pooledBnInput(net, batches.subList(0, 3),
                    Layout.DENSE, li);
            io.github.bndoctor.stats.MeanVariance got = p.get(net.bnLayers().get(li).name());
            for (int c = 0; c < direct.mean().length; c++) {
                double m = direct.mean()[c];
                double v = direct.variance()[c];
                assertThat(got.mean()[c]).isCloseTo(m, within(io.github.bndoctor.dl4j.TrainingPassTolerance.of(li, m, 8)));
                assertThat(got.variance()[c]).isCloseTo(v,
                        within(io.github.bndoctor.dl4j.TrainingPassTolerance.of(li, v, 8)));
            }
        }
    }
}
