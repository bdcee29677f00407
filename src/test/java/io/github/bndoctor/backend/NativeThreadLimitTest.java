package io.github.bndoctor.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

class NativeThreadLimitTest {
    @Test
    void setsNd4jsThreadPools() {
        Environment env = Nd4j.getEnvironment();
        int threads = env.maxThreads();
        int master = env.maxMasterThreads();
        try {
            // libnd4j caps both at its own thread count (OMP_NUM_THREADS=1 in the build's test JVMs), so only 1 is
            // certain to be reachable here
            NativeThreadLimit.apply(1);
            assertThat(env.maxThreads()).isEqualTo(1);
            assertThat(env.maxMasterThreads()).isEqualTo(1);
        } finally {
            env.setMaxThreads(threads);
            env.setMaxMasterThreads(master);
        }
    }

    @Test
    void rejectsFewerThanOneThreadAndChangesNothing() {
        Environment env = Nd4j.getEnvironment();
        int threads = env.maxThreads();
        assertThatThrownBy(() -> NativeThreadLimit.apply(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> NativeThreadLimit.apply(-3)).isInstanceOf(IllegalArgumentException.class);
        assertThat(env.maxThreads()).isEqualTo(threads);
    }
}
