package io.github.bndoctor.monitor;

/**
 * Warn and fail levels of one metric; {@code Double.POSITIVE_INFINITY} switches a level off.
 *
 * @param warn value above which a {@link AlarmLevel#WARN} is raised
 * @param fail value above which a {@link AlarmLevel#FAIL} is raised, at least {@code warn}
 */
public record Threshold(double warn, double fail) {
    /**
     * @param warn warn level
     * @param fail fail level
     */
    public Threshold {
        if (Double.isNaN(warn) || Double.isNaN(fail) || fail < warn) {
            throw new IllegalArgumentException("need warn <= fail, got warn=" + warn + " fail=" + fail);
        }
    }

    /**
     * @param warn warn level
     * @return a threshold that never fails
     */
    public static Threshold warnOnly(double warn) {
        return new Threshold(warn, Double.POSITIVE_INFINITY);
    }

    /**
     * @param value a metric value
     * @return the level it reaches, or {@code null}
     */
    public AlarmLevel levelOf(double value) {
        if (value > fail) {
            return AlarmLevel.FAIL;
        }
        return value > warn ? AlarmLevel.WARN : null;
    }

    /**
     * @param level a level
     * @return its threshold value
     */
    public double valueOf(AlarmLevel level) {
        return level == AlarmLevel.FAIL ? fail : warn;
    }
}
