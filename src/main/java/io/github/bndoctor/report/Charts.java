package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The report's plots, drawn with XChart and encoded as PNG off screen (no display needed: Java
 * renders into an image; the command line also sets {@code java.awt.headless}). XChart is an
 * optional dependency: {@link HtmlReport} calls this class only when XChart is on the class path.
 */
public final class Charts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;

    private Charts() {
    }

    /** Colour of the all-zeros-output reference line. */
    static final Color ZEROS = new Color(0x17becf);

    /**
     * Training-mode, inference-mode and precise loss over iterations, with alarm markers on the
     * inference-mode curve and a dashed line at the loss of all-zero outputs (where measured): an
     * inference-mode curve that climbs to that line is an output collapse.
     *
     * @param run a run
     * @return PNG bytes
     */
    public static byte[] losses(RunSummary run) {
        return png(lossesChart(run));
    }

    /** The chart behind {@link #losses}, before encoding. */
    static XYChart lossesChart(RunSummary run) {
        List<CheckpointEntry> cps = run.checkpoints();
        boolean positive = cps.stream().allMatch(c -> positive(c.trainModeLoss()) && positive(c.evalModeLoss())
                && positive(c.preciseLoss()));
        XYChart chart = chart(run.name() + ": loss on the probe set", "loss" + (positive ? " (log scale)" : ""));
        chart.getStyler().setYAxisLogarithmic(positive);
        line(chart, "training mode (batch statistics)", cps, CheckpointEntry::trainModeLoss, new Color(0x1f77b4));
        line(chart, "inference mode (moving statistics)", cps, CheckpointEntry::evalModeLoss, new Color(0xd62728));
        line(chart, "precise statistics", cps, CheckpointEntry::preciseLoss, new Color(0x2ca02c));
        // on a log axis only positive levels (all-zero labels give an all-zeros loss of 0)
        XYSeries zeros = line(chart, "all-zeros output", cps,
                c -> c.zerosLoss() != null && (!positive || c.zerosLoss() > 0) ? c.zerosLoss() : null, ZEROS);
        if (zeros != null) {
            zeros.setLineStyle(SeriesLines.DASH_DASH);
            zeros.setMarker(cps.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        Map<Long, Double> evalAt = new LinkedHashMap<>();
        cps.forEach(c -> evalAt.put(c.iteration(), c.evalModeLoss()));
        for (String level : List.of("WARN", "FAIL")) {
            List<double[]> pts = new ArrayList<>();
            for (AlarmEntry a : run.alarms()) {
                Double y = evalAt.get(a.iteration());
                if (a.level().equals(level) && y != null && (!positive || y > 0)) {
                    pts.add(new double[] {a.iteration(), y});
                }
            }
            if (!pts.isEmpty()) {
                XYSeries s = chart.addSeries(level + " alarm", column(pts, 0), column(pts, 1));
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                s.setMarker(level.equals("FAIL") ? SeriesMarkers.DIAMOND : SeriesMarkers.TRIANGLE_UP);
                s.setMarkerColor(level.equals("FAIL") ? Color.BLACK : new Color(0xff7f0e));
            }
        }
        return chart;
    }

    /**
     * The largest absolute output of each mode over iterations, on a log axis, so that an inference-mode
     * output collapsing towards 0 (the reported 1e-11) stands out while training mode still peaks.
     * Values that are not positive cannot be drawn on a log axis and are left out.
     *
     * @param run a run
     * @return PNG bytes, up to three series ("not measured" when none has a positive value)
     */
    public static byte[] largestOutputs(RunSummary run) {
        return png(largestOutputsChart(run));
    }

    /** The chart behind {@link #largestOutputs}, before encoding. */
    static XYChart largestOutputsChart(RunSummary run) {
        XYChart chart = chart(run.name() + ": largest |output| per mode", "max |output| (log scale)");
        List<CheckpointEntry> cps = run.checkpoints();
        line(chart, "training mode (batch statistics)", cps, c -> positiveOrNull(c.trainModeMaxAbsOutput()),
                new Color(0x1f77b4));
        line(chart, "inference mode (moving statistics)", cps, c -> positiveOrNull(c.evalModeMaxAbsOutput()),
                new Color(0xd62728));
        line(chart, "precise statistics", cps, c -> positiveOrNull(c.preciseMaxAbsOutput()), new Color(0x2ca02c));
        if (chart.getSeriesMap().isEmpty()) {
            chart.setTitle(chart.getTitle() + " (not measured)");
            chart.addSeries("none", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        } else {
            chart.getStyler().setYAxisLogarithmic(true);
            // at least two decades: outputs that all stay near 1 must not look like a fall
            double lo = Double.POSITIVE_INFINITY;
            double hi = 0;
            for (XYSeries series : chart.getSeriesMap().values()) {
                for (double v : series.getYData()) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            chart.getStyler().setYAxisMin(Math.min(lo, hi / 100));
            chart.getStyler().setYAxisMax(hi);
        }
        return chart;
    }

    private static Double positiveOrNull(Double v) {
        return positive(v) ? v : null;
    }

    /**
     * @param run a run
     * @param title chart title
     * @param yTitle y axis title
     * @param metric the per-layer value
     * @return PNG bytes, one series per BN layer
     */
    public static byte[] perLayer(RunSummary run, String title, String yTitle, Function<LayerEntry, Double> metric) {
        return png(perLayerChart(run, title, yTitle, metric));
    }

    /** The chart behind {@link #perLayer}, before encoding. */
    static XYChart perLayerChart(RunSummary run, String title, String yTitle, Function<LayerEntry, Double> metric) {
        XYChart chart = chart(run.name() + ": " + title, yTitle);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (CheckpointEntry c : run.checkpoints()) {
            for (LayerEntry l : c.layers()) {
                Double v = metric.apply(l);
                List<double[]> pts = series.computeIfAbsent(l.name(), k -> new ArrayList<>());
                if (v != null) {
                    pts.add(new double[] {c.iteration(), v});
                }
            }
        }
        boolean any = false;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (!e.getValue().isEmpty()) {
                any = true;
                chart.addSeries(e.getKey(), column(e.getValue(), 0), column(e.getValue(), 1)).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        if (!any) {
            chart.setTitle(chart.getTitle() + " (not measured)");
            chart.addSeries("none", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /**
     * The lag angle of the weights feeding the BN layers, median over layers: the single-step
     * prediction {@code rotation x d/(1-d)} next to the measured angle between the weights now and at
     * the EMA's mean age.
     *
     * @param run a run
     * @return PNG bytes, two series (either may be absent: "not measured" when both are)
     */
    public static byte[] lagAngles(RunSummary run) {
        return png(lagAnglesChart(run));
    }

    /** The chart behind {@link #lagAngles}, before encoding. */
    static XYChart lagAnglesChart(RunSummary run) {
        XYChart chart = chart(run.name() + ": lag angle, median over BN layers", "degrees");
        line(chart, "predicted: rotation x d/(1-d)", run.checkpoints(), c -> median(c, LayerEntry::predictedLag),
                new Color(0x9467bd));
        line(chart, "measured: angle to the weights at age d/(1-d)", run.checkpoints(),
                c -> median(c, LayerEntry::measuredLag), new Color(0x8c564b));
        if (chart.getSeriesMap().isEmpty()) {
            chart.setTitle(chart.getTitle() + " (not measured)");
            chart.addSeries("none", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    private static Double median(CheckpointEntry c, Function<LayerEntry, Double> metric) {
        double[] v = c.layers().stream().map(metric).filter(x -> x != null).mapToDouble(Double::doubleValue).toArray();
        return v.length == 0 ? null : io.github.bndoctor.stats.Median.of(v);
    }

    /**
     * @param runs runs to compare
     * @return PNG bytes: eval/train loss ratio over iterations, one series per run
     */
    public static byte[] ratioComparison(List<RunSummary> runs) {
        return png(ratioComparisonChart(runs));
    }

    /** The chart behind {@link #ratioComparison}, before encoding. */
    static XYChart ratioComparisonChart(List<RunSummary> runs) {
        // linear: the ratios of interest (1, the 1.5 gate, 5 and beyond) must be readable off the axis,
        // and XChart labels a log axis only at powers of ten
        XYChart chart = chart("inference / training-mode loss ratio", "eval / train");
        chart.getStyler().setYAxisMin(0.0);
        for (RunSummary r : runs) {
            List<double[]> pts = new ArrayList<>();
            for (CheckpointEntry c : r.checkpoints()) {
                if (positive(c.evalToTrainRatio())) {
                    pts.add(new double[] {c.iteration(), c.evalToTrainRatio()});
                }
            }
            if (!pts.isEmpty()) {
                chart.addSeries(r.name(), column(pts, 0), column(pts, 1)).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        return chart;
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("iteration")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        return chart;
    }

    private static XYSeries line(XYChart chart, String name, List<CheckpointEntry> cps,
                                 Function<CheckpointEntry, Double> y, Color color) {
        List<double[]> pts = new ArrayList<>();
        for (CheckpointEntry c : cps) {
            Double v = y.apply(c);
            if (v != null) {
                pts.add(new double[] {c.iteration(), v});
            }
        }
        if (pts.isEmpty()) {
            return null;
        }
        XYSeries s = chart.addSeries(name, column(pts, 0), column(pts, 1));
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(SeriesMarkers.CIRCLE);
        return s;
    }

    private static boolean positive(Double v) {
        return v != null && v > 0;
    }

    private static double[] column(List<double[]> pts, int i) {
        return pts.stream().mapToDouble(p -> p[i]).toArray();
    }

    private static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
