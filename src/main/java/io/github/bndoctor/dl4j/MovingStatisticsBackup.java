package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * A copy of every BN layer's stored moving statistics (mean and the variance parameter, as stored),
 * put back bit for bit on {@link #close}: for passes that write other statistics into the network
 * for a while and must leave it as it was, also on failure. Float and double parameters on the CPU
 * are copied to and from Java arrays of their own type ({@link VectorWriter}: no ND4J op, no native
 * allocation); others as ND4J copies. Not thread-safe.
 */
public final class MovingStatisticsBackup implements AutoCloseable {
    private final BnNetwork net;
    private final List<BnLayerRef> refs;
    /** Per layer, mean and variance parameter: a {@code float[]}, a {@code double[]} or an {@link INDArray} copy. */
    private final List<Object[]> saved;

    private MovingStatisticsBackup(BnNetwork net, List<BnLayerRef> refs, List<Object[]> saved) {
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
        List<Object[]> saved = new ArrayList<>(refs.size());
        for (BnLayerRef ref : refs) {
            saved.add(new Object[] {copy(net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN)),
                copy(net.param(ref, ref.parameterisation().paramName()))});
        }
        return new MovingStatisticsBackup(net, refs, saved);
    }

    private static Object copy(INDArray param) {
        if (VectorWriter.applies(param)) {
            return VectorWriter.readRaw(param);
        }
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return param.dup();
        }
    }

    /** Puts every layer's moving statistics back as they were copied. */
    @Override
    public void close() {
        for (int i = 0; i < refs.size(); i++) {
            BnLayerRef ref = refs.get(i);
            restore(net.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN), saved.get(i)[0]);
            restore(net.param(ref, ref.parameterisation().paramName()), saved.get(i)[1]);
        }
    }

    private static void restore(INDArray param, Object copy) {
        if (copy instanceof INDArray a) {
            param.assign(a);
        } else {
            VectorWriter.writeRaw(param, copy);
        }
    }
}
