package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.IsRunningStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * One training step of the seed scenario in DL4J against the same network in PyTorch
 * ({@code fixtures/torch_seed_twin.py}, run inside the reference container of the differential
 * leg), timed in the same run: rounds alternate a DL4J child JVM ({@link ScenarioSpeedProbe} with the
 * command line's native settings, {@code OMP_NUM_THREADS=1}) and the PyTorch script ({@code torch.set_num_threads(1)}), so load
 * from other processes on the shared machine hits both sides. Data generation is outside both
 * timings. Prints each side's best round and the DL4J/PyTorch ratio (the target is at most 2).
 * Needs a Docker engine and the image {@code bn-doctor/torch-reference:local}
 * ({@code ci/build-reference-image.sh}); fails, never skips, without them.
 */
@Tag("bench")
final class SeedTwinSpeedBenchmark {

    private static final String IMAGE = System.getenv().getOrDefault("BN_DOCTOR_TORCH_IMAGE",
            "bn-doctor/torch-reference:local");
    private static final Path TWIN = Path.of("fixtures", "torch_seed_twin.py");
    private static final int ROUNDS = 3;
    private static final int STEPS = 100;

    @Test
    void dl4jStepAgainstThePyTorchTwin() throws Exception {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            fail("no reachable Docker engine (DOCKER_HOST=" + System.getenv("DOCKER_HOST")
                    + "); ci/differential.sh shows how to start one");
        }
        List<Double> dl4j = new ArrayList<>();
        List<Double> torch = new ArrayList<>();
        try (GenericContainer<?> box = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withImagePullPolicy(image -> false)
                .withNetworkMode("none")
                .withCommand("sleep", "infinity")
                .withStartupCheckStrategy(new IsRunningStartupCheckStrategy())) {
            box.start();
            box.copyFileToContainer(MountableFile.forHostPath(TWIN), "/work/torch_seed_twin.py");
            for (int round = 0; round < ROUNDS; round++) {
                dl4j.add(dl4jStep());
                torch.add(torchStep(box));
            }
        }
        double best = dl4j.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double bestTorch = torch.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        try (RecordWriter.Section record = RecordWriter.section("SeedTwinSpeedBenchmark")) {
            System.out.println(String.format(Locale.ROOT,
                    "SeedTwinSpeedBenchmark: training step, one thread each, %d steps per round: DL4J %.1f ms (rounds %s),"
                            + " PyTorch %.1f ms (rounds %s), ratio DL4J/PyTorch %.2f (target <= 2.0)",
                    STEPS, best, dl4j, bestTorch, torch, best / bestTorch));
            double ops = valueAfter(lastDl4jOutput, "opsPerStep=");
            double micros = valueAfter(lastDl4jOutput, "trivialOpMicros=");
            System.out.println(String.format(Locale.ROOT,
                    "SeedTwinSpeedBenchmark: DL4J launches %.0f native ops per step at %.1f us for a trivial op: a per-op floor"
                            + " of %.1f ms, %.2fx the PyTorch step", ops, micros, ops * micros / 1e3, ops * micros / 1e3 / bestTorch));
        }
        assertThat(best).isPositive();
        assertThat(bestTorch).isPositive();
    }

    private static double torchStep(GenericContainer<?> box) throws IOException, InterruptedException {
        Container.ExecResult r = box.execInContainer("/usr/bin/python3", "/work/torch_seed_twin.py",
                "--steps", Integer.toString(STEPS), "--threads", "1");
        assertThat(r.getExitCode()).as("twin in container, stderr: %s", r.getStderr()).isZero();
        assertThat(r.getStdout()).as("the twin has DL4J's parameter count").contains("params=4122");
        return valueAfter(r.getStdout(), "ms/step=");
    }

    private String lastDl4jOutput = "";

    private double dl4jStep() throws IOException, InterruptedException {
        lastDl4jOutput = SpeedProbeLauncher.output(SpeedProbeLauncher.Settings.FAST, 1, STEPS);
        return valueAfter(lastDl4jOutput, "ms/iteration=");
    }

    private static double valueAfter(String output, String key) {
        return SpeedProbeLauncher.valueAfter(output, key);
    }
}
