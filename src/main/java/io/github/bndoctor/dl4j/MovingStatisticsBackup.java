package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * A copy of every BN layer's stored moving statistics (mean and the variance parameter, as stored),
 * put back bit for bit on {@link #close}: for passes that write other statistics into the network
 * for a while and must leave it as it was, also on failure. Not thread-safe.
 */
public final class MovingStatisticsBackup implements AutoCloseable {
    private final BnNetwork net;
    private final List<BnLayerRef> refs;
    private final List<INDArray[]> saved;

    private MovingStatisticsBackup(BnNetwork net, List<BnLayerRef> refs, List<INDArray[]> saved) {
        this.net = net;
        this.refs = refs;
        this.saved = saved;
    }

    /**
     * @param net the network
     * @return a copy of its moving statistics, outside every workspace
     */
    public static MovingStatisticsBackup of(BnNetwork net) {
        List<BnLayerRef> refs = net.bnLayers();
        List<INDArray[]> saved = new ArrayList<>(refs.size());
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (BnLayerRef ref : refs) {
                saved.add(new INDArray[] {net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN).dup(),
                    net.param(ref, ref.parameterisation().paramName()).dup()});
            }
        }
        return new MovingStatisticsBackup(net, refs, saved);
    }

    /** Puts every layer's moving statistics back as they were copied. */
    @Override
    public void close() {
        for (int i = 0; i < refs.size(); i++) {
            BnLayerRef ref = refs.get(i);
            net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(saved.get(i)[0]);
            net.param(ref, ref.parameterisation().paramName()).assign(saved.get(i)[1]);
        }
    }
}
