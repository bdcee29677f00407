package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.lint.ConfigLints;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.report.Explanations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/** {@code bn-doctor inspect --model MODEL.zip}: BN layers, their settings, statistics and lints. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        footer = {"%nDocumentation: " + Explanations.DOCS_URL + "metrics.html"},
        description = {"Lists a saved model's BN layers (parameterisation, decay, EMA window, format), summarises their "
                + "moving statistics, runs the configuration lints and forecasts each layer's EMA lag from its"
                + " updater, learning rate, regularisation and decay.", "Exit code 0 (also with lint findings), 1 on bad input."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL.zip",
            description = "A MultiLayerNetwork or ComputationGraph saved with ModelSerializer.")
    private Path model;

    @Option(names = "--planned-iterations", paramLabel = "N",
            description = "Planned training length, for the EMA-window lint.")
    private Long plannedIterations;

    @Override
    public Integer call() {
        if (plannedIterations != null && plannedIterations < 1) {
            throw new InputException("--planned-iterations must be >= 1, got " + plannedIterations);
        }
        BnNetwork net = BnNetwork.requireBatchNorm(ModelFiles.load(model));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("model %s: %s, %d BN layer(s), iteration %d%n", model, net.model().getClass().getSimpleName(),
                net.bnLayers().size(), net.iterationCount());
        out.printf("%-24s %6s %8s %6s %9s %9s %8s %-12s %s%n", "layer", "index", "channels", "format", "decay", "window",
                "eps", "variance", "lockGammaBeta");
        for (BnLayerRef r : net.bnLayers()) {
            out.printf("%-24s %6d %8d %6s %9.5g %9.4g %8.2g %-12s %s%n", r.name(), r.index(), r.channels(), r.format(),
                    r.decay(), r.window(), r.eps(), r.parameterisation(), r.lockGammaBeta());
        }
        out.println();
        out.println("moving statistics:");
        out.print(StatisticsSummary.table(MovingStatistics.readAll(net)));
        List<Lint> lints = ConfigLints.check(net, plannedIterations == null ? OptionalLong.empty()
                : OptionalLong.of(plannedIterations));
        out.println();
        out.println(lints.isEmpty() ? "lints: none" : "lints:");
        lints.forEach(l -> out.printf("  %s [%s] %s%n", l.layer(), l.rule(), l.message()));
        out.println();
        out.print(LagForecast.table(LagForecast.of(net)));
        out.flush();
        return Main.OK;
    }
}
