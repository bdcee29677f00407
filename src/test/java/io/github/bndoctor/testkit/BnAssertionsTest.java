package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Failure messages name layer, channel, expected, actual and tolerance. */
@Tag("unit")
class BnAssertionsTest {
    private final BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.GRAPH, Layout.DENSE, 2, 1, 1, 0.9,
            VarianceParameterisation.VAR);

    @Test
    void passingAssertionsChain() {
        MovingStatistics.write(net, net.bnLayer("bn1"), new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3}));
        assertThat(net).hasBatchNormLayers(1).layer("bn1").hasVarianceStoredAs(VarianceParameterisation.VAR)
                .hasMovingMeanWithin(new double[] {0.5, 1}, new double[] {0, 0})
                .hasMovingVarianceWithin(new double[] {2, 3}, new double[] {0, 0});
        assertThat(net).hasMovingStatisticsCloseTo(Map.of("bn1",
                new MeanVariance(new double[] {0.5, 1}, new double[] {2, 3})), Tolerance.floatUlps(1));
    }

    @Test
    void failureNamesLayerChannelExpectedActualAndTolerance() {
        assertThatThrownBy(() -> assertThat(net).layer("bn1").hasMovingMeanWithin(new double[] {0, 0.25},
                new double[] {0.1, 0.125}))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("layer 'bn1' channel 1")
                .hasMessageContaining("moving mean expected 0.25 ± 0.125 but was 0.0");
        assertThatThrownBy(() -> assertThat(net).hasBatchNormLayers(2)).hasMessageContaining("found 1: [bn1]");
        ParameterSnapshot before = ParameterSnapshot.of(net);
        MovingStatistics.write(net, net.bnLayer("bn1"), new MeanVariance(new double[] {1, 1}, new double[] {1, 1}));
        assertThatThrownBy(() -> assertThat(net).hasParametersIdenticalTo(before)).hasMessageContaining("differs");
    }
}
