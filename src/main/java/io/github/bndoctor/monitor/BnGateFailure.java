package io.github.bndoctor.monitor;

import io.github.bndoctor.BnDoctorException;

/** A {@link AlarmLevel#FAIL} alarm: the BN gate failed at a checkpoint. */
public final class BnGateFailure extends BnDoctorException {
    private static final long serialVersionUID = 1L;
    private final transient Alarm alarm;

    /** @param alarm the failing alarm */
    public BnGateFailure(Alarm alarm) {
        super("bn-doctor gate FAILED " + alarm.describe());
        this.alarm = alarm;
    }

    /** @return the failing alarm */
    public Alarm alarm() {
        return alarm;
    }
}
