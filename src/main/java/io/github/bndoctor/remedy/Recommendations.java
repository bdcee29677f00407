package io.github.bndoctor.remedy;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.Verdict;

import java.util.ArrayList;
import java.util.List;

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
                    + "train longer, warm-start them (WarmStart.apply) or recalibrate before export (PreciseBn.recalibrate).",
                    worst.layers().isEmpty() ? Double.NaN : worst.layers().get(0).decomposition().priorWeight(),
                    worst.iteration()));
            case EMA_LAG -> {
                out.add(String.format("Recalibrate BN statistics before export or evaluation (PreciseBn.recalibrate): at iteration %d "
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
