package org.nd4j.nativeblas;

/**
 * Compatibility bridge for DL4J 1.0.0-M2.1's oneDNN layer helpers.
 *
 * <p>M2.1's {@code BaseMKLDNNHelper.mklDnnEnabled()} decides whether the oneDNN convolution and
 * batch-normalization helpers may run by loading {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * and calling {@code isUseMKLDNN()} on it, but the M2.1 CPU backend ships that binding as
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment#isUseONEDNN()}. The lookup
 * therefore always fails and the helpers stay off even on the oneDNN natives. This class answers
 * the lookup with the real binding's value, so the helpers run exactly when the loaded natives
 * were built with oneDNN and the environment allows it; with the plain natives it answers false.
 * It does nothing unless DL4J's helper switch is also on; see
 * {@link io.github.bndoctor.backend.NativeSpeedSettings}.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The subset of the native environment that DL4J's helper detection reads. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        /** @return the single instance, as the native binding's accessor does */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /** @return whether the loaded natives use oneDNN (false with the plain natives or off CPU) */
        public boolean isUseMKLDNN() {
            try {
                // by reflection: the CUDA build has no CPU binding to compile against
                Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object instance = env.getMethod("getInstance").invoke(null);
                return (Boolean) env.getMethod("isUseONEDNN").invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
