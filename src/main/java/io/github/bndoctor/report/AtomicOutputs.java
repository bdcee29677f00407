package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * All the outputs of one run, committed together or not at all. Each output is first written in
 * full to a temporary beside its target ({@link AtomicFiles}); {@link #commit()} then moves every
 * temporary over its target. When a move fails, the moves already made are undone (a replaced file
 * is restored from a hard link to its old content, a new one deleted), so a failing later output
 * leaves no earlier one. Closing without a commit deletes the temporaries.
 *
 * <p>A directory output (an HTML report) is filled as a temporary directory and swapped in with two
 * renames: the old directory aside, the new one in, then the old one deleted. Only an absent path,
 * an empty directory or a directory the caller recognises as a previous output of the same kind is
 * replaced; any other directory is refused, so a user's directory is never emptied.
 */
public final class AtomicOutputs implements AutoCloseable {
    private final List<Staged> staged = new ArrayList<>();
    private boolean committed;

    /** A temporary waiting to be moved over its target. */
    private record Staged(Path target, Path temporary, boolean directory, String shown) {
    }

    /** Fills a temporary directory. */
    @FunctionalInterface
    public interface DirectoryWriter {
        /**
         * @param temporary the empty temporary directory to fill with regular files
         * @throws IOException on a write error
         */
        void write(Path temporary) throws IOException;
    }

    /**
     * Writes a file's content to its temporary now.
     *
     * @param target the file to create or replace at commit
     * @param writer fills the stream
     * @throws BnDoctorException naming the target if it cannot be written
     */
    public void file(Path target, AtomicFiles.Writer writer) {
        filePath(target, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.write(out);
            }
        });
    }

    /**
     * Writes a file's content to its temporary now.
     *
     * @param target the file to create or replace at commit
     * @param writer fills the temporary file
     * @throws BnDoctorException naming the target if it cannot be written
     */
    public void filePath(Path target, AtomicFiles.PathWriter writer) {
        stage(AtomicFiles.requireWritableFile(target), false, writer::write, target.toString(), "cannot write " + target);
    }

    /** Fills a temporary for {@code real} and stages it; on failure deletes it and throws naming {@code failure}. */
    private void stage(Path real, boolean directory, DirectoryWriter writer, String shown, String failure) {
        Path tmp = null;
        try {
            tmp = AtomicFiles.createTemporary(real, directory);
            writer.write(tmp);
            permissionsLike(tmp, real, directory ? "rwxr-xr-x" : "rw-r--r--");
            staged.add(new Staged(real, tmp, directory, shown));
            tmp = null;
        } catch (IOException e) {
            throw new BnDoctorException(failure + ": " + AtomicFiles.describe(e), e);
        } finally {
            if (tmp != null) {
                AtomicFiles.deleteTemporary(tmp);
            }
        }
    }

    /**
     * Checks, before any long computation, that {@code dir} can be written as a directory output.
     *
     * @param dir the directory
     * @param previous recognises a directory holding a previous output of the same kind
     * @param what what the directory holds, for messages ("a bn-doctor report")
     * @return the absolute path to replace (the real path, if {@code dir} is a link to a directory)
     * @throws BnDoctorException if its parent is missing or not writable, it is not a directory, or it
     *     is a non-empty directory {@code previous} does not recognise
     */
    public static Path requireReplaceableDirectory(Path dir, Predicate<Path> previous, String what) {
        if (dir.toString().isBlank()) {
            throw new BnDoctorException("cannot write an empty path: give the name of the directory to write");
        }
        Path abs = dir.toAbsolutePath().normalize();
        Path real = abs;
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            try {
                real = abs.toRealPath();
            } catch (IOException e) {
                throw new BnDoctorException("cannot write " + dir + ": " + AtomicFiles.describe(e), e);
            }
            if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
                throw new BnDoctorException("cannot write " + what + " to " + dir + ": it is "
                        + AtomicFiles.kind(real) + ", not a directory");
            }
            if (!isEmpty(real) && !previous.test(real)) {
                throw new BnDoctorException("cannot write " + what + " to " + dir + ": the directory holds other files,"
                        + " not " + what + " of an earlier run; give a new or empty directory (nothing in it is replaced)");
            }
        }
        AtomicFiles.requireWritableParent(dir, real);
        return real;
    }

    /**
     * Fills a directory output's temporary now.
     *
     * @param dir the directory to create or replace at commit
     * @param previous recognises a directory holding a previous output of the same kind
     * @param what what the directory holds, for messages
     * @param writer fills the temporary directory
     * @throws BnDoctorException naming the directory if it cannot be written or replaced
     */
    public void directory(Path dir, Predicate<Path> previous, String what, DirectoryWriter writer) {
        stage(requireReplaceableDirectory(dir, previous, what), true, writer, dir.toString(),
                "cannot write " + what + " to " + dir);
    }

    /** A move made by {@link #commit}, with what it replaced. */
    private record Done(Staged output, Path backup) {
    }

    /**
     * Moves every temporary over its target, in the order staged; on a failure undoes the moves made.
     *
     * @throws BnDoctorException naming the output that could not be moved
     */
    public void commit() {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        committed = true;
        List<Done> done = new ArrayList<>();
        for (Staged s : staged) {
            try {
                done.add(s.directory() ? swapDirectory(s) : replaceFile(s));
            } catch (IOException | RuntimeException e) {
                for (int i = done.size() - 1; i >= 0; i--) {
                    undo(done.get(i));
                }
                for (Staged t : staged) {
                    AtomicFiles.deleteTemporary(t.temporary());
                }
                throw e instanceof RuntimeException r ? r : new BnDoctorException("cannot write " + s.shown() + ": "
                        + AtomicFiles.describe((IOException) e) + " (no output of this run was written)", e);
            }
        }
        for (Done d : done) {
            AtomicFiles.released(d.output().temporary());
            if (d.backup() != null) {
                AtomicFiles.deleteTemporary(d.backup());
            }
        }
    }

    private static Done replaceFile(Staged s) throws IOException {
        Path backup = null;
        if (Files.exists(s.target(), LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(s.target(), LinkOption.NOFOLLOW_LINKS)) {
                throw new BnDoctorException("cannot write " + s.shown() + ": it is " + AtomicFiles.kind(s.target())
                        + ", not a regular file (only regular files are replaced)");
            }
            backup = AtomicFiles.createTemporary(s.target(), false);
            try {
                Files.delete(backup);
                Files.createLink(backup, s.target());
            } catch (IOException | UnsupportedOperationException noHardLinks) {
                Files.copy(s.target(), backup, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        try {
            move(s.temporary(), s.target(), true);
        } catch (IOException e) {
            if (backup != null) {
                AtomicFiles.deleteTemporary(backup);
            }
            throw e;
        }
        return new Done(s, backup);
    }

    private static Done swapDirectory(Staged s) throws IOException {
        Path backup = null;
        if (Files.exists(s.target(), LinkOption.NOFOLLOW_LINKS)) {
            backup = AtomicFiles.unusedTemporary(s.target());
            move(s.target(), backup, false);
        }
        try {
            move(s.temporary(), s.target(), false);
        } catch (IOException e) {
            if (backup != null) {
                move(backup, s.target(), false);
            }
            throw e;
        }
        return new Done(s, backup);
    }

    private static void undo(Done d) {
        try {
            Staged s = d.output();
            if (s.directory()) {
                AtomicFiles.deleteTemporary(s.target());
                if (d.backup() != null) {
                    move(d.backup(), s.target(), false);
                }
            } else if (d.backup() != null) {
                move(d.backup(), s.target(), true);
            } else {
                Files.deleteIfExists(s.target());
            }
        } catch (IOException ignored) {
            // best effort: the failure being reported is the one the caller sees
        }
    }

    private static void move(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            if (replace) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to);
            }
        }
    }

    /** Deletes the temporaries of a run that was not committed. */
    @Override
    public void close() {
        if (!committed) {
            committed = true;
            for (Staged s : staged) {
                AtomicFiles.deleteTemporary(s.temporary());
            }
        }
    }

    private static boolean isEmpty(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    private static void permissionsLike(Path tmp, Path target, String fresh) throws IOException {
        if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Files.setPosixFilePermissions(tmp, Files.exists(target) ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString(fresh));
    }
}
