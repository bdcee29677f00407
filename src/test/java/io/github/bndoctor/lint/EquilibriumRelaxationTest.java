package io.github.bndoctor.lint;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The time to rotational equilibrium against a direct double loop (steps x components) on a
 * scale-invariant toy: weights {@code w} in R^32, each step a random direction orthogonal to
 * {@code w}; SGD with coupled L2 takes a gradient of size {@code G/||w||} (the scale-invariant
 * gradient), {@code w <- (1 - eta l) w - eta g}; Adam-like with decoupled decay takes a fixed-size
 * step, {@code w <- (1 - eta wd) w - eta u} with {@code ||u|| = 1}. The toy starts with a rotation
 * {@code k} times below or above its equilibrium, reads its own rotation at one iteration, asks
 * {@link EquilibriumRotation#remainingIterations} how long to equilibrium, and runs on until its
 * squared excess {@code (rho_eq/rho)^2 - 1} is within {@code e^-3}. The equilibrium rotation is the
 * toy's own after 40 time constants. Tolerance 0.1 tau: the continuous-time relaxation misses the
 * discrete recurrence by O(eta l) relative in the excess (1e-3 here), and a relative error delta
 * in the excess moves the crossing by tau delta; 0.1 tau bounds it with room for the e^-3 level's
 * one-step granularity (tau >= 125 steps).
 */
@Tag("unit")
class EquilibriumRelaxationTest {
    private static final int N = 32;

    @ParameterizedTest
    @CsvSource({
        // optimiser, eta, l, start rotation / equilibrium rotation
        "SGD, 0.1, 0.01, 0.1",
        "SGD, 0.1, 0.01, 0.5",
        "SGD, 0.1, 0.01, 3",
        "ADAM, 0.01, 0.2, 0.1",
        "ADAM, 0.01, 0.2, 2",
    })
    void theRemainingTimeMatchesTheRecurrence(String optimiser, double eta, double l, double k) {
        boolean sgd = optimiser.equals("SGD");
        double s = eta * l;
        double tau = sgd ? 1 / (4 * s) : 1 / (2 * s);
        double eqRad = sgd ? EquilibriumRotation.sgd(eta * l, 0, 0) : EquilibriumRotation.adam(s, 0);
        // start norm from the equilibrium norm: rho ~ 1/||w||^2 (SGD), 1/||w|| (Adam)
        double eqNorm = sgd ? Math.sqrt(eta / eqRad) : eta / eqRad;
        double startNorm = sgd ? eqNorm / Math.sqrt(k) : eqNorm / k;
        int total = (int) (40 * tau);
        double[] angle = simulate(sgd, eta, l, startNorm, total);
        double eq = angle[total - 1];
        assertThat(eq).as("the toy's equilibrium is the forecast's").isCloseTo(eqRad, within(0.02 * eqRad));
        int readAt = (int) (0.2 * tau);
        double predicted = readAt + EquilibriumRotation.remainingIterations(angle[readAt], eq, tau);
        int reached = -1;
        for (int t = readAt; t < total; t++) {
            double r = eq / angle[t];
            if (Math.abs(r * r - 1) <= Math.exp(-3)) {
                reached = t;
                break;
            }
        }
        assertThat(reached).isPositive();
        assertThat((double) reached).isCloseTo(predicted, within(0.1 * tau));
        // the direction of approach: a rotation below equilibrium rises, one above falls
        assertThat(angle[readAt + 10] > angle[readAt]).isEqualTo(k < 1);
    }

    /** @return the angle between consecutive weights, radians, for each step */
    private static double[] simulate(boolean sgd, double eta, double l, double startNorm, int steps) {
        Random rnd = new Random(42);
        double[] w = new double[N];
        for (int i = 0; i < N; i++) {
            w[i] = rnd.nextGaussian();
        }
        scale(w, startNorm / norm(w));
        double[] out = new double[steps];
        double[] g = new double[N];
        for (int t = 0; t < steps; t++) {
            double nw = norm(w);
            double dot = 0;
            for (int i = 0; i < N; i++) {
                g[i] = rnd.nextGaussian();
                dot += g[i] * w[i];
            }
            for (int i = 0; i < N; i++) {
                g[i] -= dot / (nw * nw) * w[i];
            }
            // SGD: the scale-invariant gradient G/||w|| with G = 1; Adam-like: a unit step
            scale(g, (sgd ? 1 / nw : 1) / norm(g));
            double[] next = new double[N];
            double cross = 0;
            for (int i = 0; i < N; i++) {
                next[i] = (1 - eta * l) * w[i] - eta * g[i];
                cross += next[i] * w[i];
            }
            out[t] = Math.acos(Math.min(1, cross / (norm(next) * nw)));
            w = next;
        }
        return out;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    private static void scale(double[] v, double f) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= f;
        }
    }
}
