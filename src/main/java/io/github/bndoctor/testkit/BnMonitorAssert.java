package io.github.bndoctor.testkit;

import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.GapMessage;
import io.github.bndoctor.probe.Checkpoint;
import org.assertj.core.api.AbstractAssert;

import java.util.List;
import java.util.Locale;

/**
 * AssertJ assertions on what a {@link BnMonitor} recorded; start from
 * {@code BnAssertions.assertThat(monitor)}. Useful with {@code failFast(false)}, where a
 * {@code FAIL} alarm is recorded instead of thrown. Failures are opentest4j
 * {@code AssertionFailedError}s with expected and actual, naming every offending alarm's layer and
 * iteration with its checkpoint's eval/train, eval/precise, verdict and remedy.
 */
public final class BnMonitorAssert extends AbstractAssert<BnMonitorAssert, BnMonitor> {

    BnMonitorAssert(BnMonitor monitor) {
        super(monitor, BnMonitorAssert.class);
    }

    /**
     * No checkpoint raised a {@link AlarmLevel#FAIL} alarm; otherwise fails once, listing all of them.
     *
     * @return this
     */
    public BnMonitorAssert hasNoFailAlarms() {
        isNotNull();
        List<Alarm> fails = actual.alarms().stream().filter(a -> a.level() == AlarmLevel.FAIL).toList();
        if (!fails.isEmpty()) {
            StringBuilder m = new StringBuilder();
            m.append(fails.size()).append(" FAIL alarm").append(fails.size() == 1 ? "" : "s").append(" in ")
                    .append(actual.checkpoints().size()).append(" checkpoints:");
            for (Alarm a : fails) {
                m.append(String.format(Locale.ROOT, "%n  layer '%s' at iteration %d: %s = %s > %s", a.layer(), a.iteration(),
                        a.metric(), GapMessage.number(a.value()), GapMessage.number(a.threshold())));
                actual.checkpoints().stream().filter(c -> c.iteration() == a.iteration()).reduce((x, y) -> y)
                        .map(GapMessage::gapAndRemedy).ifPresent(s -> m.append("; ").append(s));
            }
            failWithActualExpectedAndMessage(fails.stream().map(BnMonitorAssert::brief).toList(), "no FAIL alarm", "%s",
                    m.toString());
        }
        return this;
    }

    /**
     * At least one checkpoint ran (a monitor that never probed proves nothing).
     *
     * @return this
     */
    public BnMonitorAssert hasCheckpoints() {
        isNotNull();
        if (actual.checkpoints().isEmpty()) {
            failWithMessage("expected at least one checkpoint, but the monitor (every %d iterations) ran none: "
                    + "train longer than the interval or lower it (BnMonitor.Builder.every)", actual.every());
        }
        return this;
    }

    /** @return the last checkpoint's result, for further checks ({@code null} if none ran) */
    public Checkpoint latest() {
        List<Checkpoint> cs = actual.checkpoints();
        return cs.isEmpty() ? null : cs.get(cs.size() - 1);
    }

    private static String brief(Alarm a) {
        return String.format(Locale.ROOT, "%s '%s' @%d = %s", a.metric(), a.layer(), a.iteration(), GapMessage.number(a.value()));
    }
}
