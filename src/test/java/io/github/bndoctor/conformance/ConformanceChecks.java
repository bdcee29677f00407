package io.github.bndoctor.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The comparisons of DL4J against one reference document, shared by the default suite (committed
 * fixtures) and the live differential leg (a fresh PyTorch run).
 */
final class ConformanceChecks {

    private ConformanceChecks() {
    }

    /** Training-mode forward and backward: no mapping needed (both normalise with the biased variance). */
    static List<Comparison> train(BnReferenceCase c) {
        return train(c, Dl4jBatchNormHarness.train(c));
    }

    /** Compares a given DL4J training result (possibly perturbed by a test) against the case. */
    static List<Comparison> train(BnReferenceCase c, Dl4jBatchNormHarness.TrainResult r) {
        // tol: Higham's reduction bound K = 2 (m + 10) u propagated through BN (FloatErrorModel.train)
        FloatErrorModel.TrainTolerances tol = FloatErrorModel.train(c);
        return List.of(
                ConformanceComparator.compare(c + " train output", c.trainOutput(), r.output(), tol.output()),
                ConformanceComparator.compare(c + " dL/dx", c.gradInput(), r.gradInput(), tol.gradInput()),
                ConformanceComparator.compare(c + " dL/dgamma", c.gradGamma(), r.gradGamma(), tol.gradGamma()),
                ConformanceComparator.compare(c + " dL/dbeta", c.gradBeta(), r.gradBeta(), tol.gradBeta()));
    }

    /**
     * Running statistics after each of the k updates, DL4J configured with {@code dl4jDecay}, against
     * PyTorch's trajectory mapped with {@code mappedDecay} and {@code bessel}
     * (the exact mapping: both {@code 1 - momentum}, and {@code (m-1)/m}).
     */
    static List<Comparison> running(BnReferenceCase c, Dl4jBatchNormHarness.RunningStats dl4j, double mappedDecay,
            double bessel) {
        float[][] torchMean = c.updates().stream().map(BnReferenceCase.RunningUpdate::runningMean).toArray(float[][]::new);
        float[][] torchVar = c.updates().stream().map(BnReferenceCase.RunningUpdate::runningVar).toArray(float[][]::new);
        double[][] mean = TorchToDl4j.runningMeans(c.initialRunningMean(), torchMean, c.momentum(), mappedDecay);
        double[][] var = TorchToDl4j.runningVariances(c.initialRunningVar(), torchVar, c.momentum(), mappedDecay, bessel);
        // tol: per update momentum * K * batch scale + 16 u EMA roundings (+ log10(std) round trip), accumulated
        double[][] meanTol = FloatErrorModel.runningMean(c, mean);
        double[][] varTol = FloatErrorModel.runningVariance(c, var);
        List<Comparison> out = new ArrayList<>();
        for (int t = 0; t < mean.length; t++) {
            out.add(ConformanceComparator.compare(c + " running mean after update " + (t + 1), mean[t], dl4j.mean()[t], meanTol[t]));
            out.add(ConformanceComparator.compare(c + " running var after update " + (t + 1), var[t], dl4j.variance()[t], varTol[t]));
        }
        return out;
    }

    /** Running statistics with the exact mapping and DL4J configured with decay = 1 - momentum. */
    static List<Comparison> running(BnReferenceCase c) {
        double decay = TorchToDl4j.decay(c.momentum());
        return running(c, Dl4jBatchNormHarness.runningStats(c, decay), decay,
                TorchToDl4j.unbiasedToBiased(c.samplesPerChannel()));
    }

    /** Eval-mode output, both given PyTorch's final running statistics (used as they are: eval needs no mapping). */
    static List<Comparison> eval(BnReferenceCase c) {
        BnReferenceCase.RunningUpdate last = c.updates().get(c.updates().size() - 1);
        float[] y = Dl4jBatchNormHarness.eval(c, last.runningMean(), last.runningVar());
        // tol: elementwise only, 2 * 10 u on (|x| + |mean|) / s plus the log10(std) round trip (FloatErrorModel.eval)
        return List.of(ConformanceComparator.compare(c + " eval output", c.evalOutput(), y,
                FloatErrorModel.eval(c, last.runningMean(), last.runningVar())));
    }

    /** The SGD trajectory: loss per step and every parameter after each step (running variance mapped). */
    static List<Comparison> trajectory(ReferenceTrajectory t) {
        List<Dl4jTrajectoryHarness.Step> dl4j = Dl4jTrajectoryHarness.run(t);
        int n = t.steps().size();
        float[][] torchMean = t.steps().stream().map(s -> s.params().get("runningMean")).toArray(float[][]::new);
        float[][] torchVar = t.steps().stream().map(s -> s.params().get("runningVar")).toArray(float[][]::new);
        double decay = TorchToDl4j.decay(t.momentum());
        double[][] mean = TorchToDl4j.runningMeans(t.initial().get("runningMean"), torchMean, t.momentum(), decay);
        double[][] var = TorchToDl4j.runningVariances(t.initial().get("runningVar"), torchVar, t.momentum(), decay,
                TorchToDl4j.unbiasedToBiased(t.samplesPerChannel()));
        // tol: (step + 1) * 2 (N H' W' + Cin k^2 + 10) u * largest |value| along the trajectory (FloatErrorModel.trajectory)
        double lossMagnitude = t.steps().stream().mapToDouble(s -> Math.abs(s.loss())).max().orElse(0);
        List<Comparison> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ReferenceTrajectory.Step ref = t.steps().get(i);
            out.add(ConformanceComparator.compare("trajectory loss at step " + (i + 1), new double[] {ref.loss()},
                    new float[] {dl4j.get(i).loss()}, new double[] {FloatErrorModel.trajectory(t, i, lossMagnitude)}));
            for (Map.Entry<String, float[]> p : dl4j.get(i).params().entrySet()) {
                String name = p.getKey();
                double[] expected = switch (name) {
                    case "runningMean" -> mean[i];
                    case "runningVar" -> var[i];
                    default -> ConformanceComparator.toDouble(ref.params().get(name));
                };
                double magnitude = magnitude(t, name);
                double[] tol = new double[expected.length];
                Arrays.fill(tol, FloatErrorModel.trajectory(t, i, magnitude));
                out.add(ConformanceComparator.compare("trajectory " + name + " after step " + (i + 1), expected,
                        p.getValue(), tol));
            }
        }
        return out;
    }

    /**
     * Agreement of two PyTorch generations from the same spec (committed fixture vs a fresh run): the seeded
     * inputs must be identical (tolerance 0); results must agree within the same float32 bounds as any two
     * implementations (bit-identical when the PyTorch build is the same).
     */
    static List<Comparison> agreement(ReferenceSet committed, ReferenceSet fresh) {
        List<Comparison> out = new ArrayList<>();
        for (BnReferenceCase a : committed.cases()) {
            BnReferenceCase b = fresh.caseNamed(a.name());
            out.add(exact(a + " input", a.input(), b.input()));
            out.add(exact(a + " gradOutput", a.gradOutput(), b.gradOutput()));
            FloatErrorModel.TrainTolerances tol = FloatErrorModel.train(a); // same bounds as PyTorch vs DL4J
            out.add(ConformanceComparator.compare(a + " fresh train output", a.trainOutput(), b.trainOutput(), tol.output()));
            out.add(ConformanceComparator.compare(a + " fresh dL/dx", a.gradInput(), b.gradInput(), tol.gradInput()));
            out.add(ConformanceComparator.compare(a + " fresh dL/dgamma", a.gradGamma(), b.gradGamma(), tol.gradGamma()));
            out.add(ConformanceComparator.compare(a + " fresh dL/dbeta", a.gradBeta(), b.gradBeta(), tol.gradBeta()));
            double[][] means = a.updates().stream().map(u -> ConformanceComparator.toDouble(u.runningMean()))
                    .toArray(double[][]::new);
            double[][] vars = a.updates().stream().map(u -> ConformanceComparator.toDouble(u.runningVar()))
                    .toArray(double[][]::new);
            // tol: accumulated per-update float32 bounds of FloatErrorModel.runningMean/runningVariance
            double[][] meanTol = FloatErrorModel.runningMean(a, means);
            double[][] varTol = FloatErrorModel.runningVariance(a, vars);
            for (int t = 0; t < a.updates().size(); t++) {
                BnReferenceCase.RunningUpdate ua = a.updates().get(t);
                BnReferenceCase.RunningUpdate ub = b.updates().get(t);
                out.add(exact(a + " update " + (t + 1) + " input", ua.input(), ub.input()));
                out.add(ConformanceComparator.compare(a + " fresh running mean " + (t + 1), ua.runningMean(),
                        ub.runningMean(), meanTol[t]));
                out.add(ConformanceComparator.compare(a + " fresh running var " + (t + 1), ua.runningVar(),
                        ub.runningVar(), varTol[t]));
            }
            BnReferenceCase.RunningUpdate last = a.updates().get(a.updates().size() - 1);
            out.add(ConformanceComparator.compare(a + " fresh eval output", a.evalOutput(), b.evalOutput(),
                    FloatErrorModel.eval(a, last.runningMean(), last.runningVar())));
        }
        ReferenceTrajectory ta = committed.trajectory();
        ReferenceTrajectory tb = fresh.trajectory();
        for (String name : ta.initial().keySet()) {
            out.add(exact("trajectory initial " + name, ta.initial().get(name), tb.initial().get(name)));
        }
        for (int i = 0; i < ta.steps().size(); i++) {
            ReferenceTrajectory.Step sa = ta.steps().get(i);
            ReferenceTrajectory.Step sb = tb.steps().get(i);
            out.add(exact("trajectory input " + (i + 1), sa.input(), sb.input()));
            for (String name : sa.params().keySet()) {
                double[] tol = new double[sa.params().get(name).length];
                Arrays.fill(tol, FloatErrorModel.trajectory(ta, i, magnitude(ta, name)));
                out.add(ConformanceComparator.compare("trajectory fresh " + name + " after step " + (i + 1),
                        sa.params().get(name), sb.params().get(name), tol));
            }
        }
        return out;
    }

    private static Comparison exact(String label, float[] expected, float[] actual) {
        // tol 0: inputs come from the same seeded generator, so any difference is a generation change
        return ConformanceComparator.compare(label, expected, actual, new double[expected.length]);
    }

    private static double magnitude(ReferenceTrajectory t, String name) {
        double m = maxAbs(t.initial().get(name));
        for (ReferenceTrajectory.Step s : t.steps()) {
            m = Math.max(m, maxAbs(s.params().get(name)));
        }
        return m;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** Prints every comparison (the report shows the observed error against tolerance) and fails on any miss. */
    static void assertAllConform(List<Comparison> comparisons) {
        comparisons.forEach(c -> System.out.println("[conformance] " + c));
        List<Comparison> failed = comparisons.stream().filter(c -> !c.passed()).toList();
        if (!failed.isEmpty()) {
            throw new AssertionError(failed.size() + " non-conformant comparison(s):\n"
                    + failed.stream().map(Comparison::toString).collect(Collectors.joining("\n")));
        }
    }
}
