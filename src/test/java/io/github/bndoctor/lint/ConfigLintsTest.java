package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Each lint fires on the configuration it describes and stays silent on a clean one. */
@Tag("unit")
class ConfigLintsTest {

    private static BnNetwork net(BatchNormalization bn, boolean dropoutLayerBefore, boolean clipAll) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder();
        if (clipAll) {
            b.gradientNormalization(GradientNormalization.ClipElementWiseAbsoluteValue).gradientNormalizationThreshold(1);
        }
        NeuralNetConfiguration.ListBuilder list = b.list().layer(new DenseLayer.Builder().nOut(3).build());
        if (dropoutLayerBefore) {
            list.layer(new DropoutLayer(0.5));
        }
        MultiLayerNetwork mln = new MultiLayerNetwork(list.layer(bn)
                .layer(new OutputLayer.Builder().nOut(2).build()).setInputType(InputType.feedForward(2)).build());
        mln.init();
        return BnNetwork.of(mln);
    }

    private static List<String> rules(BnNetwork net, long planned) {
        return ConfigLints.check(net, OptionalLong.of(planned)).stream().map(Lint::rule).toList();
    }

    @Test
    void cleanConfigurationHasNoFindings() {
        assertThat(rules(net(new BatchNormalization.Builder().decay(0.9).build(), false, false), 1000)).isEmpty();
        assertThat(rules(net(new BatchNormalization.Builder().lockGammaBeta(true).build(), false, false), 1000))
                .as("gamma 1 and beta 0 together are simply the identity").isEmpty();
    }

    @Test
    void eachRuleFires() {
        assertThat(rules(net(new BatchNormalization.Builder().decay(0.9).build(), false, true), 1000))
                .containsExactly(ConfigLints.GRADIENT_NORMALIZATION);
        assertThat(rules(net(new BatchNormalization.Builder().lockGammaBeta(true).gamma(2).beta(0).build(), false,
                false), 1000)).containsExactly(ConfigLints.LOCKED_GAMMA_BETA_IGNORED);
        assertThat(rules(net(new BatchNormalization.Builder().decay(0.9).build(), true, false), 1000))
                .containsExactly(ConfigLints.DROPOUT_BEFORE_BN);
        assertThat(rules(net(new BatchNormalization.Builder().decay(0.9).dropOut(0.8).build(), false, false), 1000))
                .containsExactly(ConfigLints.DROPOUT_BEFORE_BN);
        assertThat(rules(net(new BatchNormalization.Builder().decay(0.999).build(), false, false), 500))
                .containsExactly(ConfigLints.WINDOW_LONGER_THAN_TRAINING);
    }
}
