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
import java.util.Map;
import java.util.function.Supplier;

/**
 * A single self-contained {@code index.html}: verdict, recommendations, the loss plot (training
 * mode vs inference mode vs precise statistics, with alarm markers and a dashed line at the loss of
 * all-zero outputs), the worst checkpoint's collapse line ({@link CollapseSummary}), the largest
 * absolute output per mode on a log axis, per-layer EMA lag and rotation plots, alarms, lints and a
 * checkpoint table. Plots are PNG images embedded as base64
 * data URIs, so the file needs nothing else to render.
 */
public final class HtmlReport {
    /** The file name written into the report directory. */
    public static final String FILE_NAME = "index.html";

    private static final boolean CHARTS_AVAILABLE = chartsAvailable();

    private HtmlReport() {
    }

    /**
     * Creates {@code dir} if needed (its parent must exist) and writes {@code index.html} atomically.
     *
     * @param report the report
     * @param dir the report directory
     * @return the written file
     */
    public static Path write(DiagnosisReport report, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            if (abs.getParent() == null || !Files.isDirectory(abs.getParent())) {
                throw new BnDoctorException("cannot write report to " + dir + ": parent directory does not exist");
            }
            try {
                Files.createDirectory(abs);
            } catch (IOException e) {
                throw new BnDoctorException("cannot create report directory " + dir + ": " + e.getMessage(), e);
            }
        }
        Path file = abs.resolve(FILE_NAME);
        String html = render(report);
        AtomicFiles.write(file, out -> out.write(html.getBytes(StandardCharsets.UTF_8)));
        return file;
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
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>bn-doctor report: ").append(esc(report.verdict())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;")
                .append("font-size:13px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}")
                .append(".verdict{font-size:1.4em;padding:.4em;border-radius:4px;display:inline-block}")
                .append(".PASS{background:#d4f4d4}.FAIL{background:#f8d0d0}img{max-width:100%;display:block;margin:.5em 0}")
                .append("</style></head><body>\n");
        h.append("<h1>bn-doctor report</h1>\n<p class=\"verdict ").append(esc(report.gate())).append("\">Verdict <b>")
                .append(esc(report.verdict())).append("</b>, gate <b>").append(esc(report.gate())).append("</b></p>\n");
        h.append("<p>Losses: ").append(esc(report.lossKind())).append(". Schema version ").append(report.schemaVersion())
                .append(".</p>\n");
        h.append("<h2>Recommendations</h2>\n<ul>");
        report.recommendations().forEach(r -> h.append("<li>").append(esc(r)).append("</li>"));
        h.append("</ul>\n");
        if (!report.comparisons().isEmpty()) {
            List<RunSummary> all = new ArrayList<>();
            all.add(main);
            all.addAll(report.comparisons());
            h.append("<h2>Runs compared</h2>\n<table><tr><th class=\"l\">run</th><th>verdict</th><th>gate</th>")
                    .append("<th>worst eval/train</th><th>last eval/train</th></tr>");
            for (RunSummary r : all) {
                h.append("<tr><td class=\"l\">").append(esc(r.name())).append("</td><td>").append(esc(r.verdict()))
                        .append("</td><td>").append(esc(r.gate())).append("</td><td>").append(num(worstRatio(r)))
                        .append("</td><td>").append(num(last(r).evalToTrainRatio())).append("</td></tr>");
            }
            h.append("</table>\n");
            img(h, () -> Charts.ratioComparison(all), "Inference over training-mode loss ratio per iteration for each run compared");
        }
        section(h, main, report.lints());
        for (RunSummary r : report.comparisons()) {
            section(h, r, List.of());
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void section(StringBuilder h, RunSummary r, List<LintEntry> lints) {
        h.append("<h2>").append(esc(r.name())).append(": ").append(esc(r.verdict())).append(" (gate ")
                .append(esc(r.gate())).append(")</h2>\n");
        h.append("<table>");
        for (Map.Entry<String, Object> e : r.config().entrySet()) {
            h.append("<tr><th class=\"l\">").append(esc(e.getKey())).append("</th><td class=\"l\">")
                    .append(esc(String.valueOf(e.getValue()))).append("</td></tr>");
        }
        h.append("</table>\n");
        img(h, () -> Charts.losses(r), "Training-mode, inference-mode and precise-statistics loss over iterations for "
                + r.name() + ", with alarm markers and a dashed line at the loss of all-zero outputs");
        h.append("<p class=\"collapse\">Worst checkpoint, ").append(esc(CollapseSummary.of(r.checkpoints())))
                .append("</p>\n");
        img(h, () -> Charts.largestOutputs(r), "Largest absolute output per mode (training, inference, precise statistics)"
                + " over iterations on a log axis for " + r.name());
        img(h, () -> Charts.perLayer(r, "EMA lag per BN layer", "lag error", LayerEntry::emaLag),
                "EMA lag error of each BN layer over iterations for " + r.name());
        img(h, () -> Charts.perLayer(r, "rotation of the weights feeding each BN layer", "degrees / iteration",
                LayerEntry::rotationDegPerIter), "Rotation in degrees per iteration of the weights feeding each BN layer for "
                + r.name());
        img(h, () -> Charts.lagAngles(r), "Lag angle in degrees, median over BN layers, for " + r.name()
                + ": predicted from one step's rotation times d/(1-d), and measured against the weights d/(1-d) iterations earlier");
        if (r.checkpoints().stream().flatMap(c -> c.layers().stream()).map(LayerEntry::decay)
                .filter(java.util.Objects::nonNull).distinct().count() > 1) {
            img(h, () -> Charts.perLayer(r, "BN decay in force per layer", "decay", LayerEntry::decay),
                    "BN decay in force for each layer over iterations (adapted while training) for " + r.name());
        }
        if (!r.recommendations().isEmpty()) {
            h.append("<p>Recommendations:</p><ul>");
            r.recommendations().forEach(x -> h.append("<li>").append(esc(x)).append("</li>"));
            h.append("</ul>\n");
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

    private static Double worstRatio(RunSummary r) {
        return r.checkpoints().stream().map(CheckpointEntry::evalToTrainRatio).filter(v -> v != null)
                .max(Double::compare).orElse(null);
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
        return v == null ? "&ndash;" : String.format("%.4g", v);
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
