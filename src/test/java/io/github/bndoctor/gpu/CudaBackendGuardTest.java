package io.github.bndoctor.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.bndoctor.backend.BackendInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Guard of the GPU gate: under {@code -Pcuda} this fails unless ND4J really runs on CUDA, so a GPU
 * gate can never pass silently on the CPU backend (or on no backend at all).
 */
@Tag("gpu")
final class CudaBackendGuardTest {

    @Test
    void gpuTestsRunOnlyOnTheCudaBackend() {
        String expected = BackendInfo.expectedFromSystemProperty();
        if (BackendInfo.Kind.parse(expected) != BackendInfo.Kind.CUDA) {
            fail("gpu-tagged tests ran with " + BackendInfo.EXPECTED_BACKEND_PROPERTY + "=" + expected
                    + ": run them through the cuda profile (mvn -Pcuda test), never by tag alone");
        }

        BackendInfo live = BackendInfo.detect().requireExpected(expected);
        System.out.println("[gpu-guard] " + live + " " + live.environment());

        assertThat(live.deviceCount())
                .as("CUDA devices seen by ND4J (%s)", live)
                .isPositive();
    }

    @Test
    void cudaBackendComputesAMatrixProduct() {
        BackendInfo.detect().requireExpected("cuda");

        INDArray a = Nd4j.create(new double[][] {{1, 2}, {3, 4}}).castTo(DataType.FLOAT);
        INDArray b = Nd4j.create(new double[][] {{5, 6}, {7, 8}}).castTo(DataType.FLOAT);
        INDArray product = a.mmul(b);

        assertThat(product.toFloatMatrix()).isDeepEqualTo(new float[][] {{19, 22}, {43, 50}});
    }
}
