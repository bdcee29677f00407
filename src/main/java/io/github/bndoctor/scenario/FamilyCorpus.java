package io.github.bndoctor.scenario;

import java.util.Arrays;
import java.util.List;

/**
 * The protocol over {@link NetworkFamily}: which families defaults may be chosen on
 * ({@link #TUNING}, with the three {@link ScenarioKind}s) and which they are judged on
 * ({@link #HELD_OUT}), and the variants of a family's recipe every family is run with. A default
 * that fails on a held-out family is changed only on evidence from the tuning families, then
 * reported again on the held-out ones.
 */
public final class FamilyCorpus {
    /** Families thresholds and defaults may be chosen on, besides the three scenarios. */
    public static final List<NetworkFamily> TUNING = List.of(NetworkFamily.PLAIN_CNN,
            NetworkFamily.DEPTHWISE_SEPARABLE);
    /** Families nothing is chosen on: every other family. */
    public static final List<NetworkFamily> HELD_OUT = Arrays.stream(NetworkFamily.values())
            .filter(f -> !TUNING.contains(f)).toList();

    private FamilyCorpus() {
    }

    /**
     * @param recipe a configuration
     * @return the same with Nesterov momentum SGD, learning rate 1e-2, momentum 0.9 (the
     *     configuration's regularisation and decay kept)
     */
    public static FamilyConfig nesterov(FamilyConfig recipe) {
        return recipe.toBuilder().optimizer(Optimizer.NESTEROV, 1e-2).momentum(0.9).build();
    }

    /**
     * @param recipe a configuration
     * @return the same at batch-norm decay 0.9 (window 10 iterations)
     */
    public static FamilyConfig lowDecay(FamilyConfig recipe) {
        return recipe.toBuilder().decay(0.9).build();
    }

    /**
     * A configuration with a rotational equilibrium reached early in the run: Nesterov 0.1, momentum
     * 0.9, coupled L2 1e-2 (shrink {@code eta l2/(1-a)} = 1e-2 per step), no weight decay, 600
     * iterations, as {@link ScenarioConfig#nesterovL2Equilibrium()}.
     *
     * @param family the family
     * @param seed the seed
     * @return the configuration (warm-started)
     */
    public static FamilyConfig sgdL2Equilibrium(NetworkFamily family, long seed) {
        return family.recipe(seed).toBuilder().optimizer(Optimizer.NESTEROV, 0.1).momentum(0.9).l2(1e-2)
                .weightDecay(0).iterations(600).warmStart(true).build();
    }

    /**
     * A configuration with a rotational equilibrium reached early in the run: Adam 1e-2 with
     * decoupled weight decay 0.5 (shrink 5e-3 per step), no L2, 600 iterations, as
     * {@link ScenarioConfig#adamWeightDecayEquilibrium()}.
     *
     * @param family the family
     * @param seed the seed
     * @return the configuration (warm-started)
     */
    public static FamilyConfig adamWeightDecayEquilibrium(NetworkFamily family, long seed) {
        return family.recipe(seed).toBuilder().optimizer(Optimizer.ADAM, 1e-2).l2(0).weightDecay(0.5)
                .iterations(600).warmStart(true).build();
    }

    /**
     * A configuration whose equilibrium lies far beyond its run: Nesterov 1e-2, momentum 0.9, L2
     * 1e-3 (shrink 1e-4 per step, relaxation time of order 1/(4 * 1e-4) = 2,500 iterations), the
     * family's run length.
     *
     * @param family the family
     * @param seed the seed
     * @return the configuration
     */
    public static FamilyConfig slowEquilibrium(NetworkFamily family, long seed) {
        return family.recipe(seed).toBuilder().optimizer(Optimizer.NESTEROV, 1e-2).momentum(0.9).l2(1e-3)
                .weightDecay(0).build();
    }
}
