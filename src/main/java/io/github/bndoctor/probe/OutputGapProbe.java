package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.DropoutSuspension;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.MovingStatisticsBackup;
import io.github.bndoctor.stats.MeanVariance;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * Measures the train/inference gap on a probe batch. Training-mode and inference-mode outputs
 * come from the live network with dropout suspended; for the precise-statistics output the precise
 * statistics are written into the live network for the pass and its moving statistics put back bit
 * for bit afterwards ({@link MovingStatisticsBackup}), also on failure. Not thread-safe. Every
 * measurement also gives the loss of all-zero outputs through the same {@link LossMeasure}
 * ({@link LossMeasure#zerosLoss}) and the largest absolute output of each mode ({@link LargestOutput}).
 */
public final class OutputGapProbe {
    private OutputGapProbe() {
    }

    /**
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics per BN layer (from {@link PreciseStatistics})
     * @param loss the loss to compare
     * @return the three losses, the all-zeros loss and the largest output per mode
     */
    public static OutputGap measure(BnNetwork net, INDArray[] features, INDArray[] labels,
                                    Map<String, MeanVariance> precise, LossMeasure loss) {
        return measure(net, features, labels, precise, loss, 0);
    }

    /**
     * As {@link #measure(BnNetwork, INDArray[], INDArray[], Map, LossMeasure)}, with the
     * training-mode outputs computed in chunks of {@code trainModeBatch} examples, so that each
     * chunk's batch statistics are as noisy as during training (0: the whole probe at once).
     *
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics per BN layer
     * @param loss the loss to compare
     * @param trainModeBatch examples per training-mode forward pass; must divide the probe size
     * @return the three losses, the all-zeros loss and the largest output per mode
     */
    public static OutputGap measure(BnNetwork net, INDArray[] features, INDArray[] labels,
                                    Map<String, MeanVariance> precise, LossMeasure loss, int trainModeBatch) {
        INDArray[] trainOut;
        try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
            trainOut = trainModeOutputs(net, features, trainModeBatch);
        }
        return measure(net, features, labels, trainOut, precise, loss);
    }

    /**
     * As {@link #measure(BnNetwork, INDArray[], INDArray[], Map, LossMeasure)} with the training-mode
     * outputs already computed, e.g. by the pass that captured the probe's batch statistics
     * ({@link io.github.bndoctor.dl4j.BatchStatisticsCapture#captureWithOutputs}): runs the
     * inference-mode and the precise-statistics passes only.
     *
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param trainModeOutputs the network's training-mode outputs for {@code features}, dropout suspended
     * @param precise precise statistics per BN layer
     * @param loss the loss to compare
     * @return the three losses, the all-zeros loss and the largest output per mode
     */
    public static OutputGap measure(BnNetwork net, INDArray[] features, INDArray[] labels, INDArray[] trainModeOutputs,
                                    Map<String, MeanVariance> precise, LossMeasure loss) {
        INDArray[] evalOut;
        try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
            evalOut = net.output(features, false);
        }
        INDArray[] preciseOut;
        try (MovingStatisticsBackup ignored = MovingStatisticsBackup.of(net)) {
            MovingStatistics.writeAll(net, precise);
            preciseOut = net.output(features, false);
        }
        return OutputGap.of(loss, labels, trainModeOutputs, evalOut, preciseOut);
    }

    /**
     * As {@link #measure(BnNetwork, INDArray[], INDArray[], Map, LossMeasure, int)} over a probe
     * given chunk by chunk: each chunk runs in training mode with its own batch statistics (as a
     * training batch of that size), in inference mode and with the precise statistics, and the
     * chunks' losses are averaged weighted by their label element counts, which for a mean such as
     * {@link LossMeasure#MSE} is exactly the loss over the whole probe. Memory depends on the chunk
     * size, not on the probe size.
     *
     * @param net the network
     * @param probe the probe, chunk by chunk (one pass)
     * @param precise precise statistics per BN layer
     * @param loss the loss to compare
     * @return the three losses, the all-zeros loss and the largest output per mode
     * @throws EmptyDataException if the probe has no chunk
     */
    public static OutputGap measure(BnNetwork net, Iterable<ProbeChunk> probe, Map<String, MeanVariance> precise,
                                    LossMeasure loss) {
        Scored train = new Scored();
        Scored eval = new Scored();
        Scored zeros = new Scored();
        Scored preciseScore = new Scored();
        try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
            for (ProbeChunk c : probe) {
                double w = weight(c);
                train.addAndFree(w, loss, net.trainingModeOutput(c.features()), c.labels(), null);
                eval.addAndFree(w, loss, net.output(c.features(), false), c.labels(), zeros);
            }
        }
        scoreWith(net, probe, precise, loss, preciseScore);
        if (train.weight == 0) {
            throw new EmptyDataException("the probe holds no examples");
        }
        return new OutputGap(train.mean(), eval.mean(), preciseScore.mean(), zeros.mean(), train.max, eval.max,
                preciseScore.max);
    }

    /**
     * The inference-mode loss over a probe with other statistics in place of the moving ones: they
     * are swapped into the live network and restored bit for bit afterwards (no copy of the whole
     * network, its parameters and its own activation workspaces). Chunks are weighted by their label
     * element counts, as in {@link #measure(BnNetwork, Iterable, Map, LossMeasure)}.
     *
     * @param net the network
     * @param probe the probe, chunk by chunk (one pass)
     * @param statistics statistics per BN layer (layers not named keep their moving statistics)
     * @param loss the loss
     * @return the loss
     * @throws EmptyDataException if the probe has no example
     */
    public static double lossWith(BnNetwork net, Iterable<ProbeChunk> probe, Map<String, MeanVariance> statistics,
                                  LossMeasure loss) {
        Scored s = new Scored();
        scoreWith(net, probe, statistics, loss, s);
        if (s.weight == 0) {
            throw new EmptyDataException("the probe holds no examples");
        }
        return s.mean();
    }

    private static void scoreWith(BnNetwork net, Iterable<ProbeChunk> probe, Map<String, MeanVariance> statistics,
                                  LossMeasure loss, Scored into) {
        try (MovingStatisticsBackup ignored = MovingStatisticsBackup.of(net)) {
            MovingStatistics.writeAll(net, statistics);
            for (ProbeChunk c : probe) {
                into.addAndFree(weight(c), loss, net.output(c.features(), false), c.labels(), null);
            }
        }
    }

    private static double weight(ProbeChunk c) {
        double w = 0;
        for (INDArray l : c.labels()) {
            w += l.length();
        }
        return w;
    }

    /** A loss averaged over chunks weighted by their label element counts, and the largest absolute output. */
    private static final class Scored {
        private double sum;
        private double weight;
        private double max = Double.NaN;
        private boolean scored;

        /**
         * Scores one chunk's outputs, then frees them (detached outputs: their memory now, not at the next GC).
         *
         * @param zeros if not null, also receives the all-zeros loss of outputs of this shape
         */
        void addAndFree(double w, LossMeasure loss, INDArray[] outputs, INDArray[] labels, Scored zeros) {
            try {
                sum += w * loss.loss(outputs, labels);
                weight += w;
                if (zeros != null) {
                    zeros.sum += w * loss.zerosLoss(outputs, labels);
                    zeros.weight += w;
                }
                double m = LargestOutput.of(outputs);
                max = scored ? Math.max(max, m) : m; // Math.max keeps a NaN
                scored = true;
            } finally {
                BnNetwork.close(outputs);
            }
        }

        double mean() {
            return sum / weight;
        }
    }

    /**
     * Training-mode outputs (batch statistics) computed in chunks, so each chunk's statistics are as
     * noisy as a training batch's. Does not suspend dropout; callers that need that wrap it in a
     * {@link DropoutSuspension}.
     *
     * @param net the network
     * @param features inputs
     * @param chunk examples per forward pass; must divide the number of examples (0: all at once)
     * @return the outputs, concatenated in input order
     */
    public static INDArray[] trainModeOutputs(BnNetwork net, INDArray[] features, int chunk) {
        long n = features[0].size(0);
        if (chunk <= 0 || chunk >= n) {
            return net.trainingModeOutput(features);
        }
        if (n % chunk != 0) {
            throw new IllegalArgumentException("probe size " + n + " is not a multiple of the training-mode batch " + chunk);
        }
        java.util.List<INDArray[]> parts = new java.util.ArrayList<>();
        for (long s = 0; s < n; s += chunk) {
            INDArray[] x = new INDArray[features.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = features[i].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s, s + chunk));
            }
            parts.add(net.trainingModeOutput(x));
        }
        INDArray[] out = new INDArray[parts.get(0).length];
        for (int o = 0; o < out.length; o++) {
            INDArray[] pieces = new INDArray[parts.size()];
            for (int p = 0; p < pieces.length; p++) {
                pieces[p] = parts.get(p)[o];
            }
            out[o] = org.nd4j.linalg.factory.Nd4j.concat(0, pieces);
        }
        return out;
    }
}
