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
        assertTrue(r.out().trim().endsWith("1 passed, 0 failed, 0 skipped"), r.out());
    }

    @Test
    void aFailingScenarioExitsNonZeroAndJUnitXmlIsWritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("s.json"), "{\"scenario\": \"api\", \"steps\": [{\"open\": \"/dev/kvm\", \"as\": \"k\"},"
                + "{\"ioctl\": \"KVM_GET_API_VERSION\", \"fd\": \"k\", \"arg\": 0, \"expect\": {\"result\": 13}}]}");
        Path xml = dir.resolve("out.xml");
        CliRunner r = CliRunner.run("abi-test", "--junit", xml.toString(), dir.resolve("s.json").toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("expected result 13, got 12"), r.out());
        assertTrue(r.out().trim().endsWith("0 passed, 1 failed, 0 skipped"), r.out());
        assertTrue(Files.readString(xml).contains("failures=\"1\""));
    }

    @Test
    void junitCountsAgreeWithTheConsoleSummary(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), "[{\"scenario\": \"pass\", \"steps\": [{\"open\": \"/dev/kvm\"}]},"
                + "{\"scenario\": \"fail\", \"steps\": [{\"open\": \"/dev/nope\"}]},"
                + "{\"scenario\": \"skip\", \"profiles\": [\"psci-user\"], \"steps\": [{\"open\": \"/dev/kvm\"}]},"
                + "{\"scenario\": \"malformed\", \"steps\": [{\"opne\": \"/dev/kvm\"}]}]");
        Files.writeString(dir.resolve("b.json"), "{ not json");
        Path xml = dir.resolve("out.xml");
        CliRunner r = CliRunner.run("abi-test", "--junit", xml.toString(), dir.toString());
        assertEquals(1, r.exit(), r.out() + r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) passed, (\\d+) failed, (\\d+) skipped")
                .matcher(r.out().strip().lines().reduce((x, y) -> y).orElse(""));
        assertTrue(m.matches(), r.out());
        int passed = Integer.parseInt(m.group(1)), failed = Integer.parseInt(m.group(2));
        int skipped = Integer.parseInt(m.group(3));
        assertEquals(java.util.List.of(1, 3, 1), java.util.List.of(passed, failed, skipped), r.out());
        assertEquals(passed, r.out().lines().filter(l -> l.startsWith("PASS  ")).count());
        assertEquals(failed, r.out().lines().filter(l -> l.startsWith("FAIL  ")).count());
        assertEquals(skipped, r.out().lines().filter(l -> l.startsWith("SKIP  ")).count());

        org.w3c.dom.Document doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(xml.toFile());
        org.w3c.dom.Element all = doc.getDocumentElement();
        assertEquals(passed + failed + skipped, Integer.parseInt(all.getAttribute("tests")));
        assertEquals(failed, Integer.parseInt(all.getAttribute("failures")));
        assertEquals(0, Integer.parseInt(all.getAttribute("errors")));
        assertEquals(skipped, Integer.parseInt(all.getAttribute("skipped")));
        int[] sums = new int[4];
        org.w3c.dom.NodeList suites = doc.getElementsByTagName("testsuite");
        for (int i = 0; i < suites.getLength(); i++) {
            org.w3c.dom.Element s = (org.w3c.dom.Element) suites.item(i);
            String[] attrs = {"tests", "failures", "errors", "skipped"};
            for (int k = 0; k < 4; k++) {
                sums[k] += Integer.parseInt(s.getAttribute(attrs[k]));
            }
        }
        assertEquals(java.util.List.of(passed + failed + skipped, failed, 0, skipped),
                java.util.List.of(sums[0], sums[1], sums[2], sums[3]), "the testsuites add up");
        assertEquals(passed + failed + skipped, doc.getElementsByTagName("testcase").getLength());
        assertEquals(failed, doc.getElementsByTagName("failure").getLength());
        assertEquals(skipped, doc.getElementsByTagName("skipped").getLength());
        assertEquals(0, doc.getElementsByTagName("error").getLength());
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
