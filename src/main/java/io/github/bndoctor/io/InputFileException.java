package io.github.bndoctor.io;

import io.github.bndoctor.BnDoctorException;

import java.nio.file.Files;
import java.nio.file.Path;

/** A file cannot be used as what it claims to be: malformed, truncated, too large or of an unsupported type. */
public final class InputFileException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the file
     * @param problem what is wrong with it
     */
    public InputFileException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /**
     * @param file the file
     * @param problem what is wrong with it
     * @param cause the underlying failure
     */
    public InputFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }

    /**
     * @param file a path the user gave
     * @param expected what it should be, e.g. "a .npy file"
     * @throws InputFileException if it is a directory, missing, not a regular file or unreadable
     */
    static void requireReadableFile(Path file, String expected) {
        if (Files.isDirectory(file)) {
            throw new InputFileException(file, "is a directory, not " + expected);
        }
        if (!Files.exists(file)) {
            throw new InputFileException(file, "does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InputFileException(file, "is not a readable file");
        }
    }
}
