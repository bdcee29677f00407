package io.github.bndoctor.monitor;

/**
 * A threshold crossed at a checkpoint.
 *
 * @param iteration the checkpoint's iteration
 * @param layer the BN layer concerned (the worst one for network-level metrics)
 * @param metric the metric's name
 * @param value its value
 * @param threshold the threshold it exceeded
 * @param level severity
 */
public record Alarm(long iteration, String layer, String metric, double value, double threshold, AlarmLevel level) {
    /** @return one line naming layer, iteration, metric and threshold */
    public String describe() {
        return String.format("%s at iteration %d: layer '%s' metric %s = %.4g > threshold %.4g", level, iteration,
                layer, metric, value, threshold);
    }
}
