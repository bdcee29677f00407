package io.github.bndoctor.backend;

/**
 * Thrown when ND4J could not load any backend, for example the CUDA backend on a machine without
 * an NVIDIA driver or without the CUDA runtime libraries.
 */
public final class BackendUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and what to check
     * @param cause   the error ND4J raised while loading
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
