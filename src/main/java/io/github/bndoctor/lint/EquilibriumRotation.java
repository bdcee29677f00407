package io.github.bndoctor.lint;

/**
 * Equilibrium angular update per step of scale-invariant weights (the weights feeding a BN layer)
 * under weight decay, and the EMA lag it implies.
 *
 * <p>With weight decay the norm of scale-invariant weights settles where the shrink of the decay
 * balances the growth from gradient steps, which are orthogonal to the weights; from then on the
 * weights turn by a fixed expected angle per step whatever their initial scale (Wan et al.,
 * "Spherical Motion Dynamics: Learning Dynamics of Normalized Neural Network using SGD and Weight
 * Decay", NeurIPS 2021, arXiv 2006.08419; Kosson, Messmer and Jaggi, "Rotational Equilibrium: How
 * Weight Decay Balances Learning Across Neural Networks", ICML 2024, arXiv 2305.17212, table 1):
 * <ul>
 *   <li>SGD with heavy-ball momentum {@code a} and L2 {@code l} added to the gradient (coupled, PyTorch's
 *       {@code weight_decay}, DL4J's {@code .l2()}): {@code sqrt(2 eta l / (1+a))} radians per step;</li>
 *   <li>Adam with decoupled weight decay (AdamW; DL4J's {@code .weightDecay()}, applied after the updater):
 *       {@code sqrt(2 eta l (1-b1) / (1+b1))}.</li>
 * </ul>
 * SGD with decoupled weight decay: the same balance with the shrink {@code eta l} per step instead of
 * the coupled L2's {@code eta l / (1-a)} (the L2 term accumulates in the momentum buffer) gives
 * {@code sqrt(2 eta l (1-a) / (1+a))}; {@link #sgd} adds both. The shrink per step is
 * {@code eta l} when DL4J's weight decay applies the learning rate (its default) and {@code l}
 * otherwise. Adam with coupled L2 has no such equilibrium (Adam normalises the L2 term together
 * with the gradient).
 *
 * <p>The EMA of decay {@code d} averages batch statistics of mean age {@code d/(1-d)}: a steady
 * drift lags by {@code rotation x d/(1-d)} ({@link #driftLag}); a random walk of the direction
 * with the same step only by {@code rotation x sqrt(d/(1-d))} ({@link #randomWalkLag}). Momentum
 * correlates consecutive steps, so real training lies between the two.
 */
public final class EquilibriumRotation {
    private EquilibriumRotation() {
    }

    /**
     * SGD (heavy-ball or Nesterov momentum) with coupled L2 and decoupled weight decay.
     *
     * @param etaL2 learning rate x coupled L2 coefficient, at least 0
     * @param decoupledShrink shrink per step of decoupled weight decay, at least 0
     * @param momentum momentum {@code a} in [0, 1)
     * @return radians per step: {@code sqrt(2 (eta l2 + shrink (1-a)) / (1+a))}
     */
    public static double sgd(double etaL2, double decoupledShrink, double momentum) {
        requireNonNegative("eta x l2", etaL2);
        requireNonNegative("decoupled shrink", decoupledShrink);
        requireUnit("momentum", momentum);
        return Math.sqrt(2 * (etaL2 + decoupledShrink * (1 - momentum)) / (1 + momentum));
    }

    /**
     * Adam (or another per-element normalising updater with first-moment decay {@code b1}) with
     * decoupled weight decay.
     *
     * @param decoupledShrink shrink per step, {@code eta x l}, at least 0
     * @param beta1 first-moment decay in [0, 1)
     * @return radians per step: {@code sqrt(2 shrink (1-b1) / (1+b1))}
     */
    public static double adam(double decoupledShrink, double beta1) {
        requireNonNegative("decoupled shrink", decoupledShrink);
        requireUnit("beta1", beta1);
        return Math.sqrt(2 * decoupledShrink * (1 - beta1) / (1 + beta1));
    }

    /**
     * Iterations until the rotation per step is within {@code e^-3} (5%) of its equilibrium in
     * squared terms, from a measured rotation.
     *
     * <p>Norm dynamics (Wan et al. arXiv 2006.08419, section 4; Kosson et al. arXiv 2305.17212,
     * section 3): with shrink {@code s} per step ({@code eta l/(1-a)} for coupled L2 under momentum
     * {@code a}, {@code eta wd} decoupled) and steps orthogonal to the weights, SGD's step is
     * {@code eta_eff G/||w||}, so {@code ||w||^4} obeys {@code dy/dt = -4 s y + c}, and Adam's step has
     * a fixed size, so {@code ||w||^2} obeys {@code dx/dt = -2 s x + c}. Both relax linearly to their
     * equilibria with time constant {@code tau = 1/(4s)} (SGD) or {@code 1/(2s)} (Adam), and the
     * rotation per step is {@code rho ~ 1/sqrt(y)} resp. {@code 1/sqrt(x)}, so the excess
     * {@code e(t) = (rho_eq/rho)^2 - 1} decays as {@code e(0) exp(-t/tau)}: a rotation below the
     * equilibrium (weights larger than their equilibrium norm) rises, one above it falls, and the
     * equilibrium is reached after {@code tau (ln|e| + 3)} more iterations. The weight norm itself,
     * far above equilibrium, shrinks as {@code exp(-s t)}: a start {@code k} times the equilibrium
     * rotation too slow takes about {@code ln(k)/(2s)} iterations to catch up (SGD), of order
     * {@code 1/(eta l)} rather than the time constant.
     *
     * @param measuredRotation rotation per step now, above 0 (any unit)
     * @param equilibriumRotation the equilibrium rotation, above 0 (same unit)
     * @param timeConstant {@code tau}, iterations, above 0
     * @return iterations still to go, 0 if already within {@code e^-3}
     */
    public static double remainingIterations(double measuredRotation, double equilibriumRotation, double timeConstant) {
        if (!(measuredRotation > 0) || !(equilibriumRotation > 0) || !(timeConstant > 0)
                || Double.isInfinite(measuredRotation) || Double.isInfinite(equilibriumRotation)) {
            throw new IllegalArgumentException("rotations and time constant must be finite and > 0, got "
                    + measuredRotation + ", " + equilibriumRotation + ", " + timeConstant);
        }
        double ratio = equilibriumRotation / measuredRotation;
        double excess = Math.abs(ratio * ratio - 1);
        return excess <= Math.exp(-3) ? 0 : timeConstant * (Math.log(excess) + 3);
    }

    /**
     * @param rotation rotation per step (any angle unit)
     * @param decay EMA decay in [0, 1)
     * @return the lag of a steady drift, {@code rotation x d/(1-d)}, in the same unit
     */
    public static double driftLag(double rotation, double decay) {
        requireUnit("decay", decay);
        return rotation * decay / (1 - decay);
    }

    /**
     * @param rotation rotation per step (any angle unit)
     * @param decay EMA decay in [0, 1)
     * @return the lag of a random walk, {@code rotation x sqrt(d/(1-d))}, in the same unit
     */
    public static double randomWalkLag(double rotation, double decay) {
        requireUnit("decay", decay);
        return rotation * Math.sqrt(decay / (1 - decay));
    }

    /**
     * @param rotation rotation per step, above 0
     * @param budget largest acceptable drift lag, in the unit of {@code rotation}, above 0
     * @return the largest decay whose drift lag stays within the budget, {@code budget / (budget + rotation)}
     */
    public static double largestDecay(double rotation, double budget) {
        if (!(rotation > 0) || !(budget > 0) || Double.isInfinite(rotation) || Double.isInfinite(budget)) {
            throw new IllegalArgumentException("rotation and budget must be finite and > 0, got " + rotation + ", "
                    + budget);
        }
        return budget / (budget + rotation);
    }

    private static void requireNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        }
    }

    private static void requireUnit(String name, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
        }
    }
}
