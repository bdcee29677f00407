package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.DropoutSuspension;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.stats.MeanVariance;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * Measures the train/inference gap on a probe batch. Training-mode and inference-mode outputs
 * come from the live network with dropout suspended; the precise-statistics output comes from a
 * copy whose moving statistics are replaced, so the live network is never modified.
 */
public final class OutputGapProbe {
    private OutputGapProbe() {
    }

    /**
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics per BN layer (from {@link PreciseStatistics})
     * @param loss the loss to compare
     * @return the three losses
     */
    public static OutputGap measure(BnNetwork net, INDArray[] features, INDArray[] labels,
                                    Map<String, MeanVariance> precise, LossMeasure loss) {
        double train;
        double eval;
        try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
            train = loss.loss(net.output(features, true), labels);
            eval = loss.loss(net.output(features, false), labels);
        }
        BnNetwork copy = net.copy();
        MovingStatistics.writeAll(copy, precise);
        double preciseLoss = loss.loss(copy.output(features, false), labels);
        return new OutputGap(train, eval, preciseLoss);
    }

    /**
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param loss the loss
     * @return the inference-mode loss alone
     */
    public static double evalLoss(BnNetwork net, INDArray[] features, INDArray[] labels, LossMeasure loss) {
        return loss.loss(net.output(features, false), labels);
    }
}
