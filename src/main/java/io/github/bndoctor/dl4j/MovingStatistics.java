package io.github.bndoctor.dl4j;

import io.github.bndoctor.io.FiniteInType;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the moving (global) mean and variance of BN layers in either
 * {@link VarianceParameterisation}. Writes go into the existing parameter views, so the flattened
 * parameter vector stays attached: float and double parameters on the CPU straight into their buffer
 * ({@link VectorWriter}, the bits ND4J's cast gives), others through the network-level {@code setParam}.
 *
 * <p>Writes are all-or-nothing: every value is validated before the first one is written, and
 * if a write fails midway the previous values are restored.
 */
public final class MovingStatistics {
    private MovingStatistics() {
    }

    /**
     * @param net the network
     * @param ref one of its BN layers
     * @return the layer's moving mean and variance, in double precision
     */
    public static MeanVariance read(BnNetwork net, BnLayerRef ref) {
        INDArray mean = net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray var = net.param(ref, ref.parameterisation().paramName());
        return new MeanVariance(VectorReader.doubles(mean), ref.parameterisation().toVariance(VectorReader.doubles(var)));
    }

    /**
     * Whether a BN layer's moving statistics still hold exactly the values DL4J initialises them
     * to (mean 0, variance 1, in either parameterisation): before its first training update, the
     * mark of an EMA whose prior is DL4J's and not warm-started or trained statistics.
     *
     * @param net the network
     * @param ref one of its BN layers
     * @return whether every channel's moving mean is 0 and moving variance 1
     */
    public static boolean holdsInitialValues(BnNetwork net, BnLayerRef ref) {
        MeanVariance m = read(net, ref);
        for (int c = 0; c < m.mean().length; c++) {
            if (m.mean()[c] != 0 || m.variance()[c] != 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * Moving statistics with DL4J's prior (mean 0, variance 1) taken out: an EMA {@code m_n} whose
     * initial value {@code m_0} still holds weight {@code w} is {@code w m_0 + (1-w) a}, with
     * {@code a} the weighted average of the batch statistics it has seen (weights summing to one), so
     * {@code a = (m_n - w m_0)/(1-w)}: the bias correction of Kingma and Ba, "Adam: a method for
     * stochastic optimization", ICLR 2015, section 3, for a non-zero initial value. Applied to the
     * mean and to the variance (DL4J averages the variance itself in both parameterisations); a
     * variance that float error leaves below 0 is set to 0.
     *
     * @param moving moving statistics
     * @param priorWeight the weight {@code w} the prior still holds, in {@code [0, 1)}
     * @return the statistics the EMA would hold had it started from its first batch
     * @throws IllegalArgumentException if {@code priorWeight} is not in {@code [0, 1)}: at weight 1
     *     the EMA has seen no batch
     */
    public static MeanVariance withoutPrior(MeanVariance moving, double priorWeight) {
        if (!(priorWeight >= 0 && priorWeight < 1)) {
            throw new IllegalArgumentException("prior weight must be in [0, 1), got " + priorWeight);
        }
        double[] m = moving.mean();
        double[] v = moving.variance();
        for (int c = 0; c < m.length; c++) {
            m[c] = m[c] / (1 - priorWeight);
            v[c] = Math.max(0, (v[c] - priorWeight) / (1 - priorWeight));
        }
        return new MeanVariance(m, v);
    }

    /**
     * What a warm-started twin of the run would hold: the same batches averaged, with the weight
     * {@code w} the prior still holds given to the warm start {@code s_0} instead of DL4J's prior
     * {@code m_0} (mean 0, variance 1): {@code m_n + w (s_0 - m_0)}. Training is the same in both runs
     * (the moving statistics do not enter the training-mode forward pass), so the twin is exact when
     * {@code s_0} is what {@link io.github.bndoctor.remedy.WarmStart} would have written. A variance that
     * float error leaves below 0 is set to 0.
     *
     * @param moving moving statistics, started from DL4J's prior
     * @param priorWeight the weight {@code w} the prior still holds, in {@code [0, 1]}
     * @param warmStart the statistics a warm start would have written, same channel count
     * @return the twin's moving statistics
     * @throws IllegalArgumentException if {@code priorWeight} is not in {@code [0, 1]} or the channel counts differ
     */
    public static MeanVariance withWarmStart(MeanVariance moving, double priorWeight, MeanVariance warmStart) {
        if (!(priorWeight >= 0 && priorWeight <= 1)) {
            throw new IllegalArgumentException("prior weight must be in [0, 1], got " + priorWeight);
        }
        double[] m = moving.mean().clone();
        double[] v = moving.variance().clone();
        double[] m0 = warmStart.mean();
        double[] v0 = warmStart.variance();
        if (m0.length != m.length) {
            throw new IllegalArgumentException("warm start has " + m0.length + " channels, moving statistics " + m.length);
        }
        for (int c = 0; c < m.length; c++) {
            m[c] = m[c] + priorWeight * m0[c];
            v[c] = Math.max(0, v[c] + priorWeight * (v0[c] - 1));
        }
        return new MeanVariance(m, v);
    }

    /**
     * @param net the network
     * @return moving statistics of every BN layer, by name, in forward order
     */
    public static Map<String, MeanVariance> readAll(BnNetwork net) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        for (BnLayerRef ref : net.bnLayers()) {
            out.put(ref.name(), read(net, ref));
        }
        return out;
    }

    /**
     * Writes one layer's moving statistics.
     *
     * @param net the network
     * @param ref one of its BN layers
     * @param stats the new statistics
     */
    public static void write(BnNetwork net, BnLayerRef ref, MeanVariance stats) {
        writeAll(net, Map.of(ref.name(), stats));
    }

    /**
     * Writes several layers' moving statistics, all or nothing.
     *
     * @param net the network
     * @param statsByLayer new statistics by BN layer name
     * @throws NoBatchNormException if a name is not a BN layer of {@code net}
     * @throws ShapeMismatchException if a channel count differs from the layer's
     * @throws NonFiniteStatisticsException if a value is NaN, infinite, or a variance negative, or a
     *     mean or variance (plus the layer's eps) overflows the layer's parameter type
     *     ({@link FiniteInType}: float32 holds no variance beyond 3.4e38)
     */
    public static void writeAll(BnNetwork net, Map<String, MeanVariance> statsByLayer) {
        Map<BnLayerRef, MeanVariance> checked = new LinkedHashMap<>();
        for (Map.Entry<String, MeanVariance> e : statsByLayer.entrySet()) {
            BnLayerRef ref = net.bnLayer(e.getKey());
            checked.put(ref, validate(ref, e.getValue(),
                    net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN).dataType()));
        }
        Map<BnLayerRef, MeanVariance> previous = new LinkedHashMap<>();
        for (BnLayerRef ref : checked.keySet()) {
            previous.put(ref, read(net, ref));
        }
        try {
            checked.forEach((ref, stats) -> put(net, ref, stats));
        } catch (RuntimeException failure) {
            previous.forEach((ref, stats) -> put(net, ref, stats));
            throw failure;
        }
    }

    /**
     * Writes some channels of one layer's moving statistics; the others keep their stored values bit for bit.
     *
     * @param net the network
     * @param ref one of its BN layers
     * @param channels which channels to write, one flag per channel of the layer
     * @param stats statistics for every channel of the layer (those of unwritten channels are not read)
     * @throws ShapeMismatchException if a length differs from the layer's channel count
     * @throws NonFiniteStatisticsException if a written value is NaN, infinite, a variance negative, or it overflows
     *     the layer's parameter type
     */
    public static void writeChannels(BnNetwork net, BnLayerRef ref, boolean[] channels, MeanVariance stats) {
        if (channels.length != ref.channels() || stats.channels() != ref.channels()) {
            throw new ShapeMismatchException("layer '" + ref.name() + "' has " + ref.channels() + " channels, "
                    + channels.length + " flags and statistics of " + stats.channels() + " given");
        }
        MeanVariance previous = read(net, ref);
        double[] mean = previous.mean().clone();
        double[] var = previous.variance().clone();
        for (int c = 0; c < channels.length; c++) {
            if (channels[c]) {
                mean[c] = stats.mean()[c];
                var[c] = stats.variance()[c];
            }
        }
        MeanVariance merged = new MeanVariance(mean, var);
        validate(ref, merged, net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN).dataType());
        INDArray meanParam = net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray varParam = net.param(ref, ref.parameterisation().paramName());
        if (VectorWriter.applies(meanParam) && VectorWriter.applies(varParam)) {
            Object rawMean = VectorWriter.readRaw(meanParam);
            Object rawVar = VectorWriter.readRaw(varParam);
            double[] storedVar = ref.parameterisation().stored(var);
            for (int c = 0; c < channels.length; c++) {
                if (channels[c]) {
                    setRaw(rawMean, c, mean[c]);
                    setRaw(rawVar, c, storedVar[c]);
                }
            }
            VectorWriter.writeRaw(meanParam, rawMean);
            VectorWriter.writeRaw(varParam, rawVar);
            return;
        }
        INDArray newMean = meanParam.dup();
        INDArray newVar = varParam.dup();
        INDArray storedVar = ref.parameterisation().fromVariance(var, varParam);
        for (int c = 0; c < channels.length; c++) {
            if (channels[c]) {
                newMean.putScalar(c, mean[c]);
                newVar.putScalar(c, storedVar.getDouble(c));
            }
        }
        net.setParam(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN, newMean);
        net.setParam(ref, ref.parameterisation().paramName(), newVar);
    }

    private static void setRaw(Object raw, int i, double value) {
        if (raw instanceof float[] f) {
            f[i] = (float) value;
        } else {
            ((double[]) raw)[i] = value;
        }
    }

    /**
     * Writes one layer's statistics, unchecked: callers validate or computed them from finite inputs.
     * Float and double parameters on the CPU are written straight into their buffer
     * ({@link VectorWriter}, the same rounding as the cast), others through the network's
     * {@code setParam}.
     */
    static void put(BnNetwork net, BnLayerRef ref, MeanVariance stats) {
        INDArray mean = net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray var = net.param(ref, ref.parameterisation().paramName());
        if (VectorWriter.applies(mean) && VectorWriter.applies(var)
                && mean.length() == stats.mean().length && var.length() == stats.variance().length) {
            VectorWriter.write(mean, stats.mean());
            VectorWriter.write(var, ref.parameterisation().stored(stats.variance()));
            return;
        }
        net.setParam(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN,
                org.nd4j.linalg.factory.Nd4j.createFromArray(stats.mean()).castTo(mean.dataType()).reshape(mean.shape()));
        net.setParam(ref, ref.parameterisation().paramName(), ref.parameterisation().fromVariance(stats.variance(), var));
    }

    private static MeanVariance validate(BnLayerRef ref, MeanVariance stats, org.nd4j.linalg.api.buffer.DataType type) {
        if (stats.channels() != ref.channels()) {
            throw new ShapeMismatchException("layer '" + ref.name() + "' has " + ref.channels()
                    + " channels, statistics have " + stats.channels());
        }
        if (!stats.isValid()) {
            throw new NonFiniteStatisticsException("statistics for layer '" + ref.name()
                    + "' contain NaN, infinite or negative values: mean=" + Arrays.toString(stats.mean())
                    + " variance=" + Arrays.toString(stats.variance()));
        }
        for (int c = 0; c < stats.channels(); c++) {
            double m = stats.mean()[c];
            double v = stats.variance()[c];
            if (!FiniteInType.isFinite(m, type) || !FiniteInType.isFinite(v + ref.eps(), type)) {
                throw new NonFiniteStatisticsException("statistics for BN layer '" + ref.name() + "' overflow its " + type
                        + " parameters at channel " + c + " (mean " + m + ", variance " + v + "): the inputs are too large"
                        + " for the model's type");
            }
        }
        return stats;
    }
}
