package io.github.bndoctor.probe;

import io.github.bndoctor.BnDoctorException;

/** A data source that yielded no samples where some were needed. */
public final class EmptyDataException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /** @param message what was empty */
    public EmptyDataException(String message) {
        super(message);
    }
}
