package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.monitor.GapMessage;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.PreciseStatistics;
import org.assertj.core.api.AbstractAssert;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * AssertJ assertions on a network's train/inference gap on the user's own probe data; start from
 * {@code assertThat(net).onProbe(features, labels)}. The probe runs once, on first use, through
 * {@link Diagnoser} (training-mode, inference-mode and precise-statistics losses, per-layer
 * decomposition, verdict); it changes no parameter.
 *
 * <p>Precise statistics come from the probe's own features unless
 * {@link #withPreciseDataFrom(DataSetIterator)} names training data (better: the population the
 * moving statistics should hold). Failures are opentest4j {@code AssertionFailedError}s with
 * expected and actual; the message names the worst layer (largest EMA error), the iteration,
 * eval/train, eval/precise, the verdict and the remedy, numbers with three significant digits.
 * Each assertion checks all it covers before failing ({@link #hasEveryLayerEmaErrorAtMost} lists
 * every layer over the bound); to collect several assertions, use AssertJ's
 * {@code SoftAssertions.assertSoftly(s -> s.check(() -> ...))}.
 */
public final class BnProbeAssert extends AbstractAssert<BnProbeAssert, BnNetwork> {
    private final INDArray[] features;
    private final INDArray[] labels;
    private Supplier<Iterator<INDArray[]>> preciseData;
    private Diagnoser diagnoser = Diagnoser.defaults();
    private Checkpoint checkpoint;

    BnProbeAssert(BnNetwork net, INDArray[] features, INDArray[] labels) {
        super(net, BnProbeAssert.class);
        this.features = Objects.requireNonNull(features, "probe features").clone();
        this.labels = Objects.requireNonNull(labels, "probe labels").clone();
        this.preciseData = () -> List.<INDArray[]>of(this.features).iterator();
    }

    /**
     * @param data training examples for the precise statistics (reset before use)
     * @return this
     */
    public BnProbeAssert withPreciseDataFrom(DataSetIterator data) {
        Objects.requireNonNull(data, "precise data");
        this.preciseData = () -> {
            data.reset();
            return PreciseStatistics.features(data);
        };
        this.checkpoint = null;
        return this;
    }

    /**
     * @param d the diagnoser (estimator, precise samples, loss, verdict thresholds); default {@link Diagnoser#defaults()}
     * @return this
     */
    public BnProbeAssert withDiagnoser(Diagnoser d) {
        this.diagnoser = Objects.requireNonNull(d, "diagnoser");
        this.checkpoint = null;
        return this;
    }

    /** @return the probe's result (measured once, on first use) */
    public Checkpoint checkpoint() {
        isNotNull();
        if (checkpoint == null) {
            long it = actual.iterationCount();
            checkpoint = diagnoser.diagnose(actual, features, labels, preciseData.get(), it, Map.of());
        }
        return checkpoint;
    }

    /**
     * Inference mode (moving statistics) is at most {@code max} times worse than training mode
     * (batch statistics) on the probe.
     *
     * @param max the largest acceptable eval/train loss ratio (inclusive)
     * @return this
     */
    public BnProbeAssert hasEvalToTrainRatioAtMost(double max) {
        return ratioAtMost("eval/train", checkpoint().gap().evalToTrainRatio(), max);
    }

    /**
     * The moving statistics cost at most a factor {@code max} against precise statistics: the
     * EMA's part of the gap.
     *
     * @param max the largest acceptable eval/precise loss ratio (inclusive)
     * @return this
     */
    public BnProbeAssert hasEvalToPreciseRatioAtMost(double max) {
        return ratioAtMost("eval/precise", checkpoint().gap().evalToPreciseRatio(), max);
    }

    /**
     * Every BN layer's moving statistics are within {@code max} of the precise ones (EMA error:
     * standardized mean shift plus absolute log variance ratio); fails once, listing every layer
     * over the bound.
     *
     * @param max the largest acceptable EMA error per layer (inclusive)
     * @return this
     */
    public BnProbeAssert hasEveryLayerEmaErrorAtMost(double max) {
        checkBound(max);
        Checkpoint c = checkpoint();
        List<String> over = new ArrayList<>();
        for (LayerCheckpoint l : c.layers()) {
            double e = l.decomposition().emaError();
            if (!(e <= max)) {
                over.add(String.format(Locale.ROOT, "layer '%s' EMA error %s (lag %s, warm-up %s)", l.name(),
                        GapMessage.number(e), GapMessage.number(l.decomposition().lagError()),
                        GapMessage.number(l.decomposition().warmupError())));
            }
        }
        if (!over.isEmpty()) {
            String expected = "every layer's EMA error <= " + GapMessage.number(max);
            failWithActualExpectedAndMessage(String.join("; ", over), expected, "%s",
                    String.format(Locale.ROOT, "%d of %d BN layers at iteration %d have an EMA error above %s: %s; %s",
                            over.size(), c.layers().size(), c.iteration(), GapMessage.number(max), String.join("; ", over),
                            GapMessage.gapAndRemedy(c)));
        }
        return this;
    }

    private BnProbeAssert ratioAtMost(String what, double value, double max) {
        checkBound(max);
        if (!(value <= max)) {
            Checkpoint c = checkpoint();
            String[] f = GapMessage.apart(max, value);
            failWithActualExpectedAndMessage(what + " = " + f[1], what + " <= " + f[0], "%s",
                    String.format(Locale.ROOT, "layer '%s' at iteration %d: expected %s at most %s but was %s; %s",
                            GapMessage.worstLayer(c), c.iteration(), what, f[0], f[1], GapMessage.gapAndRemedy(c)));
        }
        return this;
    }

    private static void checkBound(double max) {
        if (!(max >= 0) || Double.isInfinite(max)) {
            throw new IllegalArgumentException("the bound must be finite and non-negative, got " + max);
        }
    }
}
