package io.github.bndoctor.dl4j;

import io.github.bndoctor.BnDoctorException;

/** NaN or infinite activations or statistics at a named BN layer. */
public final class NonFiniteStatisticsException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /** @param message where the non-finite value appeared */
    public NonFiniteStatisticsException(String message) {
        super(message);
    }
}
