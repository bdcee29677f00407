package io.github.bndoctor.cli;

import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress lines on stderr for a long model diagnosis: silent for its first {@code quietSeconds}
 * (a short run, or one that fails early on bad input, keeps stderr to its one line), then a line at
 * most every {@code everySeconds}, naming the stage, the step within it and the elapsed time.
 */
final class StageProgress {
    private final PrintWriter err;
    private final long quietNanos;
    private final long everyNanos;
    private final LongSupplier clock;
    private final long start;
    private long last;

    /**
     * @param err where to print
     * @param quietSeconds seconds without any line
     * @param everySeconds least seconds between two lines
     */
    StageProgress(PrintWriter err, double quietSeconds, double everySeconds) {
        this(err, quietSeconds, everySeconds, System::nanoTime);
    }

    /**
     * @param err where to print
     * @param quietSeconds seconds without any line
     * @param everySeconds least seconds between two lines
     * @param clock nanosecond clock
     */
    StageProgress(PrintWriter err, double quietSeconds, double everySeconds, LongSupplier clock) {
        this.err = err;
        this.quietNanos = (long) (quietSeconds * 1e9);
        this.everyNanos = (long) (everySeconds * 1e9);
        this.clock = clock;
        this.start = clock.getAsLong();
        this.last = start - everyNanos;
    }

    /**
     * @param stage what runs
     * @param step the step within it, from 1
     * @param steps the steps of the stage, or 0 if unknown
     */
    synchronized void step(String stage, long step, long steps) {
        long now = clock.getAsLong();
        if (now - start < quietNanos || now - last < everyNanos) {
            return;
        }
        last = now;
        err.printf(Locale.ROOT, "diagnose: %s %d%s, elapsed %.0fs%n", stage, step, steps > 0 ? " of " + steps : "",
                (now - start) / 1e9);
        err.flush();
    }

    /**
     * @param stage what runs
     * @param steps the steps of the stage, or 0 if unknown
     * @param it the stage's steps
     * @param <T> the step type
     * @return {@code it}, reporting each step handed out
     */
    <T> Iterator<T> counting(String stage, long steps, Iterator<T> it) {
        return new Iterator<>() {
            private long n;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public T next() {
                T t = it.next();
                step(stage, ++n, steps);
                return t;
            }
        };
    }
}
