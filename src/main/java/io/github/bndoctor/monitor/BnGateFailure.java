package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import org.opentest4j.AssertionFailedError;

/**
 * A {@link AlarmLevel#FAIL} alarm: the BN gate failed at a checkpoint. It is an opentest4j
 * {@link AssertionFailedError}, what JUnit 5 and AssertJ throw, so a gate failing inside a test is
 * counted as a test failure (not an error), and IDEs show expected ({@code metric <= threshold})
 * against actual ({@code metric = value}). The message ({@link GapMessage#gateFailure}) names the
 * layer, the iteration and why a checkpoint ran there, the metric against its threshold,
 * eval/train, eval/precise, the verdict and the remedy with its numbers.
 */
public final class BnGateFailure extends AssertionFailedError {
    private static final long serialVersionUID = 1L;
    private final transient Alarm alarm;
    private final transient Checkpoint checkpoint;

    /**
     * @param alarm the failing alarm
     * @param checkpoint the checkpoint that raised it
     * @param why why a checkpoint ran at that iteration, e.g. "the scheduled checkpoint, every 200 iterations"
     */
    public BnGateFailure(Alarm alarm, Checkpoint checkpoint, String why) {
        super(GapMessage.gateFailure(alarm, checkpoint, why), alarm.metric() + " <= " + GapMessage.number(alarm.threshold()),
                alarm.metric() + " = " + GapMessage.number(alarm.value()));
        this.alarm = alarm;
        this.checkpoint = checkpoint;
    }

    /** @return the failing alarm */
    public Alarm alarm() {
        return alarm;
    }

    /** @return the checkpoint that raised it */
    public Checkpoint checkpoint() {
        return checkpoint;
    }
}
