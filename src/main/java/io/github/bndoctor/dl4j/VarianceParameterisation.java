package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Set;

/**
 * How a DL4J BN layer stores its moving variance, read from its parameter table (never assumed
 * from the builder's default).
 */
public enum VarianceParameterisation {
    /** Parameter {@code var} holds the variance itself ({@code useLogStd(false)}). */
    VAR(BatchNormalizationParamInitializer.GLOBAL_VAR),
    /** Parameter {@code log10stdev} holds {@code log10(sqrt(var))} ({@code useLogStd(true)}, the default). */
    LOG10_STDEV(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);

    /**
     * Smallest variance written in the {@link #LOG10_STDEV} form: a dead channel's variance of 0
     * would otherwise be stored as {@code -Infinity}.
     */
    public static final double MIN_LOG_VARIANCE = Float.MIN_NORMAL;

    private final String paramName;

    VarianceParameterisation(String paramName) {
        this.paramName = paramName;
    }

    /** @return the DL4J parameter name */
    public String paramName() {
        return paramName;
    }

    /**
     * @param paramNames the keys of a BN layer's parameter table
     * @return the parameterisation they reveal, or {@code null} if neither key is present
     */
    static VarianceParameterisation fromParamTable(Set<String> paramNames) {
        if (paramNames.contains(LOG10_STDEV.paramName)) {
            return LOG10_STDEV;
        }
        if (paramNames.contains(VAR.paramName)) {
            return VAR;
        }
        return null;
    }

    /**
     * @param param the stored parameter values
     * @return the variances they represent
     */
    public double[] toVariance(INDArray param) {
        return toVariance(VectorReader.doubles(param));
    }

    /**
     * @param stored the stored parameter values (not modified)
     * @return the variances they represent
     */
    public double[] toVariance(double[] stored) {
        double[] p = stored.clone();
        if (this == LOG10_STDEV) {
            for (int i = 0; i < p.length; i++) {
                double std = Math.pow(10, p[i]);
                p[i] = std * std;
            }
        }
        return p;
    }

    /**
     * @param variance variances (non-negative, finite)
     * @param like the parameter array whose shape and data type to produce
     * @return the parameter values representing them
     */
    public INDArray fromVariance(double[] variance, INDArray like) {
        return Nd4j.createFromArray(stored(variance)).castTo(like.dataType()).reshape(like.shape());
    }

    /**
     * @param variance variances
     * @return the values stored for them, in double precision, before the cast to the parameter's type
     *     (what {@link #fromVariance} casts)
     */
    double[] stored(double[] variance) {
        double[] p = variance.clone();
        if (this == LOG10_STDEV) {
            for (int i = 0; i < p.length; i++) {
                p[i] = Math.log10(Math.sqrt(Math.max(p[i], MIN_LOG_VARIANCE)));
            }
        }
        return p;
    }
}
