package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * The model that synchronous parameter averaging hands back (DL4J's
 * {@code ParameterAveragingTrainingMaster}, and "model averaging" in general): the plain mean of
 * the workers' flattened parameter vectors. That vector holds each BN layer's moving {@code mean}
 * and {@code log10stdev} (or {@code var}), so the averaged mean drops the spread of the workers'
 * means and the averaged {@code log10stdev} is the log of the geometric mean of their standard
 * deviations; {@link AveragingDiagnosis} measures what that costs.
 */
public final class ParameterAveraging {
    private ParameterAveraging() {
    }

    /**
     * @param workers networks of one configuration (same parameter count and data type)
     * @return a new network (a copy of the first worker) holding the mean of their parameters
     */
    public static BnNetwork average(List<BnNetwork> workers) {
        if (workers.isEmpty()) {
            throw new IllegalArgumentException("no worker to average");
        }
        INDArray first = workers.get(0).params();
        INDArray sum = first.dup();
        for (int k = 1; k < workers.size(); k++) {
            INDArray p = workers.get(k).params();
            if (p.length() != first.length() || p.dataType() != first.dataType()) {
                throw new ShapeMismatchException("worker " + k + " has " + p.length() + " " + p.dataType()
                        + " parameters, worker 0 has " + first.length() + " " + first.dataType());
            }
            sum.addi(p);
        }
        BnNetwork averaged = workers.get(0).copy();
        averaged.model().setParams(sum.divi(workers.size()));
        return averaged;
    }
}
