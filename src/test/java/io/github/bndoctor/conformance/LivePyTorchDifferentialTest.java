package io.github.bndoctor.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.IsRunningStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Live differential leg: runs {@code fixtures/generate_reference.py} with PyTorch inside the locally
 * built reference image ({@code ci/build-reference-image.sh}; never pulled), with no network, copying
 * the generator and its spec in and the result out through the Docker API. Then checks DL4J against
 * the live PyTorch results, and the committed fixtures against this fresh generation.
 *
 * <p>Run through {@code ci/differential.sh} (or {@code mvn test -Pdifferential} with a running engine).
 * Someone who asks for this leg wants it to run: without a reachable Docker engine it fails, loudly,
 * instead of skipping.
 */
@Tag("differential")
class LivePyTorchDifferentialTest {

    static final String IMAGE = System.getenv().getOrDefault("BN_DOCTOR_TORCH_IMAGE", "bn-doctor/torch-reference:local");
    private static final Path SPEC = Path.of("fixtures", "reference", "spec.json");
    private static final Path GENERATOR = Path.of("fixtures", "generate_reference.py");

    private static ReferenceSet live;
    private static Path liveFile;

    @BeforeAll
    static void generateInsideTheReferenceContainer() throws Exception {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            fail("DIFFERENTIAL LEG: no reachable Docker engine (DOCKER_HOST=" + System.getenv("DOCKER_HOST")
                    + "); run ci/differential.sh, which provisions one, or skip the -Pdifferential profile");
        }
        Path out = Files.createTempDirectory("bn-doctor-live").resolve("pytorch-live.json");
        long start = System.nanoTime();
        try (GenericContainer<?> torch = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withImagePullPolicy(image -> false)          // local image only: there is no registry
                .withNetworkMode("none")
                .withCommand("sleep", "infinity")
                .withStartupCheckStrategy(new IsRunningStartupCheckStrategy())) {
            torch.start();
            torch.copyFileToContainer(MountableFile.forHostPath(GENERATOR), "/work/generate_reference.py");
            torch.copyFileToContainer(MountableFile.forHostPath(SPEC), "/work/spec.json");

            Container.ExecResult net = torch.execInContainer("cat", "/proc/net/dev");
            List<String> interfaces = Arrays.stream(net.getStdout().split("\n")).skip(2)
                    .map(l -> l.trim().split(":")[0]).filter(s -> !s.isEmpty()).toList();
            assertThat(interfaces).as("the reference container must have no network but loopback").containsExactly("lo");

            Container.ExecResult gen = torch.execInContainer("/usr/bin/python3", "/work/generate_reference.py",
                    "--spec", "/work/spec.json", "--out", "/work/pytorch-live.json");
            assertThat(gen.getExitCode()).as("generator in container, stderr: %s", gen.getStderr()).isZero();
            torch.copyFileFromContainer("/work/pytorch-live.json", out.toString());
        }
        liveFile = out;
        live = ReferenceReader.read(out);
        System.out.printf("[differential] live PyTorch %s (Debian %s) generated %d cases + trajectory in %d ms%n",
                live.torchVersion(), live.torchPackage(), live.cases().size(), (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void dl4jMatchesLivePyTorchForwardBackwardRunningStatsAndEval() {
        List<Comparison> all = new ArrayList<>();
        for (BnReferenceCase c : live.cases()) {
            all.addAll(ConformanceChecks.train(c));
            all.addAll(ConformanceChecks.running(c));
            all.addAll(ConformanceChecks.eval(c));
        }
        assertThat(all).hasSizeGreaterThan(live.cases().size() * 6);
        ConformanceChecks.assertAllConform(all);
    }

    @Test
    void dl4jMatchesLivePyTorchSgdTrajectory() {
        ConformanceChecks.assertAllConform(ConformanceChecks.trajectory(live.trajectory()));
    }

    @Test
    void committedFixturesMatchAFreshGeneration() throws IOException {
        ReferenceSet committed = PyTorchConformanceTest.REFERENCE;
        assertThat(live.seed()).isEqualTo(committed.seed());
        assertThat(live.cases()).extracting(BnReferenceCase::name)
                .containsExactlyElementsOf(committed.cases().stream().map(BnReferenceCase::name).toList());
        ConformanceChecks.assertAllConform(ConformanceChecks.agreement(committed, live));
        boolean identical = Files.mismatch(PyTorchConformanceTest.FIXTURE, liveFile) == -1;
        System.out.println("[differential] committed fixture byte-identical to the fresh generation: " + identical);
    }
}
