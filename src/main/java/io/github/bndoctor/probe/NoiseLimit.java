package io.github.bndoctor.probe;

import io.github.bndoctor.stats.Median;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BN layers whose moving average cannot meet the bound at any decay: noise-limited layers.
 *
 * <p>An EMA of decay {@code d} over batch statistics whose errors around the population statistics
 * are independent from batch to batch, each of variance {@code v}, has a stationary error variance
 * {@code (1-d)/(1+d) v} (the sum {@code (1-d)^2 sum d^(2k)}), so even without lag its error is
 * {@code sqrt((1-d)/(1+d))} times the batch statistics' spread. The shortest useful window, decay
 * {@value #SHORTEST_DECAY} (a mean age of one iteration: the least lag an EMA can have), gives
 * {@code sqrt(1/3)} of the spread; longer windows trade that noise for lag. A layer whose batch
 * statistics spread so widely (at the training batch's samples per channel) that {@code sqrt(1/3)} of it exceeds {@value #DISTANCE_BOUND} (the
 * distance of {@link LayerDecomposition}: standardized mean shift plus absolute log variance ratio,
 * half a standard deviation; {@code AlarmPolicy}'s lag warning level) is noise-limited: with few
 * samples per channel per batch (a dense BN layer at batch 8 has 8) every decay leaves it either
 * that noisy or lagging. The spread is read from each checkpoint's probe batch
 * ({@link LayerDecomposition#batchNoise()}), median over the run's checkpoints, and scaled to the
 * training batch by {@code sqrt(probe examples / training batch examples)} where that ratio is known
 * ({@link #of(List, double)}; {@code BnMonitor.probePerTrainingBatch()}, carried to the report by its
 * run). The square-root law holds for the mean shift; for the log variance ratio it is its large-sample
 * form and understates the spread of very small batches. The remedy is not a
 * decay: recalibrate before export (precise statistics at the final weights), or statistics that
 * follow the weights.
 *
 * <p>Where the output was measured, it decides: a layer whose decay in force sat near the shortest
 * window ({@link NoiseCost#NEAR_FLOOR_DECAY}; an {@code AdaptiveDecay} listener holds it there where
 * the feeding weights turn so fast that every longer window lags) carries at those checkpoints the
 * expected eval/precise that its EMA's sampling noise alone costs at that decay and the training
 * batch's size ({@link LayerCheckpoint#noiseCost()}, {@link NoiseCost}). It is noise-limited when
 * the median of that cost over those checkpoints exceeds {@value #OUTPUT_COST_BOUND}: no decay at or
 * above the one lag demands meets the bound at this batch size, whatever the distance says (a small
 * distance can cost much in a layer the output is sensitive to, and a large one little). The distance
 * criterion above judges only the layers never measured so.
 *
 * <p>Reported only over a run whose inference needed a remedy: some checkpoint's eval/precise
 * above {@value #EVAL_PRECISE_BOUND}.
 *
 * @param layer the BN layer
 * @param batchSpread median over the run's checkpoints of its batch statistics' distance from the
 *     precise statistics (scaled to the training batch)
 * @param floorAtShortestWindow {@code sqrt((1-d)/(1+d))} of it at {@code d =} {@value #SHORTEST_DECAY}
 * @param outputCost median over the checkpoints where it was measured of the expected eval/precise
 *     from the EMA's sampling noise alone ({@code NaN} if never measured: judged by the distance)
 * @param decay median decay in force at those checkpoints ({@code NaN} if never measured)
 * @param measured checkpoints at which the output cost was measured
 */
public record NoiseLimit(String layer, double batchSpread, double floorAtShortestWindow, double outputCost,
                         double decay, int measured) {
    /** The shortest useful window's decay: a mean age of one iteration. */
    public static final double SHORTEST_DECAY = 0.5;
    /** The EMA error (distance) a layer must be able to get below: half a standard deviation. */
    public static final double DISTANCE_BOUND = 0.5;
    /** eval/precise above which a run needed a remedy (the verdict's gap ratio). */
    public static final double EVAL_PRECISE_BOUND = 1.5;
    /**
     * Expected eval/precise from sampling noise alone above which no decay helps: the bound adaptive
     * decay is held to (eval/train 1.5, the verdict's gap ratio), which a lag-free EMA must meet.
     */
    public static final double OUTPUT_COST_BOUND = 1.5;
    /** The remedy that works where no decay does, as the reports word it (also {@link LagAtFloor}'s). */
    static final String REMEDY = " Recalibrate before export (the recalibrate command, PreciseBn.recalibrate), or keep"
            + " statistics that follow the weights (ProjectedStatistics, for a layer fed by a dense layer or a"
            + " convolution with identity activation, by average pooling of one, or by a concatenation or sum of them).";

    /**
     * @param batchSpread the batch statistics' distance from the precise statistics, at least 0
     * @param decay an EMA decay in [0, 1)
     * @return the EMA's error from batch noise alone, {@code sqrt((1-d)/(1+d)) x spread}
     */
    public static double floor(double batchSpread, double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("decay must be in [0, 1), got " + decay);
        }
        return Math.sqrt((1 - decay) / (1 + decay)) * batchSpread;
    }

    /**
     * @param run a run's checkpoints
     * @return its noise-limited layers in forward order, empty unless some checkpoint's eval/precise
     *     exceeded {@value #EVAL_PRECISE_BOUND}
     */
    public static List<NoiseLimit> of(List<Checkpoint> run) {
        return of(run, 1);
    }

    /**
     * The criterion with the probe's spread scaled to the training batch: a batch statistic's error
     * shrinks as {@code 1/sqrt(m)} with {@code m} samples per channel, so a probe of {@code k} times
     * the training batch shows {@code 1/sqrt(k)} of the training batches' spread.
     *
     * @param run a run's checkpoints
     * @param probePerTrainingBatch examples in the probe batch per example in a training batch
     *     ({@code k}, positive and finite; below 1 when the probe is smaller than a training batch;
     *     1 when the probe is one training batch, or unknown)
     * @return its noise-limited layers in forward order, empty unless some checkpoint's eval/precise
     *     exceeded {@value #EVAL_PRECISE_BOUND}
     */
    public static List<NoiseLimit> of(List<Checkpoint> run, double probePerTrainingBatch) {
        if (!(probePerTrainingBatch > 0) || Double.isInfinite(probePerTrainingBatch)) {
            throw new IllegalArgumentException("probe/training batch ratio must be finite and > 0, got "
                    + probePerTrainingBatch);
        }
        boolean needed = run.stream().anyMatch(c -> c.gap().evalToPreciseRatio() > EVAL_PRECISE_BOUND);
        List<NoiseLimit> out = new ArrayList<>();
        if (!needed) {
            return out;
        }
        Map<String, List<Double>> spreads = new LinkedHashMap<>();
        Map<String, List<Double>> costs = new LinkedHashMap<>();
        Map<String, List<Double>> decays = new LinkedHashMap<>();
        for (Checkpoint c : run) {
            for (LayerCheckpoint l : c.layers()) {
                double b = l.decomposition().batchNoise();
                if (Double.isFinite(b)) {
                    spreads.computeIfAbsent(l.name(), k -> new ArrayList<>()).add(b);
                }
                if (Double.isFinite(l.noiseCost())) {
                    costs.computeIfAbsent(l.name(), k -> new ArrayList<>()).add(l.noiseCost());
                    decays.computeIfAbsent(l.name(), k -> new ArrayList<>()).add(l.decay());
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : spreads.entrySet()) {
            double spread = Math.sqrt(probePerTrainingBatch) * median(e.getValue());
            double floor = floor(spread, SHORTEST_DECAY);
            List<Double> cost = costs.get(e.getKey());
            if (cost != null) {
                double m = median(cost);
                if (m > OUTPUT_COST_BOUND) {
                    out.add(new NoiseLimit(e.getKey(), spread, floor, m, median(decays.get(e.getKey())), cost.size()));
                }
            } else if (floor > DISTANCE_BOUND) {
                out.add(new NoiseLimit(e.getKey(), spread, floor, Double.NaN, Double.NaN, 0));
            }
        }
        return out;
    }

    /**
     * Where the monitor could not measure a layer's noise cost because its probe was too small: the
     * layers whose decay in force sat near the shortest window ({@link NoiseCost#NEAR_FLOOR_DECAY}) at
     * some checkpoint, never with a measured cost, while the probe held fewer than
     * {@code 2 x} {@link NoiseCost#MIN_CHUNKS_PER_HALF} training batches (the cross-fitting needs that
     * many in each half). Such a layer is judged only by the distance criterion, which says nothing of
     * the output; the run's report says so instead of skipping it in silence.
     *
     * @param run a run's checkpoints
     * @param probePerTrainingBatch examples in the probe batch per example in a training batch, positive and finite
     * @return one sentence naming those layers, the probe's size in training batches and the size needed;
     *     empty if there are none or the probe was large enough
     */
    public static java.util.Optional<String> unmeasured(List<Checkpoint> run, double probePerTrainingBatch) {
        if (!(probePerTrainingBatch > 0) || Double.isInfinite(probePerTrainingBatch)) {
            throw new IllegalArgumentException("probe/training batch ratio must be finite and > 0, got "
                    + probePerTrainingBatch);
        }
        int needed = 2 * NoiseCost.MIN_CHUNKS_PER_HALF;
        // the probe holds floor(k) whole training batches; 1e-9 absorbs rounding in the ratio
        long held = (long) Math.floor(probePerTrainingBatch + 1e-9);
        if (held >= needed) {
            return java.util.Optional.empty();
        }
        java.util.Set<String> near = new java.util.LinkedHashSet<>();
        java.util.Set<String> measured = new java.util.HashSet<>();
        for (Checkpoint c : run) {
            for (LayerCheckpoint l : c.layers()) {
                if (l.decay() <= NoiseCost.NEAR_FLOOR_DECAY) {
                    near.add(l.name());
                }
                if (Double.isFinite(l.noiseCost())) {
                    measured.add(l.name());
                }
            }
        }
        near.removeAll(measured);
        if (near.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format(java.util.Locale.ROOT, "The output cost of the sampling noise of"
                + " %s was not measured: %s decay sat at or below %.3g (a window of at most two iterations) but the"
                + " probe holds %d training batch%s and the measurement needs %d (two per half, to score each half's"
                + " draws on the other); give the monitor a probe of at least %d training batches to tell noise from"
                + " lag there.", quoted(near), near.size() == 1 ? "its" : "their", NoiseCost.NEAR_FLOOR_DECAY, held,
                held == 1 ? "" : "es", needed, needed));
    }

    private static String quoted(java.util.Collection<String> layers) {
        return layers.stream().map(l -> "'" + l + "'").collect(java.util.stream.Collectors.joining(", "));
    }

    /** @return the median of {@code xs}, not empty (also {@link LagAtFloor}'s) */
    static double median(List<Double> xs) {
        return Median.of(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** @return one sentence naming the layer, why, and the remedy that works */
    public String describe() {
        if (measured > 0) {
            return String.format(java.util.Locale.ROOT, "Layer '%s' is noise-limited: its decay sat at %.3g (mean age"
                    + " %.2g iterations) where the weights feeding it turn too fast for a longer window, and there the"
                    + " moving average's sampling noise alone, at the training batch's size, costs eval/precise ~%.3g"
                    + " (median over %d checkpoints, each the mean of %d seeded draws of the EMA) > %.1f: no decay >="
                    + " %.3g meets the bound at this batch size.", layer, decay, decay / (1 - decay), outputCost,
                    measured, NoiseCost.DRAWS, OUTPUT_COST_BOUND, decay) + REMEDY;
        }
        return String.format(java.util.Locale.ROOT, "Layer '%s' is noise-limited: too few samples per channel per batch;"
                + " its batch statistics spread %.3g (standardized mean shift + |log variance ratio|, median over"
                + " checkpoints) around the precise ones, so even the shortest useful window (decay %.1f) leaves an"
                + " EMA error of ~%.3g > %.1f: no decay meets the bound.", layer, batchSpread,
                SHORTEST_DECAY, floorAtShortestWindow, DISTANCE_BOUND) + REMEDY;
    }
}
