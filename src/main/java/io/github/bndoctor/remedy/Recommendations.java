package io.github.bndoctor.remedy;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.GapHistory;
import io.github.bndoctor.probe.NoiseLimit;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Advice derived from measurements, never from rules of thumb alone.
 *
 * <p>The decay recommendation inverts the predicted lag: a layer whose feeding weights turn at
 * {@code w} degrees per iteration, under a decay {@code d}, lags by {@code w d/(1-d)} degrees; the
 * largest decay that keeps the median layer's lag within a budget {@code B} is
 * {@code d = B / (B + w)}.
 */
public final class Recommendations {
    /** Default lag budget in degrees: the median predicted lag above which the seed report's gap appeared (5 degrees). */
    public static final double DEFAULT_LAG_BUDGET_DEGREES = 5.0;

    private Recommendations() {
    }

    /**
     * @param rotationDegPerIter median rotation of the feeding weights
     * @param lagBudgetDegrees acceptable predicted lag
     * @return the largest decay with {@code rotation x d/(1-d) <= budget}
     */
    public static double largestDecayWithinBudget(double rotationDegPerIter, double lagBudgetDegrees) {
        if (!(rotationDegPerIter > 0) || !(lagBudgetDegrees > 0)) {
            throw new IllegalArgumentException("rotation and budget must be positive, got " + rotationDegPerIter
                    + ", " + lagBudgetDegrees);
        }
        return lagBudgetDegrees / (lagBudgetDegrees + rotationDegPerIter);
    }

    /**
     * Recommendations over a whole run: first what happened when ({@link GapHistory#describe()}),
     * then the advice for the run's verdict. The run is never said to have stayed within the gap
     * threshold when a checkpoint was not healthy; warm-up is named as the cause only while its
     * window had not passed ({@link Checkpoint#withinWarmupWindow()}), and past it as a remainder
     * that no longer excuses the gap. Noise-limited layers ({@link NoiseLimit}) are named last, with
     * why no decay helps them and the remedy that works; then the layers noise-limited together
     * ({@link io.github.bndoctor.probe.JointNoiseLimit}: their windows' sampling noise at once); then layers that lag even at the shortest
     * window ({@link io.github.bndoctor.probe.LagAtFloor}, against {@link AdaptiveDecay}'s default
     * budget), and layers near the shortest window
     * whose noise cost the probe was too small to measure ({@link NoiseLimit#unmeasured}).
     *
     * @param run the run's checkpoints, in order, at least one
     * @param verdictCheckpoint the checkpoint whose verdict is the run's (the report's worst after warm-up)
     * @param currentDecay the BN decay in use (median over layers)
     * @return recommendations, most effective first after the history line
     */
    public static List<String> from(List<Checkpoint> run, Checkpoint verdictCheckpoint, double currentDecay) {
        return from(run, verdictCheckpoint, currentDecay, 1);
    }

    /**
     * {@link #from(List, Checkpoint, double)} with the probe's size known: noise-limited layers are
     * judged by the output cost of their EMA's sampling noise where the monitor measured it
     * ({@link io.github.bndoctor.probe.LayerCheckpoint#noiseCost()}), else at the training batch's
     * spread ({@link NoiseLimit#of(List, double)}).
     *
     * @param run the run's checkpoints, in order, at least one
     * @param verdictCheckpoint the checkpoint whose verdict is the run's (the report's worst after warm-up)
     * @param currentDecay the BN decay in use (median over layers)
     * @param probePerTrainingBatch probe examples per training batch example
     *     ({@code BnMonitor.probePerTrainingBatch()}; 1 if unknown)
     * @return recommendations, most effective first after the history line
     */
    public static List<String> from(List<Checkpoint> run, Checkpoint verdictCheckpoint, double currentDecay,
                                    double probePerTrainingBatch) {
        GapHistory h = GapHistory.of(run);
        List<String> out = new ArrayList<>();
        out.add("Over the run: " + h.describe());
        List<String> advice = new ArrayList<>(from(verdictCheckpoint, h.last(), currentDecay));
        Verdict v = verdictCheckpoint.verdict();
        List<Long> unhealthy = run.stream().filter(c -> c.verdict() != Verdict.HEALTHY).map(Checkpoint::iteration).toList();
        if (v == Verdict.HEALTHY && !unhealthy.isEmpty()) {
            advice.set(0, "No action needed now: inference-mode loss exceeded the gap threshold of training mode only at"
                    + " iterations " + unhealthy + ", while the moving statistics' prior still held more than e^-1 of"
                    + " its weight (warm-up); after the warm-up window it was within the threshold at every checkpoint.");
        } else if (v == Verdict.EMA_WARMUP && !verdictCheckpoint.withinWarmupWindow()) {
            advice.set(0, String.format(Locale.ROOT, "Moving statistics still carry part of their initial prior (weight"
                    + " %.3g at iteration %d), but the EMA window 1/(1-d) has passed: the prior no longer excuses the"
                    + " gap. Warm-start them (WarmStart.apply) or recalibrate before export (the recalibrate command; PreciseBn.recalibrate in code);"
                    + " if the gap persists with warm-started statistics, the EMA lags.",
                    verdictCheckpoint.largestPriorWeight(), verdictCheckpoint.iteration()));
        }
        if (h.persistent()) {
            advice.add(0, String.format(Locale.ROOT, "Inference is broken: eval/train above %.0f at %d of %d checkpoints,"
                    + " past the warm-up window from iteration %d on; the gate fails.", GapHistory.DEGRADED_RATIO,
                    h.degraded(), h.checkpoints(), h.firstPersistent().iteration()));
        }
        for (NoiseLimit n : NoiseLimit.of(run, probePerTrainingBatch)) {
            advice.add(n.describe());
        }
        io.github.bndoctor.probe.JointNoiseLimit.of(run, probePerTrainingBatch).ifPresent(j -> advice.add(j.describe()));
        for (io.github.bndoctor.probe.LagAtFloor l : io.github.bndoctor.probe.LagAtFloor.of(run,
                AdaptiveDecay.DEFAULT_BUDGET_DEG)) {
            advice.add(l.describe());
        }
        NoiseLimit.unmeasured(run, probePerTrainingBatch).ifPresent(advice::add);
        out.addAll(advice);
        return out;
    }

    /**
     * @param worst the checkpoint with the largest eval/train ratio
     * @param latest the last checkpoint
     * @param currentDecay the BN decay in use (median over layers)
     * @return recommendations, most effective first
     */
    public static List<String> from(Checkpoint worst, Checkpoint latest, double currentDecay) {
        List<String> out = new ArrayList<>();
        Verdict v = worst.verdict();
        double rotation = io.github.bndoctor.stats.Median.of(worst.layers().stream().mapToDouble(LayerCheckpoint::rotationDegPerIter)
                .filter(d -> !Double.isNaN(d)).toArray());
        switch (v) {
            case HEALTHY -> out.add("No action needed: inference-mode loss stayed within the gap threshold of training mode.");
            case EMA_WARMUP -> out.add(String.format("Moving statistics still carry their initial prior (weight d^n = %.3g at iteration %d): "
                    + "train longer, warm-start them (WarmStart.apply) or recalibrate before export (the recalibrate command; PreciseBn.recalibrate in code).",
                    worst.layers().isEmpty() ? Double.NaN : worst.layers().get(0).decomposition().priorWeight(),
                    worst.iteration()));
            case EMA_LAG -> {
                out.add(String.format("Recalibrate BN statistics before export or evaluation (the recalibrate command; PreciseBn.recalibrate in code): at iteration %d "
                        + "precise statistics gave loss %.4g vs %.4g with the moving ones.", worst.iteration(),
                        worst.gap().preciseLoss(), worst.gap().evalModeLoss()));
                if (rotation > 0) {
                    double d = largestDecayWithinBudget(rotation, DEFAULT_LAG_BUDGET_DEGREES);
                    out.add(String.format("Weights feeding BN turn %.3g deg/iteration (median); decay %.4g predicts a %.3g deg lag. "
                            + "Use decay <= %.4g to keep it under %.0f deg.", rotation, currentDecay,
                            rotation * currentDecay / (1 - currentDecay), d, DEFAULT_LAG_BUDGET_DEGREES));
                }
                out.add("Or slow the rotation: a lower learning rate (e.g. Adam 1e-4), or momentum SGD (Nesterovs(lr, 0.9)) instead of Adam.");
            }
            case BATCH_NOISE -> out.add("Precise statistics do not recover training mode: the model relies on per-batch statistics. "
                    + "Use larger batches, or evaluate with batch statistics consistently.");
            case DIVERGED -> out.add("Training-mode loss itself is bad: fix training (learning rate, data, loss) before BN.");
        }
        if (latest != worst && latest.verdict() != Verdict.HEALTHY && v == Verdict.HEALTHY) {
            out.add("The last checkpoint is not healthy: " + latest.verdict());
        }
        return out;
    }
}
