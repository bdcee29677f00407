package io.github.bndoctor.scenario;

import java.util.Locale;
import java.util.Objects;

/**
 * One training run of a {@link NetworkFamily}: the family's network and task with an optimizer,
 * regularisation, batch-norm decay, batch size and length. Immutable; {@link #toBuilder()} derives
 * variants, and every field is checked when built ({@link IllegalArgumentException} naming it).
 *
 * @param family the network and task
 * @param seed weights, data stream, probe set and precise batches
 * @param optimizer the updater
 * @param learningRate its learning rate, &gt; 0
 * @param momentum Nesterov momentum in [0, 1) (Nesterov only)
 * @param l2 coupled L2 on every layer ({@code .l2()}, added to the gradient before the updater), &gt;= 0
 * @param weightDecay decoupled weight decay on every layer ({@code .weightDecay()}, times the learning rate), &gt;= 0
 * @param decay batch-norm decay of every BN layer, in (0, 1)
 * @param epsilon batch-norm epsilon, &gt; 0
 * @param batchSize training minibatch, &gt;= 2
 * @param iterations run length, &gt;= 1
 * @param checkpointEvery iterations between the monitor's checkpoints, &gt;= 2
 * @param warmStart whether the moving statistics start from the initial weights' statistics
 *     ({@link FamilyRun#WARM_START_SAMPLES} samples of a stream of their own) instead of DL4J's 0 and 1
 */
public record FamilyConfig(NetworkFamily family, long seed, Optimizer optimizer, double learningRate, double momentum,
                           double l2, double weightDecay, double decay, double epsilon, int batchSize, int iterations,
                           int checkpointEvery, boolean warmStart) {

    /** Checks every field. */
    public FamilyConfig {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(optimizer, "optimizer");
        check(learningRate > 0 && Double.isFinite(learningRate), "learningRate", learningRate);
        check(momentum >= 0 && momentum < 1, "momentum", momentum);
        check(l2 >= 0 && Double.isFinite(l2), "l2", l2);
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "weightDecay", weightDecay);
        check(decay > 0 && decay < 1, "decay", decay);
        check(epsilon > 0 && Double.isFinite(epsilon), "epsilon", epsilon);
        check(batchSize >= 2, "batchSize", batchSize);
        check(iterations >= 1, "iterations", iterations);
        check(checkpointEvery >= 2, "checkpointEvery", checkpointEvery);
    }

    private static void check(boolean ok, String field, double value) {
        if (!ok) {
            throw new IllegalArgumentException(field + " out of range: " + value);
        }
    }

    /** @return the EMA's window {@code 1/(1-d)} in iterations, rounded */
    public long window() {
        return Math.round(1 / (1 - decay));
    }

    /** @return the EMA's mean age {@code d/(1-d)} in iterations, rounded: the early warning's horizon */
    public long meanAge() {
        return Math.round(decay / (1 - decay));
    }

    /** @return a short name: family, optimizer, learning rate, regularisation, decay, batch, warm start, seed */
    public String name() {
        String reg = (l2 > 0 ? String.format(Locale.ROOT, " l2 %.0e", l2) : "")
                + (weightDecay > 0 ? String.format(Locale.ROOT, " wd %.2g", weightDecay) : "");
        return String.format(Locale.ROOT, "%s %s %.0e%s d %.3f b %d%s #%d", family, optimizer, learningRate, reg, decay,
                batchSize, warmStart ? " warm" : "", seed);
    }

    /** @return a builder holding this configuration */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable copy of a {@link FamilyConfig}; {@link #build()} checks it. */
    public static final class Builder {
        private NetworkFamily family;
        private long seed;
        private Optimizer optimizer;
        private double learningRate;
        private double momentum;
        private double l2;
        private double weightDecay;
        private double decay;
        private double epsilon;
        private int batchSize;
        private int iterations;
        private int checkpointEvery;
        private boolean warmStart;

        private Builder(FamilyConfig c) {
            family = c.family;
            seed = c.seed;
            optimizer = c.optimizer;
            learningRate = c.learningRate;
            momentum = c.momentum;
            l2 = c.l2;
            weightDecay = c.weightDecay;
            decay = c.decay;
            epsilon = c.epsilon;
            batchSize = c.batchSize;
            iterations = c.iterations;
            checkpointEvery = c.checkpointEvery;
            warmStart = c.warmStart;
        }

        /** @param v seed; returns this builder */
        public Builder seed(long v) { seed = v; return this; }
        /** @param o updater @param lr its learning rate; returns this builder */
        public Builder optimizer(Optimizer o, double lr) { optimizer = o; learningRate = lr; return this; }
        /** @param v Nesterov momentum; returns this builder */
        public Builder momentum(double v) { momentum = v; return this; }
        /** @param v coupled L2; returns this builder */
        public Builder l2(double v) { l2 = v; return this; }
        /** @param v decoupled weight decay; returns this builder */
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        /** @param v batch-norm decay; returns this builder */
        public Builder decay(double v) { decay = v; return this; }
        /** @param v batch-norm epsilon; returns this builder */
        public Builder epsilon(double v) { epsilon = v; return this; }
        /** @param v minibatch size; returns this builder */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /** @param v run length; returns this builder */
        public Builder iterations(int v) { iterations = v; return this; }
        /** @param v checkpoint interval; returns this builder */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /** @param v warm start; returns this builder */
        public Builder warmStart(boolean v) { warmStart = v; return this; }

        /** @return the checked configuration */
        public FamilyConfig build() {
            return new FamilyConfig(family, seed, optimizer, learningRate, momentum, l2, weightDecay, decay, epsilon,
                    batchSize, iterations, checkpointEvery, warmStart);
        }
    }
}
