package io.github.bndoctor.scenario;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The optimizers the seed scenario can train with.
 *
 * <p>ADAM is the configuration from the original report (its per-element normalised steps rotate
 * the scale-invariant weights in front of each batch-norm layer quickly); NESTEROV and SGD are the
 * reported fixes; RMSPROP trains some of the {@link NetworkFamily} corpus. Note that {@code new Nesterovs(0.9)} would set the <em>learning rate</em> to
 * 0.9, so {@link #updater(double, double)} always uses {@code new Nesterovs(lr, momentum)}.
 */
public enum Optimizer {
    /** Adam with DL4J's default betas (0.9, 0.999) and epsilon 1e-8. */
    ADAM,
    /** Nesterov momentum SGD. */
    NESTEROV,
    /** Plain SGD, no momentum. */
    SGD,
    /** RMSProp with DL4J's defaults (squared-gradient decay 0.95, epsilon 1e-8): normalised steps without a first moment. */
    RMSPROP;

    /**
     * Builds the DL4J updater for this optimizer.
     *
     * @param learningRate the learning rate, already validated by {@link ScenarioConfig}
     * @param momentum the momentum, used by {@link #NESTEROV} only
     * @return a fresh updater configuration
     */
    public IUpdater updater(double learningRate, double momentum) {
        return switch (this) {
            case ADAM -> new Adam(learningRate);
            case NESTEROV -> new Nesterovs(learningRate, momentum);
            case SGD -> new Sgd(learningRate);
            case RMSPROP -> new RmsProp(learningRate);
        };
    }
}
