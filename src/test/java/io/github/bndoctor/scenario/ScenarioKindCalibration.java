package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import java.util.List;
import java.util.Locale;

/**
 * Calibration driver for the further scenario kinds (not a test; run with {@code java} on the test
 * classpath, {@code OMP_NUM_THREADS=1}): many configurations in one JVM, one JSON line per
 * checkpoint as {@link ScenarioCalibration} prints them, plus a summary line per run.
 *
 * <p>Usage: {@code ScenarioKindCalibration SPEC...}, each SPEC {@code NAME|SEEDS|ITERATIONS|EVERY|k=v,k=v}
 * where NAME is a label, SEEDS like {@code 1,2,3} and the overrides are those of
 * {@link ScenarioCalibration} (starting from the seed preset), e.g.
 * {@code "resDiv|1,2,3|400|50|kind=POSE_RESNET"}.
 */
final class ScenarioKindCalibration {

    private ScenarioKindCalibration() {
    }

    public static void main(String[] args) {
        try (RecordWriter.Section record = RecordWriter.section("ScenarioKindCalibration " + String.join(" ", args))) {
            for (String spec : args) {
                String[] f = spec.split("\\|", -1);
                for (String seedText : f[1].split(",")) {
                    ScenarioConfig config = ScenarioConfig.seedDivergence().withSeed(Long.parseLong(seedText));
                    if (f.length > 4 && !f[4].isBlank()) {
                        for (String kv : f[4].split(",")) {
                            config = ScenarioCalibration.override(config, kv);
                        }
                    }
                    ScenarioConfig cfg = config.toBuilder().iterations(Integer.parseInt(f[2]))
                            .checkpointEvery(Integer.parseInt(f[3])).build();
                    System.out.println("# " + f[0] + " " + cfg);
                    long t0 = System.nanoTime();
                    List<ScenarioCalibration.Point> pts = ScenarioCalibration.calibrate(cfg, p -> System.out.println(
                            String.format(Locale.ROOT, "{\"preset\":\"%s\",\"seed\":%d,\"iteration\":%d,\"trainLoss\":%.5g,"
                                    + "\"evalLoss\":%.5g,\"preciseLoss\":%.5g,\"evalRatio\":%.3f,\"preciseRatio\":%.3f,"
                                    + "\"zerosLoss\":%.5g}", f[0], cfg.seed(), p.iteration(), p.gap().trainModeLoss(),
                                    p.gap().evalModeLoss(), p.gap().preciseLoss(), p.evalRatio(), p.preciseRatio(),
                                    p.gap().zerosLoss())));
                    StringBuilder ratios = new StringBuilder();
                    for (ScenarioCalibration.Point p : pts) {
                        ratios.append(String.format(Locale.ROOT, " %.2f", p.evalRatio()));
                    }
                    System.out.println(String.format(Locale.ROOT, "# done %s seed=%d wall=%.1fs train0=%.4g trainEnd=%.4g "
                            + "zeros=%.4g evalRatios:%s", f[0], cfg.seed(), (System.nanoTime() - t0) / 1e9,
                            pts.get(0).gap().trainModeLoss(), pts.get(pts.size() - 1).gap().trainModeLoss(),
                            pts.get(0).gap().zerosLoss(), ratios));
                }
            }
        }
    }
}
