package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.MeanVariance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * among the chunks of one half of the probe (even or odd chunks) uniformly at random (a bootstrap of the batch statistics; Efron and Tibshirani, "An
 * Introduction to the Bootstrap", 1993, ch. 6), one pick per term for all channels together, the
 * weights truncated where {@code d^k} falls below {@value #TAIL} and renormalised. The mean and the
 * biased variance are averaged in that form, as DL4J averages them; its spread is
 * {@code sqrt((1-d)/(1+d))} times the batch statistics' (as {@link NoiseLimit#floor}). The draw is then
 * {@link #centred} on the precise statistics (its deviation from the half's chunks' mean, rescaled,
 * added to them): the chunks' mean is itself a sample of a few training batches, and uncentred its
 * error would read as noise at every decay, even where the window is long. The inference loss over the probe with each draw
 * ({@link OutputGapProbe#lossWith}: statistics swapped in and restored bit for bit) is measured on the
 * other half (cross-fitting: statistics drawn from the examples they are scored on would fit them
 * better than a training batch's do, and understate the cost), the two halves' losses averaged, then
 * averaged over {@value #DRAWS} seeded draws and divided by the precise statistics' loss over the
 * same halves. The probe must hold at least {@value #MIN_CHUNKS_PER_HALF} training batches per half.
 *
 * <p>Cost: one training-mode pass over the probe for the chunks' statistics, then {@value #DRAWS}
 * inference passes over the probe per judged layer; judged are only the layers whose decay in force
 * is at most {@value #NEAR_FLOOR_DECAY} (near the shortest useful window, where lag is least and this
 * noise most). Parameters, updater state and the random stream of the network are untouched (dropout
 * is suspended in the passes; the draws use their own seeded generator).
 *
 * <p>{@link #together} draws every moving layer at once, centred on the precise statistics
 * ({@link #centred}): the sampling noise of all the windows in force together, at the cost of
 * {@value #DRAWS} more inference passes ({@link #measure} takes both from one training-mode pass).
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
    /**
     * Training-sized chunks each half of the probe must hold: two, the fewest whose statistics differ
     * from draw to draw.
     */
    public static final int MIN_CHUNKS_PER_HALF = 2;
    /** Least variance of a centred draw, as a fraction of the precise one ({@link #centred}). */
    public static final double VARIANCE_GUARD = 0.01;
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
        int[] picks = new int[weights.length];
        for (int k = 0; k < picks.length; k++) {
            picks[k] = rng.nextInt(batches.size());
        }
        return draw(batches, weights, picks);
    }

    /**
     * @param batches batch statistics of one layer
     * @param weights the EMA's weights
     * @param picks the batch of each term, at least as many as weights
     * @return {@code sum_k w_k s_{picks[k]}}
     */
    static MeanVariance draw(List<MeanVariance> batches, double[] weights, int[] picks) {
        int channels = batches.get(0).mean().length;
        double[] m = new double[channels];
        double[] v = new double[channels];
        for (int k = 0; k < weights.length; k++) {
            MeanVariance s = batches.get(picks[k]);
            for (int c = 0; c < channels; c++) {
                m[c] += weights[k] * s.mean()[c];
                v[c] += weights[k] * s.variance()[c];
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
     * @param trainingBatch examples per training batch; the probe must hold at least
     *     {@code 2 x} {@value #MIN_CHUNKS_PER_HALF} of them
     * @param loss the loss
     * @param seed seed of the draws
     * @return expected eval/precise from the EMA's sampling noise alone, per judged layer (each drawn
     *     alone, the others at their precise statistics) in forward order; empty if no layer is
     *     judged, the probe holds too few training batches, or the precise loss is not positive
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
        Sample s = sample(net, features, labels, precise, judged, trainingBatch, loss);
        return s == null ? new LinkedHashMap<>() : perLayer(net, s, seed);
    }

    /** Each judged layer of the sample drawn alone, in forward order, from one generator seeded {@code seed}. */
    private static Map<String, Double> perLayer(BnNetwork net, Sample s, long seed) {
        Map<String, Double> out = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(seed);
        s.judged.forEach((layer, d) -> {
            if (d <= NEAR_FLOOR_DECAY) {
                out.put(layer, mean(s.draws(net, List.of(layer), rng)));
            }
        });
        return out;
    }

    /**
     * Both measures from one training-mode pass over the probe: each judged layer alone
     * ({@link #of}) and every moving layer together ({@link #together}), the latter only when some
     * layer is judged. Cost: that pass, then {@value #DRAWS} inference passes per judged layer and
     * {@value #DRAWS} for the joint draws.
     *
     * @param perLayer expected eval/precise per judged layer, as {@link #of}
     * @param joint eval/precise of each joint draw, as {@link #together} (empty where not measured)
     */
    public record Measured(Map<String, Double> perLayer, double[] joint) {
        /** @return the joint draws' mean, the expected eval/precise of all the windows' noise together ({@code NaN} if not measured) */
        public double jointCost() {
            return mean(joint);
        }
    }

    /**
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics of every BN layer
     * @param decays decay in force per BN layer
     * @param trainingBatch examples per training batch (0: unknown, nothing measured)
     * @param loss the loss
     * @param seed seed of the draws (each measure's draws seeded alike, as when measured apart)
     * @return both measures; empty where not measured
     */
    public static Measured measure(BnNetwork net, INDArray[] features, INDArray[] labels,
                                   Map<String, MeanVariance> precise, Map<String, Double> decays,
                                   int trainingBatch, LossMeasure loss, long seed) {
        Map<String, Double> moving = moving(decays);
        if (decays.values().stream().noneMatch(d -> d <= NEAR_FLOOR_DECAY)) {
            return new Measured(new LinkedHashMap<>(), new double[0]);
        }
        Sample s = sample(net, features, labels, precise, moving, trainingBatch, loss);
        if (s == null) {
            return new Measured(new LinkedHashMap<>(), new double[0]);
        }
        return new Measured(perLayer(net, s, seed), s.draws(net, List.copyOf(moving.keySet()), new SplittableRandom(seed)));
    }

    private static Map<String, Double> moving(Map<String, Double> decays) {
        Map<String, Double> moving = new LinkedHashMap<>();
        decays.forEach((layer, d) -> {
            if (d >= 0 && d < 1) {
                moving.put(layer, d);
            }
        });
        return moving;
    }

    /**
     * Every BN layer whose moving statistics move (decay in force in [0, 1)) drawn at once, each from
     * its own batches' statistics at its own decay (the same batch index for all layers at each EMA
     * term: the layers' batch statistics come from the same training batches): what the sampling noise
     * of all the windows in force together costs the output, lag-free.
     *
     * <p>Every such layer is drawn, not only those at most {@value #NEAR_FLOOR_DECAY}: the errors of
     * several layers add at the output, and a window of a few iterations more (decay 0.8: noise
     * {@code sqrt(1/9)} of the batch spread, against {@code sqrt(1/5)} at {@value #NEAR_FLOOR_DECAY})
     * still carries a noise of the same order; a long window's draw stays near its chunks' mean and
     * adds what its noise costs, little. Drawing more layers costs no more passes (one draw is one
     * pass over the probe, whatever it swaps in). The measure runs only when some layer is judged
     * (decay in force at most {@value #NEAR_FLOOR_DECAY}: where the noise can matter), so a run at long
     * windows pays nothing. Frozen layers (decay 1, or unknown) keep their precise statistics.
     *
     * <p>Each draw is {@link #centred} on the precise statistics. Uncentred, its centre would be the mean
     * of one half's chunks, itself a sample of only {@value #MIN_CHUNKS_PER_HALF} or more training
     * batches, whose error the draws would carry at every decay and which several layers drawn at once
     * add up; centred, the draws at decays near 1 keep only the batch variances' bias.
     *
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics of every BN layer
     * @param decays decay in force per BN layer; the measure runs if some layer's is at most
     *     {@value #NEAR_FLOOR_DECAY}, and then draws every layer whose decay is in [0, 1)
     * @param trainingBatch examples per training batch; the probe must hold at least
     *     {@code 2 x} {@value #MIN_CHUNKS_PER_HALF} of them
     * @param loss the loss
     * @param seed seed of the draws
     * @return eval/precise of each of the {@value #DRAWS} draws; empty if no layer is judged, the probe
     *     holds too few training batches, or the precise loss is not positive
     */
    public static double[] together(BnNetwork net, INDArray[] features, INDArray[] labels,
                                    Map<String, MeanVariance> precise, Map<String, Double> decays,
                                    int trainingBatch, LossMeasure loss, long seed) {
        if (decays.values().stream().noneMatch(d -> d <= NEAR_FLOOR_DECAY)) {
            return new double[0];
        }
        return drawn(net, features, labels, precise, decays, trainingBatch, loss, seed);
    }

    /**
     * {@link #together} whatever the decays: every layer whose decay is in [0, 1) drawn at once.
     *
     * @param net the network
     * @param features probe inputs
     * @param labels probe labels
     * @param precise precise statistics of every BN layer
     * @param decays decay per BN layer; the layers in [0, 1) are drawn, the others precise
     * @param trainingBatch examples per training batch
     * @param loss the loss
     * @param seed seed of the draws
     * @return eval/precise of each of the {@value #DRAWS} draws; empty if no layer is drawn, the probe
     *     holds too few training batches, or the precise loss is not positive
     */
    public static double[] drawn(BnNetwork net, INDArray[] features, INDArray[] labels,
                                 Map<String, MeanVariance> precise, Map<String, Double> decays,
                                 int trainingBatch, LossMeasure loss, long seed) {
        Sample s = sample(net, features, labels, precise, moving(decays), trainingBatch, loss);
        return s == null ? new double[0]
                : s.draws(net, List.copyOf(s.judged.keySet()), new SplittableRandom(seed));
    }

    /**
     * @param draws eval/precise of draws ({@link #together}), possibly empty
     * @return their mean: the expected eval/precise of the joint noise ({@code NaN} if there are none)
     */
    public static double mean(double[] draws) {
        return java.util.Arrays.stream(draws).average().orElse(Double.NaN);
    }

    /** The chunks' statistics of the {@code judged} layers (their decays), and the precise loss over the halves. */
    private static Sample sample(BnNetwork net, INDArray[] features, INDArray[] labels, Map<String, MeanVariance> precise,
                                 Map<String, Double> judged, int trainingBatch, LossMeasure loss) {
        long n = features[0].size(0);
        int half = trainingBatch <= 0 ? 0 : (int) (n / trainingBatch / 2);
        if (judged.isEmpty() || half < MIN_CHUNKS_PER_HALF) {
            return null;
        }
        // chunks 0, 2, 4, ... form half 0, chunks 1, 3, 5, ... half 1
        List<Map<String, List<MeanVariance>>> batches = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        for (int j = 0; j < 2 * half; j++) {
            INDArray[] x = slice(features, j, trainingBatch);
            Map<String, BatchStatistics> st = BatchStatisticsCapture.capture(net, x, true);
            for (String layer : judged.keySet()) {
                batches.get(j % 2).computeIfAbsent(layer, k -> new ArrayList<>()).add(st.get(layer).meanVariance());
            }
        }
        List<List<ProbeChunk>> halves = new ArrayList<>();
        for (int h = 0; h < 2; h++) {
            halves.add(List.of(new ProbeChunk(rowsOf(features, h, half, trainingBatch),
                    rowsOf(labels, h, half, trainingBatch))));
        }
        double preciseLoss = (OutputGapProbe.lossWith(net, halves.get(0), precise, loss)
                + OutputGapProbe.lossWith(net, halves.get(1), precise, loss)) / 2;
        return preciseLoss > 0 ? new Sample(judged, batches, precise, halves, loss, preciseLoss, half) : null;
    }

    private static INDArray[] slice(INDArray[] arrays, int chunk, int size) {
        INDArray[] x = new INDArray[arrays.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = arrays[i].get(NDArrayIndex.interval((long) chunk * size, (long) (chunk + 1) * size));
        }
        return x;
    }

    /** The rows of the chunks {@code h, h + 2, h + 4, ...} ({@code half} of them), concatenated. */
    private static INDArray[] rowsOf(INDArray[] arrays, int h, int half, int size) {
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < out.length; i++) {
            INDArray[] parts = new INDArray[half];
            for (int k = 0; k < half; k++) {
                parts[k] = slice(arrays, 2 * k + h, size)[i];
            }
            out[i] = Nd4j.concat(0, parts);
        }
        return out;
    }

    /**
     * The judged layers' batch statistics per half of the probe, and what the draws are measured
     * against: the mean over the halves of the precise statistics' loss.
     */
    private record Sample(Map<String, Double> judged, List<Map<String, List<MeanVariance>>> batches,
                          Map<String, MeanVariance> precise, List<List<ProbeChunk>> halves, LossMeasure loss,
                          double preciseLoss, int chunksPerHalf) {
        /**
         * @return eval/precise of each of {@value #DRAWS} draws, the given layers drawn at once: per
         *     draw one EMA from each half's batches, {@link #centred} on the precise statistics, its loss
         *     measured on the other half, the two losses averaged
         */
        double[] draws(BnNetwork net, List<String> layers, SplittableRandom rng) {
            int terms = 0;
            for (String layer : layers) {
                terms = Math.max(terms, weights(judged.get(layer)).length);
            }
            double[] out = new double[DRAWS];
            for (int r = 0; r < DRAWS; r++) {
                double sum = 0;
                for (int h = 0; h < 2; h++) {
                    // one batch index per EMA term, shared by the layers drawn together
                    int[] picks = new int[terms];
                    for (int k = 0; k < terms; k++) {
                        picks[k] = rng.nextInt(chunksPerHalf);
                    }
                    Map<String, MeanVariance> with = new LinkedHashMap<>(precise);
                    for (String layer : layers) {
                        MeanVariance d = draw(batches.get(h).get(layer), weights(judged.get(layer)), picks);
                        with.put(layer, centred(batches.get(h).get(layer), d, precise.get(layer)));
                    }
                    sum += OutputGapProbe.lossWith(net, halves.get(1 - h), with, loss);
                }
                out[r] = sum / 2 / preciseLoss;
            }
            return out;
        }
    }

    /**
     * A draw moved onto the precise statistics: {@code precise + c (draw - mean of the chunks)} with
     * {@code c = sqrt(J/(J-1))} for {@code J} chunks (picking uniformly among {@code J} values has
     * {@code (J-1)/J} of their unbiased variance), and the variance lowered by the chunk means'
     * unbiased variance across the chunks: by the law of total variance, the population's variance
     * exceeds a batch's expected (biased) variance by the variance of batch means, the bias an EMA of
     * batch variances keeps at every decay. So the draw's error has the EMA's sampling noise at its decay
     * and its bias, and not the error of the chunks' own mean, which a probe of a few training batches
     * would add at every decay. A draw's variance is kept at least {@value #VARIANCE_GUARD} of the
     * precise one (a guard: a centred draw could go negative where a batch variance is noisier than it
     * is large).
     *
     * @param chunks the half's chunks' statistics of one layer, at least two
     * @param draw a draw from them ({@link #draw(List, double[], int[])})
     * @param precise the layer's precise statistics
     * @return the centred draw
     */
    static MeanVariance centred(List<MeanVariance> chunks, MeanVariance draw, MeanVariance precise) {
        int j = chunks.size();
        int channels = precise.mean().length;
        double c = Math.sqrt(j / (j - 1.0));
        double[] m = new double[channels];
        double[] v = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            double meanOfMeans = 0;
            double meanOfVars = 0;
            for (MeanVariance s : chunks) {
                meanOfMeans += s.mean()[ch] / j;
                meanOfVars += s.variance()[ch] / j;
            }
            double spreadOfMeans = 0;
            for (MeanVariance s : chunks) {
                double e = s.mean()[ch] - meanOfMeans;
                spreadOfMeans += e * e / (j - 1);
            }
            m[ch] = precise.mean()[ch] + c * (draw.mean()[ch] - meanOfMeans);
            v[ch] = Math.max(VARIANCE_GUARD * precise.variance()[ch],
                    precise.variance()[ch] - spreadOfMeans + c * (draw.variance()[ch] - meanOfVars));
        }
        return new MeanVariance(m, v);
    }
}
