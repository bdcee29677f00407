package io.github.bndoctor.dl4j;

import io.github.bndoctor.BnDoctorException;

/** The network has no BatchNormalization layer, or none with the requested name. */
public final class NoBatchNormException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /** @param message what was looked for and where */
    public NoBatchNormException(String message) {
        super(message);
    }
}
