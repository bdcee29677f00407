package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The report's charts read through XChart's own model (titles, axis scale and limits, each series'
 * points, markers and line style) rather than as pixels: every value is a hand-chosen input or its
 * hand-worked median, so each filter and each "not measured" branch is visible. Markers are painted
 * into a small image and checked by shape and size (corners, edges, a hollow centre, the line's
 * width) against the geometry or XChart's own marker at the hand-computed size; a snapshot's bars
 * are counted in its PNG.
 */
@Tag("unit")
class ChartsTest {
    private static final String TRAIN = "training mode (batch statistics)";
    private static final String EVAL = "inference mode (moving statistics)";
    private static final String PRECISE = "precise statistics";
    private static final String ZEROS = "all-zeros output";

    private static LayerEntry layer(String name, Double emaLag, Double predicted, Double measured) {
        return new LayerEntry(name, emaLag, null, null, predicted, measured, null, null, 0.99);
    }

    private static CheckpointEntry cp(long it, Double train, Double eval, Double precise, Double zeros, Double ratio,
                                      Double trainMax, Double evalMax, Double preciseMax, List<LayerEntry> layers) {
        return new CheckpointEntry(it, train, eval, precise, zeros, ratio, null, null, null, trainMax, evalMax,
                preciseMax, "EMA_LAG", layers);
    }

    private static CheckpointEntry losses(long it, Double train, Double eval, Double precise, Double zeros) {
        return cp(it, train, eval, precise, zeros, null, null, null, null, List.of());
    }

    private static RunSummary run(List<CheckpointEntry> cps, List<AlarmEntry> alarms) {
        return new RunSummary("r", "EMA_LAG", "FAIL", Map.of(), cps, alarms, List.of());
    }

    private static AlarmEntry alarm(long it, String level) {
        return new AlarmEntry(it, "bn", "eval/train", 2.0, 1.5, level);
    }

    private static XYSeries series(XYChart chart, String name) {
        return chart.getSeriesMap().get(name);
    }

    private static double[] xs(XYChart chart, String name) {
        return series(chart, name).getXData();
    }

    private static double[] ys(XYChart chart, String name) {
        return series(chart, name).getYData();
    }

    @Test
    void positiveLossesGoOnALogAxisWithAlarmMarkersOnTheInferenceCurve() {
        List<CheckpointEntry> cps = List.of(losses(10, 1.0, 2.0, 1.5, 8.0), losses(20, 0.5, 4.0, 0.6, 8.0),
                losses(30, 0.25, 6.0, 0.3, 8.0));
        // a WARN at 20, a FAIL at 30, a WARN at an iteration without checkpoint (no y: left out)
        XYChart c = Charts.lossesChart(run(cps, List.of(alarm(20, "WARN"), alarm(30, "FAIL"), alarm(25, "WARN"))));
        assertThat(c.getTitle()).isEqualTo("r: loss on the probe set");
        assertThat(c.getYAxisTitle()).isEqualTo("loss (log scale)");
        assertThat(c.getStyler().isYAxisLogarithmic()).isTrue();
        assertThat(ys(c, TRAIN)).containsExactly(1.0, 0.5, 0.25);
        assertThat(ys(c, EVAL)).containsExactly(2.0, 4.0, 6.0);
        assertThat(ys(c, PRECISE)).containsExactly(1.5, 0.6, 0.3);
        assertThat(xs(c, EVAL)).containsExactly(10, 20, 30);
        XYSeries zeros = series(c, ZEROS);
        assertThat(zeros.getYData()).containsExactly(8.0, 8.0, 8.0);
        assertThat(zeros.getLineStyle()).isEqualTo(SeriesLines.DASH_DASH);
        assertThat(zeros.getMarker()).as("a line of several points needs no marker").isEqualTo(SeriesMarkers.NONE);
        XYSeries warn = series(c, "WARN alarm");
        assertThat(warn.getXData()).containsExactly(20);
        assertThat(warn.getYData()).as("on the inference-mode curve").containsExactly(4.0);
        assertThat(warn.getMarker()).as("hollow, drawn over the point it marks").isNotEqualTo(SeriesMarkers.TRIANGLE_UP);
        assertThat(warn.getMarkerColor()).isEqualTo(new Color(0xff7f0e));
        assertThat(warn.getXYSeriesRenderStyle()).isEqualTo(XYSeries.XYSeriesRenderStyle.Scatter);
        XYSeries fail = series(c, "FAIL alarm");
        assertThat(fail.getXData()).containsExactly(30);
        assertThat(fail.getYData()).containsExactly(6.0);
        assertThat(fail.getMarker()).as("hollow, drawn over the point it marks").isNotEqualTo(SeriesMarkers.DIAMOND);
        // precise drawn first (largest), then training, then inference mode: smaller markers over larger ones
        assertThat(c.getSeriesMap().keySet()).startsWith(PRECISE, TRAIN, EVAL);
        assertThat(fail.getMarkerColor()).isEqualTo(Color.BLACK);

        XYChart quiet = Charts.lossesChart(run(cps, List.of(alarm(20, "WARN"))));
        assertThat(quiet.getSeriesMap()).containsOnlyKeys(TRAIN, EVAL, PRECISE, ZEROS, "WARN alarm");
    }

    @Test
    void aLossThatIsNotPositiveInAnyModeKeepsTheAxisLinearAndTheZeroLevelOn() {
        // one non-positive or missing value in each mode in turn
        List<List<CheckpointEntry>> runs = List.of(
                List.of(losses(10, 1.0, 2.0, 1.5, 0.0), losses(20, 0.0, 3.0, 1.0, 0.0)),
                List.of(losses(10, 1.0, 2.0, 1.5, 0.0), losses(20, 1.0, 0.0, 1.0, 0.0)),
                List.of(losses(10, 1.0, 2.0, 1.5, 0.0), losses(20, 1.0, 3.0, null, 0.0)));
        for (List<CheckpointEntry> cps : runs) {
            XYChart c = Charts.lossesChart(run(cps, List.of(alarm(10, "WARN"), alarm(20, "FAIL"))));
            assertThat(c.getStyler().isYAxisLogarithmic()).isFalse();
            assertThat(c.getYAxisTitle()).isEqualTo("loss");
            // all-zero labels: an all-zeros loss of 0 is drawn on a linear axis
            assertThat(ys(c, ZEROS)).containsExactly(0.0, 0.0);
            // on a linear axis every alarm with a checkpoint is marked, even at a loss of 0
            assertThat(ys(c, "WARN alarm")).containsExactly(2.0);
            assertThat(xs(c, "FAIL alarm")).containsExactly(20);
        }
        // on a log axis an all-zeros loss of 0 is left off; a single point gets a marker
        XYChart single = Charts.lossesChart(run(List.of(losses(10, 1.0, 2.0, 1.5, 0.0)), List.of()));
        assertThat(single.getStyler().isYAxisLogarithmic()).isTrue();
        assertThat(single.getSeriesMap()).doesNotContainKey(ZEROS);
        XYChart dot = Charts.lossesChart(run(List.of(losses(10, 1.0, 2.0, 1.5, 3.0)), List.of()));
        assertThat(series(dot, ZEROS).getMarker()).isEqualTo(SeriesMarkers.CIRCLE);
        assertThat(series(dot, ZEROS).getLineStyle()).isEqualTo(SeriesLines.DASH_DASH);
    }

    @Test
    void largestOutputsSpanAtLeastTwoDecadesAndSayWhenNothingWasMeasured() {
        List<CheckpointEntry> cps = List.of(
                cp(10, 1.0, 1.0, 1.0, null, null, 4.0, 0.5, 2.0, List.of()),
                cp(20, 1.0, 1.0, 1.0, null, null, 3.0, 0.0, null, List.of()));
        XYChart c = Charts.largestOutputsChart(run(cps, List.of()));
        assertThat(c.getTitle()).isEqualTo("r: largest |output| per mode");
        assertThat(c.getStyler().isYAxisLogarithmic()).isTrue();
        assertThat(ys(c, TRAIN)).containsExactly(4.0, 3.0);
        assertThat(ys(c, EVAL)).as("0 cannot be drawn on a log axis").containsExactly(0.5);
        assertThat(ys(c, PRECISE)).containsExactly(2.0);
        // lowest 0.5, highest 4: whole decades around them, 0.1 to 10, labelled at decades only in one format
        assertThat(c.getStyler().getYAxisMin()).isCloseTo(0.1, within(1e-15));
        assertThat(c.getStyler().getYAxisMax()).isCloseTo(10.0, within(1e-14));
        assertThat(c.getStyler().isYAxisLogarithmicDecadeOnly()).isTrue();
        assertThat(c.getStyler().getYAxisDecimalPattern()).isEqualTo("0.###");
        // 1e-11 to 1: eleven decades, labelled as powers of ten (no 0.001 next to 1E-4)
        XYChart deep = Charts.largestOutputsChart(run(List.of(cp(10, 1.0, 1.0, 1.0, null, null, 1.0, 1e-11, null,
                List.of())), List.of()));
        assertThat(deep.getStyler().getYAxisMin()).isCloseTo(1e-11, within(1e-24));
        assertThat(deep.getStyler().getYAxisMax()).isCloseTo(1.0, within(1e-15));
        assertThat(deep.getStyler().getYAxisDecimalPattern()).isEqualTo("0E0");
        // values within one decade (0.2 to 0.5) still get two labelled decades
        XYChart flat = Charts.largestOutputsChart(run(List.of(cp(10, 1.0, 1.0, 1.0, null, null, 0.5, 0.2, null,
                List.of())), List.of()));
        assertThat(flat.getStyler().getYAxisMin()).isCloseTo(0.1, within(1e-15));
        assertThat(flat.getStyler().getYAxisMax()).isCloseTo(10.0, within(1e-14));

        // nothing positive: no chart (the report says what was not measured instead)
        assertThat(Charts.largestOutputsChart(run(List.of(cp(10, 1.0, 1.0, 1.0, null, null, null, 0.0, -1.0,
                List.of())), List.of()))).isNull();
    }

    @Test
    void perLayerDrawsOneSeriesPerLayerWithAValue() {
        List<CheckpointEntry> cps = List.of(
                cp(10, null, null, null, null, null, null, null, null,
                        List.of(layer("a", 0.1, null, null), layer("b", null, null, null), layer("c", 0.3, null, null))),
                cp(20, null, null, null, null, null, null, null, null,
                        List.of(layer("a", null, null, null), layer("b", null, null, null), layer("c", 0.4, null, null))));
        XYChart c = Charts.perLayerChart(run(cps, List.of()), "EMA lag", "lag error", LayerEntry::emaLag);
        assertThat(c.getTitle()).isEqualTo("r: EMA lag");
        assertThat(c.getYAxisTitle()).isEqualTo("lag error");
        assertThat(c.getSeriesMap()).containsOnlyKeys("a", "c");
        assertThat(xs(c, "a")).containsExactly(10);
        assertThat(ys(c, "a")).containsExactly(0.1);
        assertThat(xs(c, "c")).containsExactly(10, 20);
        assertThat(ys(c, "c")).containsExactly(0.3, 0.4);

        assertThat(Charts.perLayerChart(run(cps, List.of()), "EMA lag", "lag error", l -> null)).isNull();
    }

    @Test
    void lagAnglesAreMediansOverTheLayersThatHaveOne() {
        List<CheckpointEntry> cps = List.of(
                // predicted 1, 10, 3: median 3; measured 2, -, 5: median (2 + 5) / 2 = 3.5
                cp(10, null, null, null, null, null, null, null, null,
                        List.of(layer("a", null, 1.0, 2.0), layer("b", null, 10.0, null), layer("c", null, 3.0, 5.0))),
                // predicted 5 alone; measured by no layer: no point at 20
                cp(20, null, null, null, null, null, null, null, null,
                        List.of(layer("a", null, 5.0, null), layer("b", null, null, null))));
        XYChart c = Charts.lagAnglesChart(run(cps, List.of()));
        assertThat(c.getTitle()).isEqualTo("r: lag angle, median over BN layers");
        String predicted = "predicted: rotation x d/(1-d)";
        String measured = "measured: angle to the weights at age d/(1-d)";
        assertThat(xs(c, predicted)).containsExactly(10, 20);
        assertThat(ys(c, predicted)).containsExactly(3.0, 5.0);
        assertThat(xs(c, measured)).containsExactly(10);
        assertThat(ys(c, measured)).containsExactly(3.5);

        assertThat(Charts.lagAnglesChart(run(List.of(cp(10, null, null, null, null, null, null, null, null,
                List.of(layer("a", null, null, null)))), List.of()))).isNull();
    }

    @Test
    void ratioComparisonKeepsPositiveRatiosAndRunsThatHaveOne() {
        RunSummary a = new RunSummary("a", "EMA_LAG", "FAIL", Map.of(), List.of(
                cp(10, null, null, null, null, 1.2, null, null, null, List.of()),
                cp(20, null, null, null, null, 0.0, null, null, null, List.of()),
                cp(30, null, null, null, null, null, null, null, null, List.of()),
                cp(40, null, null, null, null, 5.0, null, null, null, List.of())), List.of(), List.of());
        RunSummary b = new RunSummary("b", "HEALTHY", "PASS", Map.of(), List.of(
                cp(10, null, null, null, null, null, null, null, null, List.of())), List.of(), List.of());
        XYChart c = Charts.ratioComparisonChart(List.of(a, b));
        assertThat(c.getSeriesMap()).containsOnlyKeys("a");
        assertThat(xs(c, "a")).containsExactly(10, 40);
        assertThat(ys(c, "a")).containsExactly(1.2, 5.0);
        assertThat(c.getStyler().getYAxisMin()).isEqualTo(0.0);
        assertThat(c.getStyler().isYAxisLogarithmic()).isFalse();
    }

    /**
     * Paints a marker of base size {@code size} centred at (50, 50) on a white 100 x 100 image, black,
     * without anti-aliasing, with a 9-pixel stroke already set: an outline marker must set its own.
     */
    private static boolean[][] painted(Marker m, int size) {
        BufferedImage img = new BufferedImage(100, 100, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 100, 100);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(9f));
        m.paint(g, 50, 50, size);
        g.dispose();
        boolean[][] p = new boolean[100][100];
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 100; x++) {
                p[y][x] = (img.getRGB(x, y) & 0xffffff) != 0xffffff;
            }
        }
        return p;
    }

    /** Whether a pixel within one of (x, y) is painted: a line's exact pixel depends on rasterisation. */
    private static boolean near(boolean[][] p, int x, int y) {
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                if (p[y + dy][x + dx]) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void assertNear(boolean[][] p, String what, int... xy) {
        for (int i = 0; i < xy.length; i += 2) {
            assertThat(near(p, xy[i], xy[i + 1])).as("%s: painted at (%d, %d)", what, xy[i], xy[i + 1]).isTrue();
        }
    }

    private static void assertBlank(boolean[][] p, String what, int... xy) {
        for (int i = 0; i < xy.length; i += 2) {
            assertThat(p[xy[i + 1]][xy[i]]).as("%s: blank at (%d, %d)", what, xy[i], xy[i + 1]).isFalse();
        }
    }

    /** A hollow ring of diameter 16 and a 2-pixel line, centred at (50, 50), when painted at base size {@code base}. */
    private static void assertRingOfDiameter16(Marker m, int base, String what) {
        boolean[][] p = painted(m, base);
        // its top, bottom, left and right, and at 45 degrees (radius 8: (50 + 5.7, 50 - 5.7))
        assertNear(p, what, 50, 42, 50, 58, 42, 50, 58, 50);
        assertThat(p[44][56]).as("%s: on the circle at 45 degrees, off a diamond's edge", what).isTrue();
        // hollow; 4 pixels inside and outside the line stay blank with a 2-pixel line
        assertBlank(p, what, 50, 50, 50, 46, 50, 54, 46, 50, 54, 50, 50, 37, 63, 50);
    }

    @Test
    void eachModeHasItsMarkerAtItsSize() {
        List<CheckpointEntry> cps = List.of(cp(10, 1.0, 2.0, 1.5, 8.0, null, 4.0, 0.5, 2.0, List.of()),
                cp(20, 0.5, 4.0, 0.6, 8.0, null, 3.0, 0.4, 1.0, List.of()));
        for (XYChart c : List.of(Charts.lossesChart(run(cps, List.of())), Charts.largestOutputsChart(run(cps, List.of())))) {
            assertThat(c.getStyler().getMarkerSize()).isEqualTo(8);
            // training mode: XChart's square at 8 x 1.0 = 8
            assertThat(painted(series(c, TRAIN).getMarker(), 8)).isDeepEqualTo(painted(SeriesMarkers.SQUARE, 8));
            // inference mode: XChart's circle at 8 x 0.8 = 6.4, rounded to 6
            assertThat(painted(series(c, EVAL).getMarker(), 8)).isDeepEqualTo(painted(SeriesMarkers.CIRCLE, 6));
            assertThat(painted(SeriesMarkers.CIRCLE, 6)).isNotEqualTo(painted(SeriesMarkers.CIRCLE, 8));
            // precise statistics: a ring at 8 x 2.0 = 16, drawn under the others
            assertRingOfDiameter16(series(c, PRECISE).getMarker(), 8, c.getTitle());
        }
    }

    @Test
    void alarmMarkersAreHollowDiamondsAndTrianglesTwoAndAHalfTimesTheSize() {
        List<CheckpointEntry> cps = List.of(losses(10, 1.0, 2.0, 1.5, 8.0), losses(20, 0.5, 4.0, 0.6, 8.0));
        XYChart c = Charts.lossesChart(run(cps, List.of(alarm(10, "WARN"), alarm(20, "FAIL"))));
        // base size 10: 10 x 2.4 = 24, half 12; the diamond's corners 12 from (50, 50)
        boolean[][] d = painted(series(c, "FAIL alarm").getMarker(), 10);
        assertNear(d, "diamond corners", 50, 38, 62, 50, 50, 62, 38, 50);
        assertNear(d, "diamond edges", 56, 44, 56, 56, 44, 56, 44, 44);
        // hollow: the centre and points 3.5 from the edges (inside and out) blank with a 2-pixel line;
        // (58, 42) lies on a circle of radius 12, not on the diamond
        assertBlank(d, "diamond", 50, 50, 50, 43, 57, 50, 50, 57, 43, 50, 58, 42, 64, 64, 36, 36);
        // apex (50, 38), base corners (62, 62) and (38, 62)
        boolean[][] t = painted(series(c, "WARN alarm").getMarker(), 10);
        assertNear(t, "triangle corners", 50, 38, 62, 62, 38, 62);
        assertNear(t, "triangle edges", 56, 50, 44, 50, 50, 62);
        // hollow, 4 pixels from the base inside and outside blank, nothing below it or over the apex
        assertBlank(t, "triangle", 50, 54, 50, 58, 50, 66, 50, 34, 38, 40, 62, 40);
    }

    @Test
    void distinctMarkersTakeTheShapesInTurnEachSmallerDownToSevenTenths() {
        // scale 1.8 - 0.2 i, at least 0.7, of the base size 8 (rounded)
        assertRingOfDiameter16(Charts.distinct(0), 9, "a ring at 1.8: base 9 gives 16.2, rounded to 16");
        assertThat(painted(Charts.distinct(1), 8)).isDeepEqualTo(painted(SeriesMarkers.SQUARE, 13)); // 12.8
        assertThat(painted(Charts.distinct(2), 8)).isDeepEqualTo(painted(SeriesMarkers.DIAMOND, 11)); // 11.2
        assertThat(painted(Charts.distinct(3), 8)).isDeepEqualTo(painted(SeriesMarkers.TRIANGLE_UP, 10)); // 9.6
        assertThat(painted(Charts.distinct(4), 8)).isDeepEqualTo(painted(SeriesMarkers.CIRCLE, 8)); // 8.0
        assertThat(painted(Charts.distinct(5), 8)).isDeepEqualTo(painted(SeriesMarkers.CROSS, 6)); // 6.4
        // 1.8 - 1.4 = 0.4 is below the floor: 0.7 x 8 = 5.6, rounded to 6
        assertThat(painted(Charts.distinct(7), 8)).isDeepEqualTo(painted(SeriesMarkers.SQUARE, 6));
        assertThat(painted(SeriesMarkers.DIAMOND, 11)).isNotEqualTo(painted(SeriesMarkers.DIAMOND, 14));
    }

    private static XYChart logAxisOver(double... ys) {
        XYChart c = new XYChartBuilder().width(200).height(100).build();
        double[] xs = new double[ys.length];
        for (int i = 0; i < ys.length; i++) {
            xs[i] = i;
        }
        c.addSeries("s", xs, ys);
        Charts.logAxis(c);
        return c;
    }

    @Test
    void theLogAxisLeavesOutZeroAndLabelsPlainDecimalsExactlyInsideOneThousandthToOneThousand() {
        // 0 is left out: 0.5 to 4 span 0.1 to 10
        XYChart zero = logAxisOver(0.0, 0.5, 4.0);
        assertThat(zero.getStyler().getYAxisMin()).isCloseTo(0.1, within(1e-15));
        assertThat(zero.getStyler().getYAxisMax()).isCloseTo(10.0, within(1e-14));
        // lowest decade 0.001 (at the bound): plain; 0.0001 (below): powers of ten
        assertThat(logAxisOver(0.002, 0.05).getStyler().getYAxisDecimalPattern()).isEqualTo("0.###");
        assertThat(logAxisOver(0.0002, 0.05).getStyler().getYAxisDecimalPattern()).isEqualTo("0E0");
        // highest decade 100 (below the bound): plain; 1000 (at it): powers of ten
        assertThat(logAxisOver(5, 50).getStyler().getYAxisMax()).isEqualTo(100.0);
        assertThat(logAxisOver(5, 50).getStyler().getYAxisDecimalPattern()).isEqualTo("0.###");
        assertThat(logAxisOver(50, 500).getStyler().getYAxisMax()).isEqualTo(1000.0);
        assertThat(logAxisOver(50, 500).getStyler().getYAxisDecimalPattern()).isEqualTo("0E0");
    }

    /** Runs of the colour across the row 3 pixels above its lowest row: the bars standing on the axis. */
    private static int barsOf(byte[] png, int rgb) throws java.io.IOException {
        BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        int lowest = -1;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    lowest = y;
                }
            }
        }
        int runs = 0;
        boolean in = false;
        for (int x = 0; x < img.getWidth(); x++) {
            boolean hit = (img.getRGB(x, lowest - 3) & 0xffffff) == rgb;
            if (hit && !in) {
                runs++;
            }
            in = hit;
        }
        return runs;
    }

    @Test
    void aSnapshotHasOneBarPerMeasuredMode() throws java.io.IOException {
        assertThat(barsOf(Charts.snapshotLosses(losses(10, 1.0, 2.0, 3.0, 4.0), "s"), 0xd62728)).isEqualTo(4);
        assertThat(barsOf(Charts.snapshotLosses(losses(10, 1.0, 2.0, null, 4.0), "s"), 0xd62728)).isEqualTo(3);
    }
}
