package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.MeanVariance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a BN layer's moving average costs the network's output from sampling noise alone, at the
 * decay in force and the training batch's size: the expected eval/precise of the probe with that
 * layer's statistics replaced by draws of a lag-free EMA of training-sized batch statistics, every
 * other layer holding its precise statistics.
 *
 * <p>An EMA of decay {@code d} is {@code sum_k (1-d) d^k s_k} over the batch statistics {@code s_k}
 * of the last batches. Were the weights frozen (no lag), the {@code s_k} would be independent draws
 * of a training batch's statistics at the current weights. The probe is cut into {@code J} chunks of
 * the training batch's size; each chunk's statistics at the layer's input, with every BN layer in
 * training mode (as in {@code fit}), are such draws, and the EMA is drawn by picking each {@code s_k}
 * among them uniformly at random (a bootstrap of the batch statistics; Efron and Tibshirani, "An
 * Introduction to the Bootstrap", 1993, ch. 6), one pick per term for all channels together, the
 * weights truncated where {@code d^k} falls below {@value #TAIL} and renormalised. The mean and the
 * biased variance are averaged in that form, as DL4J averages them, so the draw is a convex
 * combination of real batch statistics: its variance is positive, its spread is
 * {@code sqrt((1-d)/(1+d))} times the batch statistics' (as {@link NoiseLimit#floor}), and it keeps
 * their bias (a biased variance of {@code m} samples is {@code (m-1)/m} of the population's on
 * average), which no decay removes either. The inference loss over the probe with each draw
 * ({@link OutputGapProbe#lossWith}: statistics swapped in and restored bit for bit) is averaged over
 * {@value #DRAWS} seeded draws and divided by the loss with precise statistics.
 *
 * <p>Cost: one training-mode pass over the probe for the chunks' statistics, then {@value #DRAWS}
 * inference passes over the probe per judged layer; judged are only the layers whose decay in force
 * is at most {@value #NEAR_FLOOR_DECAY} (near the shortest useful window, where lag is least and this
 * noise most). Parameters, updater state and the random stream of the network are untouched (dropout
 * is suspended in the passes; the draws use their own seeded generator).
 */
public final class NoiseCost {
    /**
     * Decays at most this are judged: a mean age {@code d/(1-d)} of at most two iterations, at or next
     * to the shortest useful window ({@link NoiseLimit#SHORTEST_DECAY}, mean age one).
     */
    public static final double NEAR_FLOOR_DECAY = 2.0 / 3;
    /**
     * Draws of the EMA per layer: the mean of 8 losses, each within a factor of a few of the others,
     * is known to about a third of their spread, enough to tell 1.5 from 1.
     */
    public static final int DRAWS = 8;
    /** EMA terms whose weight {@code d^k} is below this are dropped (the rest renormalised). */
    public static final double TAIL = 1e-6;

    private NoiseCost() {
    }

    /**
     * @param decay the EMA's decay {@code d} in [0, 1)
     * @return the EMA's weights {@code (1-d) d^k} for {@code k = 0, 1, ...} while {@code d^k >=} {@value #TAIL},
     *     renormalised to sum 1
     */
    static double[] weights(double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("decay must be in [0, 1), got " + decay);
        }
        List<Double> w = new ArrayList<>();
        double dk = 1;
        double sum = 0;
        while (dk >= TAIL) {
            w.add(dk);
            sum += dk;
            dk *= decay;
        }
        double[] out = new double[w.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = w.get(k) / sum;
        }
        return out;
    }

    /**
     * One draw of a lag-free EMA of batch statistics: {@code sum_k w_k s_{j_k}}, each {@code j_k}
     * uniform among the batches.
     *
     * @param batches batch statistics (mean, biased variance) of one layer, at least one
     * @param weights the EMA's weights ({@link #weights(double)})
     * @param rng the draw's generator
     * @return the drawn statistics
     */
    static MeanVariance draw(List<MeanVariance> batches, double[] weights, SplittableRandom rng) {
        int channels = batches.get(0).mean().length;
        double[] m = new double[channels];
        double[] v = new double[channels];
        for (double w : weights) {
            MeanVariance s = batches.get(rng.nextInt(batches.size()));
            for (int c = 0; c < channels; c++) {
                m[c] += w * s.mean()[c];
                v[c] += w * s.variance()[c];
            }
        }
        return new MeanVariance(m, v);
    }

    /**
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics of every BN layer
     * @param decays decay in force per BN layer; only layers at most {@value #NEAR_FLOOR_DECAY} are judged
     * @param trainingBatch examples per training batch; the probe must hold at least two of them
     * @param loss the loss
     * @param seed seed of the draws
     * @return expected eval/precise from the EMA's sampling noise alone, per judged layer in forward
     *     order; empty if no layer is judged, the probe holds fewer than two training batches, or the
     *     precise loss is not positive
     */
    public static Map<String, Double> of(BnNetwork net, INDArray[] features, INDArray[] labels,
                                         Map<String, MeanVariance> precise, Map<String, Double> decays,
                                         int trainingBatch, LossMeasure loss, long seed) {
        Map<String, Double> judged = new LinkedHashMap<>();
        decays.forEach((layer, d) -> {
            if (d <= NEAR_FLOOR_DECAY) {
                judged.put(layer, d);
            }
        });
        long n = features[0].size(0);
        int chunks = trainingBatch <= 0 ? 0 : (int) (n / trainingBatch);
        Map<String, Double> out = new LinkedHashMap<>();
        if (judged.isEmpty() || chunks < 2) {
            return out;
        }
        Map<String, List<MeanVariance>> batches = new LinkedHashMap<>();
        for (int j = 0; j < chunks; j++) {
            INDArray[] x = new INDArray[features.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = features[i].get(NDArrayIndex.interval((long) j * trainingBatch, (long) (j + 1) * trainingBatch));
            }
            Map<String, BatchStatistics> s = BatchStatisticsCapture.capture(net, x, true);
            for (String layer : judged.keySet()) {
                batches.computeIfAbsent(layer, k -> new ArrayList<>()).add(s.get(layer).meanVariance());
            }
        }
        List<ProbeChunk> probe = List.of(new ProbeChunk(features, labels));
        double preciseLoss = OutputGapProbe.lossWith(net, probe, precise, loss);
        if (!(preciseLoss > 0)) {
            return out;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (Map.Entry<String, Double> e : judged.entrySet()) {
            double[] w = weights(e.getValue());
            double sum = 0;
            for (int r = 0; r < DRAWS; r++) {
                Map<String, MeanVariance> with = new LinkedHashMap<>(precise);
                with.put(e.getKey(), draw(batches.get(e.getKey()), w, rng));
                sum += OutputGapProbe.lossWith(net, probe, with, loss);
            }
            out.put(e.getKey(), sum / DRAWS / preciseLoss);
        }
        return out;
    }
}
