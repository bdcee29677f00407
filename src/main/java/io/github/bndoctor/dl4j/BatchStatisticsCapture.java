package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.ChannelMoments;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Captures the per-channel batch statistics of the input of every BN layer of a network from one
 * forward pass, read while the pass runs ({@link BnNetwork#forEachBnInput}), so memory follows the
 * network's own inference path. Statistics are accumulated in double precision from the activations
 * ({@link ActivationMoments}).
 *
 * <p>In training mode each BN layer normalises with its batch statistics, so downstream layers see
 * what they see during {@code fit}; this is the mode precise-BN recalibration uses. Dropout is
 * suspended for the pass (see {@link DropoutSuspension}) so the statistics measure the BN effect
 * alone and no random numbers are drawn. Parameters are not changed (where the pass is computed
 * in inference mode with each layer's batch statistics substituted, {@link BatchStatisticsPass},
 * they are put back bit for bit).
 */
public final class BatchStatisticsCapture {
    private BatchStatisticsCapture() {
    }

    /**
     * @param net the network, with at least one BN layer
     * @param features its inputs for one batch
     * @param train training mode (batch statistics) or inference mode (moving statistics)
     * @return statistics per BN layer name, in forward order
     * @throws ShapeMismatchException if the features do not fit the network
     * @throws NonFiniteStatisticsException if a BN input holds NaN or infinite values
     */
    public static Map<String, BatchStatistics> capture(BnNetwork net, INDArray[] features, boolean train) {
        Map<String, BatchStatistics> seen = new java.util.HashMap<>();
        pass(net, features, train, seen, false);
        return inForwardOrder(net, seen);
    }

    /**
     * One capture pass, dropout suspended: the substituted pass in training mode where it applies
     * (every BN layer read from DL4J's pass instead if its output path does not reach them all), else
     * DL4J's pass in the given mode.
     *
     * @param keepOutputs whether to return the pass's outputs (else they are freed and null returned)
     */
    private static INDArray[] pass(BnNetwork net, INDArray[] features, boolean train, Map<String, BatchStatistics> seen,
                                   boolean keepOutputs) {
        if (net.bnLayers().isEmpty()) {
            throw new NoBatchNormException("network has no BatchNormalization layer");
        }
        if (features.length != net.numInputs()) {
            throw new ShapeMismatchException("network takes " + net.numInputs() + " input arrays, got " + features.length);
        }
        INDArray[] outputs = null;
        try (DropoutSuspension ignored = DropoutSuspension.of(net)) {
            if (train && BatchStatisticsPass.applies(net)) {
                outputs = BatchStatisticsPass.run(net, features, seen);
                if (seen.size() < net.bnLayers().size()) {
                    seen.clear();
                    net.forEachBnInput(features, true, (ref, input) -> seen.put(ref.name(), of(ref, input)));
                }
            } else {
                outputs = net.forEachBnInputWithOutput(features, train, (ref, input) -> seen.put(ref.name(), of(ref, input)));
            }
        } catch (RuntimeException e) {
            if (outputs != null) {
                BnNetwork.close(outputs);
            }
            if (e instanceof io.github.bndoctor.BnDoctorException) {
                throw e;
            }
            throw new ShapeMismatchException("forward pass failed for input shape(s) "
                    + Arrays.toString(Arrays.stream(features).map(f -> Arrays.toString(f.shape())).toArray())
                    + ": " + e.getMessage(), e);
        }
        if (keepOutputs) {
            return outputs;
        }
        BnNetwork.close(outputs);
        return null;
    }

    private static Map<String, BatchStatistics> inForwardOrder(BnNetwork net, Map<String, BatchStatistics> seen) {
        Map<String, BatchStatistics> out = new LinkedHashMap<>();
        for (BnLayerRef ref : net.bnLayers()) {
            out.put(ref.name(), seen.get(ref.name()));
        }
        return out;
    }

    /**
     * Batch statistics and training-mode outputs of one batch from one pass.
     *
     * @param statistics statistics per BN layer name, in forward order, as {@link #capture(BnNetwork, INDArray[], boolean)}
     *     gives them in training mode
     * @param outputs the network's training-mode outputs with dropout suspended, as
     *     {@link BnNetwork#trainingModeOutput} gives them with dropout suspended (detached)
     */
    public record WithOutputs(Map<String, BatchStatistics> statistics, INDArray[] outputs) {
    }

    /**
     * The training-mode capture and the training-mode outputs of one batch from the same pass: what
     * {@link #capture(BnNetwork, INDArray[], boolean)} with {@code train} and
     * {@link BnNetwork#trainingModeOutput} (dropout suspended) compute, each with the same arithmetic,
     * at the cost of one of them. Where the substituted pass applies ({@link BatchStatisticsPass})
     * its outputs are kept; elsewhere DL4J's training-mode pass that shows each BN input is that of
     * {@code output(features, true)}, whose outputs are kept. Parameters are not changed.
     *
     * @param net the network, with at least one BN layer
     * @param features its inputs for one batch
     * @return both, from one forward pass (two where the output path does not reach every BN layer:
     *     as {@link #capture(BnNetwork, INDArray[], boolean)}, those layers are read from DL4J's
     *     training-mode pass)
     * @throws ShapeMismatchException if the features do not fit the network
     * @throws NonFiniteStatisticsException if a BN input holds NaN or infinite values
     */
    public static WithOutputs captureWithOutputs(BnNetwork net, INDArray[] features) {
        Map<String, BatchStatistics> seen = new java.util.HashMap<>();
        INDArray[] outputs = pass(net, features, true, seen, true);
        return new WithOutputs(inForwardOrder(net, seen), outputs);
    }

    /**
     * Captures statistics chunk by chunk and pools them per layer ({@link ChannelMoments#combine}):
     * each chunk is normalised with its own batch statistics in training mode, as a training batch
     * of that size would be, and memory depends on the chunk, not on the number of chunks.
     *
     * @param net the network, with at least one BN layer
     * @param chunks its inputs, chunk by chunk
     * @param train training mode (batch statistics) or inference mode (moving statistics)
     * @return pooled statistics per BN layer name, in forward order
     * @throws IllegalArgumentException if there are no chunks
     */
    public static Map<String, BatchStatistics> capture(BnNetwork net, java.util.Iterator<INDArray[]> chunks,
                                                       boolean train) {
        Map<String, BatchStatistics> out = null;
        while (chunks.hasNext()) {
            Map<String, BatchStatistics> chunk = capture(net, chunks.next(), train);
            if (out == null) {
                out = chunk;
            } else {
                for (Map.Entry<String, BatchStatistics> e : chunk.entrySet()) {
                    BatchStatistics a = out.get(e.getKey());
                    out.put(e.getKey(), new BatchStatistics(a.layer(), a.layout(), a.moments().combine(e.getValue().moments())));
                }
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("no chunks to capture batch statistics from");
        }
        return out;
    }

    /**
     * @param ref the BN layer the input belongs to
     * @param input the layer's input
     * @return its per-channel statistics
     */
    public static BatchStatistics of(BnLayerRef ref, INDArray input) {
        Layout layout = Layout.of(input.rank(), ref.format());
        if (layout == null) {
            throw new ShapeMismatchException("layer '" + ref.name() + "' input has rank " + input.rank()
                    + "; bn-doctor supports rank 2 (dense) and 4 (NCHW/NHWC)");
        }
        long channels = input.size(layout.channelAxis());
        if (channels != ref.channels()) {
            throw new ShapeMismatchException("layer '" + ref.name() + "' expects " + ref.channels()
                    + " channels on axis " + layout.channelAxis() + " (" + layout + "), input shape "
                    + Arrays.toString(input.shape()));
        }
        ChannelMoments moments = ActivationMoments.of(input, layout);
        double[] mean = moments.mean();
        double[] var = moments.biasedVariance();
        for (int c = 0; c < mean.length; c++) {
            if (!Double.isFinite(mean[c]) || !Double.isFinite(var[c])) {
                throw new NonFiniteStatisticsException("NaN or infinite activations at the input of BN layer '"
                        + ref.name() + "', channel " + c);
            }
        }
        return new BatchStatistics(ref, layout, moments);
    }
}
