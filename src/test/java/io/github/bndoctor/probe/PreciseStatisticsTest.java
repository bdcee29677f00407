package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.TrainingPassTolerance;
import io.github.bndoctor.stats.ChannelMoments;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Precise statistics against an independent computation: the activations feeding each BN layer,
 * taken from the network's own training-mode {@code feedForward} on every batch, pooled into one
 * sample with plain loops. At the first BN layer both sides are double sums of the same float
 * activations, so only the summation order differs (~N * 2^-53 relative; 1e-9 is loose); later layers
 * inherit the float rounding of the normalisation ({@link TrainingPassTolerance}).
 */
@Tag("unit")
class PreciseStatisticsTest {
    private static final double TOL = 1e-9;

    static Stream<Arguments> kindsAndLayouts() {
        return Stream.of(NetworkKind.values()).flatMap(k -> Stream.of(Layout.values()).map(l -> Arguments.of(k, l)));
    }

    @ParameterizedTest
    @MethodSource("kindsAndLayouts")
    void pooledStatisticsEqualMomentsOfAllBnInputs(NetworkKind kind, Layout layout) {
        BnNetwork net = ProbeFixtures.net(kind, layout);
        List<INDArray[]> batches = ProbeFixtures.batches(layout, 5, 21);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, batches.iterator(), 40,
                PopulationEstimator.POOLED);
        assertThat(net).hasParametersIdenticalTo(before);
        List<String> names = net.bnLayers().stream().map(r -> r.name()).toList();
        for (int li = 0; li < names.size(); li++) {
            List<double[]> rows = new ArrayList<>();
            for (INDArray[] b : batches) {
                rows.addAll(ProbeFixtures.channelRows(ProbeFixtures.bnInput(net, b[0], li), layout));
            }
            ChannelMoments expected = ChannelMoments.ofSamples(rows.toArray(double[][]::new));
            MeanVariance got = precise.get(names.get(li));
            for (int c = 0; c < expected.channels(); c++) {
                double m = expected.mean()[c];
                double v = expected.biasedVariance()[c];
                long perBatch = 8L * ProbeFixtures.size(layout) * ProbeFixtures.size(layout);
                assertThat(got.mean()[c]).isCloseTo(m, within(TrainingPassTolerance.of(li, m, perBatch)));
                assertThat(got.variance()[c]).isCloseTo(v, within(TrainingPassTolerance.of(li, v, perBatch)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kindsAndLayouts")
    void meanOfBatchVariancesIsSmallerByTheVarianceOfBatchMeans(NetworkKind kind, Layout layout) {
        BnNetwork net = ProbeFixtures.net(kind, layout);
        List<INDArray[]> batches = ProbeFixtures.batches(layout, 4, 22);
        MeanVariance pooled = PreciseStatistics.estimate(net, batches.iterator(), 32, PopulationEstimator.POOLED)
                .values().iterator().next();
        MeanVariance meanOfVars = PreciseStatistics.estimate(net, batches.iterator(), 32,
                PopulationEstimator.MEAN_OF_BATCH_VARIANCES).values().iterator().next();
        for (int c = 0; c < pooled.channels(); c++) {
            assertThat(meanOfVars.variance()[c]).isLessThanOrEqualTo(pooled.variance()[c] + TOL);
            assertThat(meanOfVars.mean()[c]).isCloseTo(pooled.mean()[c], within(TOL));
        }
    }
}
