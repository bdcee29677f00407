package io.github.bndoctor.io;

import io.github.bndoctor.BnDoctorException;

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
}
