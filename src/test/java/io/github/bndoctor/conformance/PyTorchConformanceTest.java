package io.github.bndoctor.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.dl4j.Layout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Default-suite conformance of DL4J's BatchNormalization against the committed PyTorch cases
 * ({@code fixtures/reference/pytorch-reference.json}); needs neither Docker nor Python.
 */
class PyTorchConformanceTest {

    static final Path FIXTURE = Path.of("fixtures", "reference", "pytorch-reference.json");
    static final ReferenceSet REFERENCE = ReferenceReader.read(FIXTURE);

    static Stream<BnReferenceCase> cases() {
        return REFERENCE.cases().stream();
    }

    @Test
    void fixturesCoverEveryLayoutWithSmallAndLargeBatches() {
        Set<Layout> small = REFERENCE.cases().stream().filter(c -> c.samplesPerChannel() <= 8)
                .map(BnReferenceCase::layout).collect(Collectors.toSet());
        Set<Layout> large = REFERENCE.cases().stream().filter(c -> c.samplesPerChannel() > 8)
                .map(BnReferenceCase::layout).collect(Collectors.toSet());
        assertThat(small).isEqualTo(EnumSet.allOf(Layout.class));
        assertThat(large).isEqualTo(EnumSet.allOf(Layout.class));
        assertThat(REFERENCE.torchVersion()).startsWith("1.");
        assertThat(REFERENCE.cases()).allSatisfy(c -> assertThat(c.updates()).isNotEmpty());
        assertThat(REFERENCE.trajectory().steps()).hasSizeGreaterThanOrEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainingForwardAndBackwardMatchPyTorch(BnReferenceCase c) {
        ConformanceChecks.assertAllConform(ConformanceChecks.train(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void runningStatisticsMatchPyTorchUnderTheMapping(BnReferenceCase c) {
        ConformanceChecks.assertAllConform(ConformanceChecks.running(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evalForwardMatchesPyTorch(BnReferenceCase c) {
        ConformanceChecks.assertAllConform(ConformanceChecks.eval(c));
    }

    @Test
    void sgdTrajectoryOfTinyConvBnNetMatchesPyTorch() {
        ConformanceChecks.assertAllConform(ConformanceChecks.trajectory(REFERENCE.trajectory()));
    }
}
