package io.github.bndoctor.probe;

import java.util.List;
import java.util.Locale;

/**
 * What a run's inference/training gap did over its checkpoints: how often inference was degraded,
 * the worst and the last checkpoint, and the trend.
 *
 * <p>A checkpoint is <em>degraded</em> when its inference-mode loss exceeds
 * {@value #DEGRADED_RATIO} times the training-mode loss (the project's scoring of early warnings and
 * state alarms). The gap is <em>persistent</em> at a checkpoint when that checkpoint is degraded,
 * degraded checkpoints make up at least {@value #PERSISTENT_SHARE} of the run so far, and the
 * warm-up excuse no longer holds there ({@link Checkpoint#withinWarmupWindow()}: the prior holds
 * at most {@code e^-1}, i.e. the EMA window {@code 1/(1-d)} has passed, or the statistics were
 * warm-started). A run whose inference was broken at half or more of its checkpoints therefore
 * has a persistent gap at its last degraded checkpoint unless every degraded checkpoint lies within
 * the warm-up window; the monitor fails its gate at the first persistent checkpoint, and a report
 * over the run fails it when any checkpoint is persistent.
 *
 * <p>Trend: the mean of {@code ln(eval/train)} over the later half of the checkpoints against the
 * earlier half ({@code floor(n/2)} each, the middle one left out for odd {@code n}); a change by more
 * than a factor {@value #TREND_FACTOR} is rising or falling.
 *
 * @param checkpoints checkpoints in the run
 * @param degraded checkpoints whose eval/train exceeded {@value #DEGRADED_RATIO}
 * @param worst the checkpoint with the largest eval/train (the earliest of equal ones; NaN ratios count lowest)
 * @param last the last checkpoint
 * @param trend how eval/train moved over the run
 * @param firstPersistent the first checkpoint at which the gap was persistent, or {@code null}
 */
public record GapHistory(int checkpoints, int degraded, Checkpoint worst, Checkpoint last, Trend trend,
                         Checkpoint firstPersistent) {
    /** eval/train above which a checkpoint counts as degraded. */
    public static final double DEGRADED_RATIO = 2.0;
    /** Share of degraded checkpoints from which a post-window degraded checkpoint makes the gap persistent. */
    public static final double PERSISTENT_SHARE = 0.5;
    /** Factor of change in the typical eval/train between the run's halves that counts as a trend. */
    public static final double TREND_FACTOR = 1.25;

    /** How eval/train moved over a run. */
    public enum Trend {
        /** Later checkpoints are worse by more than {@value GapHistory#TREND_FACTOR}x. */
        RISING,
        /** Later checkpoints are better by more than {@value GapHistory#TREND_FACTOR}x. */
        FALLING,
        /** Neither, or fewer than two checkpoints. */
        FLAT
    }

    /**
     * @param run a run's checkpoints in order, at least one
     * @return its history
     */
    public static GapHistory of(List<Checkpoint> run) {
        if (run.isEmpty()) {
            throw new IllegalArgumentException("no checkpoints: the run was shorter than one probe interval");
        }
        int degraded = 0;
        Checkpoint worst = run.get(0);
        Checkpoint firstPersistent = null;
        for (int i = 0; i < run.size(); i++) {
            Checkpoint c = run.get(i);
            if (degraded(c)) {
                degraded++;
                if (firstPersistent == null && persistent(c, degraded, i + 1)) {
                    firstPersistent = c;
                }
            }
            if (key(c) > key(worst)) {
                worst = c;
            }
        }
        return new GapHistory(run.size(), degraded, worst, run.get(run.size() - 1), trend(run), firstPersistent);
    }

    /**
     * @param c a checkpoint
     * @return whether its eval/train exceeds {@value #DEGRADED_RATIO}
     */
    public static boolean degraded(Checkpoint c) {
        return c.gap().evalToTrainRatio() > DEGRADED_RATIO;
    }

    /**
     * @param run a run's checkpoints so far, in order, at least one
     * @return whether the gap is persistent at the last of them (see the class notes)
     */
    public static boolean persistentAtLast(List<Checkpoint> run) {
        if (run.isEmpty()) {
            throw new IllegalArgumentException("no checkpoints");
        }
        int degraded = (int) run.stream().filter(GapHistory::degraded).count();
        return persistent(run.get(run.size() - 1), degraded, run.size());
    }

    private static boolean persistent(Checkpoint c, int degradedSoFar, int soFar) {
        return degraded(c) && degradedSoFar >= PERSISTENT_SHARE * soFar && !c.withinWarmupWindow();
    }

    /** @return whether eval/train exceeded {@value #DEGRADED_RATIO} at half or more of the checkpoints */
    public boolean degradedAtHalfOrMore() {
        return degraded > 0 && degraded >= PERSISTENT_SHARE * checkpoints;
    }

    /** @return whether the gap was persistent at some checkpoint (see the class notes) */
    public boolean persistent() {
        return firstPersistent != null;
    }

    /** @return one sentence: worst and last eval/train with iteration and verdict, trend, degraded count */
    public String describe() {
        return String.format(Locale.ROOT, "eval/train worst %.3g at iteration %d (%s), last %.3g at iteration %d (%s),"
                + " trend %s; above %.0f at %d of %d checkpoints.", worst.gap().evalToTrainRatio(), worst.iteration(),
                worst.verdict(), last.gap().evalToTrainRatio(), last.iteration(), last.verdict(),
                trend.name().toLowerCase(Locale.ROOT), DEGRADED_RATIO, degraded, checkpoints);
    }

    private static double key(Checkpoint c) {
        double r = c.gap().evalToTrainRatio();
        return Double.isNaN(r) ? Double.NEGATIVE_INFINITY : r;
    }

    private static Trend trend(List<Checkpoint> run) {
        int half = run.size() / 2;
        if (half == 0) {
            return Trend.FLAT;
        }
        double early = meanLog(run.subList(0, half));
        double late = meanLog(run.subList(run.size() - half, run.size()));
        if (!Double.isFinite(early) || !Double.isFinite(late)) {
            return Trend.FLAT;
        }
        double change = late - early;
        if (change > Math.log(TREND_FACTOR)) {
            return Trend.RISING;
        }
        return change < -Math.log(TREND_FACTOR) ? Trend.FALLING : Trend.FLAT;
    }

    private static double meanLog(List<Checkpoint> cs) {
        double s = 0;
        for (Checkpoint c : cs) {
            s += Math.log(c.gap().evalToTrainRatio());
        }
        return s / cs.size();
    }
}
