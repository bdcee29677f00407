package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers see either the old file or the complete new one: the content goes
 * to a temporary file in the target's own directory, which is then moved over the target. On any
 * failure the temporary file is deleted and the target is left as it was. A temporary file left by
 * a killed process ({@code .TARGET.bn-doctor-PID-N.tmp}, its process gone) is removed by the next
 * write of the same target, so they never accumulate.
 */
public final class AtomicFiles {
    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    private AtomicFiles() {
    }

    /**
     * The temporary file's name: hidden, recognisable and naming its process, so that a later write
     * of the same target can remove what a killed process left behind.
     *
     * @param target the target's file name
     * @param pid the writing process
     * @param sequence distinguishes writes of one process
     * @return {@code .TARGET.bn-doctor-PID-SEQUENCE.tmp}
     */
    static String temporaryName(String target, long pid, long sequence) {
        return "." + target + ".bn-doctor-" + pid + "-" + sequence + ".tmp";
    }

    /**
     * Deletes temporary files of {@code target} left by processes that no longer run (a kill -9
     * while writing), so they never accumulate.
     */
    private static void removeStaleTemporaries(Path dir, String target) {
        String prefix = "." + target + ".bn-doctor-";
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            files.filter(p -> {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix) || !n.endsWith(".tmp")) {
                    return false;
                }
                String[] parts = n.substring(prefix.length(), n.length() - 4).split("-", -1);
                if (parts.length != 2 || !parts[0].matches("[0-9]{1,18}") || !parts[1].matches("[0-9]{1,18}")) {
                    return false;
                }
                long pid = Long.parseLong(parts[0]);
                return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            }).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: another run may have removed it
                }
            });
        } catch (IOException ignored) {
            // best effort: the write itself reports a directory it cannot use
        }
    }

    /** Writes the content of a file to a stream. */
    @FunctionalInterface
    public interface Writer {
        /**
         * @param out the temporary file's stream
         * @throws IOException on a write error
         */
        void write(OutputStream out) throws IOException;
    }

    /** Writes the content of a file given its (temporary) path, for APIs that take a file. */
    @FunctionalInterface
    public interface PathWriter {
        /**
         * @param temporary the temporary file to fill
         * @throws IOException on a write error
         */
        void write(Path temporary) throws IOException;
    }

    /**
     * @param target the file to create or replace
     * @param writer fills the stream
     * @throws BnDoctorException naming the target if it cannot be written
     */
    public static void write(Path target, Writer writer) {
        writePath(target, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.write(out);
            }
        });
    }

    /**
     * @param target the file to create or replace
     * @param writer fills the temporary file
     * @throws BnDoctorException naming the target if it cannot be written
     */
    public static void writePath(Path target, PathWriter writer) {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = requireWritableDirectory(abs);
        Path tmp = null;
        try {
            removeStaleTemporaries(dir, abs.getFileName().toString());
            tmp = Files.createFile(dir.resolve(temporaryName(abs.getFileName().toString(), ProcessHandle.current().pid(),
                    SEQUENCE.incrementAndGet())));
            writer.write(tmp);
            readableLikeTarget(tmp, abs);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new BnDoctorException("cannot write " + target + ": " + describe(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the target itself was not touched
                }
            }
        }
    }

    /**
     * Checks, before any long computation, that a file can be created at {@code target}.
     *
     * @param target a file path
     * @return its directory
     * @throws BnDoctorException naming the path if its directory is missing or not writable, or it is a directory
     */
    public static Path requireWritableDirectory(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (target.toString().isBlank()) {
            throw new BnDoctorException("cannot write an empty path: give the name of the file to write");
        }
        if (Files.isDirectory(abs)) {
            throw new BnDoctorException("cannot write " + target + ": it is a directory");
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new BnDoctorException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new BnDoctorException("cannot write " + target + ": directory " + dir + " is not writable");
        }
        return dir;
    }

    private static void readableLikeTarget(Path tmp, Path target) throws IOException {
        if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Files.setPosixFilePermissions(tmp, Files.exists(target) ? Files.getPosixFilePermissions(target)
                : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }
}
