package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;

/**
 * A Spark job of bn-doctor failed (a task threw, an executor was lost); nothing was written to the
 * model or to any output file. The message names the first line of the underlying failure.
 */
public final class DistributedJobException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed
     * @param cause the Spark failure
     */
    public DistributedJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
