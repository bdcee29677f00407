package io.github.bndoctor.backend;

/**
 * Thrown when ND4J loaded a different backend from the one the build expects, for example the CPU
 * backend under the {@code cuda} Maven profile.
 */
public final class BackendMismatchException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final BackendInfo.Kind expected;
    private final BackendInfo.Kind actual;

    /**
     * @param expected the backend the build expects
     * @param actual   the backend ND4J loaded
     * @param message  a message naming both and what to check
     */
    public BackendMismatchException(BackendInfo.Kind expected, BackendInfo.Kind actual, String message) {
        super(message);
        this.expected = expected;
        this.actual = actual;
    }

    /** @return the backend the build expects */
    public BackendInfo.Kind expected() {
        return expected;
    }

    /** @return the backend ND4J loaded */
    public BackendInfo.Kind actual() {
        return actual;
    }
}
