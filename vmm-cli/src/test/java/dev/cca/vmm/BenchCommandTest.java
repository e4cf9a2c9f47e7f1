package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cca bench on a short loop: cca in a child process, and QEMU on the same image when it is installed. */
@Timeout(300)
class BenchCommandTest {
    private static final Pattern RATE = Pattern.compile("(?m)^  (cca \\(normal VM(?:, --engine \\w+)?\\)|qemu -cpu \\S+)\\s+([0-9.]+) M "
            + "instructions/s$");

    @Test
    void mipsPartTimesTheLoopBetweenItsMarkersInAChildProcess() {
        CliRunner r = CliRunner.run("bench", "--only", "mips", "--no-qemu", "--iterations", "2000000",
                "--warmup", "100000");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("22 M instructions timed after 1 M of warm-up"), r.out());
        Matcher m = RATE.matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(m.group(1).startsWith("cca (normal VM"), m.group(1));
        assertTrue(Double.parseDouble(m.group(2)) > 1, r.out());
        assertTrue(r.out().contains("qemu:   not measured (--no-qemu)"), r.out());
        assertTrue(r.out().contains("load average"), r.out());
    }

    @Test
    void severalRunsOfSeveralEnginesAreMeasuredInRoundsAndReportedAsMedians() {
        CliRunner r = CliRunner.run("bench", "--only", "mips", "--no-qemu", "--runs", "2", "--engine", "jit",
                "--engine", "interp", "--iterations", "1000000", "--warmup", "100000");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("2 run(s) in rounds, median"), r.out());
        Matcher m = Pattern.compile("(?m)^  cca \\(normal VM, --engine (\\w+)\\)\\s+[0-9.]+ M instructions/s   "
                + "\\[[0-9.]+ \\.\\. [0-9.]+\\]$").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals("jit", m.group(1));
        assertTrue(m.find(), r.out());
        assertEquals("interp", m.group(1));
    }

    @Test
    void qemuRunsTheSameImageWhenItIsInstalled() {
        Assumptions.assumeTrue(onPath("qemu-system-aarch64"), "qemu-system-aarch64 is not installed");
        CliRunner r = CliRunner.run("bench", "--only", "mips", "--qemu-cpu", "cortex-a72", "--iterations", "2000000",
                "--warmup", "100000");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("qemu:   QEMU emulator version"), r.out());
        Matcher m = RATE.matcher(r.out());
        assertTrue(m.find() && m.find(), r.out());
        assertEquals("qemu -cpu cortex-a72", m.group(1));
        assertTrue(r.out().contains("QEMU / cca"), r.out());
    }

    @Test
    void linuxPartWithoutAKernelSaysHowToGetOne() {
        CliRunner r = CliRunner.run("bench", "--only", "linux", "--no-qemu", "--kernel", "/nonexistent/vmlinuz");
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("Linux boot: skipped, no /nonexistent/vmlinuz (fetch Debian's kernel with "
                + "src-test-images/linux/fetch.sh"), r.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, CliRunner.run("bench", "--only", "disk").exit());
        assertEquals(2, CliRunner.run("bench", "--runs", "0").exit());
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
