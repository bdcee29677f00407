package io.github.bndoctor.cli;

import io.github.bndoctor.BnDoctorException;

/** A file or option the user gave cannot be used: exit code 1. */
public final class InputException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file or option */
    public InputException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file or option
     * @param cause the underlying failure
     */
    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
