package io.github.bndoctor.cli;

import io.github.bndoctor.probe.Checkpoint;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Progress lines on stderr (iteration, losses, elapsed time, ETA over all planned iterations).
 * Safe to share between runs trained in parallel: each run reports under its own name and the ETA
 * counts the iterations of all runs together.
 */
final class Progress {
    private final PrintWriter err;
    private final long totalIterations;
    private final long start = System.nanoTime();
    private final Map<String, Long> done = new LinkedHashMap<>();

    /**
     * @param err where to print
     * @param totalIterations iterations of all runs together
     */
    Progress(PrintWriter err, long totalIterations) {
        this.err = err;
        this.totalIterations = totalIterations;
    }

    /** @param name the run starting */
    synchronized void startRun(String name) {
        done.put(name, 0L);
        err.printf("[%s] training...%n", name);
        err.flush();
    }

    /**
     * @param name the run the checkpoint belongs to
     * @param c a checkpoint of that run
     * @param runIterations that run's length
     */
    synchronized void checkpoint(String name, Checkpoint c, long runIterations) {
        done.put(name, c.iteration());
        long all = done.values().stream().mapToLong(Long::longValue).sum();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = all == 0 ? Double.NaN : elapsed / all * (totalIterations - all);
        err.printf("[%s] iter %d/%d  train %.4g  eval %.4g  precise %.4g  eval/train %.3g  %s  elapsed %s  ETA %s%n",
                name, c.iteration(), runIterations, c.gap().trainModeLoss(), c.gap().evalModeLoss(),
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
