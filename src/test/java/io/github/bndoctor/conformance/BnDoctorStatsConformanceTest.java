package io.github.bndoctor.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.stats.BesselFactor;
import io.github.bndoctor.stats.ChannelMoments;
import io.github.bndoctor.stats.Ema;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bn-doctor's own arithmetic ({@link ChannelMoments}, {@link BesselFactor}, {@link Ema}) against the
 * committed PyTorch cases: computing PyTorch's running statistics with bn-doctor's moments, Bessel
 * factor and EMA (decay = 1 - momentum) must reproduce PyTorch's recorded running mean and variance.
 */
class BnDoctorStatsConformanceTest {

    static Stream<BnReferenceCase> cases() {
        return PyTorchConformanceTest.cases();
    }

    /** PyTorch's running statistics recomputed with bn-doctor's stats package. */
    static List<Comparison> bnDoctorVersusTorch(BnReferenceCase c, boolean unbias) {
        double decay = TorchToDl4j.decay(c.momentum());
        BesselFactor bessel = BesselFactor.of(c.samplesPerChannel());
        double[] mean = ConformanceComparator.toDouble(c.initialRunningMean());
        double[] var = ConformanceComparator.toDouble(c.initialRunningVar());
        double[][] torchMean = new double[c.updates().size()][];
        double[][] torchVar = new double[c.updates().size()][];
        List<double[]> ours = new ArrayList<>();
        for (int t = 0; t < c.updates().size(); t++) {
            BnReferenceCase.RunningUpdate u = c.updates().get(t);
            ChannelMoments batch = ChannelMoments.ofSamples(
                    ReferenceTensors.samplesByChannel(u.input(), c.layout(), c.shape(), c.channels()));
            assertThat(batch.count()).isEqualTo(c.samplesPerChannel());
            double[] batchVar = unbias ? bessel.unbias(batch.biasedVariance()) : batch.biasedVariance();
            mean = mean.clone();
            var = var.clone();
            for (int ch = 0; ch < c.channels(); ch++) {
                mean[ch] = Ema.step(mean[ch], batch.mean()[ch], decay);
                var[ch] = Ema.step(var[ch], batchVar[ch], decay);
            }
            ours.add(mean);
            ours.add(var);
            torchMean[t] = ConformanceComparator.toDouble(u.runningMean());
            torchVar[t] = ConformanceComparator.toDouble(u.runningVar());
        }
        // tol: the float32 bounds used for DL4J (FloatErrorModel.running*); bn-doctor computes in double, PyTorch in float
        double[][] meanTol = FloatErrorModel.runningMean(c, torchMean);
        double[][] varTol = FloatErrorModel.runningVariance(c, torchVar);
        List<Comparison> out = new ArrayList<>();
        for (int t = 0; t < torchMean.length; t++) {
            out.add(ConformanceComparator.compare(c + " bn-doctor running mean " + (t + 1), torchMean[t],
                    ours.get(2 * t), meanTol[t]));
            out.add(ConformanceComparator.compare(c + " bn-doctor running var " + (t + 1), torchVar[t],
                    ours.get(2 * t + 1), varTol[t]));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bnDoctorMomentsBesselAndEmaReproducePyTorchRunningStatistics(BnReferenceCase c) {
        ConformanceChecks.assertAllConform(bnDoctorVersusTorch(c, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void omittingBesselsCorrectionIsRejected(BnReferenceCase c) {
        List<Comparison> biased = bnDoctorVersusTorch(c, false);
        assertThat(biased).filteredOn(r -> r.label().contains("running var")).noneMatch(Comparison::passed);
    }
}
