package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.LintEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A single self-contained {@code index.html}: a banner with the outcome the exit code states
 * ({@link Outcome}), the key ratios of the worst checkpoint and what they mean; the recommendations
 * once, as commands ({@link NextCommands}); per run the loss plot (training mode vs inference mode vs
 * precise statistics, with alarm markers and a dashed line at the loss of all-zero outputs), the
 * worst checkpoint's collapse line ({@link CollapseSummary}), the largest absolute output per mode on
 * a log axis, per-layer EMA lag and rotation plots, alarms, lints and a checkpoint table; and a
 * sentence per metric and verdict linking to the documentation ({@link Explanations}). A chart
 * without data is left out with one line saying what was not measured and why; a run with a single
 * checkpoint (a saved model) shows its values as tables and bars. Plots are PNG images embedded as
 * base64 data URIs, so the file needs nothing else to render.
 */
public final class HtmlReport {
    /** The gap threshold of the verdict (eval/train and eval/precise above it are a gap). */
    private static final double GAP = io.github.bndoctor.probe.DiagnosisThresholds.DEFAULT.gapRatio();
    /** The file name written into the report directory. */
    public static final String FILE_NAME = "index.html";

    /** The start of every report this class writes: how a previous report is recognised. */
    private static final String HEAD = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>bn-doctor report: ";
    private static final String WHAT = "a bn-doctor report";

    private static final boolean CHARTS_AVAILABLE = chartsAvailable();

    private HtmlReport() {
    }

    /**
     * Writes {@code index.html} into {@code dir} atomically: a new directory is created (its parent
     * must exist), an empty one or one holding a previous report ({@link #isPreviousReport}) is
     * replaced as a whole ({@link AtomicOutputs}); any other directory is refused.
     *
     * @param report the report
     * @param dir the report directory
     * @return the written file
     * @throws BnDoctorException naming the directory if it cannot be written or is not a report's
     */
    public static Path write(DiagnosisReport report, Path dir) {
        try (AtomicOutputs outs = new AtomicOutputs()) {
            Path file = stage(outs, report, dir);
            outs.commit();
            return file;
        }
    }

    /**
     * Renders the report into a temporary directory of {@code outs}, to be committed with the run's
     * other outputs.
     *
     * @param outs the run's outputs
     * @param report the report
     * @param dir the report directory
     * @return the file the commit will put in place
     */
    public static Path stage(AtomicOutputs outs, DiagnosisReport report, Path dir) {
        String html = render(report);
        outs.directory(dir, HtmlReport::isPreviousReport, WHAT, tmp ->
                Files.write(tmp.resolve(FILE_NAME), html.getBytes(StandardCharsets.UTF_8)));
        return dir.toAbsolutePath().normalize().resolve(FILE_NAME);
    }

    /**
     * Checks, before any long computation, that {@code dir} can take a report.
     *
     * @param dir the report directory
     * @throws BnDoctorException if its parent is missing or not writable, it is not a directory, or it
     *     holds anything but a previous report
     */
    public static void requireWritable(Path dir) {
        AtomicOutputs.requireReplaceableDirectory(dir, HtmlReport::isPreviousReport, WHAT);
    }

    /**
     * @param dir an existing directory
     * @return whether it holds exactly one entry, a regular {@code index.html} whose head is a
     *     bn-doctor report's (this class writes nothing else into a report directory)
     */
    public static boolean isPreviousReport(Path dir) {
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            List<Path> all = entries.limit(2).toList();
            Path index = dir.resolve(FILE_NAME);
            if (all.size() != 1 || !all.get(0).getFileName().toString().equals(FILE_NAME)
                    || !Files.isRegularFile(index, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            byte[] head = new byte[HEAD.length()];
            int n;
            try (java.io.InputStream in = Files.newInputStream(index)) {
                n = in.readNBytes(head, 0, head.length);
            }
            return n == head.length && new String(head, StandardCharsets.UTF_8).equals(HEAD);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Writes the report to a file of the caller's naming, atomically; the parent directory must exist.
     *
     * @param report the report
     * @param file the HTML file
     * @return the written file
     */
    public static Path writeFile(DiagnosisReport report, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (abs.getParent() == null || !Files.isDirectory(abs.getParent())) {
            throw new BnDoctorException("cannot write report to " + file + ": parent directory does not exist");
        }
        String html = render(report);
        AtomicFiles.write(abs, out -> out.write(html.getBytes(StandardCharsets.UTF_8)));
        return abs;
    }

    /**
     * @param report the report
     * @return the HTML text
     */
    public static String render(DiagnosisReport report) {
        RunSummary main = new RunSummary("under test", report.verdict(), report.gate(), report.config(),
                report.checkpoints(), report.alarms(), report.recommendations());
        Object name = report.config().get("name");
        if (name != null) {
            main = new RunSummary(name.toString(), main.verdict(), main.gate(), main.config(), main.checkpoints(),
                    main.alarms(), main.recommendations());
        }
        Outcome outcome = Outcome.of(report);
        StringBuilder h = new StringBuilder(1 << 16);
        h.append(HEAD).append(outcome.passed() ? "PASS" : "FAIL").append(", ")
                .append(esc(report.verdict())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;")
                .append("font-size:13px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}")
                .append("#banner{font-size:1.15em;padding:.5em .8em;border-radius:4px;margin:.5em 0}")
                .append("#banner p{margin:.3em 0}.PASS{background:#d4f4d4}.FAIL{background:#f8d0d0}")
                .append("pre.cmd{background:#f4f4f4;padding:.4em;overflow-x:auto;margin:.2em 0 .6em 0}")
                .append("p.omitted{color:#555;font-style:italic}dt{font-weight:bold;margin-top:.4em}")
                .append("img{max-width:100%;display:block;margin:.5em 0}")
                .append("</style></head><body>\n");
        h.append("<h1>bn-doctor report</h1>\n");
        banner(h, report, main, outcome);
        recommendations(h, report);
        if (!report.comparisons().isEmpty()) {
            List<RunSummary> all = new ArrayList<>();
            all.add(main);
            all.addAll(report.comparisons());
            h.append("<h2>Runs compared</h2>\n<table id=\"runs\"><tr><th class=\"l\">run</th><th>verdict</th>")
                    .append("<th>gate</th><th>expected</th><th>worst eval/train</th><th>eval/precise there</th>")
                    .append("<th>last eval/train</th></tr>");
            for (int i = 0; i < all.size(); i++) {
                RunSummary r = all.get(i);
                CheckpointEntry w = RunVerdict.worstEntry(r.checkpoints());
                h.append("<tr><td class=\"l\">").append(esc(r.name())).append("</td><td>").append(verdictLink(r.verdict()))
                        .append("</td><td class=\"").append(esc(r.gate())).append("\">").append(esc(r.gate()))
                        .append("</td><td>").append(i == 0 ? "FAIL (the seed configuration)" : "PASS (a fix)")
                        .append("</td><td>").append(num(w.evalToTrainRatio())).append("</td><td>")
                        .append(num(Outcome.evalToPrecise(w))).append("</td><td>").append(num(last(r).evalToTrainRatio()))
                        .append("</td></tr>");
            }
            h.append("</table>\n");
            img(h, () -> Charts.ratioComparison(all), "Inference over training-mode loss ratio per iteration for each run compared");
        }
        section(h, main, report.lints());
        for (RunSummary r : report.comparisons()) {
            section(h, r, List.of());
        }
        glossary(h);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void banner(StringBuilder h, DiagnosisReport report, RunSummary main, Outcome outcome) {
        String result = outcome.passed() ? "PASS" : "FAIL";
        CheckpointEntry w = RunVerdict.worstEntry(main.checkpoints());
        h.append("<div id=\"banner\" class=\"").append(result).append("\" data-outcome=\"").append(result)
                .append("\" data-exit-code=\"").append(outcome.passed() ? 0 : 3).append("\">\n");
        h.append("<p class=\"outcome\"><b>").append(esc(outcome.headline())).append("</b> (exit code ")
                .append(outcome.passed() ? 0 : 3).append(")</p>\n");
        h.append("<p class=\"key\">").append(outcome.demo() ? "Seed configuration, worst checkpoint" : "Worst checkpoint")
                .append(" (iteration ").append(w.iteration()).append("): <a href=\"")
                .append(Explanations.metricUrl("eval/train")).append("\">eval/train</a> <b>")
                .append(num(w.evalToTrainRatio())).append("</b>, <a href=\"").append(Explanations.metricUrl("eval/precise"))
                .append("\">eval/precise</a> <b>").append(num(Outcome.evalToPrecise(w))).append("</b>. ")
                .append(esc(meaning(w, report.lossKind()))).append("</p>\n");
        h.append("<p class=\"verdict\">Verdict ").append(verdictLink(main.verdict()));
        if (Explanations.knows(main.verdict())) {
            h.append(": ").append(esc(Explanations.verdict(main.verdict())));
        }
        h.append("</p>\n</div>\n");
        h.append("<p>Losses: ").append(esc(report.lossKind())).append(". Schema version ").append(report.schemaVersion())
                .append(".</p>\n");
    }

    /**
     * @param w the worst checkpoint
     * @param lossKind the report's loss kind
     * @return one sentence on what its two key ratios mean
     */
    static String meaning(CheckpointEntry w, String lossKind) {
        Double et = w.evalToTrainRatio();
        Double ep = Outcome.evalToPrecise(w);
        boolean labels = lossKind.equals(DiagnosisReport.LOSS_LABELS);
        if (et == null) {
            return "The ratio is not defined here (a training-mode loss of 0 or not finite).";
        }
        if (et <= GAP) {
            return String.format(Locale.ROOT, "Inference mode is within %.3g x the training-mode %s: the deployed model"
                    + " behaves as in training.", GAP, labels ? "loss" : "outputs' variance");
        }
        String base = labels
                ? String.format(Locale.ROOT, "The deployed model's loss is %.3g x its training-mode loss", et)
                : String.format(Locale.ROOT, "The deployed model's outputs deviate from its training-mode outputs by %.3g x"
                        + " their variance (no labels)", et - 1);
        if (ep != null && ep > GAP) {
            return base + String.format(Locale.ROOT, "; recomputing the BN statistics (precise BN) would bring it down"
                    + " %.3g-fold, so the moving statistics are to blame.", ep);
        }
        return base + "; precise statistics do no better, so recalibration will not help: the model relies on"
                + " per-batch statistics.";
    }

    private static void recommendations(StringBuilder h, DiagnosisReport report) {
        List<NextCommands.Command> commands = NextCommands.of(report);
        h.append("<h2 id=\"recommendations\">What to do").append(report.comparisons().isEmpty() ? ""
                : " about the seed configuration").append("</h2>\n");
        if (!commands.isEmpty()) {
            h.append("<div id=\"commands\">");
            for (NextCommands.Command c : commands) {
                h.append("<p>").append(esc(c.what())).append(":</p><pre class=\"cmd\">").append(esc(c.command()))
                        .append("</pre>\n");
            }
            h.append("</div>\n");
        }
        h.append("<ul id=\"advice\">");
        report.recommendations().forEach(r -> h.append("<li>").append(esc(r)).append("</li>"));
        h.append("</ul>\n");
    }

    private static void glossary(StringBuilder h) {
        h.append("<h2 id=\"glossary\">Metrics and verdicts</h2>\n<dl>");
        Explanations.metrics().forEach((k, v) -> h.append("<dt><a href=\"").append(Explanations.metricUrl(k)).append("\">")
                .append(esc(k)).append("</a></dt><dd>").append(esc(v)).append("</dd>"));
        for (String v : List.of("HEALTHY", "EMA_WARMUP", "EMA_LAG", "BATCH_NOISE", "DIVERGED")) {
            h.append("<dt><a href=\"").append(Explanations.verdictUrl(v)).append("\">").append(v).append("</a></dt><dd>")
                    .append(esc(Explanations.verdict(v))).append("</dd>");
        }
        h.append("</dl>\n<p>Gate: FAIL on any FAIL alarm or a verdict EMA_LAG, BATCH_NOISE or DIVERGED. All of it: <a href=\"")
                .append(Explanations.docs("metrics.md", null)).append("\">")
                .append(Explanations.docs("metrics.md", null)).append("</a>.</p>\n");
    }

    private static void section(StringBuilder h, RunSummary r, List<LintEntry> lints) {
        h.append("<h2>").append(esc(r.name())).append(": ").append(verdictLink(r.verdict())).append(" (gate ")
                .append(esc(r.gate())).append(")</h2>\n");
        h.append("<table>");
        for (Map.Entry<String, Object> e : r.config().entrySet()) {
            h.append("<tr><th class=\"l\">").append(esc(e.getKey())).append("</th><td class=\"l\">")
                    .append(esc(String.valueOf(e.getValue()))).append("</td></tr>");
        }
        h.append("</table>\n");
        h.append("<p class=\"collapse\">Worst checkpoint, ").append(esc(CollapseSummary.of(r.checkpoints())))
                .append("</p>\n");
        if (r.checkpoints().size() == 1) {
            snapshot(h, r);
        } else {
            img(h, () -> Charts.losses(r), "Training-mode, inference-mode and precise-statistics loss over iterations for "
                    + r.name() + ", with alarm markers and a dashed line at the loss of all-zero outputs");
            chartOrReason(h, () -> Charts.largestOutputs(r), "Largest absolute output per mode (training, inference, precise"
                    + " statistics) over iterations on a log axis for " + r.name(),
                    "largest |output| per mode: not measured (no positive value recorded)");
            chartOrReason(h, () -> Charts.perLayer(r, "EMA lag per BN layer", "lag error", LayerEntry::emaLag),
                    "EMA lag error of each BN layer over iterations for " + r.name(),
                    "EMA lag per layer: not measured (no layer decomposition recorded)");
            chartOrReason(h, () -> Charts.perLayer(r, "rotation of the weights feeding each BN layer", "degrees / iteration",
                    LayerEntry::rotationDegPerIter), "Rotation in degrees per iteration of the weights feeding each BN layer"
                    + " for " + r.name(), "rotation: not measured (no layer has a single feeding weight matrix tracked)");
            chartOrReason(h, () -> Charts.lagAngles(r), "Lag angle in degrees, median over BN layers, for " + r.name()
                    + ": predicted from one step's rotation times d/(1-d), and measured against the weights d/(1-d)"
                    + " iterations earlier", "lag angle: not measured (no rotation, or a history shorter than the EMA's"
                    + " mean age d/(1-d))");
            if (r.checkpoints().stream().flatMap(c -> c.layers().stream()).map(LayerEntry::decay)
                    .filter(java.util.Objects::nonNull).distinct().count() > 1) {
                img(h, () -> Charts.perLayer(r, "BN decay in force per layer", "decay", LayerEntry::decay),
                        "BN decay in force for each layer over iterations (adapted while training) for " + r.name());
            }
        }
        h.append("<h3>Alarms</h3>\n");
        if (r.alarms().isEmpty()) {
            h.append("<p>None.</p>\n");
        } else {
            h.append("<table><tr><th>iteration</th><th class=\"l\">layer</th><th class=\"l\">metric</th><th>value</th>")
                    .append("<th>threshold</th><th>level</th></tr>");
            for (AlarmEntry a : r.alarms()) {
                h.append("<tr><td>").append(a.iteration()).append("</td><td class=\"l\">").append(esc(a.layer()))
                        .append("</td><td class=\"l\">").append(esc(a.metric())).append("</td><td>").append(num(a.value()))
                        .append("</td><td>").append(num(a.threshold())).append("</td><td>").append(esc(a.level()))
                        .append("</td></tr>");
            }
            h.append("</table>\n");
        }
        if (!lints.isEmpty()) {
            h.append("<h3>Configuration lints</h3>\n<ul>");
            lints.forEach(l -> h.append("<li><b>").append(esc(l.layer())).append("</b> ").append(esc(l.rule()))
                    .append(": ").append(esc(l.message())).append("</li>"));
            h.append("</ul>\n");
        }
        if (r.checkpoints().size() > 1) {
            checkpointTable(h, r);
        }
    }

    /** One weight snapshot (a saved model): its values as tables and bars, and what was not measured. */
    private static void snapshot(StringBuilder h, RunSummary r) {
        CheckpointEntry c = r.checkpoints().get(0);
        h.append("<h3>Snapshot at iteration ").append(c.iteration()).append("</h3>\n<table id=\"snapshot\"><tr>")
                .append("<th class=\"l\">mode</th><th>loss</th><th>largest |output|</th></tr>");
        snapshotRow(h, "training mode (batch statistics)", c.trainModeLoss(), c.trainModeMaxAbsOutput());
        snapshotRow(h, "inference mode (moving statistics)", c.evalModeLoss(), c.evalModeMaxAbsOutput());
        snapshotRow(h, "precise statistics", c.preciseLoss(), c.preciseMaxAbsOutput());
        snapshotRow(h, "all-zeros output", c.zerosLoss(), 0.0);
        h.append("</table>\n");
        img(h, () -> Charts.snapshotLosses(c, r.name()), "Loss per mode at the snapshot for " + r.name()
                + ": training mode, inference mode, precise statistics and all-zero outputs, as bars");
        h.append("<table id=\"layers\"><tr><th class=\"l\">BN layer</th><th>EMA lag</th><th>batch noise</th>")
                .append("<th>EMA error</th><th>warm-up error</th><th>decay</th><th>rotation (deg/iter)</th></tr>");
        for (LayerEntry l : c.layers()) {
            h.append("<tr><td class=\"l\">").append(esc(l.name())).append("</td><td>").append(num(l.emaLag()))
                    .append("</td><td>").append(num(l.batchNoise())).append("</td><td>").append(num(l.emaError()))
                    .append("</td><td>").append(num(l.warmupError())).append("</td><td>").append(num(l.decay()))
                    .append("</td><td>").append(num(l.rotationDegPerIter())).append("</td></tr>");
        }
        h.append("</table>\n");
        chartOrReason(h, () -> Charts.snapshotLags(c, r.name()), "EMA lag error of each BN layer at the snapshot for " + r.name()
                + ", as bars", "EMA lag per layer: not measured (no layer decomposition recorded)");
        if (c.layers().stream().allMatch(l -> l.rotationDegPerIter() == null)) {
            h.append("<p class=\"omitted\">Rotation and lag angle: not measured, because one weight snapshot"
                    + " gives no rotation (it needs the weights at two iterations; run the monitor during training).</p>\n");
        }
    }

    private static void snapshotRow(StringBuilder h, String mode, Double loss, Double max) {
        h.append("<tr><td class=\"l\">").append(mode).append("</td><td>").append(num(loss)).append("</td><td>")
                .append(num(max)).append("</td></tr>");
    }

    private static void checkpointTable(StringBuilder h, RunSummary r) {
        h.append("<h3>Checkpoints</h3>\n<table><tr><th>iteration</th><th>train-mode loss</th><th>eval-mode loss</th>")
                .append("<th>precise loss</th><th>all-zeros loss</th><th>eval/train</th><th>eval/zeros</th>")
                .append("<th>EMA share</th><th>batch-noise share</th><th>max |train|</th><th>max |eval|</th>")
                .append("<th>max |precise|</th>")
                .append("<th class=\"l\">verdict</th><th>median EMA lag</th></tr>");
        for (CheckpointEntry c : r.checkpoints()) {
            h.append("<tr><td>").append(c.iteration()).append("</td><td>").append(num(c.trainModeLoss())).append("</td><td>")
                    .append(num(c.evalModeLoss())).append("</td><td>").append(num(c.preciseLoss())).append("</td><td>")
                    .append(num(c.zerosLoss())).append("</td><td>").append(num(c.evalToTrainRatio())).append("</td><td>")
                    .append(num(c.evalToZerosRatio())).append("</td><td>").append(num(c.emaShare())).append("</td><td>")
                    .append(num(c.batchNoiseShare())).append("</td><td>").append(num(c.trainModeMaxAbsOutput()))
                    .append("</td><td>").append(num(c.evalModeMaxAbsOutput())).append("</td><td>")
                    .append(num(c.preciseMaxAbsOutput())).append("</td><td class=\"l\">").append(esc(c.verdict()))
                    .append("</td><td>").append(num(medianLag(c))).append("</td></tr>");
        }
        h.append("</table>\n");
    }

    private static void chartOrReason(StringBuilder h, Supplier<byte[]> png, String alt, String reason) {
        if (!CHARTS_AVAILABLE) {
            img(h, png, alt);
            return;
        }
        byte[] drawn = png.get();
        if (drawn == null) {
            h.append("<p class=\"omitted\">").append(esc(reason)).append(".</p>\n");
        } else {
            img(h, () -> drawn, alt);
        }
    }

    private static String verdictLink(String verdict) {
        if (!Explanations.knows(verdict)) {
            return esc(verdict);
        }
        return "<a href=\"" + Explanations.verdictUrl(verdict) + "\">" + esc(verdict) + "</a>";
    }

    private static void img(StringBuilder h, Supplier<byte[]> png, String alt) {
        if (!CHARTS_AVAILABLE) {
            h.append("<p class=\"nochart\">[figure not drawn: ").append(esc(alt)).append(". The charts need XChart ")
                    .append("(org.knowm.xchart:xchart) on the class path; the numbers are in the tables and the JSON.]</p>\n");
            return;
        }
        h.append("<img alt=\"").append(esc(alt)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png.get())).append("\">\n");
    }

    /**
     * Whether XChart is on the class path: it is an optional dependency of the library (the
     * command-line jar carries it); without it the report is written with a note per figure.
     */
    private static boolean chartsAvailable() {
        try {
            Class.forName("org.knowm.xchart.XYChart", false, HtmlReport.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static CheckpointEntry last(RunSummary r) {
        return r.checkpoints().get(r.checkpoints().size() - 1);
    }

    private static Double medianLag(CheckpointEntry c) {
        double[] v = c.layers().stream().map(LayerEntry::emaLag).filter(x -> x != null).mapToDouble(Double::doubleValue)
                .toArray();
        return v.length == 0 ? null : io.github.bndoctor.stats.Median.of(v);
    }

    private static String num(Double v) {
        return v == null ? "&ndash;" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
