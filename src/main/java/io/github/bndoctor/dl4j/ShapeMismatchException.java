package io.github.bndoctor.dl4j;

import io.github.bndoctor.BnDoctorException;

/** Data, or statistics, whose shape does not fit the network or the BN layer named. */
public final class ShapeMismatchException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /** @param message what did not fit, naming the layer */
    public ShapeMismatchException(String message) {
        super(message);
    }

    /**
     * @param message what did not fit, naming the layer
     * @param cause DL4J's own error
     */
    public ShapeMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
