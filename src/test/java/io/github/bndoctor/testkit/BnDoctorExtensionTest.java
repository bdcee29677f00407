package io.github.bndoctor.testkit;

import io.github.bndoctor.monitor.BnGateFailure;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.Threshold;
import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.ReportJson;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The extension run by the JUnit Platform itself (EngineTestKit) on fixture tests that train a
 * real DL4J network: a failed gate is a test FAILURE (an AssertionError, which Surefire counts as
 * a failure, not an error) carrying the gate's message, also when the test wrapped it in another
 * exception; report files named after the test exist for a passing and a failing test.
 * The fixtures are nested classes: Surefire skips nested classes, only this test runs them.
 */
@Tag("unit")
class BnDoctorExtensionTest {
    static BnMonitor train(BnDoctorRun run, Threshold predictedLag) {
        return TinyMonitoredRun.train(predictedLag, run::watch);
    }

    /** Fixture: any rotation fails the gate (a FAIL alarm at the first checkpoint, iteration 6). */
    static class FailingGate {
        @BnDoctorTest
        void gateFails(BnDoctorRun run) {
            train(run, new Threshold(0, 0));
        }
    }

    /** Fixture: the same gate failure, wrapped by the test's own code. */
    static class WrappedGate {
        @BnDoctorTest
        void gateFailsWrapped(BnDoctorRun run) {
            try {
                train(run, new Threshold(0, 0));
            } catch (BnGateFailure e) {
                throw new IllegalStateException("training failed", e);
            }
        }
    }

    /** Fixture: warnings only; the test passes and asserts on the monitor. */
    static class PassingGate {
        @BnDoctorTest
        void gatePasses(BnDoctorRun run) {
            BnMonitor m = train(run, Threshold.warnOnly(0));
            assertThat(m).hasCheckpoints().hasNoFailAlarms();
        }
    }

    private static Path reports(Class<?> fixture) {
        return Paths.get("target/bn-doctor-reports").resolve(fixture.getName());
    }

    private static Throwable onlyFailure(EngineExecutionResults r) {
        r.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0).aborted(0));
        Event failed = r.testEvents().failed().stream().findFirst().orElseThrow();
        return failed.getPayload(TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
    }

    @Test
    void aFailedGateIsATestFailureWithTheGatesMessageAndLeavesItsReports() throws IOException {
        Path dir = reports(FailingGate.class);
        Files.deleteIfExists(dir.resolve("gateFails.html"));
        Files.deleteIfExists(dir.resolve("gateFails.json"));

        Throwable t = onlyFailure(EngineTestKit.engine("junit-jupiter").selectors(selectClass(FailingGate.class)).execute());

        assertThat(t).isInstanceOf(BnGateFailure.class).isInstanceOf(AssertionFailedError.class);
        assertThat(t.getMessage()).startsWith("bn-doctor gate FAILED at iteration 6 (the scheduled checkpoint, every 6 "
                        + "iterations): layer '").contains("predictedLag = ").contains("eval/train ")
                .contains("eval/precise ").contains("verdict ").contains("remedy: ");
        assertThat(dir.resolve("gateFails.html")).exists();
        DiagnosisReport json = ReportJson.read(dir.resolve("gateFails.json"));
        assertThat(json.gate()).isEqualTo("FAIL");
        assertThat(json.config()).containsEntry("name", "FailingGate.gateFails");
        assertThat((String) json.config().get("outcome")).startsWith("failed: BnGateFailure: bn-doctor gate FAILED");
        assertThat(json.checkpoints()).hasSize(1).first().extracting(DiagnosisReport.CheckpointEntry::iteration)
                .isEqualTo(6L);
        assertThat(Files.readString(dir.resolve("gateFails.html"))).contains("FailingGate.gateFails");
    }

    @Test
    void aGateFailureWrappedByTheTestIsStillAFailure() {
        Throwable t = onlyFailure(EngineTestKit.engine("junit-jupiter").selectors(selectClass(WrappedGate.class)).execute());
        assertThat(t).isInstanceOf(BnGateFailure.class);
        assertThat(t.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPassingTestLeavesItsReportsToo() throws IOException {
        Path dir = reports(PassingGate.class);
        Files.deleteIfExists(dir.resolve("gatePasses.json"));

        EngineTestKit.engine("junit-jupiter").selectors(selectClass(PassingGate.class)).execute().testEvents()
                .assertStatistics(s -> s.started(1).succeeded(1).failed(0));

        DiagnosisReport json = ReportJson.read(dir.resolve("gatePasses.json"));
        assertThat(json.config()).containsEntry("name", "PassingGate.gatePasses").containsEntry("outcome", "passed");
        assertThat(json.checkpoints()).extracting(DiagnosisReport.CheckpointEntry::iteration).containsExactly(6L, 12L);
        assertThat(dir.resolve("gatePasses.html")).exists();
    }
}
