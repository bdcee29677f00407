package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.api.Model;

/**
 * The one AssertJ entry point for BN models.
 *
 * <pre>{@code
 * import static io.github.bndoctor.testkit.BnAssertions.assertThat;
 *
 * assertThat(net).hasBatchNormLayers(2)
 *     .layer("bn1").hasMovingMeanWithin(expectedMean, halfWidths);
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
     * @param net a network view
     * @return assertions on its BN layers
     */
    public static BnNetworkAssert assertThat(BnNetwork net) {
        return new BnNetworkAssert(net);
    }
}
