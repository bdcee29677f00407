package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.Recommendations;
import io.github.bndoctor.stats.Median;

import java.util.Comparator;
import java.util.Locale;

/**
 * The text a failed gate or a failed gap assertion shows: which layer, at which iteration, the
 * gap's factors {@code eval/train = (eval/precise) x (precise/train)}, the verdict and the remedy
 * with its numbers ({@link Recommendations}). Numbers are written with three significant digits.
 */
public final class GapMessage {
    private GapMessage() {
    }

    /**
     * @param v a number
     * @return it with three significant digits ({@code "n/a"} if NaN)
     */
    public static String number(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3g", v);
    }

    /**
     * Two numbers with three significant digits, or as many more as it takes to tell them apart
     * (a value just over its bound must not read "at most 8.56 but was 8.56").
     *
     * @param a a number
     * @param b another
     * @return both, formatted alike
     */
    public static String[] apart(double a, double b) {
        for (int digits = 3; digits < 17; digits++) {
            String fa = digits(a, digits);
            String fb = digits(b, digits);
            if (!fa.equals(fb) || a == b) {
                return new String[] {fa, fb};
            }
        }
        return new String[] {Double.toString(a), Double.toString(b)};
    }

    private static String digits(double v, int digits) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%." + digits + "g", v);
    }

    /**
     * @param c a checkpoint
     * @return the BN layer whose moving statistics are furthest from the precise ones ({@code "*"} if none)
     */
    public static String worstLayer(Checkpoint c) {
        return c.layers().stream().max(Comparator.comparingDouble(l -> l.decomposition().emaError()))
                .map(LayerCheckpoint::name).orElse("*");
    }

    /**
     * @param c a checkpoint
     * @return the median decay in force over its BN layers ({@code NaN} if unknown)
     */
    public static double medianDecay(Checkpoint c) {
        return Median.of(c.layers().stream().mapToDouble(LayerCheckpoint::decay).filter(d -> !Double.isNaN(d)).toArray());
    }

    /**
     * @param c a checkpoint
     * @return {@code "eval/train X, eval/precise Y, precise/train Z; verdict V; remedy: ..."}
     */
    public static String gapAndRemedy(Checkpoint c) {
        return String.format(Locale.ROOT, "eval/train %s, eval/precise %s, precise/train %s; verdict %s; remedy: %s",
                number(c.gap().evalToTrainRatio()), number(c.gap().evalToPreciseRatio()),
                number(c.gap().preciseToTrainRatio()), c.verdict(),
                String.join(" ", Recommendations.from(c, c, medianDecay(c))));
    }

    /**
     * @param alarm the failing alarm
     * @param c the checkpoint that raised it
     * @param why why a checkpoint ran at that iteration (scheduled, or confirming a warning)
     * @return the gate failure's message
     */
    public static String gateFailure(Alarm alarm, Checkpoint c, String why) {
        return String.format(Locale.ROOT, "bn-doctor gate FAILED at iteration %d (%s): layer '%s' %s = %s > %s; %s",
                alarm.iteration(), why, alarm.layer(), alarm.metric(), number(alarm.value()), number(alarm.threshold()),
                gapAndRemedy(c));
    }
}
