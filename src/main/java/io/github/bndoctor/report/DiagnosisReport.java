package io.github.bndoctor.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * The JSON result of {@code bn-doctor diagnose}, field for field the schema of
 * the JSON Schema {@code io/github/bndoctor/bn-doctor-result.schema.json} shipped in the jar
 * (prose: {@code docs/json-schema.md}; version {@value #SCHEMA_VERSION}). Non-finite numbers (unknown
 * rotation, an undefined ratio) are written as {@code null}.
 *
 * @param schemaVersion {@value #SCHEMA_VERSION}
 * @param verdict the run's overall verdict (see {@link RunVerdict})
 * @param gate {@code PASS} or {@code FAIL} for the configuration under test (see {@link RunVerdict#gateFails})
 * @param lossKind {@link #LOSS_LABELS} or {@link #LOSS_OUTPUT_DEVIATION}
 * @param config what was diagnosed: scenario settings, or model and data files
 * @param checkpoints probe results in iteration order
 * @param alarms alarms raised, in order
 * @param recommendations advice, most effective first
 * @param lints static configuration findings
 * @param comparisons other runs shown next to this one (the fixes of the default demo); empty otherwise
 */
@JsonPropertyOrder({"schemaVersion", "verdict", "gate", "lossKind", "config", "checkpoints", "alarms",
        "recommendations", "lints", "comparisons"})
public record DiagnosisReport(int schemaVersion, String verdict, String gate, String lossKind,
                              Map<String, Object> config, List<CheckpointEntry> checkpoints,
                              List<AlarmEntry> alarms, List<String> recommendations, List<LintEntry> lints,
                              List<RunSummary> comparisons) {
    /** The schema version this class writes. */
    public static final int SCHEMA_VERSION = 3;
    /** Losses are MSE against the given labels. */
    public static final String LOSS_LABELS = "labelMse";
    /**
     * No labels were given: each mode's "loss" is the MSE between its outputs and the training-mode
     * outputs, so {@code trainModeLoss} is 0.
     */
    public static final String LOSS_OUTPUT_DEVIATION = "outputDeviationFromTrainMode";

    /**
     * One probe checkpoint.
     *
     * @param iteration training iteration
     * @param trainModeLoss loss with batch statistics
     * @param evalModeLoss loss with the moving statistics
     * @param preciseLoss loss with precise population statistics
     * @param zerosLoss loss of all-zero outputs on the same probe ({@code LossMeasure.zerosLoss}), or null if not measured
     * @param evalToTrainRatio {@code evalModeLoss / trainModeLoss} (for output deviation: 1 + deviation / variance of the training-mode outputs)
     * @param evalToZerosRatio {@code evalModeLoss / zerosLoss} ({@code OutputGap.evalToZerosRatio}), or null
     *     unless the all-zeros loss is positive
     * @param emaShare the EMA's share of the log gap ({@code OutputGap.emaShare}), or null if there is no gap
     * @param batchNoiseShare the batch-noise share of the log gap, or null if there is no gap
     * @param trainModeMaxAbsOutput largest absolute training-mode output, or null if not measured
     * @param evalModeMaxAbsOutput largest absolute inference-mode output, or null if not measured
     * @param preciseMaxAbsOutput largest absolute output with precise statistics, or null if not measured
     * @param verdict the checkpoint's verdict
     * @param layers per-BN-layer state, forward order
     * @param jointNoiseCost expected eval/precise from the sampling noise of every moving layer's EMA at its
     *     decay in force, all drawn at once ({@code Checkpoint.jointNoiseCost}), or null where not measured
     */
    @JsonPropertyOrder({"iteration", "trainModeLoss", "evalModeLoss", "preciseLoss", "zerosLoss", "evalToTrainRatio",
            "evalToZerosRatio", "emaShare", "batchNoiseShare", "trainModeMaxAbsOutput", "evalModeMaxAbsOutput",
            "preciseMaxAbsOutput", "verdict", "layers", "jointNoiseCost"})
    public record CheckpointEntry(long iteration, Double trainModeLoss, Double evalModeLoss, Double preciseLoss,
                                  Double zerosLoss, Double evalToTrainRatio, Double evalToZerosRatio, Double emaShare,
                                  Double batchNoiseShare, Double trainModeMaxAbsOutput, Double evalModeMaxAbsOutput,
                                  Double preciseMaxAbsOutput, String verdict, List<LayerEntry> layers,
                                  Double jointNoiseCost) {
        /**
         * A checkpoint without the joint noise cost.
         *
         * @param iteration training iteration
         * @param trainModeLoss loss with batch statistics
         * @param evalModeLoss loss with the moving statistics
         * @param preciseLoss loss with precise population statistics
         * @param zerosLoss loss of all-zero outputs, or null
         * @param evalToTrainRatio eval/train
         * @param evalToZerosRatio eval/zeros, or null
         * @param emaShare the EMA's share of the log gap, or null
         * @param batchNoiseShare the batch-noise share, or null
         * @param trainModeMaxAbsOutput largest absolute training-mode output, or null
         * @param evalModeMaxAbsOutput largest absolute inference-mode output, or null
         * @param preciseMaxAbsOutput largest absolute output with precise statistics, or null
         * @param verdict the checkpoint's verdict
         * @param layers per-BN-layer state, forward order
         */
        public CheckpointEntry(long iteration, Double trainModeLoss, Double evalModeLoss, Double preciseLoss,
                               Double zerosLoss, Double evalToTrainRatio, Double evalToZerosRatio, Double emaShare,
                               Double batchNoiseShare, Double trainModeMaxAbsOutput, Double evalModeMaxAbsOutput,
                               Double preciseMaxAbsOutput, String verdict, List<LayerEntry> layers) {
            this(iteration, trainModeLoss, evalModeLoss, preciseLoss, zerosLoss, evalToTrainRatio, evalToZerosRatio,
                    emaShare, batchNoiseShare, trainModeMaxAbsOutput, evalModeMaxAbsOutput, preciseMaxAbsOutput, verdict,
                    layers, null);
        }
    }

    /**
     * One BN layer at a checkpoint.
     *
     * @param name layer name
     * @param emaLag lag part of the EMA error ({@code LayerDecomposition.lagError})
     * @param batchNoise probe batch statistics vs precise ({@code LayerDecomposition.batchNoise})
     * @param rotationDegPerIter angular speed of the feeding weights, or null if unknown
     * @param predictedLag {@code rotation x d/(1-d)} in degrees, or null if unknown
     * @param measuredLag angle between the feeding weights now and at the EMA's mean age {@code d/(1-d)}, in
     *     degrees, or null if unknown (history shorter than the mean age, a saved model)
     * @param emaError moving vs precise statistics
     * @param warmupError part of the EMA error explained by the initial prior
     * @param decay the BN decay in force at the checkpoint (adapted by {@code AdaptiveDecay} if attached), or null
     * @param noiseCost expected eval/precise from the EMA's sampling noise alone at the decay in force and the
     *     training batch's size ({@code LayerCheckpoint.noiseCost}), or null where not measured
     */
    @JsonPropertyOrder({"name", "emaLag", "batchNoise", "rotationDegPerIter", "predictedLag", "measuredLag",
            "emaError", "warmupError", "decay", "noiseCost"})
    public record LayerEntry(String name, Double emaLag, Double batchNoise, Double rotationDegPerIter,
                             Double predictedLag, Double measuredLag, Double emaError, Double warmupError,
                             Double decay, Double noiseCost) {
        /**
         * A layer without a noise cost.
         *
         * @param name layer name
         * @param emaLag lag part of the EMA error
         * @param batchNoise probe batch statistics vs precise
         * @param rotationDegPerIter angular speed of the feeding weights, or null
         * @param predictedLag predicted lag, or null
         * @param measuredLag measured lag angle, or null
         * @param emaError moving vs precise statistics
         * @param warmupError part explained by the prior
         * @param decay the decay in force, or null
         */
        public LayerEntry(String name, Double emaLag, Double batchNoise, Double rotationDegPerIter,
                          Double predictedLag, Double measuredLag, Double emaError, Double warmupError, Double decay) {
            this(name, emaLag, batchNoise, rotationDegPerIter, predictedLag, measuredLag, emaError, warmupError, decay,
                    null);
        }
    }

    /**
     * One alarm.
     *
     * @param iteration checkpoint iteration
     * @param layer layer concerned
     * @param metric metric name
     * @param value its value
     * @param threshold the threshold crossed
     * @param level WARN or FAIL
     */
    @JsonPropertyOrder({"iteration", "layer", "metric", "value", "threshold", "level"})
    public record AlarmEntry(long iteration, String layer, String metric, Double value, Double threshold,
                             String level) {
    }

    /**
     * One configuration lint.
     *
     * @param layer layer concerned
     * @param rule rule identifier
     * @param message explanation
     */
    @JsonPropertyOrder({"layer", "rule", "message"})
    public record LintEntry(String layer, String rule, String message) {
    }

    /**
     * Another run compared with the one under test.
     *
     * @param name what the run is (e.g. {@code adam-lr1e-4})
     * @param verdict its overall verdict
     * @param gate PASS or FAIL by the same rule
     * @param config its settings
     * @param checkpoints its checkpoints
     * @param alarms its alarms
     * @param recommendations advice for it
     */
    @JsonPropertyOrder({"name", "verdict", "gate", "config", "checkpoints", "alarms", "recommendations"})
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record RunSummary(String name, String verdict, String gate, Map<String, Object> config,
                             List<CheckpointEntry> checkpoints, List<AlarmEntry> alarms,
                             List<String> recommendations) {
    }
}
