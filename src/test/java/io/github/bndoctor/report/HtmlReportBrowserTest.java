package io.github.bndoctor.report;

import io.github.bndoctor.cli.CliRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Opens the HTML report of a short scenario run in Debian's headless chromium: every embedded
 * chart (the largest-output chart among them) must decode (naturalWidth &gt; 0, read back from the DOM) and the screenshot must not be
 * blank. Skipped when chromium is absent, unless {@code CI=true} (as in {@code .ci/run}) or {@code -Dbndoctor.requireBrowser=true}, which
 * makes a missing browser a failure (CI installs it).
 */
final class HtmlReportBrowserTest {
    @TempDir
    Path dir;

    private static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        return null;
    }

    @Test
    void reportRendersWithItsCharts() throws Exception {
        Path browser = chromium();
        if (Boolean.getBoolean("bndoctor.requireBrowser") || "true".equals(System.getenv("CI"))) {
            assertThat(browser).as("chromium is required (CI=true or -Dbndoctor.requireBrowser=true) but not installed")
                    .isNotNull();
        }
        assumeThat(browser).as("chromium not installed").isNotNull();

        Path report = dir.resolve("report");
        int code = CliRunner.run("diagnose", "--optimizer", "adam", "--iterations", "40", "--probe-every", "20",
                "--report", report.toString()).exitCode();
        assertThat(code).isIn(0, 3);
        Path index = report.resolve(HtmlReport.FILE_NAME);
        String html = Files.readString(index);
        int images = count(html, "<img ");
        assertThat(images).isGreaterThanOrEqualTo(3);
        assertThat(count(html, "alt=\"")).isEqualTo(images);
        // the collapse as the seed report saw it: the all-zeros line on the loss chart, the largest output per
        // mode on its own chart (both decoded below with the others), the worst checkpoint in one line
        assertThat(html).contains("and a dashed line at the loss of all-zero outputs\"",
                "alt=\"Largest absolute output per mode", "<p class=\"collapse\">Worst checkpoint, iteration ");

        // a copy with a probe script that writes each image's decoded width into the DOM
        Path probe = dir.resolve("probe.html");
        Files.writeString(probe, html.replace("</body>", "<script>window.addEventListener('load',()=>{"
                + "document.body.setAttribute('data-widths',Array.from(document.images).map(i=>i.naturalWidth).join(','));"
                + "});</script></body>"));
        String dom = run(browser, "--virtual-time-budget=5000", "--dump-dom", probe.toUri().toString());
        Matcher m = Pattern.compile("data-widths=\"([0-9,]*)\"").matcher(dom);
        assertThat(m.find()).as("probe attribute in dumped DOM").isTrue();
        List<Integer> widths = new ArrayList<>();
        for (String w : m.group(1).split(",")) {
            widths.add(Integer.parseInt(w));
        }
        assertThat(widths).hasSize(images).allMatch(w -> w >= 400);

        Path shot = dir.resolve("shot.png");
        run(browser, "--screenshot=" + shot, "--window-size=1200,2000", index.toUri().toString());
        BufferedImage img = ImageIO.read(shot.toFile());
        assertThat(img.getWidth()).isEqualTo(1200);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 4) {
            for (int x = 0; x < img.getWidth(); x += 4) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(20);
        checkReadable(browser, index, code);
    }

    /**
     * The default demo (short): its banner states the outcome its exit code states, not the seed run's
     * gate; each run's own gate in its row; every chart drawn or left out with a reason.
     */
    @Test
    void demoReportStatesTheOutcomeOfItsExitCode() throws Exception {
        Path browser = requireBrowser();
        Path report = dir.resolve("demo");
        CliRunner.Result r = CliRunner.run("diagnose", "--iterations", "40", "--probe-every", "20", "--report",
                report.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(0, 3);
        String dom = checkReadable(browser, report.resolve(HtmlReport.FILE_NAME), r.exitCode());
        assertThat(dom).contains("<table id=\"runs\">", "FAIL (the seed configuration)", "PASS (a fix)");
        assertThat(r.out()).contains("exit " + r.exitCode() + ": " + (r.exitCode() == 0 ? "PASS" : "FAIL"));
    }

    /** A saved model's report: one snapshot, shown as tables and bars, rotation and lag angle said not measured. */
    @Test
    void savedModelReportShowsItsSnapshotWithoutEmptyCharts() throws Exception {
        Path browser = requireBrowser();
        Path model = io.github.bndoctor.cli.CliRunnerFixtures.model(dir);
        Path x = io.github.bndoctor.cli.CliRunnerFixtures.features(dir);
        Path report = dir.resolve("model-report");
        CliRunner.Result r = CliRunner.run("diagnose", "--model", model.toString(), "--data", x.toString(), "--report",
                report.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(0, 3);
        String dom = checkReadable(browser, report.resolve(HtmlReport.FILE_NAME), r.exitCode());
        assertThat(dom).contains("<table id=\"snapshot\">", "<table id=\"layers\">",
                "Rotation and lag angle: not measured, because one weight snapshot gives no rotation");
        // no line chart of one point: the losses are bars, and no loss/rotation/lag-angle chart over iterations
        assertThat(dom).doesNotContain("over iterations").contains("as bars");
    }

    private Path requireBrowser() {
        Path browser = chromium();
        if (Boolean.getBoolean("bndoctor.requireBrowser") || "true".equals(System.getenv("CI"))) {
            assertThat(browser).as("chromium is required (CI=true or -Dbndoctor.requireBrowser=true) but not installed")
                    .isNotNull();
        }
        assumeThat(browser).as("chromium not installed").isNotNull();
        return browser;
    }

    /**
     * What every report must show, read back from the DOM chromium built: one banner whose outcome
     * and exit code are the command's, with the key ratios; every image decoded; no chart titled
     * "not measured"; a link to the documentation for each metric and verdict; recommendations once.
     * Pixels: the banner's background is the outcome's colour (green PASS, red FAIL).
     *
     * @return the dumped DOM
     */
    private String checkReadable(Path browser, Path index, int exitCode) throws Exception {
        String html = Files.readString(index);
        Path probe = dir.resolve("probe-" + index.getParent().getFileName() + ".html");
        Files.writeString(probe, html.replace("</body>", "<script>window.addEventListener('load',()=>{"
                + "document.body.setAttribute('data-widths',Array.from(document.images).map(i=>i.naturalWidth).join(','));"
                + "const b=document.getElementById('banner');"
                + "document.body.setAttribute('data-banner-top',String(b.getBoundingClientRect().top));"
                + "document.body.setAttribute('data-banners',String(document.querySelectorAll('#banner').length));"
                + "});</script></body>"));
        String dom = run(browser, "--virtual-time-budget=5000", "--dump-dom", probe.toUri().toString());
        String outcome = exitCode == 0 ? "PASS" : "FAIL";
        assertThat(dom).contains("data-banners=\"1\"", "data-outcome=\"" + outcome + "\"",
                "data-exit-code=\"" + exitCode + "\"");
        Matcher top = Pattern.compile("data-banner-top=\"([0-9.]+)\"").matcher(dom);
        assertThat(top.find()).isTrue();
        assertThat(Double.parseDouble(top.group(1))).as("the banner sits at the top").isLessThan(200);
        String banner = dom.substring(dom.indexOf("<div id=\"banner\""), dom.indexOf("</div>", dom.indexOf("<div id=\"banner\"")));
        assertThat(banner).contains(outcome + ": ", ">eval/train</a> <b>", ">eval/precise</a> <b>", "Verdict ");
        if (exitCode == 0) {
            assertThat(banner).doesNotContain("gate FAIL");
        }
        Matcher w = Pattern.compile("data-widths=\"([0-9,]*)\"").matcher(dom);
        assertThat(w.find()).isTrue();
        for (String width : w.group(1).split(",")) {
            assertThat(Integer.parseInt(width)).as("decoded image width").isGreaterThanOrEqualTo(400);
        }
        assertThat(dom).doesNotContain("(not measured)</");
        for (String metric : Explanations.metrics().keySet()) {
            assertThat(dom).contains("href=\"" + Explanations.metricUrl(metric) + "\"");
        }
        for (String verdict : List.of("HEALTHY", "EMA_WARMUP", "EMA_LAG", "BATCH_NOISE", "DIVERGED")) {
            assertThat(dom).contains("href=\"" + Explanations.verdictUrl(verdict) + "\"");
        }
        assertThat(count(dom, "id=\"advice\"")).as("recommendations once").isEqualTo(1);
        assertThat(dom).doesNotContain("Recommendations:</p>");

        Path shot = dir.resolve("shot-" + index.getParent().getFileName() + ".png");
        run(browser, "--screenshot=" + shot, "--window-size=1200,800", index.toUri().toString());
        BufferedImage img = ImageIO.read(shot.toFile());
        int expected = exitCode == 0 ? 0xd4f4d4 : 0xf8d0d0;
        int hits = 0;
        for (int y = 0; y < 300; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                hits += (img.getRGB(x, y) & 0xffffff) == expected ? 1 : 0;
            }
        }
        assertThat(hits).as("banner pixels in the outcome's colour").isGreaterThan(10_000);
        return dom;
    }

    private String run(Path browser, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(dir, "profile")));
        cmd.addAll(List.of(args));
        File log = dir.resolve("chromium.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectError(log).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(log.toPath())).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
