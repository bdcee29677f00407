package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;

import java.util.List;
import java.util.function.Predicate;

/**
 * Precision and recall of an alarm rule against an outcome over a set of checkpoints: the outcome
 * is "inference-mode loss at least {@code outcomeRatio} times training-mode loss", the question is
 * how well the rule flags those checkpoints.
 *
 * @param truePositives checkpoints flagged with the outcome
 * @param falsePositives checkpoints flagged without it
 * @param falseNegatives checkpoints with the outcome, not flagged
 * @param trueNegatives the rest
 */
public record AlarmQuality(int truePositives, int falsePositives, int falseNegatives, int trueNegatives) {

    /**
     * @param checkpoints the checkpoints to score
     * @param rule the alarm rule
     * @param outcomeRatio eval/train ratio that counts as a degraded inference
     * @return the confusion counts
     */
    public static AlarmQuality of(List<Checkpoint> checkpoints, Predicate<Checkpoint> rule, double outcomeRatio) {
        // each checkpoint judged on itself alone
        return ofRuns(checkpoints.stream().map(List::of).toList(), rule, outcomeRatio, 0);
    }

    /**
     * Scores an early warning: a flagged checkpoint counts as a true positive when its own run
     * degrades at it or within the next {@code horizon} iterations (for BN, the EMA window
     * {@code 1/(1-d)}: a lag predicted now shows in the outputs within one window). A checkpoint is
     * scored only when its run has decided its outcome: it degrades within the part of the horizon
     * the run observes, or the run observes the whole horizon (its last checkpoint at or beyond
     * {@code iteration + horizon}). A checkpoint whose run ends first without degrading is undecided
     * and not scored, flagged or not: a warning there is not known to be false, nor a silence a true
     * negative (right-censoring; counting them as negatives would blame a warning on the run's end).
     * Every count is then a decided outcome; where runs end early the counts lean to the positives,
     * which are decided sooner. A horizon of 0 scores every checkpoint.
     *
     * @param runs checkpoints of each run, in iteration order
     * @param rule the alarm rule
     * @param outcomeRatio eval/train ratio that counts as degraded inference
     * @param horizon iterations ahead that count
     * @return the confusion counts over the checkpoints whose outcome the run decided
     */
    public static AlarmQuality ofRuns(List<List<Checkpoint>> runs, Predicate<Checkpoint> rule, double outcomeRatio,
                                      long horizon) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        int tn = 0;
        for (List<Checkpoint> run : runs) {
            long last = run.stream().mapToLong(Checkpoint::iteration).max().orElse(0);
            for (Checkpoint c : run) {
                boolean bad = run.stream().anyMatch(o -> o.iteration() >= c.iteration()
                        && o.iteration() - c.iteration() <= horizon && o.gap().evalToTrainRatio() >= outcomeRatio);
                if (!bad && horizon > last - c.iteration()) {
                    continue;
                }
                boolean flagged = rule.test(c);
                if (flagged && bad) {
                    tp++;
                } else if (flagged) {
                    fp++;
                } else if (bad) {
                    fn++;
                } else {
                    tn++;
                }
            }
        }
        return new AlarmQuality(tp, fp, fn, tn);
    }

    /**
     * @param other counts over other checkpoints
     * @return the counts of both together
     */
    public AlarmQuality plus(AlarmQuality other) {
        return new AlarmQuality(truePositives + other.truePositives, falsePositives + other.falsePositives,
                falseNegatives + other.falseNegatives, trueNegatives + other.trueNegatives);
    }

    /** @return {@code tp / (tp + fp)}, NaN when nothing was flagged */
    public double precision() {
        return truePositives + falsePositives == 0 ? Double.NaN : (double) truePositives / (truePositives + falsePositives);
    }

    /** @return {@code tp / (tp + fn)}, NaN when no checkpoint had the outcome */
    public double recall() {
        return truePositives + falseNegatives == 0 ? Double.NaN : (double) truePositives / (truePositives + falseNegatives);
    }

    @Override
    public String toString() {
        return String.format("precision %.2f, recall %.2f (tp %d, fp %d, fn %d, tn %d)", precision(), recall(),
                truePositives, falsePositives, falseNegatives, trueNegatives);
    }
}
