package io.github.bndoctor.report;

import io.github.bndoctor.remedy.Recommendations;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.stats.Median;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The recommendations of a report as command lines a user can run, with the arguments of the run
 * diagnosed: for a saved model, {@code recalibrate} on its own model and data, then {@code diagnose}
 * on the recalibrated copy; for a scenario configuration, {@code diagnose} with the decay that keeps
 * the median predicted lag within {@link Recommendations#DEFAULT_LAG_BUDGET_DEGREES} degrees
 * ({@link Recommendations#largestDecayWithinBudget}), a lower learning rate or momentum SGD.
 */
public final class NextCommands {
    /** How the commands start. */
    public static final String PROGRAM = "java -jar bn-doctor.jar";
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=,+-]+");

    private NextCommands() {
    }

    /**
     * A command and what it does.
     *
     * @param what one line: what the command does
     * @param command the command line
     */
    public record Command(String what, String command) {
    }

    /**
     * @param r a report (the run under test; for the demo, the seed configuration)
     * @return the commands, most effective first; empty when nothing is to be done
     */
    public static List<Command> of(DiagnosisReport r) {
        Map<String, Object> c = r.config();
        String verdict = r.verdict();
        List<Command> out = new ArrayList<>();
        boolean stale = verdict.equals("EMA_LAG") || verdict.equals("EMA_WARMUP");
        if (c.get("model") != null && c.get("data") != null) {
            if (stale) {
                String model = c.get("model").toString();
                String fixed = recalibratedName(model);
                out.add(new Command("recompute the BN statistics from the data (precise BN); the model file is not changed",
                        PROGRAM + " recalibrate --model " + q(model) + " --data " + q(c.get("data").toString())
                                + " --out " + q(fixed)));
                Object labels = c.get("labels");
                boolean labelFile = labels != null && !labels.equals("none") && !labels.equals("from the DataSet file");
                out.add(new Command("check the recalibrated model", PROGRAM + " diagnose --model " + q(fixed) + " --data "
                        + q(c.get("data").toString()) + (labelFile ? " --labels " + q(labels.toString()) : "")));
            }
            return out;
        }
        if (c.get("optimizer") == null || c.get("learningRate") == null || c.get("bnDecay") == null || !stale) {
            return out;
        }
        String optimizer = c.get("optimizer").toString();
        double lr = number(c.get("learningRate"));
        double decay = number(c.get("bnDecay"));
        String rest = scenarioRest(c);
        if (verdict.equals("EMA_WARMUP")) {
            out.add(new Command("train longer: the initial prior wears off as decay^iterations", PROGRAM + " diagnose"
                    + scenario(optimizer, lr, decay) + (c.get("iterations") == null ? ""
                    : " --iterations " + (2 * (long) number(c.get("iterations")))) + rest.replaceAll(" --iterations \\S+", "")));
            return out;
        }
        double rotation = medianRotation(RunVerdict.worstEntry(r.checkpoints()));
        if (rotation > 0) {
            double d = Recommendations.largestDecayWithinBudget(rotation, Recommendations.DEFAULT_LAG_BUDGET_DEGREES);
            out.add(new Command(String.format(Locale.ROOT, "a BN decay that keeps the predicted lag under %.0f degrees",
                    Recommendations.DEFAULT_LAG_BUDGET_DEGREES), PROGRAM + " diagnose" + scenario(optimizer, lr,
                    Math.floor(d * 1000) / 1000) + rest));
        }
        out.add(new Command("let each layer's decay follow its rotation (AdaptiveDecay)", PROGRAM + " diagnose"
                + scenario(optimizer, lr, decay) + rest + " --adaptive-decay"));
        out.add(new Command("slow the rotation: a ten times lower learning rate", PROGRAM + " diagnose"
                + scenario(optimizer, lr / 10, decay) + rest));
        if (!optimizer.equals("nesterov")) {
            out.add(new Command("slow the rotation: momentum SGD instead of " + optimizer, PROGRAM + " diagnose"
                    + scenario("nesterov", lr, decay) + rest));
        }
        return out;
    }

    /**
     * @param model a model path
     * @return the path of its recalibrated copy: {@code m.zip} gives {@code m-recalibrated.zip}
     */
    public static String recalibratedName(String model) {
        return model.endsWith(".zip") ? model.substring(0, model.length() - 4) + "-recalibrated.zip"
                : model + "-recalibrated.zip";
    }

    /**
     * @param arg a command-line argument
     * @return it, single-quoted for a POSIX shell unless it is plain
     */
    public static String q(String arg) {
        return PLAIN.matcher(arg).matches() ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private static String scenario(String optimizer, double lr, double decay) {
        return " --optimizer " + optimizer + " --lr " + fmt(lr) + " --decay " + fmt(decay);
    }

    private static String scenarioRest(Map<String, Object> c) {
        StringBuilder b = new StringBuilder();
        if (c.get("iterations") != null) {
            b.append(" --iterations ").append(c.get("iterations"));
        }
        if (c.get("seed") != null) {
            b.append(" --seed ").append(c.get("seed"));
        }
        return b.toString();
    }

    private static double medianRotation(CheckpointEntry c) {
        double[] v = c.layers().stream().map(LayerEntry::rotationDegPerIter).filter(x -> x != null && x > 0)
                .mapToDouble(Double::doubleValue).toArray();
        return Median.of(v); // NaN when no layer turns
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(o));
    }

    private static String fmt(double v) {
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e")) {
            return s.replaceAll("\\.?0+e", "e").replace("e-0", "e-").replace("e+0", "e").replace("e+", "e");
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
