package io.github.bndoctor.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** Default-suite check that ND4J runs the backend the build expects (CPU unless -Pcuda). */
final class BackendInfoTest {

    private static final String CPU_CLASS = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    private static final String CUDA_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";

    @Test
    void liveBackendIsTheExpectedOne() {
        String expected = BackendInfo.expectedFromSystemProperty();

        BackendInfo live = BackendInfo.detect().requireExpected(expected);

        assertThat(live.kind()).isEqualTo(BackendInfo.Kind.parse(expected));
        assertThat(live.deviceCount()).isPositive();
        assertThat(live.environment()).containsKey("backend");
    }

    @Test
    void theDefaultLegExpectsAndRunsTheCpuBackend() {
        // untagged: this class runs in the CPU legs only (-Pcuda selects the gpu and regression tags), where
        // the build passes bndoctor.expectedBackend=cpu (or nothing, under PIT, which means cpu)
        assertThat(BackendInfo.expectedFromSystemProperty()).isEqualTo("cpu");
        assertThat(BackendInfo.detect().kind()).isEqualTo(BackendInfo.Kind.CPU);
    }

    @Test
    void anUnsetOrBlankExpectationMeansCpuAndValuesAreTrimmed() {
        String passed = System.getProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY);
        try {
            System.clearProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY);
            assertThat(BackendInfo.expectedFromSystemProperty()).isEqualTo("cpu");
            System.setProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY, "  ");
            assertThat(BackendInfo.expectedFromSystemProperty()).isEqualTo("cpu");
            System.setProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY, " cuda ");
            assertThat(BackendInfo.expectedFromSystemProperty()).isEqualTo("cuda");
        } finally {
            if (passed == null) {
                System.clearProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY);
            } else {
                System.setProperty(BackendInfo.EXPECTED_BACKEND_PROPERTY, passed);
            }
        }
    }

    @Test
    void cpuNativesAreTheClassifierTheBuildSelected() {
        String natives = System.getProperty("bndoctor.expectedNatives", "");
        assumeTrue(BackendInfo.expectedFromSystemProperty().equals("cpu") && !natives.isBlank(),
                "CPU run launched by the build");

        // the pom's default is linux-x86_64-onednn; -Pplain-natives selects linux-x86_64
        assertThat(BackendInfo.hasOneDnn(BackendInfo.nativeBuildInfo())).isEqualTo(natives.endsWith("-onednn"));
    }

    @Test
    void oneDnnIsReadFromItsOwnLineOnly() {
        assertThat(BackendInfo.hasOneDnn("GCC: \"7.5.0\"\nHAVE_FLATBUFFERS\nHAVE_ONEDNN\nHAVE_OPENBLAS\n")).isTrue();
        assertThat(BackendInfo.hasOneDnn("GCC: \"7.5.0\"\nHAVE_FLATBUFFERS\nHAVE_OPENBLAS\n")).isFalse();
        assertThat(BackendInfo.hasOneDnn("NOT_HAVE_ONEDNN_X")).isFalse();
        assertThat(BackendInfo.hasOneDnn("")).isFalse();
    }

    @Test
    void cpuBackendFailsACudaExpectationWithATypedClearError() {
        BackendInfo cpu = BackendInfo.of(CPU_CLASS, 1);

        assertThatThrownBy(() -> cpu.requireExpected("cuda"))
                .isInstanceOf(BackendMismatchException.class)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("expected CUDA")
                .hasMessageContaining("loaded CPU (" + CPU_CLASS)
                .hasMessageContaining("nvidia-smi")
                .satisfies(e -> {
                    BackendMismatchException mismatch = (BackendMismatchException) e;
                    assertThat(mismatch.expected()).isEqualTo(BackendInfo.Kind.CUDA);
                    assertThat(mismatch.actual()).isEqualTo(BackendInfo.Kind.CPU);
                });
    }

    @Test
    void cudaBackendFailsACpuExpectation() {
        assertThatThrownBy(() -> BackendInfo.of(CUDA_CLASS, 2).requireExpected("cpu"))
                .isInstanceOf(BackendMismatchException.class)
                .hasMessageContaining("expected CPU")
                .hasMessageContaining("loaded CUDA (" + CUDA_CLASS + ", 2 device(s))");
    }

    @Test
    void unknownBackendClassMatchesNoExpectation() {
        BackendInfo other = BackendInfo.of("org.example.SomeBackend", 1);

        assertThat(other.kind()).isEqualTo(BackendInfo.Kind.OTHER);
        assertThatThrownBy(() -> other.requireExpected("cpu")).isInstanceOf(BackendMismatchException.class);
        assertThatThrownBy(() -> other.requireExpected("cuda")).isInstanceOf(BackendMismatchException.class);
    }

    @Test
    void matchingExpectationPassesInAnyCase() {
        BackendInfo cuda = BackendInfo.of(CUDA_CLASS, 1);

        assertThat(cuda.requireExpected(" CUDA ")).isSameAs(cuda);
        assertThat(cuda.requireExpected("gpu")).isSameAs(cuda);
        assertThat(BackendInfo.of(CPU_CLASS, 1).requireExpected("Cpu").kind()).isEqualTo(BackendInfo.Kind.CPU);
    }

    @Test
    void unknownExpectationIsRejected() {
        assertThatThrownBy(() -> BackendInfo.of(CPU_CLASS, 1).requireExpected("tpu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'tpu'")
                .hasMessageContaining(BackendInfo.EXPECTED_BACKEND_PROPERTY);
    }
}
