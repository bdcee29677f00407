package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;

import java.util.Locale;

/**
 * The overall outcome of a report, the one its command's exit code states, with its headline.
 *
 * <p>A report without comparisons gates its one run: the outcome passes when the run's gate
 * passes. A report with comparisons is the default demo: its run under test is the seed
 * configuration, <em>expected</em> to fail, and the outcome passes when every fix compared with it
 * passes the gate (each run's own gate stays in its row).
 *
 * @param passed whether the outcome passes (exit code 0; otherwise 3)
 * @param demo whether the report compares fixes with an expected failure
 * @param headline one sentence: the outcome and what decided it (the verdict's meaning is
 *     {@link Explanations#verdict})
 */
public record Outcome(boolean passed, boolean demo, String headline) {
    /**
     * @param r a report
     * @return its outcome
     */
    public static Outcome of(DiagnosisReport r) {
        if (r.comparisons().isEmpty()) {
            boolean pass = r.gate().equals("PASS");
            return new Outcome(pass, false, pass ? "PASS: verdict " + r.verdict() + " passes the gate"
                    : "FAIL: verdict " + r.verdict() + (r.gate().equals("FAIL") && RunVerdict.FAILING.stream()
                            .noneMatch(v -> v.name().equals(r.verdict())) ? " with a FAIL alarm" : "") + " fails the gate");
        }
        long failing = r.comparisons().stream().filter(c -> !c.gate().equals("PASS")).count();
        boolean pass = failing == 0;
        String seed = "the seed configuration " + (r.gate().equals("FAIL") ? "fails as expected (" + r.verdict() + ")"
                : "passes (" + r.verdict() + "; it is expected to fail: train longer to see the collapse)");
        return new Outcome(pass, true, pass
                ? "PASS: every fix passes the gate; " + seed + "."
                : "FAIL: " + failing + " of " + r.comparisons().size() + " fixes did not pass the gate; " + seed + ".");
    }

    /**
     * @param run a run
     * @return its worst checkpoint after warm-up ({@link RunVerdict#worstEntry})
     */
    public static CheckpointEntry worst(RunSummary run) {
        return RunVerdict.worstEntry(run.checkpoints());
    }

    /**
     * @param c a checkpoint
     * @return {@code eval/train 26.9, eval/precise 25.3} (a ratio not defined reads "n/a")
     */
    public static String keyRatios(CheckpointEntry c) {
        return "eval/train " + num(c.evalToTrainRatio()) + ", eval/precise " + num(evalToPrecise(c));
    }

    /**
     * @param c a checkpoint
     * @return its inference-mode loss over its precise-statistics loss, or {@code null} unless both are
     *     known and the latter positive
     */
    public static Double evalToPrecise(CheckpointEntry c) {
        return c.evalModeLoss() != null && c.preciseLoss() != null && c.preciseLoss() > 0
                ? c.evalModeLoss() / c.preciseLoss() : null;
    }

    private static String num(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.3g", v);
    }
}
