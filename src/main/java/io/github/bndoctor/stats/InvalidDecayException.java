package io.github.bndoctor.stats;

import io.github.bndoctor.BnDoctorException;

/** A BN decay (EMA weight of the old value) outside {@code (0, 1]}, or not a number. */
public final class InvalidDecayException extends BnDoctorException {
    private static final long serialVersionUID = 1L;

    InvalidDecayException(double decay) {
        super("decay must be in (0, 1] (DL4J: global = decay*global + (1-decay)*batch), got " + decay);
    }

    /**
     * @param decay the value to check
     * @return {@code decay} when it lies in {@code (0, 1]}
     * @throws InvalidDecayException otherwise
     */
    public static double check(double decay) {
        if (!(decay > 0 && decay <= 1)) {
            throw new InvalidDecayException(decay);
        }
        return decay;
    }
}
