package io.github.bndoctor;

/**
 * Base type of every error bn-doctor raises on bad input or an unusable model. When one is
 * thrown, the model it concerns has not been modified.
 */
public class BnDoctorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the layer or argument concerned
     */
    public BnDoctorException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the layer or argument concerned
     * @param cause the underlying failure
     */
    public BnDoctorException(String message, Throwable cause) {
        super(message, cause);
    }
}
