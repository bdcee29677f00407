package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import io.github.bndoctor.dl4j.Layout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Parameter averaging of BN statistics and its diagnosis on a closed-form case: two workers whose
 * one BN channel holds (mean, var) = (0, 1) and (2, 4). Population: mean 1, variance
 * (1 + 4)/2 + ((0-1)^2 + (2-1)^2)/2 = 3.5. Averaging log10 std gives the geometric mean
 * sqrt(1 * 4) = 2 (deficit 1.5, of which the dropped spread is 1: share 2/3); averaging the variance
 * itself gives 2.5 (deficit 1, all of it spread: share 1). Tolerance: the statistics pass through
 * float parameters (relative rounding 2^-24 = 6e-8 each, a few operations): 1e-6.
 */
@Tag("unit")
class AveragingDiagnosisTest {
    private static final double TOL = 1e-6;

    private static BnNetwork worker(VarianceParameterisation p, double mean, double var) {
        BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 1, 1, 1, 0.9, p);
        MovingStatistics.writeAll(net, Map.of(net.bnLayers().get(0).name(),
                new MeanVariance(new double[] {mean}, new double[] {var})));
        return net;
    }

    @ParameterizedTest
    @EnumSource(VarianceParameterisation.class)
    void closedFormTwoWorkers(VarianceParameterisation p) {
        List<BnNetwork> workers = List.of(worker(p, 0, 1), worker(p, 2, 4));
        BnNetwork averaged = ParameterAveraging.average(workers);
        String layer = averaged.bnLayers().get(0).name();
        double eps = averaged.bnLayers().get(0).eps();
        MeanVariance avg = MovingStatistics.read(averaged, averaged.bnLayers().get(0));
        boolean log = p == VarianceParameterisation.LOG10_STDEV;
        double expectedVar = log ? 2.0 : 2.5;
        assertThat(avg.mean()[0]).isCloseTo(1.0, within(TOL));
        assertThat(avg.variance()[0]).isCloseTo(expectedVar, within(TOL * expectedVar));

        LayerAveragingBias b = AveragingDiagnosis.ofWorkers(workers, averaged).layers().get(layer);
        assertThat(b.varianceRatio()).isCloseTo((expectedVar + eps) / (3.5 + eps), within(TOL));
        assertThat(b.maxMeanShift()).isCloseTo(0.0, within(TOL));
        assertThat(b.spreadShareOfPopulation()).isCloseTo(1.0 / 3.5, within(TOL));
        assertThat(b.spreadShareOfDeficit()).isCloseTo(1.0 / (3.5 - expectedVar), within(TOL));
    }
}
