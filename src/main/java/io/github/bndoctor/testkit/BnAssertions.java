package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.monitor.BnMonitor;
import org.deeplearning4j.nn.api.Model;

/**
 * The one AssertJ entry point for BN models.
 *
 * <pre>{@code
 * import static io.github.bndoctor.testkit.BnAssertions.assertThat;
 *
 * assertThat(net).hasBatchNormLayers(2)
 *     .layer("bn1").hasMovingMeanWithin(expectedMean, halfWidths);
 * assertThat(net).onProbe(probeFeatures, probeLabels).hasEvalToTrainRatioAtMost(1.5);
 * assertThat(monitor).hasNoFailAlarms();
 * }</pre>
 */
public final class BnAssertions {
    private BnAssertions() {
    }

    /**
     * @param model a {@code MultiLayerNetwork} or {@code ComputationGraph}
     * @return assertions on its BN layers
     */
    public static BnNetworkAssert assertThat(Model model) {
        return new BnNetworkAssert(BnNetwork.of(model));
    }

    /**
     * @param monitor a monitor that watched training
     * @return assertions on its checkpoints and alarms
     */
    public static BnMonitorAssert assertThat(BnMonitor monitor) {
        return new BnMonitorAssert(monitor);
    }

    /**
     * @param net a network view
     * @return assertions on its BN layers
     */
    public static BnNetworkAssert assertThat(BnNetwork net) {
        return new BnNetworkAssert(net);
    }
}
