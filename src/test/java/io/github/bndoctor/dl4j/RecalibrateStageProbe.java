package io.github.bndoctor.dl4j;

import io.github.bndoctor.backend.NativeSpeedSettings;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.FullMobileNetV2;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of the precise-statistics pass goes on a full-width MobileNetV2 (3x96x96), per batch
 * size: DL4J's inference pass alone, the substituted pass, and inside it bn-doctor's moment reads and
 * substitutions. Wall ms per example over 512 examples after one warm-up pass, one native thread.
 * Run: {@code java -cp ... io.github.bndoctor.dl4j.RecalibrateStageProbe 8 64}.
 */
final class RecalibrateStageProbe {
    private RecalibrateStageProbe() {
    }

    public static void main(String[] args) {
        NativeSpeedSettings.applyDefaults();
        Nd4j.getEnvironment().setMaxThreads(1);
        BnNetwork net = BnNetwork.of(FullMobileNetV2.build(96, 1));
        int examples = 512;
        for (String a : args) {
            int batch = Integer.parseInt(a);
            Nd4j.getRandom().setSeed(batch);
            INDArray[] x = {Nd4j.rand(DataType.FLOAT, batch, 3, 96, 96)};
            long[] t = {};
            for (int warm = 0; warm < 2; warm++) {
                long t0 = System.nanoTime();
                for (int n = 0; n < examples; n += batch) {
                    BnNetwork.close(net.output(x, false));
                }
                long t1 = System.nanoTime();
                long[] moments = {0};
                long[] subst = {0};
                for (int n = 0; n < examples; n += batch) {
                    Map<String, BatchStatistics> seen = new HashMap<>();
                    try (MovingStatisticsBackup ignored = MovingStatisticsBackup.of(net)) {
                        BnNetwork.close(net.observedOutput(x, false, (ref, input) -> {
                            if (!seen.containsKey(ref.name())) {
                                long s0 = System.nanoTime();
                                BatchStatistics s = BatchStatisticsCapture.of(ref, input);
                                long s1 = System.nanoTime();
                                seen.put(ref.name(), s);
                                try (var ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                                    MovingStatistics.put(net, ref, new MeanVariance(s.moments().mean(), s.moments().biasedVariance()));
                                }
                                subst[0] += System.nanoTime() - s1;
                                moments[0] += s1 - s0;
                            }
                        }));
                    }
                }
                long t2 = System.nanoTime();
                for (int n = 0; n < examples; n += batch) {
                    BatchStatisticsPass.capture(net, x);
                }
                long t3 = System.nanoTime();
                for (int n = 0; n < examples; n += batch) {
                    BnNetwork.close(net.observedOutput(x, false, (ref, input) -> { }));
                }
                long t4 = System.nanoTime();
                for (int n = 0; n < examples; n += batch) {
                    BnNetwork.close(net.observedOutput(x, false, (ref, input) -> BatchStatisticsCapture.of(ref, input)));
                }
                long t5 = System.nanoTime();
                t = new long[] {t1 - t0, t2 - t1, moments[0], subst[0], t3 - t2, t4 - t3, t5 - t4};
            }
            System.out.printf(Locale.ROOT, "batch %d: inference %.2f ms/ex, observed substituted %.2f (moments %.2f, substitute %.2f), capture %.2f, observed no-op %.2f, observed moments only %.2f%n",
                    batch, t[0] / 1e6 / examples, t[1] / 1e6 / examples, t[2] / 1e6 / examples, t[3] / 1e6 / examples,
                    t[4] / 1e6 / examples, t[5] / 1e6 / examples, t[6] / 1e6 / examples);
        }
    }
}
