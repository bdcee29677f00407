package io.github.bndoctor.cli;

import io.github.bndoctor.probe.Checkpoint;

import java.io.PrintWriter;
import java.time.Duration;

/** Progress lines on stderr (iteration, losses, elapsed time, ETA over all planned iterations). */
final class Progress {
    private final PrintWriter err;
    private final long totalIterations;
    private final long start = System.nanoTime();
    private long doneBefore;
    private String label = "";

    /**
     * @param err where to print
     * @param totalIterations iterations of all runs together
     */
    Progress(PrintWriter err, long totalIterations) {
        this.err = err;
        this.totalIterations = totalIterations;
    }

    /**
     * @param name the run starting
     * @param doneSoFar iterations of the finished runs
     */
    void startRun(String name, long doneSoFar) {
        this.label = name;
        this.doneBefore = doneSoFar;
        err.printf("[%s] training...%n", name);
        err.flush();
    }

    /**
     * @param c a checkpoint of the current run
     * @param runIterations the current run's length
     */
    void checkpoint(Checkpoint c, long runIterations) {
        long done = doneBefore + c.iteration();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = done == 0 ? Double.NaN : elapsed / done * (totalIterations - done);
        err.printf("[%s] iter %d/%d  train %.4g  eval %.4g  precise %.4g  eval/train %.3g  %s  elapsed %s  ETA %s%n",
                label, c.iteration(), runIterations, c.gap().trainModeLoss(), c.gap().evalModeLoss(),
                c.gap().preciseLoss(), c.gap().evalToTrainRatio(), c.verdict(), format(elapsed), format(eta));
        err.flush();
    }

    /** @return seconds since construction */
    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    private static String format(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        Duration d = Duration.ofSeconds(Math.round(seconds));
        return d.toMinutes() > 0 ? String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart()) : d.toSeconds() + "s";
    }
}
