package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a file so that readers see either the old file or the complete new one: the content goes
 * to a temporary file in the target's own directory, which is then moved over the target
 * ({@link AtomicOutputs} does the same for several outputs at once, all or none). On any failure the
 * temporary file is deleted and the target is left as it was.
 *
 * <p>Only a regular file or an absent path is ever replaced: a device, a FIFO, a socket, a directory
 * or a symbolic link to anything but a regular file is refused before anything is written (a link
 * to a regular file is followed: the file it points to is replaced and the link kept).
 *
 * <p>Temporary files are named {@code .STEM.bn-doctor-PID-N.tmp}, the stem being the target's name,
 * or a hash of it when the name would push the temporary name past {@value #NAME_MAX} bytes (the
 * name limit of Linux and macOS file systems). They are deleted by a shutdown hook when the JVM
 * ends (SIGTERM, SIGINT, {@code System.exit}) and, when a process was killed outright
 * ({@code kill -9}), by the next write of the same target once that process is gone.
 */
public final class AtomicFiles {
    /** Longest file name, in UTF-8 bytes, that temporary names are kept within. */
    public static final int NAME_MAX = 255;
    /** Bytes a temporary name adds to its stem: {@code .} and {@code .bn-doctor-PID-N.tmp} with 19-digit numbers. */
    private static final int ADDED = 1 + ".bn-doctor-".length() + 19 + 1 + 19 + ".tmp".length();
    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean shuttingDown;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(AtomicFiles::deleteLiveTemporaries,
                    "bn-doctor: delete temporary files"));
        } catch (IllegalStateException alreadyShuttingDown) {
            shuttingDown = true;
        }
    }

    private AtomicFiles() {
    }

    /**
     * The temporary file's name: hidden, recognisable and naming its process, so that a later write
     * of the same target can remove what a killed process left behind.
     *
     * @param target the target's file name
     * @param pid the writing process
     * @param sequence distinguishes writes of one process
     * @return {@code .STEM.bn-doctor-PID-SEQUENCE.tmp}, within {@value #NAME_MAX} UTF-8 bytes
     */
    static String temporaryName(String target, long pid, long sequence) {
        return "." + stem(target) + ".bn-doctor-" + pid + "-" + sequence + ".tmp";
    }

    /**
     * @param target a file name
     * @return the name itself if every temporary name of it fits within {@value #NAME_MAX} bytes, else
     *     {@code ~} and the first 32 hex digits of its SHA-256
     */
    static String stem(String target) {
        if (target.getBytes(StandardCharsets.UTF_8).length + ADDED <= NAME_MAX) {
            return target;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(target.getBytes(StandardCharsets.UTF_8));
            return "~" + HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * Creates a fresh temporary file or directory beside {@code target}, deleted at JVM shutdown
     * until {@link #released released}.
     *
     * @param target the absolute target
     * @param directory a directory rather than a file
     * @return the temporary path
     * @throws IOException if it cannot be created
     */
    static Path createTemporary(Path target, boolean directory) throws IOException {
        Path dir = target.getParent();
        removeStaleTemporaries(dir, target.getFileName().toString());
        Path tmp = dir.resolve(temporaryName(target.getFileName().toString(), ProcessHandle.current().pid(),
                SEQUENCE.incrementAndGet()));
        LIVE.add(tmp);
        if (directory) {
            Files.createDirectory(tmp);
        } else {
            Files.createFile(tmp);
        }
        if (shuttingDown) {
            deleteTemporary(tmp);
            throw new IOException("the JVM is shutting down");
        }
        return tmp;
    }

    /**
     * @param target the absolute target
     * @return a temporary name beside it that nothing uses yet (not created, not deleted at shutdown)
     */
    static Path unusedTemporary(Path target) {
        return target.resolveSibling(temporaryName(target.getFileName().toString(), ProcessHandle.current().pid(),
                SEQUENCE.incrementAndGet()));
    }

    /** @param tmp a temporary that was moved into place or deleted: no longer the shutdown hook's */
    static void released(Path tmp) {
        LIVE.remove(tmp);
    }

    /**
     * Deletes a temporary file, or a temporary directory with the regular files in it (never
     * following a link); best effort.
     *
     * @param tmp the temporary
     */
    static void deleteTemporary(Path tmp) {
        try {
            if (Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp)) {
                    for (Path p : s) {
                        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // best effort: another run may have removed it, or it holds what is not ours
        }
        LIVE.remove(tmp);
    }

    private static void deleteLiveTemporaries() {
        shuttingDown = true;
        for (Path p : LIVE.toArray(Path[]::new)) {
            deleteTemporary(p);
        }
    }

    /**
     * Deletes temporaries of {@code target} left by processes that no longer run (a kill -9
     * while writing), so they never accumulate.
     */
    private static void removeStaleTemporaries(Path dir, String target) {
        String prefix = "." + stem(target) + ".bn-doctor-";
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
            }).forEach(AtomicFiles::deleteTemporary);
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
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(target, writer);
            outs.commit();
        }
    }

    /**
     * @param target the file to create or replace
     * @param writer fills the temporary file
     * @throws BnDoctorException naming the target if it cannot be written
     */
    public static void writePath(Path target, PathWriter writer) {
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.filePath(target, writer);
            outs.commit();
        }
    }

    /**
     * Checks, before any long computation, that a file can be created or replaced at {@code target}:
     * its directory exists and is writable, and the path is absent or a regular file (or a link to
     * one).
     *
     * @param target a file path
     * @return its directory (of the file a link points to, for a link)
     * @throws BnDoctorException naming the path if its directory is missing or not writable, or it is
     *     a directory, a device, a FIFO, a socket or a link to anything but a regular file
     */
    public static Path requireWritableDirectory(Path target) {
        return requireWritableFile(target).getParent();
    }

    /**
     * As {@link #requireWritableDirectory}, returning the path to replace.
     *
     * @param target a file path
     * @return the absolute path to replace: {@code target}'s, or for a link the real path of the
     *     regular file it points to
     * @throws BnDoctorException as {@link #requireWritableDirectory}
     */
    public static Path requireWritableFile(Path target) {
        if (target.toString().isBlank()) {
            throw new BnDoctorException("cannot write an empty path: give the name of the file to write");
        }
        Path abs = target.toAbsolutePath().normalize();
        Path real = abs;
        if (Files.isSymbolicLink(abs)) {
            try {
                real = abs.toRealPath();
            } catch (IOException e) {
                throw new BnDoctorException("cannot write " + target + ": it is a symbolic link to a missing file");
            }
            if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                throw new BnDoctorException("cannot write " + target + ": it is a symbolic link to " + real + ", "
                        + kind(real) + ", not a regular file");
            }
        } else if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new BnDoctorException("cannot write " + target + ": it is a directory");
        } else if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new BnDoctorException("cannot write " + target + ": it is " + kind(abs)
                    + ", not a regular file (only regular files are replaced)");
        }
        requireWritableParent(target, real);
        return real;
    }

    /**
     * @param target the path as the user gave it, for messages
     * @param abs its absolute form
     * @return the parent directory
     * @throws BnDoctorException if it is missing or not writable
     */
    static Path requireWritableParent(Path target, Path abs) {
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new BnDoctorException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new BnDoctorException("cannot write " + target + ": directory " + dir + " is not writable");
        }
        return dir;
    }

    /**
     * @param p an existing path
     * @return what it is, for messages ("a character or block device, FIFO or socket", "a directory"...)
     */
    static String kind(Path p) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return "a directory";
        }
        if (Files.isSymbolicLink(p)) {
            return "a symbolic link";
        }
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return "a regular file";
        }
        try {
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int type = ((Integer) mode) & 0170000;
            return switch (type) {
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0010000 -> "a FIFO (named pipe)";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file (device, FIFO or socket)";
        }
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }
}
