package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Nesterovs;

/** Validation, presets and updater construction of {@link ScenarioConfig}. */
final class ScenarioConfigTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("learningRate", (UnaryOperator<ScenarioConfig.Builder>) b -> b.learningRate(0)),
                Arguments.of("learningRate", (UnaryOperator<ScenarioConfig.Builder>) b -> b.learningRate(Double.NaN)),
                Arguments.of("momentum", (UnaryOperator<ScenarioConfig.Builder>) b -> b.momentum(1.0)),
                Arguments.of("bnDecay", (UnaryOperator<ScenarioConfig.Builder>) b -> b.bnDecay(1.0)),
                Arguments.of("bnDecay", (UnaryOperator<ScenarioConfig.Builder>) b -> b.bnDecay(0.0)),
                Arguments.of("bnEpsilon", (UnaryOperator<ScenarioConfig.Builder>) b -> b.bnEpsilon(0.0)),
                Arguments.of("bnEpsilon", (UnaryOperator<ScenarioConfig.Builder>) b -> b.bnEpsilon(Double.NaN)),
                Arguments.of("l2", (UnaryOperator<ScenarioConfig.Builder>) b -> b.l2(-1e-4)),
                Arguments.of("weightDecay", (UnaryOperator<ScenarioConfig.Builder>) b -> b.weightDecay(Double.POSITIVE_INFINITY)),
                Arguments.of("batchSize", (UnaryOperator<ScenarioConfig.Builder>) b -> b.batchSize(1)),
                Arguments.of("iterations", (UnaryOperator<ScenarioConfig.Builder>) b -> b.iterations(-1)),
                Arguments.of("checkpointEvery", (UnaryOperator<ScenarioConfig.Builder>) b -> b.checkpointEvery(0)),
                Arguments.of("keypoints", (UnaryOperator<ScenarioConfig.Builder>) b -> b.keypoints(ScenarioConfig.MAX_KEYPOINTS + 1)),
                Arguments.of("sigma", (UnaryOperator<ScenarioConfig.Builder>) b -> b.sigma(-1)),
                Arguments.of("initStd", (UnaryOperator<ScenarioConfig.Builder>) b -> b.initStd(0)),
                Arguments.of("warmStartSamples", (UnaryOperator<ScenarioConfig.Builder>) b -> b.batchSize(8).warmStartSamples(3)),
                Arguments.of("optimizer", (UnaryOperator<ScenarioConfig.Builder>) b -> b.optimizer(null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejectsOutOfRangeFieldNamingIt(String field, UnaryOperator<ScenarioConfig.Builder> change) {
        ScenarioConfig.Builder b = change.apply(ScenarioConfig.builder());
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(field);
    }

    @Test
    void presetsVaryOnlyTheFixUnderTest() {
        ScenarioConfig base = ScenarioConfig.seedDivergence();
        assertThat(base.optimizer()).isEqualTo(Optimizer.ADAM);
        assertThat(ScenarioConfig.adamLowLr().learningRate()).isLessThan(base.learningRate());
        assertThat(ScenarioConfig.adamLowLr().toBuilder().learningRate(base.learningRate()).build()).isEqualTo(base);
        assertThat(ScenarioConfig.nesterov().optimizer()).isEqualTo(Optimizer.NESTEROV);
        assertThat(ScenarioConfig.lowDecay().bnDecay()).isLessThan(base.bnDecay());
        assertThat(ScenarioConfig.lowDecay().toBuilder().bnDecay(base.bnDecay()).build()).isEqualTo(base);
        assertThat(base.bnEpsilon()).isEqualTo(MobileNetV2Like.BN_EPSILON);
        ScenarioConfig eps = base.toBuilder().bnEpsilon(1e-5).build();
        assertThat(eps).isNotEqualTo(base);
        assertThat(eps.toBuilder().bnEpsilon(base.bnEpsilon()).build()).isEqualTo(base).hasSameHashCodeAs(base);
        assertThat(MobileNetV2Like.batchNorm(eps).getEps()).isEqualTo(1e-5);
    }

    @Test
    void withSeedChangesOnlyTheSeed() {
        ScenarioConfig base = ScenarioConfig.seedDivergence();
        ScenarioConfig other = base.withSeed(base.seed() + 1);
        assertThat(other).isNotEqualTo(base);
        assertThat(other.withSeed(base.seed())).isEqualTo(base).hasSameHashCodeAs(base);
    }

    @Test
    void nesterovGetsLearningRateAndMomentumInTheRightPlaces() {
        Nesterovs n = (Nesterovs) Optimizer.NESTEROV.updater(0.003, 0.85);
        assertThat(n.getLearningRate()).isEqualTo(0.003);
        assertThat(n.getMomentum()).isEqualTo(0.85);
    }
}
