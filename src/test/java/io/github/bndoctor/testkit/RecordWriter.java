package io.github.bndoctor.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Appends a bench or calibration run's printed figures to the dated record {@code docs/record.md}
 * as a section: date (UTC), commit ({@code git rev-parse --short HEAD}, "+dirty" with uncommitted
 * changes, of the working directory's work tree, or "unknown" without git), machine (processors, memory), load ({@code /proc/loadavg}),
 * what was run, the figures. {@link #section} tees {@code System.out} while the run prints and
 * appends what it printed when closed. The file is found from the working directory up (the
 * module root when Maven runs the tests); {@code -Dbndoctor.record=PATH} overrides it and
 * {@code -Dbndoctor.record=none} turns recording off.
 */
public final class RecordWriter {
    /** The record's first line, written when the file does not exist yet. */
    public static final String HEADER = "# bn-doctor: measured figures (dated record)";

    private RecordWriter() {
    }

    /** A section being recorded; closing it restores {@code System.out} and appends the section. */
    public static final class Section implements AutoCloseable {
        private final String what;
        private final PrintStream original;
        private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

        private Section(String what) {
            this.what = what;
            this.original = System.out;
            OutputStream tee = new OutputStream() {
                @Override
                public void write(int b) {
                    original.write(b);
                    captured.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    original.write(b, off, len);
                    captured.write(b, off, len);
                }
            };
            System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            System.out.flush();
            System.setOut(original);
            append(what, captured.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * @param what what is run (class, preset, settings)
     * @return a section that records what {@code System.out} prints until closed
     */
    public static Section section(String what) {
        return new Section(what);
    }

    /**
     * @param what what was run
     * @param figures the figures as printed
     * @return the file appended to, or {@code null} when recording is off or no record was found
     */
    public static Path append(String what, String figures) {
        Path file = file();
        if (file == null) {
            return null;
        }
        String text = render(ZonedDateTime.now(ZoneOffset.UTC), commit(Path.of("").toAbsolutePath()), machine(),
                load(), what, figures);
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, HEADER + "\n", StandardCharsets.UTF_8);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
        return file;
    }

    /**
     * @return the section's text: a heading with the date and what was run, the context lines, the
     *     figures in a code block
     */
    static String render(ZonedDateTime when, String commit, String machine, String load, String what, String figures) {
        return "\n## " + when.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)) + ": " + what
                + "\n\nCommit: " + commit + ". Machine: " + machine + ". Load (1/5/15 min): " + load + ".\n\n```\n"
                + figures.strip() + "\n```\n";
    }

    private static Path file() {
        String p = System.getProperty("bndoctor.record");
        if ("none".equals(p)) {
            return null;
        }
        if (p != null) {
            return Path.of(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("docs"))) {
                return d.resolve("docs").resolve("record.md");
            }
        }
        return null;
    }

    /** @return the short commit, "+dirty" if the tree has changes, or "unknown" */
    static String commit(Path dir) {
        String head = git(dir, "rev-parse", "--short", "HEAD");
        if (head == null) {
            return "unknown";
        }
        String status = git(dir, "status", "--porcelain", "--untracked-files=no");
        return head + (status != null && !status.isEmpty() ? "+dirty" : "");
    }

    private static String git(Path dir, String... args) {
        try {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "git";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** @return processors and memory, e.g. {@code 2 processors, 24.0 GiB memory, JVM max heap 2.0 GiB} */
    static String machine() {
        String mem = "memory unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    mem = String.format(Locale.ROOT, "%.1f GiB memory", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it unknown
        }
        return String.format(Locale.ROOT, "%d processors, %s, JVM max heap %.1f GiB, %s %s",
                Runtime.getRuntime().availableProcessors(), mem, Runtime.getRuntime().maxMemory() / Math.pow(1024, 3),
                System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** @return the three load averages of {@code /proc/loadavg}, or "unknown" */
    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
