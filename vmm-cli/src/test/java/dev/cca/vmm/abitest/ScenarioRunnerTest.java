package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cca.kvm.uapi.AbiProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner itself: it fails scenarios whose expectations do not hold, and rejects malformed files. */
class ScenarioRunnerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ScenarioRunner.Outcome run(String json) throws Exception {
        return new ScenarioRunner(AbiProfile.V12, null).run(JSON.readTree(json), "test");
    }

    @Test
    void aWrongErrnoExpectationFailsTheScenarioNamingTheStep() throws Exception {
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"steps\": ["
                + "{\"open\": \"/dev/kvm\", \"as\": \"kvm\"},"
                + "{\"ioctl\": \"KVM_CREATE_VM\", \"fd\": \"kvm\", \"arg\": \"0x1000\", \"expect\": {\"errno\": \"EPERM\"}}]}");
        assertEquals(ScenarioRunner.Status.FAILED, o.status());
        assertTrue(o.message().contains("step 2") && o.message().contains("expected errno EPERM, got EINVAL"),
                o.message());
    }

    @Test
    void aStepWithoutExpectationsMustSucceed() throws Exception {
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"steps\": [{\"open\": \"/dev/nope\"}]}");
        assertEquals(ScenarioRunner.Status.FAILED, o.status());
        assertTrue(o.message().contains("expected success, got ENOENT"), o.message());
    }

    @Test
    void rmiExpectationsSeeTheCallsOfTheStep() throws Exception {
        String ok = "{\"scenario\": \"s\", \"steps\": [{\"alloc_granule\": \"g\"},"
                + "{\"smc\": \"RMI_GRANULE_DELEGATE\", \"args\": [\"$g\"], \"expect\": {\"x0\": 0, \"rmi\": [\"RMI_GRANULE_DELEGATE:RMI_SUCCESS\"]}}]}";
        assertEquals(ScenarioRunner.Status.PASSED, run(ok).status(), run(ok).message());
        String bad = ok.replace("\"rmi\": [", "\"rmi_absent\": [").replace(":RMI_SUCCESS", "");
        ScenarioRunner.Outcome o = run(bad);
        assertEquals(ScenarioRunner.Status.FAILED, o.status());
        assertTrue(o.message().contains("must not"), o.message());
    }

    @Test
    void unknownKeysAndConstantsAreNamedInTheError() throws Exception {
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"steps\": [{\"open\": \"/dev/kvm\", \"exepct\": {}}]}");
        assertTrue(o.message().startsWith("bad scenario") && o.message().contains("'exepct'"), o.message());
        o = run("{\"scenario\": \"s\", \"steps\": [{\"open\": \"/dev/kvm\", \"as\": \"k\"},"
                + "{\"ioctl\": \"KVM_CHECK_EXTENSION\", \"fd\": \"k\", \"arg\": \"KVM_CAP_NOPE\"}]}");
        assertTrue(o.message().contains("unknown constant 'KVM_CAP_NOPE'"), o.message());
    }

    @Test
    void scenariosForOtherProfilesAreSkipped() throws Exception {
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"profiles\": [\"psci-user\"], \"steps\": [{\"open\": \"/dev/kvm\"}]}");
        assertEquals(ScenarioRunner.Status.SKIPPED, o.status());
    }

    @Test
    void expressionsCombineConstantsVariablesAndOperators() {
        assertEquals(0x121, Expr.eval("KVM_VM_TYPE_ARM_REALM | 33", java.util.Map.of(), "t"));
        assertEquals(0x1004, Expr.eval("$a + 4", java.util.Map.of("a", 0x1000L), "t"));
        assertEquals(4, Expr.eval("1 << KVM_ARM_VCPU_PSCI_0_2", java.util.Map.of(), "t"));
        assertEquals(-1, Expr.eval("-1", java.util.Map.of(), "t"));
        assertEquals(0xFFFF_FFFF_FFFF_FFFFL, Expr.eval("0xffffffffffffffff", java.util.Map.of(), "t"));
        assertThrows(ScenarioException.class, () -> Expr.eval("1 +", java.util.Map.of(), "t"));
        assertThrows(ScenarioException.class, () -> Expr.eval("$nope", java.util.Map.of(), "t"));
    }

    @Test
    void malformedFilesAreReportedAsFailuresAndJUnitXmlIsWritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), "{ not json");
        Files.writeString(dir.resolve("b.json"), "{\"scenario\": \"ok\", \"steps\": [{\"open\": \"/dev/kvm\"}]}");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AbiTestSuite suite = new AbiTestSuite(AbiProfile.V12, new PrintStream(buf, true, StandardCharsets.UTF_8), null);
        suite.run(Scenarios.files(List.of(dir)));
        assertEquals(1, suite.passed());
        assertEquals(1, suite.failed());
        assertEquals("1 passed, 1 failed, 0 skipped", suite.totals());
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("FAIL  a.json") && out.contains("not valid JSON"), out);
        Path xml = dir.resolve("r/junit.xml");
        suite.writeJUnit(xml);
        String x = Files.readString(xml);
        assertTrue(x.contains("<testsuites") && x.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""), x);
        assertTrue(x.contains("<testcase classname=\"abi.v12.b.json\" name=\"ok\""), x);
        assertTrue(x.contains("<failure message=\"bad scenario file: not valid JSON"), x);
        javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
    }

    /** The jump-private realm: KVM_RUN fails with ENXIO and KVM logs the unhandled instruction abort at WARN. */
    static final String IABT = "{\"scenario\": \"iabt\", \"steps\": [{\"fixture\": \"realm\", \"program\": \"jump-private\"},"
            + "{\"ioctl\": \"KVM_RUN\", \"fd\": \"vcpu0\", \"arg\": 0, \"expect\": {\"errno\": \"%s\"}}]}";

    @Test
    void anExpectedFailureLogsNoWarningsAndAnUnexpectedOneShowsWhatTheHostLogged() throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            ScenarioRunner.Outcome ok = run(String.format(IABT, "ENXIO"));
            assertEquals(ScenarioRunner.Status.PASSED, ok.status(), ok.message());
            assertEquals(List.of(), logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(
                    ch.qos.logback.classic.Level.WARN)).map(Object::toString).toList(), "no WARN line");

            ScenarioRunner.Outcome bad = run(String.format(IABT, "EFAULT"));
            assertEquals(ScenarioRunner.Status.FAILED, bad.status());
            assertTrue(bad.message().contains("expected errno EFAULT, got ENXIO"), bad.message());
            assertTrue(bad.log().stream().anyMatch(l -> l.startsWith("WARN RecExitHandler: unhandled instruction abort")),
                    bad.log().toString());
            assertTrue(logged.list.isEmpty(), "kept with the failure, not logged: " + logged.list);

            // A step that expects success logs as before: its warnings are news.
            ScenarioRunner.Outcome unexpected = run(String.format(IABT, "ENXIO").replace(
                    "\"expect\": {\"errno\": \"ENXIO\"}", "\"expect\": {\"ok\": true}"));
            assertEquals(ScenarioRunner.Status.FAILED, unexpected.status());
            assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith(
                    "unhandled instruction abort")), logged.list.toString());
        } finally {
            root.detachAppender(logged);
        }
    }

    @Test
    void valuesOfTheWrongTypeAndMisplacedExpectationsAreBadScenariosNamingTheKey() throws Exception {
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"steps\": [{\"write\": 0, \"u32\": 5}]}");
        assertEquals("bad scenario: test step 1.u32: expected an array, got a number", o.message());
        o = run("{\"scenario\": \"s\", \"steps\": [{\"open\": \"/dev/kvm\", \"expect\": {\"errno\": 1, \"rmi\": {}}}]}");
        assertEquals("bad scenario: test step 1.expect.rmi: expected an array, got an object", o.message());
        o = run("{\"scenario\": \"s\", \"steps\": [{\"open\": \"/dev/kvm\", \"expect\": {\"x0\": 0}}]}");
        assertEquals("bad scenario: test step 1.expect: x0..x7 are for smc and rsi steps", o.message());
        o = run("{\"scenario\": \"s\", \"steps\": [{\"alloc_granule\": \"g\", \"expect\": {\"ok\": true}}]}");
        assertTrue(o.message().startsWith("bad scenario: test step 1: a alloc_granule step has no result"), o.message());
        o = run("{\"scenario\": \"s\", \"steps\": [{\"mmap\": {\"size\": 4096, \"szie\": 1}}]}");
        assertTrue(o.message().startsWith("bad scenario: test step 1.mmap: unknown key 'szie'"), o.message());
        o = run("{\"scenario\": \"s\", \"host\": {\"cpus\": 2, \"mem\": 1}, \"steps\": [{\"open\": \"/dev/kvm\"}]}");
        assertTrue(o.message().startsWith("bad scenario: test.host: unknown key 'mem'"), o.message());
    }

    @Test
    void mismatchMessagesNameTheFailureConditionThatFiredInTheRmm() throws Exception {
        // Undelegating a granule that was never delegated: RMI_ERROR_INPUT, and the RMM says which check failed.
        ScenarioRunner.Outcome o = run("{\"scenario\": \"s\", \"steps\": [{\"alloc_granule\": \"g\"},"
                + "{\"smc\": \"RMI_GRANULE_UNDELEGATE\", \"args\": [\"$g\"], \"expect\": {\"x0\": \"RMI_SUCCESS\"}}]}");
        assertEquals(ScenarioRunner.Status.FAILED, o.status());
        assertTrue(o.message().matches("step 2 \\(RMI_GRANULE_UNDELEGATE\\): x0: expected 0, got 1 \\(RMI_ERROR_INPUT\\); "
                + "RMI calls that failed: RMI_GRANULE_UNDELEGATE=RMI_ERROR_INPUT \\([a-z_]+: .*is UNDELEGATED.*\\)"),
                o.message());
        // The same in an RMI pattern mismatch: the calls made are listed with their conditions.
        o = run("{\"scenario\": \"s\", \"steps\": [{\"alloc_granule\": \"g\"},"
                + "{\"smc\": \"RMI_GRANULE_UNDELEGATE\", \"args\": [\"$g\"], \"expect\": {\"x0\": \"RMI_ERROR_INPUT\", "
                + "\"rmi\": [\"RMI_GRANULE_UNDELEGATE:RMI_SUCCESS\"]}}]}");
        assertTrue(o.message().contains("calls made: RMI_GRANULE_UNDELEGATE=RMI_ERROR_INPUT ("), o.message());
    }
}
