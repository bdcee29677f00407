package io.github.bndoctor.report;

import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * One verdict and one gate result for a whole run.
 *
 * <p>Overall verdict: the verdict of the <em>worst checkpoint after warm-up</em>. A checkpoint
 * whose verdict is {@link Verdict#DIVERGED} is worst of all (the first one is taken); otherwise,
 * among the checkpoints whose verdict is not {@link Verdict#EMA_WARMUP}, the one with the largest
 * eval/train loss ratio; if every checkpoint is still in warm-up, the one with the largest ratio
 * overall (whose verdict is then EMA_WARMUP).
 *
 * <p>Gate: FAIL when any {@link AlarmLevel#FAIL} alarm was raised or the overall verdict is
 * {@link Verdict#EMA_LAG}, {@link Verdict#BATCH_NOISE} or {@link Verdict#DIVERGED}; PASS for
 * {@link Verdict#HEALTHY} and {@link Verdict#EMA_WARMUP} (the prior wears off by itself; the
 * recommendations still say how to skip it).
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
        return worst(checkpoints, Checkpoint::verdict, c -> c.gap().evalToTrainRatio());
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
        return worst(checkpoints, c -> Verdict.valueOf(c.verdict()), RunVerdict::ratio);
    }

    private static double ratio(CheckpointEntry c) {
        if (c.evalToTrainRatio() != null) {
            return c.evalToTrainRatio();
        }
        boolean overZero = c.trainModeLoss() != null && c.trainModeLoss() == 0 && c.evalModeLoss() != null
                && c.evalModeLoss() > 0;
        return overZero ? Double.POSITIVE_INFINITY : Double.NaN;
    }

    private static <T> T worst(List<T> checkpoints, Function<T, Verdict> verdict, ToDoubleFunction<T> evalToTrain) {
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
        return checkpoints.stream().filter(c -> verdict.apply(c) != Verdict.EMA_WARMUP).max(byRatio)
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
