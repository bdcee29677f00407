package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.report.AtomicFiles;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.report.Explanations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bn-doctor recalibrate}: precise BN on a saved model. Reads IN, recomputes every BN layer's
 * population statistics from the data, writes OUT atomically; IN is never opened for writing.
 */
@Command(name = "recalibrate", mixinStandardHelpOptions = true,
        footer = {"%nDocumentation: " + Explanations.DOCS_URL + "metrics.html"},
        description = {"Recomputes every BN layer's population statistics from the data (precise BN) and saves the "
                + "model to OUT (a temporary file, then a move: no partial OUT on failure). IN is never modified.",
                "Exit code 0 on success, 1 on bad input."})
final class RecalibrateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "IN.zip", description = "The saved model to recalibrate.")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "Training-like inputs: .npy features or a DL4J DataSet file.")
    private Path data;

    @Option(names = "--out", required = true, paramLabel = "OUT.zip", description = "Where to write the recalibrated model.")
    private Path out;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1024",
            description = "Examples to use (default: ${DEFAULT-VALUE}, at most all of the data).")
    private int samples;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Batch size of the forward passes that collect the statistics (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--estimator", defaultValue = "POOLED",
            description = "POOLED (default; right for single-example inference) or MEAN_OF_BATCH_VARIANCES.")
    private PopulationEstimator estimator;

    private int workers = -1;

    /** Batches in forward passes at once (validated here: one line and exit code 1 when out of range). */
    @Option(names = "--workers", paramLabel = "W",
            description = "Batches computed at once, each on its own thread and copy of the model with one native thread"
                    + " (same statistics, bit for bit; each holds one batch's activations), 1 to the available processors."
                    + " Default: 1, the batches one after another.")
    void workers(int w) {
        workers = validWorkers(spec, w);
    }

    /**
     * @param spec the command's spec
     * @param w a {@code --workers} value
     * @return it, if between 1 and the available processors
     * @throws picocli.CommandLine.ParameterException otherwise (one line, exit code 1)
     */
    static int validWorkers(CommandSpec spec, int w) {
        int max = Runtime.getRuntime().availableProcessors();
        if (w < 1 || w > max) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--workers must be between 1 and "
                    + max + " (the available processors), got " + w);
        }
        return w;
    }

    /**
     * @param nativeThreads native threads per pass ({@code --threads})
     * @return the default {@code --workers}: one per group of {@code nativeThreads} processors, at most
     *     {@link PreciseBn#MAX_DEFAULT_PARALLELISM}, at least 1
     */
    static int defaultWorkers(int nativeThreads) {
        int processors = Runtime.getRuntime().availableProcessors();
        return Math.max(1, Math.min(PreciseBn.MAX_DEFAULT_PARALLELISM, processors / Math.max(1, nativeThreads)));
    }

    @Override
    public Integer call() throws Exception {
        if (samples < 1) {
            throw new InputException("--samples must be >= 1, got " + samples);
        }
        if (batch < 2) {
            throw new InputException("--batch must be >= 2 (batch statistics need two examples), got " + batch);
        }
        OutputPaths.requireDistinct("--out", out, model, data);
        AtomicFiles.requireWritableFile(out);
        BnNetwork net = BnNetwork.requireBatchNorm(ModelFiles.load(model));
        DataFiles d = DataFiles.load(data, null, net.params().dataType());
        d.requireFits(net);
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        DataFiles.Batches batches = d.batches(batch);
        int w = workers > 0 ? workers : defaultWorkers(NativeThreads.applied());
        PreciseBn.recalibrate(net, batches.asIterator(), samples, estimator, w);
        Map<String, MeanVariance> after = MovingStatistics.readAll(net);
        ModelFiles.save(model, net.model(), out);
        PrintWriter o = spec.commandLine().getOut();
        o.printf("recalibrated %d BN layer(s) of %s from %d example(s) of %s (--samples %d in whole batches of %d; %s"
                + " estimator; %d worker(s))%n", after.size(), model, batches.examplesRead(), data, samples, batch,
                estimator, w);
        o.println("before:");
        o.print(StatisticsSummary.table(before));
        o.println("after:");
        o.print(StatisticsSummary.table(after));
        o.println("wrote " + out);
        o.flush();
        return Main.OK;
    }
}
