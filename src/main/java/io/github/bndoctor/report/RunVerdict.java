package io.github.bndoctor.report;

import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.GapHistory;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * One verdict and one gate result for a whole run.
 *
 * <p>Overall verdict: the verdict of the <em>worst checkpoint after warm-up</em>. A checkpoint
 * whose verdict is {@link Verdict#DIVERGED} is worst of all (the first one is taken); otherwise,
 * among the checkpoints not excused by warm-up, the one with the largest eval/train loss ratio; if
 * every checkpoint is excused, the one with the largest ratio overall (whose verdict is then
 * EMA_WARMUP). A checkpoint is excused by warm-up when its verdict is {@link Verdict#EMA_WARMUP}
 * and the warm-up window has not passed there ({@link Checkpoint#withinWarmupWindow()}); a report's
 * checkpoint entries carry no prior weight, so {@link #worstEntry} excuses every EMA_WARMUP entry.
 * The run verdict is never {@link Verdict#HEALTHY} over a run with a degraded checkpoint
 * ({@link GapHistory#degraded}: eval/train above {@value GapHistory#DEGRADED_RATIO}): the verdict of
 * the checkpoint with the largest eval/train is taken instead, which is then an excused EMA_WARMUP
 * (every checkpoint not excused was within the gap threshold).
 *
 * <p>Gate: FAIL when any {@link AlarmLevel#FAIL} alarm was raised, the gap was persistent at a
 * checkpoint ({@link GapHistory#persistent()}: degraded there and at half or more of the
 * checkpoints so far, past the warm-up window; the rule the monitor's gate applies as it goes), or
 * the overall verdict is {@link Verdict#EMA_LAG}, {@link Verdict#BATCH_NOISE} or
 * {@link Verdict#DIVERGED}; PASS otherwise, which for {@link Verdict#EMA_WARMUP} means the prior
 * explained the gap within its window (the recommendations still say how to skip it).
 */
public final class RunVerdict {
    /** Verdicts that fail the gate. */
    public static final Set<Verdict> FAILING = Set.of(Verdict.EMA_LAG, Verdict.BATCH_NOISE, Verdict.DIVERGED);

    private RunVerdict() {
    }

    /**
     * @param checkpoints a run's checkpoints, at least one
     * @return the worst checkpoint after warm-up, by the rule in the class documentation
     */
    public static Checkpoint worst(List<Checkpoint> checkpoints) {
        return worst(checkpoints, Checkpoint::verdict, c -> c.verdict() == Verdict.EMA_WARMUP && c.withinWarmupWindow(),
                c -> c.gap().evalToTrainRatio());
    }

    /**
     * @param checkpoints a run's checkpoints, at least one
     * @return the checkpoint whose verdict is the run's, by the rules in the class documentation
     */
    public static Checkpoint verdictCheckpoint(List<Checkpoint> checkpoints) {
        Checkpoint worst = worst(checkpoints);
        if (worst.verdict() != Verdict.HEALTHY) {
            return worst;
        }
        GapHistory h = GapHistory.of(checkpoints);
        return h.degraded() > 0 ? h.worst() : worst;
    }

    /**
     * @param checkpoints a run's checkpoints, at least one
     * @param alarms every alarm of the run
     * @return whether the run fails the gate, by the rules in the class documentation
     */
    public static boolean gateFails(List<Checkpoint> checkpoints, List<Alarm> alarms) {
        return gateFails(verdictCheckpoint(checkpoints).verdict(), alarms) || GapHistory.of(checkpoints).persistent();
    }

    /**
     * The same rule on a report's checkpoint entries (verdict names and the reported eval/train ratio;
     * a ratio written as null is infinite when the training-mode loss is 0 and the inference-mode loss
     * positive, as it was computed, and NaN otherwise).
     *
     * @param checkpoints a run's checkpoint entries, at least one
     * @return the worst entry after warm-up
     */
    public static CheckpointEntry worstEntry(List<CheckpointEntry> checkpoints) {
        return worst(checkpoints, c -> Verdict.valueOf(c.verdict()), c -> Verdict.valueOf(c.verdict()) == Verdict.EMA_WARMUP,
                RunVerdict::ratio);
    }

    private static double ratio(CheckpointEntry c) {
        if (c.evalToTrainRatio() != null) {
            return c.evalToTrainRatio();
        }
        boolean overZero = c.trainModeLoss() != null && c.trainModeLoss() == 0 && c.evalModeLoss() != null
                && c.evalModeLoss() > 0;
        return overZero ? Double.POSITIVE_INFINITY : Double.NaN;
    }

    private static <T> T worst(List<T> checkpoints, Function<T, Verdict> verdict, Predicate<T> excused,
                               ToDoubleFunction<T> evalToTrain) {
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("no checkpoints: the run was shorter than one probe interval");
        }
        for (T c : checkpoints) {
            if (verdict.apply(c) == Verdict.DIVERGED) {
                return c;
            }
        }
        Comparator<T> byRatio = Comparator.comparingDouble(c -> {
            double r = evalToTrain.applyAsDouble(c);
            return Double.isNaN(r) ? Double.NEGATIVE_INFINITY : r;
        });
        return checkpoints.stream().filter(excused.negate()).max(byRatio)
                .orElseGet(() -> checkpoints.stream().max(byRatio).orElseThrow());
    }

    /**
     * @param verdict the overall verdict
     * @param alarms every alarm of the run
     * @return whether the gate fails
     */
    public static boolean gateFails(Verdict verdict, List<Alarm> alarms) {
        return FAILING.contains(verdict) || alarms.stream().anyMatch(a -> a.level() == AlarmLevel.FAIL);
    }

    /**
     * @param fails a gate result
     * @return {@code FAIL} or {@code PASS}
     */
    public static String gateName(boolean fails) {
        return fails ? "FAIL" : "PASS";
    }
}
