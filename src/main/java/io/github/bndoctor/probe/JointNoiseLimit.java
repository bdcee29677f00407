package io.github.bndoctor.probe;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * BN layers that are noise-limited together: no single layer's moving average costs the output much,
 * but the sampling noise of all of them at their decays in force adds up at the output beyond the
 * bound.
 *
 * <p>Where the feeding weights turn fast, an {@code AdaptiveDecay} listener shortens every layer's
 * window to what lag demands; each short window's EMA carries a sampling noise of
 * {@code sqrt((1-d)/(1+d))} of its batch statistics' spread ({@link NoiseLimit}), and the errors of
 * several layers add at the output. {@link Checkpoint#jointNoiseCost()} is what that noise costs with
 * every moving layer drawn at once, lag-free ({@link NoiseCost#together}). The judgement reads it at
 * the checkpoints whose inference needed a remedy that precise statistics give: verdict
 * {@link Verdict#EMA_LAG} or {@link Verdict#EMA_WARMUP} (eval/train above the gap ratio, precise
 * statistics recovering training mode) past the warm-up window ({@link Checkpoint#withinWarmupWindow()}),
 * with eval/precise above {@value NoiseLimit#EVAL_PRECISE_BOUND}. The layers are noise-limited together
 * when the median joint cost over those checkpoints, where measured, is at least
 * {@value NoiseLimit#OUTPUT_COST_BOUND}: the windows the weights' motion demands are too noisy
 * together to meet the bound even without lag, and a longer window lags more. What the real moving
 * statistics cost beyond the joint noise is lag.
 *
 * <p>The layers are named in order of their EMA's noise at their windows ({@link NoiseLimit#floor} of
 * the batch statistics' spread scaled to the training batch, median over the judged checkpoints): a
 * distance, not each layer's share of the output cost (that would take a pass per layer).
 *
 * @param cost median joint noise cost over the judged checkpoints where measured
 * @param iterations the judged checkpoints' iterations where it was measured
 * @param worstEvalPrecise the largest eval/precise among them
 * @param layers the moving layers, largest EMA noise first, with that noise (distance)
 * @param decayRange smallest and largest decay in force among them at those checkpoints
 */
public record JointNoiseLimit(double cost, List<Long> iterations, double worstEvalPrecise, Map<String, Double> layers,
                              double[] decayRange) {
    /** Layers named by name at most; the rest counted. */
    static final int NAMED_LAYERS = 3;

    /**
     * @param run a run's checkpoints
     * @param probePerTrainingBatch probe examples per training batch example, positive and finite
     * @return the joint judgement, if the layers are noise-limited together
     */
    public static Optional<JointNoiseLimit> of(List<Checkpoint> run, double probePerTrainingBatch) {
        if (!(probePerTrainingBatch > 0) || Double.isInfinite(probePerTrainingBatch)) {
            throw new IllegalArgumentException("probe/training batch ratio must be finite and > 0, got "
                    + probePerTrainingBatch);
        }
        List<Checkpoint> judged = run.stream()
                .filter(c -> c.verdict() == Verdict.EMA_LAG || c.verdict() == Verdict.EMA_WARMUP)
                .filter(c -> !c.withinWarmupWindow())
                .filter(c -> c.gap().evalToPreciseRatio() > NoiseLimit.EVAL_PRECISE_BOUND)
                .filter(c -> Double.isFinite(c.jointNoiseCost()))
                .toList();
        if (judged.isEmpty()) {
            return Optional.empty();
        }
        double cost = NoiseLimit.median(judged.stream().map(Checkpoint::jointNoiseCost).toList());
        if (!(cost >= NoiseLimit.OUTPUT_COST_BOUND)) {
            return Optional.empty();
        }
        Map<String, List<Double>> noise = new LinkedHashMap<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Checkpoint c : judged) {
            for (LayerCheckpoint l : c.layers()) {
                double d = l.decay();
                double spread = l.decomposition().batchNoise();
                if (d >= 0 && d < 1 && Double.isFinite(spread)) {
                    noise.computeIfAbsent(l.name(), k -> new ArrayList<>())
                            .add(NoiseLimit.floor(Math.sqrt(probePerTrainingBatch) * spread, d));
                    lo = Math.min(lo, d);
                    hi = Math.max(hi, d);
                }
            }
        }
        Map<String, Double> layers = noise.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), NoiseLimit.median(e.getValue())))
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        return Optional.of(new JointNoiseLimit(cost, judged.stream().map(Checkpoint::iteration).toList(),
                judged.stream().mapToDouble(c -> c.gap().evalToPreciseRatio()).max().orElse(Double.NaN), layers,
                new double[] {lo, hi}));
    }

    /** @return one sentence naming the layers together, why no decay helps, and the remedy that works */
    public String describe() {
        List<String> named = layers.keySet().stream().limit(NAMED_LAYERS).map(l -> String.format(Locale.ROOT,
                "'%s' (%.2g)", l, layers.get(l))).toList();
        int rest = layers.size() - named.size();
        return String.format(Locale.ROOT, "The BN layers together are noise-limited: at iteration%s %s, where"
                + " eval/precise reached %.3g past warm-up, the sampling noise of the moving averages of all %d moving"
                + " BN layers at their decays in force (%.2f-%.2f), drawn at once and lag-free, costs eval/precise ~%.3g"
                + " (median over %d checkpoint%s, each the mean of %d seeded draws) >= %.1f: the windows the weights'"
                + " motion demands are too noisy together to meet the bound even without lag, and a longer window lags"
                + " more%s. The largest EMA noise at those windows: %s%s.",
                iterations.size() == 1 ? "" : "s", iterations.size() == 1 ? iterations.get(0) : iterations,
                worstEvalPrecise, layers.size(), decayRange[0], decayRange[1], cost, iterations.size(),
                iterations.size() == 1 ? "" : "s", NoiseCost.DRAWS, NoiseLimit.OUTPUT_COST_BOUND,
                worstEvalPrecise > cost ? "; the rest of the gap is lag" : "", String.join(", ", named), rest > 0 ? String.format(Locale.ROOT, " and %d more", rest) : "")
                + NoiseLimit.REMEDY;
    }
}
