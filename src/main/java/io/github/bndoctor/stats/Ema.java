package io.github.bndoctor.stats;

/**
 * The exponential moving average {@code m_t = d*m_{t-1} + (1-d)*x_t} that DL4J's
 * {@code BatchNormalization} uses for its moving mean and variance ({@code d} is the layer's
 * {@code decay}; PyTorch's {@code momentum} is {@code 1-d}), and its closed forms.
 *
 * <p>With inputs {@code x_1..x_n} of mean {@code mu} and variance {@code s2}, independent:
 * <ul>
 *   <li>{@code E[m_n] = mu + d^n (m_0 - mu)} (the initial value keeps weight {@code d^n});</li>
 *   <li>{@code Var[m_n] = (1-d)/(1+d) (1-d^(2n)) s2};</li>
 *   <li>when the input mean drifts linearly, {@code mu_t = mu_0 + r t}, the average trails the
 *       current mean by {@code r d/(1-d)} once the transient has died out.</li>
 * </ul>
 * All methods are static and reject a decay outside {@code (0, 1]} with
 * {@link InvalidDecayException}.
 */
public final class Ema {
    private Ema() {
    }

    /**
     * One step of the recurrence.
     *
     * @param previous {@code m_{t-1}}
     * @param x the new observation {@code x_t}
     * @param decay {@code d}
     * @return {@code d*previous + (1-d)*x}
     */
    public static double step(double previous, double x, double decay) {
        InvalidDecayException.check(decay);
        return decay * previous + (1 - decay) * x;
    }

    /**
     * Runs the recurrence over all observations.
     *
     * @param initial {@code m_0}
     * @param xs the observations, in order
     * @param decay {@code d}
     * @return {@code m_n}
     */
    public static double run(double initial, double[] xs, double decay) {
        InvalidDecayException.check(decay);
        double m = initial;
        for (double x : xs) {
            m = decay * m + (1 - decay) * x;
        }
        return m;
    }

    /**
     * @param decay {@code d}
     * @return the window {@code 1/(1-d)}: the number of steps the average effectively spans
     *     (infinite for {@code d = 1})
     */
    public static double window(double decay) {
        InvalidDecayException.check(decay);
        return 1 / (1 - decay);
    }

    /**
     * @param decay {@code d}
     * @param n steps taken
     * @return {@code d^n}, the weight the initial value still holds after {@code n} steps
     */
    public static double priorWeight(double decay, long n) {
        InvalidDecayException.check(decay);
        checkSteps(n);
        return Math.pow(decay, n);
    }

    /**
     * @param decay {@code d}
     * @param weight a weight in {@code (0, 1)}
     * @return the smallest {@code n} with {@code d^n <= weight} ({@link Long#MAX_VALUE} for
     *     {@code d = 1})
     */
    public static long stepsUntilPriorWeight(double decay, double weight) {
        InvalidDecayException.check(decay);
        if (!(weight > 0 && weight < 1)) {
            throw new IllegalArgumentException("weight must be in (0, 1), got " + weight);
        }
        if (decay == 1) {
            return Long.MAX_VALUE;
        }
        return (long) Math.ceil(Math.log(weight) / Math.log(decay));
    }

    /**
     * @param initial {@code m_0}
     * @param mu the inputs' mean
     * @param decay {@code d}
     * @param n steps taken
     * @return {@code E[m_n] = mu + d^n (m_0 - mu)}
     */
    public static double expectedValue(double initial, double mu, double decay, long n) {
        return mu + bias(initial, mu, decay, n);
    }

    /**
     * @param initial {@code m_0}
     * @param mu the inputs' mean
     * @param decay {@code d}
     * @param n steps taken
     * @return the bias {@code E[m_n] - mu = d^n (m_0 - mu)}
     */
    public static double bias(double initial, double mu, double decay, long n) {
        return priorWeight(decay, n) * (initial - mu);
    }

    /**
     * @param inputVariance the variance of each (independent) input
     * @param decay {@code d}
     * @param n steps taken
     * @return {@code Var[m_n] = (1-d)/(1+d) (1-d^(2n)) inputVariance}
     */
    public static double variance(double inputVariance, double decay, long n) {
        InvalidDecayException.check(decay);
        checkSteps(n);
        return (1 - decay) / (1 + decay) * (1 - Math.pow(decay, 2 * (double) n)) * inputVariance;
    }

    /**
     * @param inputVariance the variance of each (independent) input
     * @param decay {@code d}
     * @return the stationary variance {@code (1-d)/(1+d) inputVariance} reached as {@code n} grows
     */
    public static double stationaryVariance(double inputVariance, double decay) {
        InvalidDecayException.check(decay);
        return (1 - decay) / (1 + decay) * inputVariance;
    }

    /**
     * @param rate {@code r}, the change of the input mean per step
     * @param decay {@code d}
     * @return the steady lag {@code r d/(1-d)} of the average behind the current input mean
     */
    public static double steadyLag(double rate, double decay) {
        InvalidDecayException.check(decay);
        return rate * decay / (1 - decay);
    }

    /**
     * Expected value after {@code n} steps when input {@code t} (1-based) has mean
     * {@code mu0 + rate*t}:
     * {@code E[m_n] = d^n m_0 + (1-d^n) mu0 + r [n(1-d^n) - d(1 - n d^(n-1) + (n-1) d^n)/(1-d)]}.
     *
     * @param initial {@code m_0}
     * @param mu0 the input mean before the first step
     * @param rate {@code r}
     * @param decay {@code d}, below 1
     * @param n steps taken
     * @return {@code E[m_n]}
     */
    public static double expectedValueUnderDrift(double initial, double mu0, double rate, double decay, long n) {
        return mu0 + rate * n - expectedLagUnderDrift(initial, mu0, rate, decay, n);
    }

    /**
     * The exact expected lag {@code mu0 + r n - E[m_n]} under linear drift, which tends to
     * {@link #steadyLag(double, double)}:
     * {@code d^n (mu0 - m_0) + r n d^n + r d (1 - n d^(n-1) + (n-1) d^n)/(1-d)}.
     *
     * @param initial {@code m_0}
     * @param mu0 the input mean before the first step
     * @param rate {@code r}
     * @param decay {@code d}, below 1
     * @param n steps taken
     * @return the expected lag after {@code n} steps
     */
    public static double expectedLagUnderDrift(double initial, double mu0, double rate, double decay, long n) {
        InvalidDecayException.check(decay);
        checkSteps(n);
        if (decay == 1) {
            return mu0 - initial + rate * n;
        }
        double dn = Math.pow(decay, n);
        double dn1 = n == 0 ? 1 : Math.pow(decay, n - 1);
        return dn * (mu0 - initial) + rate * n * dn
                + rate * decay * (1 - n * dn1 + (n - 1) * dn) / (1 - decay);
    }

    private static void checkSteps(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("number of steps must be >= 0, got " + n);
        }
    }
}
