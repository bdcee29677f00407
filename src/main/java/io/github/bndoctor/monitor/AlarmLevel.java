package io.github.bndoctor.monitor;

/** Severity of an alarm. */
public enum AlarmLevel {
    /** Worth a look; training goes on. */
    WARN,
    /** The gate fails: {@link BnMonitor} throws {@link BnGateFailure}. */
    FAIL
}
