package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
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

    static final Color TRAIN = new Color(0x1f77b4);
    static final Color EVAL = new Color(0xd62728);
    static final Color PRECISE = new Color(0x2ca02c);
    private static final int MARKER_SIZE = 8;
    private static final Marker RING = new Outline(false, 2f);
    private static final Marker HOLLOW_DIAMOND = new Outline(true, 2f);
    private static final Marker HOLLOW_TRIANGLE = new Triangle();

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
        // drawn first and largest, so that the smaller markers drawn over it stay visible where they coincide
        marked(line(chart, "precise statistics", cps, CheckpointEntry::preciseLoss, PRECISE), RING, 2.0);
        marked(line(chart, "training mode (batch statistics)", cps, CheckpointEntry::trainModeLoss, TRAIN),
                SeriesMarkers.SQUARE, 1.0);
        marked(line(chart, "inference mode (moving statistics)", cps, CheckpointEntry::evalModeLoss, EVAL),
                SeriesMarkers.CIRCLE, 0.8);
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
                // hollow and larger: the inference-mode point it marks stays visible inside it
                s.setMarker(scaled(level.equals("FAIL") ? HOLLOW_DIAMOND : HOLLOW_TRIANGLE, 2.4));
                s.setMarkerColor(level.equals("FAIL") ? Color.BLACK : new Color(0xff7f0e));
            }
        }
        if (positive) {
            logAxis(chart);
        }
        return chart;
    }

    /**
     * The losses of a single snapshot (a saved model) as bars: training mode, inference mode, precise
     * statistics and all-zero outputs, each labelled with its value.
     *
     * @param c the checkpoint
     * @param name the run's name
     * @return PNG bytes
     */
    public static byte[] snapshotLosses(CheckpointEntry c, String name) {
        List<String> modes = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        addBar(modes, values, "training mode", c.trainModeLoss());
        addBar(modes, values, "inference mode", c.evalModeLoss());
        addBar(modes, values, "precise statistics", c.preciseLoss());
        addBar(modes, values, "all-zeros output", c.zerosLoss());
        return png(bars(name + ": loss per mode at iteration " + c.iteration(), "loss", modes, values, EVAL));
    }

    /**
     * The EMA lag of each BN layer at a single snapshot, as bars.
     *
     * @param c the checkpoint
     * @param name the run's name
     * @return PNG bytes, or {@code null} when no layer has a value
     */
    public static byte[] snapshotLags(CheckpointEntry c, String name) {
        List<String> layers = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (LayerEntry l : c.layers()) {
            addBar(layers, values, l.name(), l.emaLag());
        }
        return layers.isEmpty() ? null
                : png(bars(name + ": EMA lag per BN layer at iteration " + c.iteration(), "lag error", layers, values,
                        new Color(0x9467bd)));
    }

    private static void addBar(List<String> names, List<Double> values, String name, Double v) {
        if (v != null) {
            names.add(name);
            values.add(v);
        }
    }

    /** One bar per category, labelled with its value (one colour: the categories are named on the axis). */
    static CategoryChart bars(String title, String yTitle, List<String> names, List<Double> values, Color colour) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setLabelsFontColor(Color.BLACK);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setLabelsPosition(0.95);
        chart.getStyler().setYAxisDecimalPattern("0.####");
        chart.addSeries(yTitle, names, values).setFillColor(colour);
        return chart;
    }

    /**
     * The largest absolute output of each mode over iterations, on a log axis, so that an inference-mode
     * output collapsing towards 0 (the reported 1e-11) stands out while training mode still peaks.
     * Values that are not positive cannot be drawn on a log axis and are left out.
     *
     * @param run a run
     * @return PNG bytes, up to three series, or {@code null} when none has a positive value
     */
    public static byte[] largestOutputs(RunSummary run) {
        return png(largestOutputsChart(run));
    }

    /** The chart behind {@link #largestOutputs}, before encoding. */
    static XYChart largestOutputsChart(RunSummary run) {
        XYChart chart = chart(run.name() + ": largest |output| per mode", "max |output| (log scale)");
        List<CheckpointEntry> cps = run.checkpoints();
        marked(line(chart, "precise statistics", cps, c -> positiveOrNull(c.preciseMaxAbsOutput()), PRECISE), RING, 2.0);
        marked(line(chart, "training mode (batch statistics)", cps, c -> positiveOrNull(c.trainModeMaxAbsOutput()),
                TRAIN), SeriesMarkers.SQUARE, 1.0);
        marked(line(chart, "inference mode (moving statistics)", cps, c -> positiveOrNull(c.evalModeMaxAbsOutput()),
                EVAL), SeriesMarkers.CIRCLE, 0.8);
        if (chart.getSeriesMap().isEmpty()) {
            return null;
        }
        logAxis(chart);
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
     * @return PNG bytes, one series per BN layer, or {@code null} when no layer has a value
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
        int i = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (!e.getValue().isEmpty()) {
                any = true;
                chart.addSeries(e.getKey(), column(e.getValue(), 0), column(e.getValue(), 1)).setMarker(distinct(i++));
            }
        }
        return any ? chart : null;
    }

    /**
     * The lag angle of the weights feeding the BN layers, median over layers: the single-step
     * prediction {@code rotation x d/(1-d)} next to the measured angle between the weights now and at
     * the EMA's mean age.
     *
     * @param run a run
     * @return PNG bytes, two series (either may be absent), or {@code null} when both are
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
        return chart.getSeriesMap().isEmpty() ? null : chart;
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
        int i = 0;
        for (RunSummary r : runs) {
            List<double[]> pts = new ArrayList<>();
            for (CheckpointEntry c : r.checkpoints()) {
                if (positive(c.evalToTrainRatio())) {
                    pts.add(new double[] {c.iteration(), c.evalToTrainRatio()});
                }
            }
            if (!pts.isEmpty()) {
                chart.addSeries(r.name(), column(pts, 0), column(pts, 1)).setMarker(distinct(i++));
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
        chart.getStyler().setMarkerSize(MARKER_SIZE);
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

    /**
     * The marker of the {@code i}-th series of a chart whose series may coincide: shapes in turn, and
     * each drawn smaller than the ones before it, so that a later series never hides an earlier one.
     */
    static Marker distinct(int i) {
        Marker[] shapes = {RING, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
            SeriesMarkers.CIRCLE, SeriesMarkers.CROSS};
        return scaled(shapes[i % shapes.length], Math.max(0.7, 1.8 - 0.2 * i));
    }

    private static void marked(XYSeries s, Marker m, double scale) {
        if (s != null) {
            s.setMarker(scaled(m, scale));
        }
    }

    /** A marker drawn {@code scale} times the chart's marker size. */
    static Marker scaled(Marker m, double scale) {
        return new Marker() {
            @Override
            public void paint(Graphics2D g, double x, double y, int size) {
                m.paint(g, x, y, (int) Math.round(size * scale));
            }
        };
    }

    /** An outlined circle or diamond, so that what lies under it stays visible. */
    private static final class Outline extends Marker {
        private final boolean diamond;
        private final float width;

        Outline(boolean diamond, float width) {
            this.diamond = diamond;
            this.width = width;
        }

        @Override
        public void paint(Graphics2D g, double x, double y, int size) {
            g.setStroke(new BasicStroke(width));
            double h = size / 2.0;
            if (diamond) {
                Path2D p = new Path2D.Double();
                p.moveTo(x, y - h);
                p.lineTo(x + h, y);
                p.lineTo(x, y + h);
                p.lineTo(x - h, y);
                p.closePath();
                g.draw(p);
            } else {
                g.draw(new Ellipse2D.Double(x - h, y - h, size, size));
            }
        }
    }

    /** An outlined upward triangle. */
    private static final class Triangle extends Marker {
        @Override
        public void paint(Graphics2D g, double x, double y, int size) {
            g.setStroke(new BasicStroke(2f));
            double h = size / 2.0;
            Path2D p = new Path2D.Double();
            p.moveTo(x, y - h);
            p.lineTo(x + h, y + h);
            p.lineTo(x - h, y + h);
            p.closePath();
            g.draw(p);
        }
    }

    /**
     * A labelled logarithmic y axis: whole decades from below the smallest to above the largest value
     * (so that at least two ticks are labelled), labels at decades only, in one format: plain decimals
     * when every label lies in [0.001, 1000), powers of ten otherwise.
     */
    static void logAxis(XYChart chart) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (XYSeries series : chart.getSeriesMap().values()) {
            for (double v : series.getYData()) {
                if (v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        double min = Math.pow(10, Math.floor(Math.log10(lo)));
        double max = Math.pow(10, Math.ceil(Math.log10(hi)));
        if (max <= min * 10) {
            max = min * 100;
        }
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmicDecadeOnly(true);
        chart.getStyler().setYAxisMin(min);
        chart.getStyler().setYAxisMax(max);
        chart.getStyler().setYAxisDecimalPattern(min >= 1e-3 && max < 1e3 ? "0.###" : "0E0");
    }

    private static boolean positive(Double v) {
        return v != null && v > 0;
    }

    private static double[] column(List<double[]> pts, int i) {
        return pts.stream().mapToDouble(p -> p[i]).toArray();
    }

    private static byte[] png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        if (chart == null) {
            return null;
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
