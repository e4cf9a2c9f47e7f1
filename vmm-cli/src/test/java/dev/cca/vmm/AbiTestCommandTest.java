package dev.cca.vmm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AbiTestCommandTest {
    @Test
    void passingScenariosExitZeroAndEndWithTheTotals(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("s.json"), "{\"scenario\": \"api\", \"steps\": [{\"open\": \"/dev/kvm\", \"as\": \"k\"},"
                + "{\"ioctl\": \"KVM_GET_API_VERSION\", \"fd\": \"k\", \"arg\": 0, \"expect\": {\"result\": 12}}]}");
        CliRunner r = CliRunner.run("abi-test", dir.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("PASS  s.json: api"), r.out());
        assertTrue(r.out().trim().endsWith("1 passed, 0 failed"), r.out());
    }

    @Test
    void aFailingScenarioExitsNonZeroAndJUnitXmlIsWritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("s.json"), "{\"scenario\": \"api\", \"steps\": [{\"open\": \"/dev/kvm\", \"as\": \"k\"},"
                + "{\"ioctl\": \"KVM_GET_API_VERSION\", \"fd\": \"k\", \"arg\": 0, \"expect\": {\"result\": 13}}]}");
        Path xml = dir.resolve("out.xml");
        CliRunner r = CliRunner.run("abi-test", "--junit", xml.toString(), dir.resolve("s.json").toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("expected result 13, got 12"), r.out());
        assertTrue(r.out().trim().endsWith("0 passed, 1 failed"), r.out());
        assertTrue(Files.readString(xml).contains("failures=\"1\""));
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path dir) {
        assertEquals(2, CliRunner.run("abi-test", dir.resolve("missing").toString()).exit());
        assertEquals(2, CliRunner.run("abi-test", dir.toString()).exit(), "no *.json in the directory");
        CliRunner r = CliRunner.run("abi-test", "--profile", "v99", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown ABI profile 'v99'"), r.err());
    }
}
