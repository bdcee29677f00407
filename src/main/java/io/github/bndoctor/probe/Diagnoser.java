package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Runs every probe on a network at its current weights and gives the verdict.
 *
 * <p>Verdict rules, in order: {@link Verdict#DIVERGED} if the training-mode loss is non-finite or
 * above {@link DiagnosisThresholds#divergedLoss()}; {@link Verdict#HEALTHY} if eval/train is at
 * most {@link DiagnosisThresholds#gapRatio()}; {@link Verdict#BATCH_NOISE} if batch noise dominates
 * the gap: its share of {@code ln(eval/train)} ({@link OutputGap#batchNoiseShare()}, the part exact
 * population statistics do not close) is above {@link DiagnosisThresholds#noiseShare()}; otherwise
 * the gap is the EMA's: {@link Verdict#EMA_WARMUP} if the layers' summed warm-up error is at least their summed
 * lag error, else {@link Verdict#EMA_LAG}. A checkpoint measured on a network
 * ({@code diagnose}) keeps {@link Verdict#EMA_WARMUP} only if the prior alone explains the gap:
 * with the statistics a warm-started twin of the run would hold the probe's inference loss is within
 * the gap ratio of its training-mode loss; otherwise the EMA lags too (or the warm start itself goes
 * stale) and the verdict is {@link Verdict#EMA_LAG}. The twin is exact when the statistics a warm
 * start would have written are given ({@link MovingStatistics#withWarmStart}; the monitor measures
 * them on the first iteration it sees); without them, the prior is taken out of every layer's moving
 * statistics ({@link MovingStatistics#withoutPrior}, the twin up to the weight it gives its warm
 * start). That costs one more inference pass over the probe, at EMA_WARMUP checkpoints only.
 *
 * <p>Passes over a probe given whole: the probe's batch statistics come from one training-mode pass
 * over all of it; where the training-mode loss is measured on the whole probe at once too
 * ({@code trainModeBatch} 0 or at least the probe's size) it is that same pass
 * ({@link BatchStatisticsCapture#captureWithOutputs}), else the probe runs again in training-mode
 * batches of {@code trainModeBatch}; then one inference-mode pass and one with the precise statistics.
 */
public final class Diagnoser {
    private final PopulationEstimator estimator;
    private final int preciseSamples;
    private final LossMeasure loss;
    private final DiagnosisThresholds thresholds;
    private final int trainModeBatch;
    private final int preciseParallelism;

    /**
     * @param estimator precise statistics estimator
     * @param preciseSamples training examples used for precise statistics
     * @param loss the loss to compare
     * @param thresholds verdict thresholds
     */
    public Diagnoser(PopulationEstimator estimator, int preciseSamples, LossMeasure loss,
                     DiagnosisThresholds thresholds) {
        this(estimator, preciseSamples, loss, thresholds, 0);
    }

    /**
     * @param estimator precise statistics estimator
     * @param preciseSamples training examples used for precise statistics
     * @param loss the loss to compare
     * @param thresholds verdict thresholds
     * @param trainModeBatch examples per training-mode probe pass (the training batch size, so batch
     *     noise matches training; 0 for the whole probe at once)
     */
    public Diagnoser(PopulationEstimator estimator, int preciseSamples, LossMeasure loss,
                     DiagnosisThresholds thresholds, int trainModeBatch) {
        if (preciseSamples <= 0) {
            throw new IllegalArgumentException("preciseSamples must be positive, got " + preciseSamples);
        }
        this.estimator = estimator;
        this.preciseSamples = preciseSamples;
        this.loss = loss;
        this.thresholds = thresholds;
        this.trainModeBatch = trainModeBatch;
        this.preciseParallelism = 1;
    }

    private Diagnoser(Diagnoser d, int preciseParallelism) {
        this.estimator = d.estimator;
        this.preciseSamples = d.preciseSamples;
        this.loss = d.loss;
        this.thresholds = d.thresholds;
        this.trainModeBatch = d.trainModeBatch;
        this.preciseParallelism = preciseParallelism;
    }

    /**
     * @param parallelism batches whose precise-statistics passes run at once, each on its own thread
     *     and copy of the network ({@link PreciseStatistics#estimate(BnNetwork, Iterator, int,
     *     PopulationEstimator, int)}: the same statistics, bit for bit); 1 (the default) runs them one
     *     after another on the calling thread
     * @return this diagnoser with that parallelism
     */
    public Diagnoser withPreciseParallelism(int parallelism) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
        return new Diagnoser(this, parallelism);
    }

    /** @return pooled estimator, 256 samples, MSE, default thresholds */
    public static Diagnoser defaults() {
        return new Diagnoser(PopulationEstimator.POOLED, 256, LossMeasure.MSE, DiagnosisThresholds.DEFAULT);
    }

    /**
     * @param net the network
     * @param probeFeatures probe inputs (held-out data is best)
     * @param probeLabels probe labels
     * @param trainBatches training inputs for the precise statistics
     * @param iterations the network's iteration count, also taken as the age of the moving statistics
     * @param rotation rotation per BN layer in degrees per iteration (may be empty)
     * @return the checkpoint
     */
    public Checkpoint diagnose(BnNetwork net, INDArray[] probeFeatures, INDArray[] probeLabels,
                               Iterator<INDArray[]> trainBatches, long iterations, Map<String, Double> rotation) {
        return diagnose(net, probeFeatures, probeLabels, trainBatches, iterations, iterations, rotation);
    }

    /**
     * @param net the network
     * @param probeFeatures probe inputs (held-out data is best)
     * @param probeLabels probe labels
     * @param trainBatches training inputs for the precise statistics
     * @param iteration the network's iteration count, recorded in the checkpoint
     * @param priorAge iterations since the moving statistics last held DL4J's mean-0/variance-1
     *     prior ({@link Long#MAX_VALUE} after a warm start: no prior left)
     * @param rotation rotation per BN layer in degrees per iteration (may be empty)
     * @return the checkpoint
     */
    public Checkpoint diagnose(BnNetwork net, INDArray[] probeFeatures, INDArray[] probeLabels,
                               Iterator<INDArray[]> trainBatches, long iteration, long priorAge,
                               Map<String, Double> rotation) {
        return diagnose(net, probeFeatures, probeLabels, trainBatches, iteration, priorAge, rotation, Map.of());
    }

    /**
     * @param net the network
     * @param probeFeatures probe inputs (held-out data is best)
     * @param probeLabels probe labels
     * @param trainBatches training inputs for the precise statistics
     * @param iteration the network's iteration count, recorded in the checkpoint
     * @param priorAge iterations since the moving statistics last held DL4J's mean-0/variance-1
     *     prior ({@link Long#MAX_VALUE} after a warm start: no prior left)
     * @param rotation rotation per BN layer in degrees per iteration (may be empty)
     * @param measuredLag measured lag angle per BN layer in degrees ({@link WeightSnapshotRing}; may be empty)
     * @return the checkpoint
     */
    public Checkpoint diagnose(BnNetwork net, INDArray[] probeFeatures, INDArray[] probeLabels,
                               Iterator<INDArray[]> trainBatches, long iteration, long priorAge,
                               Map<String, Double> rotation, Map<String, Double> measuredLag) {
        return diagnose(net, probeFeatures, probeLabels, trainBatches, iteration, priorAge, rotation, measuredLag,
                Map.of(), 0);
    }

    /**
     * As {@link #diagnose(BnNetwork, INDArray[], INDArray[], Iterator, long, long, Map, Map)}, with what
     * a monitor knows of the run: the statistics a warm start would have written before training, so
     * that warm-up is named only where the warm-started twin of the run stays within the gap ratio
     * (class documentation); and the training batch's size, so that each layer whose decay in force is
     * at most {@link NoiseCost#NEAR_FLOOR_DECAY} also gets the output cost of its EMA's sampling noise
     * ({@link LayerCheckpoint#noiseCost()}, {@link NoiseCost}, draws seeded by the iteration), which
     * the noise-limit judgement reads ({@link NoiseLimit}); and, then, the output cost of every moving
     * layer's sampling noise at once ({@link Checkpoint#jointNoiseCost()}, {@link NoiseCost#together}),
     * which the joint judgement reads ({@link JointNoiseLimit}).
     *
     * @param net the network
     * @param probeFeatures probe inputs (held-out data is best)
     * @param probeLabels probe labels
     * @param trainBatches training inputs for the precise statistics
     * @param iteration the network's iteration count, recorded in the checkpoint
     * @param priorAge iterations since the moving statistics last held DL4J's prior
     * @param rotation rotation per BN layer in degrees per iteration (may be empty)
     * @param measuredLag measured lag angle per BN layer in degrees (may be empty)
     * @param warmStart precise statistics at the start of training per BN layer ({@link #preciseStatistics};
     *     empty: take the prior out instead)
     * @param trainingBatch examples per training batch (0: unknown, no noise cost measured)
     * @return the checkpoint
     */
    public Checkpoint diagnose(BnNetwork net, INDArray[] probeFeatures, INDArray[] probeLabels,
                               Iterator<INDArray[]> trainBatches, long iteration, long priorAge,
                               Map<String, Double> rotation, Map<String, Double> measuredLag,
                               Map<String, MeanVariance> warmStart, int trainingBatch) {
        Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, trainBatches, preciseSamples, estimator, preciseParallelism);
        Map<String, BatchStatistics> batch;
        OutputGap gap;
        if (trainModeBatch <= 0 || trainModeBatch >= probeFeatures[0].size(0)) {
            // the probe in one training-mode pass: the batch statistics and the training-mode loss from the same pass
            BatchStatisticsCapture.WithOutputs pass = BatchStatisticsCapture.captureWithOutputs(net, probeFeatures);
            batch = pass.statistics();
            gap = OutputGapProbe.measure(net, probeFeatures, probeLabels, pass.outputs(), precise, loss);
        } else {
            batch = BatchStatisticsCapture.capture(net, probeFeatures, true);
            gap = OutputGapProbe.measure(net, probeFeatures, probeLabels, precise, loss, trainModeBatch);
        }
        Map<String, Double> decays = new java.util.LinkedHashMap<>();
        for (BnLayerRef ref : net.bnLayers()) {
            decays.put(ref.name(), net.decay(ref));
        }
        NoiseCost.Measured noise = NoiseCost.measure(net, probeFeatures, probeLabels, precise, decays, trainingBatch,
                loss, iteration);
        Checkpoint c = checkpoint(net, List.of(new ProbeChunk(probeFeatures, probeLabels)), iteration, priorAge,
                rotation, measuredLag, precise, batch, gap, warmStart, noise.perLayer());
        return new Checkpoint(c.iteration(), c.gap(), c.layers(), c.verdict(), noise.jointCost());
    }

    /**
     * @param net the network
     * @param trainBatches training inputs
     * @return precise statistics per BN layer at the current weights, with this diagnoser's estimator and
     *     sample count: what {@link io.github.bndoctor.remedy.WarmStart} writes before training
     */
    public Map<String, MeanVariance> preciseStatistics(BnNetwork net, Iterator<INDArray[]> trainBatches) {
        return PreciseStatistics.estimate(net, trainBatches, preciseSamples, estimator, preciseParallelism);
    }

    /**
     * As {@link #diagnose(BnNetwork, INDArray[], INDArray[], Iterator, long, long, Map)} with the
     * probe given chunk by chunk: batch statistics are captured per chunk and pooled
     * ({@link BatchStatisticsCapture#capture(BnNetwork, Iterator, boolean)}), losses are measured
     * per chunk ({@link OutputGapProbe#measure(BnNetwork, Iterable, Map, LossMeasure)}), so peak
     * memory depends on the chunk size (the training batch), not on the probe or data size. The
     * probe is read twice (three times at an EMA_WARMUP candidate).
     *
     * @param net the network
     * @param probe the probe, chunk by chunk; each chunk is as large as a training batch
     * @param trainBatches training inputs for the precise statistics
     * @param iteration the network's iteration count, recorded in the checkpoint
     * @param priorAge iterations since the moving statistics last held DL4J's prior
     * @param rotation rotation per BN layer in degrees per iteration (may be empty)
     * @return the checkpoint
     */
    public Checkpoint diagnose(BnNetwork net, Iterable<ProbeChunk> probe, Iterator<INDArray[]> trainBatches,
                               long iteration, long priorAge, Map<String, Double> rotation) {
        Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, trainBatches, preciseSamples, estimator, preciseParallelism);
        Iterator<ProbeChunk> chunks = probe.iterator();
        Map<String, BatchStatistics> batch = BatchStatisticsCapture.capture(net, new Iterator<INDArray[]>() {
            @Override
            public boolean hasNext() {
                return chunks.hasNext();
            }

            @Override
            public INDArray[] next() {
                return chunks.next().features();
            }
        }, true);
        OutputGap gap = OutputGapProbe.measure(net, probe, precise, loss);
        return checkpoint(net, probe, iteration, priorAge, rotation, Map.of(), precise, batch, gap, Map.of(), Map.of());
    }

    private Checkpoint checkpoint(BnNetwork net, Iterable<ProbeChunk> probe, long iteration, long priorAge,
                                  Map<String, Double> rotation, Map<String, Double> measuredLag,
                                  Map<String, MeanVariance> precise, Map<String, BatchStatistics> batch, OutputGap gap,
                                  Map<String, MeanVariance> warmStart, Map<String, Double> noiseCost) {
        List<LayerCheckpoint> layers = new ArrayList<>();
        for (BnLayerRef ref : net.bnLayers()) {
            LayerDecomposition d = LayerDecomposition.of(ref, priorAge, MovingStatistics.read(net, ref),
                    precise.get(ref.name()), batch.get(ref.name()).meanVariance());
            double rot = rotation.getOrDefault(ref.name(), Double.NaN);
            double decay = net.decay(ref);
            layers.add(new LayerCheckpoint(d, rot, RotationTracker.predictedLag(rot, decay),
                    measuredLag.getOrDefault(ref.name(), Double.NaN), decay,
                    noiseCost.getOrDefault(ref.name(), Double.NaN)));
        }
        Verdict v = verdict(gap, layers, thresholds);
        if (v == Verdict.EMA_WARMUP && !warmupExplains(net, probe, gap, layers, warmStart)) {
            v = Verdict.EMA_LAG;
        }
        return new Checkpoint(iteration, gap, layers, v);
    }

    /**
     * Whether the prior alone explains the gap: the probe's inference-mode loss with the statistics a
     * warm-started twin of the run would hold is within {@link DiagnosisThresholds#gapRatio()} of the
     * training-mode loss. With the warm start's statistics for a layer, the twin is exact
     * ({@link MovingStatistics#withWarmStart}); without, the prior is taken out of its moving statistics
     * ({@link MovingStatistics#withoutPrior}), the twin up to the weight it gives its warm start. If the
     * twin is still degraded, the EMA lags as well (or the warm start goes stale) and the prior only adds
     * to it. Not decidable (and the prior kept as the cause) while some layer's prior holds all the weight
     * and no warm start is known: its EMA has seen no batch. With the warm start known, weight 1 makes the
     * twin hold the warm start itself.
     */
    private boolean warmupExplains(BnNetwork net, Iterable<ProbeChunk> probe, OutputGap gap,
                                   List<LayerCheckpoint> layers, Map<String, MeanVariance> warmStart) {
        Map<String, MeanVariance> twin = new java.util.LinkedHashMap<>();
        for (LayerCheckpoint l : layers) {
            double w = l.decomposition().priorWeight();
            BnLayerRef ref = net.bnLayer(l.decomposition().layer());
            MeanVariance start = warmStart.get(ref.name());
            if (start != null) {
                twin.put(ref.name(), MovingStatistics.withWarmStart(MovingStatistics.read(net, ref), w, start));
            } else if (w < 1) {
                twin.put(ref.name(), MovingStatistics.withoutPrior(MovingStatistics.read(net, ref), w));
            } else {
                return true;
            }
        }
        return OutputGapProbe.lossWith(net, probe, twin, loss) <= thresholds.gapRatio() * gap.trainModeLoss();
    }

    /**
     * @param gap the losses
     * @param layers per-layer state
     * @param thresholds thresholds
     * @return the verdict, by the rules in the class documentation
     */
    public static Verdict verdict(OutputGap gap, List<LayerCheckpoint> layers, DiagnosisThresholds thresholds) {
        if (!Double.isFinite(gap.trainModeLoss()) || gap.trainModeLoss() > thresholds.divergedLoss()) {
            return Verdict.DIVERGED;
        }
        if (gap.evalToTrainRatio() <= thresholds.gapRatio()) {
            return Verdict.HEALTHY;
        }
        if (gap.batchNoiseShare() > thresholds.noiseShare()) {
            return Verdict.BATCH_NOISE;
        }
        double warm = 0;
        double lag = 0;
        for (LayerCheckpoint l : layers) {
            warm += l.decomposition().warmupError();
            lag += l.decomposition().lagError();
        }
        return warm >= lag ? Verdict.EMA_WARMUP : Verdict.EMA_LAG;
    }
}
