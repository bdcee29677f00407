package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The report's charts read through XChart's own model (titles, axis scale and limits, each series'
 * points, markers and line style) rather than as pixels: every value is a hand-chosen input or its
 * hand-worked median, so each filter and each "not measured" branch is visible.
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
}
