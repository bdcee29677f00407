package io.github.bndoctor.report;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One sentence for each metric and verdict the report and the command line show, each with the
 * address of its section in the published documentation ({@code docs/metrics.md}, published under
 * {@link #DOCS_URL}).
 */
public final class Explanations {
    /**
     * Where the documentation under {@code docs/} is published (the project's GitHub Pages site; a
     * page {@code docs/X.md} is served as {@code X.html}). The one place this address is defined.
     */
    public static final String DOCS_URL = "https://bndoctor.github.io/bn-doctor/";

    /** Metrics: name shown, sentence. Anchors follow the headings of {@code docs/metrics.md}. */
    private static final Map<String, String[]> METRICS = new LinkedHashMap<>();
    /** Verdicts: sentence. */
    private static final Map<String, String> VERDICTS = new LinkedHashMap<>();

    static {
        METRICS.put("eval/train", new String[] {"evaltrain",
            "inference-mode loss (moving statistics) over training-mode loss (batch statistics): 1 means inference"
                + " behaves as training; above the gap threshold 1.5 the checkpoint is not HEALTHY."});
        METRICS.put("eval/precise", new String[] {"evalprecise",
            "inference-mode loss over the loss with precise statistics recomputed for the current weights: how much"
                + " recalibrating (the recalibrate command) would recover; above 1.5 the moving statistics are to blame."});
        METRICS.put("precise/train", new String[] {"precisetrain",
            "loss with precise statistics over training-mode loss: what recalibration cannot recover, the model's"
                + " reliance on per-batch statistics (batch noise)."});
        METRICS.put("all-zeros loss", new String[] {"all-zeros-loss",
            "the loss of outputs that are all zero on the same probe: inference-mode loss at this level (eval/zeros"
                + " near 1) means the outputs collapsed, as in the seed report."});
        METRICS.put("largest |output|", new String[] {"largest-output",
            "the largest absolute output over the probe in each mode: near 0 in inference mode while training mode"
                + " still peaks is the collapse."});
        METRICS.put("EMA lag", new String[] {"ema-lag",
            "per BN layer, how far the moving statistics trail precise statistics of the current weights, beyond"
                + " what the initial prior explains (standardized mean shift plus absolute log variance ratio)."});
        METRICS.put("rotation", new String[] {"rotation",
            "per BN layer, the angle in degrees the weights feeding it turn per iteration; needs two weight"
                + " snapshots, so it is not measured on a saved model."});
        METRICS.put("lag angle", new String[] {"lag-angle",
            "rotation x d/(1-d) (predicted) and the angle to the weights d/(1-d) iterations earlier (measured): how"
                + " far the weights moved within the EMA's mean age; above 5 degrees the statistics go stale."});
        VERDICTS.put("HEALTHY", "inference mode is as good as training mode (eval/train within 1.5).");
        VERDICTS.put("EMA_WARMUP", "the moving statistics still carry their initial prior (mean 0, variance 1); it"
                + " wears off by itself, or recalibrate.");
        VERDICTS.put("EMA_LAG", "the moving statistics trail weights that turn faster than the EMA window follows:"
                + " recalibrate, lower the BN decay, or slow the rotation.");
        VERDICTS.put("BATCH_NOISE", "even precise statistics do not recover training mode: the model relies on"
                + " per-batch statistics; recalibration will not help.");
        VERDICTS.put("DIVERGED", "training mode itself is bad (non-finite or above the reference loss): fix training"
                + " first.");
    }

    private Explanations() {
    }

    /**
     * @param page a page under {@code docs/}, e.g. {@code metrics.md}
     * @param anchor a heading anchor, or {@code null}
     * @return its published address
     */
    public static String docs(String page, String anchor) {
        String html = page.endsWith(".md") ? page.substring(0, page.length() - 3) + ".html" : page;
        return DOCS_URL + html + (anchor == null ? "" : "#" + anchor);
    }

    /** @return metric name to its sentence, in the order the report lists them */
    public static Map<String, String> metrics() {
        Map<String, String> out = new LinkedHashMap<>();
        METRICS.forEach((k, v) -> out.put(k, v[1]));
        return out;
    }

    /**
     * @param metric a key of {@link #metrics()}
     * @return the address of its section
     */
    public static String metricUrl(String metric) {
        String[] m = METRICS.get(metric);
        if (m == null) {
            throw new IllegalArgumentException("no such metric: " + metric);
        }
        return docs("metrics.md", m[0]);
    }

    /**
     * @param verdict a verdict name
     * @return its sentence
     */
    public static String verdict(String verdict) {
        String s = VERDICTS.get(verdict);
        if (s == null) {
            throw new IllegalArgumentException("no such verdict: " + verdict);
        }
        return s;
    }

    /**
     * @param verdict a verdict name
     * @return the address of its section ({@code docs/metrics.md}, heading = the verdict's name)
     */
    public static String verdictUrl(String verdict) {
        verdict(verdict);
        return docs("metrics.md", verdict.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * @param verdict a verdict name, or {@code null}
     * @return whether it is a verdict this class explains
     */
    public static boolean knows(String verdict) {
        return verdict != null && VERDICTS.containsKey(verdict);
    }

    /** @return verdict name to its sentence */
    public static Map<String, String> verdicts() {
        return Map.copyOf(VERDICTS);
    }
}
