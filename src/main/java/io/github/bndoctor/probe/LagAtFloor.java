package io.github.bndoctor.probe;


import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BN layers that lag even at the shortest window: their moving statistics cannot follow the weights
 * they describe at any decay at or above the shortest useful one.
 *
 * <p>An EMA of decay {@code d} describes, to first order, the weights of its mean age
 * {@code d/(1-d)} iterations ({@link WeightSnapshotRing}); where the weights feeding a layer turn
 * {@code w} degrees per iteration its lag is {@code w d/(1-d)} degrees. An {@code AdaptiveDecay}
 * listener shortens the window until that lag is within its angle budget {@code B}, down to its floor;
 * at the shortest useful window, decay {@value NoiseLimit#SHORTEST_DECAY} (mean age one iteration),
 * the lag is {@code w} itself. A layer whose decay in force sat near that window
 * ({@link NoiseCost#NEAR_FLOOR_DECAY}) and whose feeding weights there turned more than {@code B}
 * per iteration (median over those checkpoints of {@link LayerCheckpoint#rotationDegPerIter()}) keeps
 * a lag beyond the budget at every decay {@code >=} {@value NoiseLimit#SHORTEST_DECAY}: no decay
 * meets it, and a shorter window would average less than one batch. This names lag, not noise: the
 * layer's sampling noise at that window is {@link NoiseLimit}'s judgement, made beside it.
 *
 * <p>Judged only where the layer sat near the shortest window at at least half of the run's
 * checkpoints (its regime, not one burst), and reported only over a run whose inference needed a
 * remedy (some checkpoint's eval/precise above {@value NoiseLimit#EVAL_PRECISE_BOUND}), as
 * {@link NoiseLimit}. The remedy is not a decay: recalibrate before export, or statistics that follow
 * the weights.
 *
 * @param layer the BN layer
 * @param decay median decay in force at the checkpoints where it sat near the shortest window
 * @param rotationDegPerIter median rotation of its feeding weights there, degrees per iteration: the lag
 *     of the shortest window
 * @param budgetDeg the angle budget it was judged against
 * @param nearFloor checkpoints at which it sat near the shortest window
 * @param checkpoints checkpoints of the run that measured it
 */
public record LagAtFloor(String layer, double decay, double rotationDegPerIter, double budgetDeg, int nearFloor,
                         int checkpoints) {
    /** The words {@link #describe()} names such a layer with. */
    public static final String NAMED = "lags even at the shortest window";

    /**
     * @param run a run's checkpoints
     * @param budgetDeg the angle budget, degrees, finite and above 0 ({@code AdaptiveDecay}'s)
     * @return the layers that lag even at the shortest window, in forward order; empty unless some
     *     checkpoint's eval/precise exceeded {@value NoiseLimit#EVAL_PRECISE_BOUND}
     */
    public static List<LagAtFloor> of(List<Checkpoint> run, double budgetDeg) {
        List<LagAtFloor> out = layers(run, budgetDeg);
        if (run.stream().noneMatch(c -> c.gap().evalToPreciseRatio() > NoiseLimit.EVAL_PRECISE_BOUND)) {
            out.clear();
        }
        return out;
    }

    /**
     * The judgement per layer, whether or not the run needed a remedy.
     *
     * @param run a run's checkpoints
     * @param budgetDeg the angle budget, degrees, finite and above 0
     * @return the layers that sat near the shortest window at at least half of the run's checkpoints with
     *     a median rotation there above the budget per iteration, in forward order
     */
    public static List<LagAtFloor> layers(List<Checkpoint> run, double budgetDeg) {
        if (!(budgetDeg > 0) || Double.isInfinite(budgetDeg)) {
            throw new IllegalArgumentException("angle budget must be finite and > 0, got " + budgetDeg);
        }
        List<LagAtFloor> out = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        Map<String, List<Double>> rotations = new LinkedHashMap<>();
        Map<String, List<Double>> decays = new LinkedHashMap<>();
        for (Checkpoint c : run) {
            for (LayerCheckpoint l : c.layers()) {
                seen.merge(l.name(), 1, Integer::sum);
                if (l.decay() <= NoiseCost.NEAR_FLOOR_DECAY && Double.isFinite(l.rotationDegPerIter())) {
                    rotations.computeIfAbsent(l.name(), k -> new ArrayList<>()).add(l.rotationDegPerIter());
                    decays.computeIfAbsent(l.name(), k -> new ArrayList<>()).add(l.decay());
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : rotations.entrySet()) {
            int n = e.getValue().size();
            int all = seen.get(e.getKey());
            double rotation = NoiseLimit.median(e.getValue());
            // the lag at mean age one iteration is the rotation of one iteration
            if (2 * n >= all && rotation * WeightSnapshotRing.meanAge(NoiseLimit.SHORTEST_DECAY) > budgetDeg) {
                out.add(new LagAtFloor(e.getKey(), NoiseLimit.median(decays.get(e.getKey())), rotation, budgetDeg, n, all));
            }
        }
        return out;
    }

    /** @return one sentence naming the layer, why no decay helps, and the remedy that works */
    public String describe() {
        return String.format(Locale.ROOT, "Layer '%s' " + NAMED + ": its decay sat at %.3g (mean age %.2g"
                + " iterations) at %d of %d checkpoints, where the weights feeding it turned %.3g deg per iteration"
                + " (median), more than the %.3g-degree budget within one iteration: no decay >= %.1f keeps its"
                + " moving statistics within the budget of the weights they describe.", layer, decay,
                decay / (1 - decay), nearFloor, checkpoints, rotationDegPerIter, budgetDeg, NoiseLimit.SHORTEST_DECAY)
                + NoiseLimit.REMEDY;
    }
}
