package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Probes measured chunk by chunk agree with the whole-probe measurements and with closed-form pooling. */
@Tag("unit")
final class ChunkedProbeTest {
    private static final int CHUNKS = 4;

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void chunkedStatisticsAndLossesMatchTheWholeProbe(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.NCHW);
        List<INDArray[]> chunks = ProbeFixtures.batches(Layout.NCHW, CHUNKS, 17);
        List<ProbeChunk> probe = new ArrayList<>();
        List<INDArray> xs = new ArrayList<>();
        List<INDArray> ys = new ArrayList<>();
        for (INDArray[] c : chunks) {
            INDArray y = ProbeFixtures.labels(c[0], 1);
            probe.add(new ProbeChunk(c, new INDArray[] {y}));
            xs.add(c[0]);
            ys.add(y);
        }
        INDArray[] all = {Nd4j.concat(0, xs.toArray(INDArray[]::new))};
        INDArray[] labels = {Nd4j.concat(0, ys.toArray(INDArray[]::new))};
        int chunk = (int) chunks.get(0)[0].size(0);

        // training mode: equal-size chunks pool to the mean of the chunk means and the mean of
        // (variance + mean^2) less the pooled mean squared (closed form, not ChannelMoments.combine)
        Map<String, BatchStatistics> pooled = BatchStatisticsCapture.capture(net, chunks.iterator(), true);
        for (String layer : pooled.keySet()) {
            int channels = pooled.get(layer).meanVariance().channels();
            double[] mean = new double[channels];
            double[] second = new double[channels];
            for (INDArray[] c : chunks) {
                MeanVariance one = BatchStatisticsCapture.capture(net, c, true).get(layer).meanVariance();
                for (int ch = 0; ch < channels; ch++) {
                    mean[ch] += one.mean()[ch] / CHUNKS;
                    second[ch] += (one.variance()[ch] + one.mean()[ch] * one.mean()[ch]) / CHUNKS;
                }
            }
            MeanVariance got = pooled.get(layer).meanVariance();
            for (int ch = 0; ch < channels; ch++) {
                double scale = Math.abs(mean[ch]) + Math.sqrt(second[ch]);
                // double arithmetic over float activations: the two routes differ by rounding only (~1e-15 relative)
                assertThat(got.mean()[ch]).as(layer + " mean " + ch).isCloseTo(mean[ch], within(1e-12 * scale));
                assertThat(got.variance()[ch]).as(layer + " var " + ch)
                        .isCloseTo(second[ch] - mean[ch] * mean[ch], within(1e-12 * scale * scale));
            }
        }

        // inference mode has no batch dependence: chunked and whole agree up to float32 rounding of the
        // activations (relative 2^-24 per operation over a few operations: 1e-5 is ample and still far
        // below any statistic's size)
        Map<String, BatchStatistics> evalChunked = BatchStatisticsCapture.capture(net, chunks.iterator(), false);
        Map<String, BatchStatistics> evalWhole = BatchStatisticsCapture.capture(net, all, false);
        for (String layer : evalWhole.keySet()) {
            MeanVariance a = evalChunked.get(layer).meanVariance();
            MeanVariance b = evalWhole.get(layer).meanVariance();
            for (int ch = 0; ch < a.channels(); ch++) {
                double scale = Math.abs(b.mean()[ch]) + Math.sqrt(b.variance()[ch]);
                assertThat(a.mean()[ch]).isCloseTo(b.mean()[ch], within(1e-5 * scale));
                assertThat(a.variance()[ch]).isCloseTo(b.variance()[ch], within(1e-5 * scale * scale));
            }
        }

        Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, chunks.iterator(), CHUNKS * chunk,
                PopulationEstimator.POOLED);
        OutputGap chunked = OutputGapProbe.measure(net, probe, precise, LossMeasure.MSE);
        OutputGap whole = OutputGapProbe.measure(net, all, labels, precise, LossMeasure.MSE, chunk);
        // same float outputs, MSE summed in double in another order: relative 1e-9 bounds the rounding
        assertThat(chunked.trainModeLoss()).isCloseTo(whole.trainModeLoss(), within(1e-9 * whole.trainModeLoss()));
        assertThat(chunked.evalModeLoss()).isCloseTo(whole.evalModeLoss(), within(1e-5 * whole.evalModeLoss()));
        assertThat(chunked.preciseLoss()).isCloseTo(whole.preciseLoss(), within(1e-5 * whole.preciseLoss()));
    }
}
