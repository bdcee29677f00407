package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.Threshold;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A real monitored training run for the kit's tests: the tiny two-block network under Adam 1e-2,
 * 12 iterations, a checkpoint every 6, under a policy that judges only the predicted lag (Adam
 * turns the weights feeding BN, so any positive threshold below the rotation is crossed).
 */
final class TinyMonitoredRun {
    static final int ITERATIONS = 12;
    static final int EVERY = 6;

    private TinyMonitoredRun() {
    }

    /**
     * @param predictedLag the policy's threshold on the predicted lag
     * @param attach attaches the built monitor to the network and returns it
     * @return the monitor after training
     */
    static BnMonitor train(Threshold predictedLag, BiFunction<Model, BnMonitor.Builder, BnMonitor> attach) {
        BnNetwork net = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 4, 1, 0.9,
                VarianceParameterisation.VAR, new Adam(1e-2), 11);
        GaussianBatches data = new GaussianBatches(Layout.DENSE, 8, 1, 1, new double[] {1, -1}, new double[] {1, 2}, 13);
        List<INDArray[]> precise = new ArrayList<>();
        precise.add(new INDArray[] {data.next()});
        INDArray probe = data.next();
        AlarmPolicy policy = new AlarmPolicy(Threshold.warnOnly(Double.POSITIVE_INFINITY),
                Threshold.warnOnly(Double.POSITIVE_INFINITY), predictedLag);
        BnMonitor m = attach.apply(net.model(), BnMonitor.builder(probe, oneHot(probe)).every(EVERY).policy(policy)
                .preciseData(precise::iterator));
        for (int i = 0; i < ITERATIONS; i++) {
            INDArray x = data.next();
            net.fit(new DataSet(x, oneHot(x)));
        }
        return m;
    }

    /** class 1 where the first feature is positive */
    private static INDArray oneHot(INDArray x) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, x.rows(), 2);
        for (int i = 0; i < x.rows(); i++) {
            y.putScalar(i, x.getDouble(i, 0) > 0 ? 1 : 0, 1.0);
        }
        return y;
    }
}
