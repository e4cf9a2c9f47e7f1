package dev.cca.vmm.debug;

import dev.cca.vmm.CliProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's gdb-multiarch in batch mode against {@code cca run --gdb}: a breakpoint in the test guest, registers,
 * memory, a single step, and {@code monitor next-rsi} stopping at the next RSI call and printing it. The test
 * installs gdb-multiarch (scripts/install-gdb-multiarch.sh) when it is missing and is skipped, saying why, when
 * that is impossible. Every wait is bounded.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class GdbMultiarchTest {
    static final Path ELF = Path.of("..", "src-test-images", "hello-realm", "hello-realm.elf");
    static String gdb;

    @BeforeAll
    static void findOrInstallGdb() throws Exception {
        gdb = onPath("gdb-multiarch");
        String why = "not on PATH";
        if (gdb == null) {
            Path script = Path.of("..", "scripts", "install-gdb-multiarch.sh");
            ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
            Process p = pb.start();
            boolean done = p.waitFor(10, TimeUnit.MINUTES);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!done) {
                p.destroyForcibly();
                why = "installing it took longer than 10 minutes";
            } else if (p.exitValue() == 0) {
                gdb = onPath("gdb-multiarch");
            } else {
                why = out.isEmpty() ? "the install script failed with status " + p.exitValue() : out;
            }
        }
        assumeTrue(gdb != null, "gdb-multiarch is not installed and could not be installed: " + why);
    }

    private static String onPath(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin" : path + File.pathSeparator + "/usr/bin").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }

    /** Runs gdb-multiarch in batch mode with {@code commands}; returns what it printed. */
    private static String runGdb(int port, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(gdb, "-batch", "-nx", "-ex", "set remotetimeout 30",
                "-ex", "set pagination off", "-ex", "target remote 127.0.0.1:" + port));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        cmd.add(ELF.toString());
        Path log = Files.createTempFile("gdb", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("gdb-multiarch did not finish in 3 minutes:\n" + Files.readString(log));
            }
            return Files.readString(log);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void gdbSetsABreakpointReadsRegistersAndMemoryStepsAndStopsAtTheNextRsiCall() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        int port = Integer.parseInt(cca.awaitErr("gdb: listening on 127\\.0\\.0\\.1:(\\d+)", 60_000));
        String out = runGdb(port,
                "break puts",
                "continue",
                "info registers x0 pc",
                "x/s $x0",
                "stepi",
                "info registers pc",
                "p/x $ELR_EL2",
                "delete",
                "monitor next-rsi",
                "continue",
                "p/x $x0",
                "monitor call",
                "continue",
                "monitor realm",
                "detach");
        assertEquals(0, cca.await(120_000), out + "\n--- cca stderr:\n" + cca.err());
        String[] expected = {
            "Breakpoint 1 at 0x40000168",
            "Breakpoint 1, 0x0000000040000168 in puts ()",
            "x0             0x40000280",
            "pc             0x40000168          0x40000168 <puts>",
            "0x40000280:\t\"Hello from a realm!\\n\"",
            "pc             0x4000016c          0x4000016c <puts+4>",
            "[PE0] call RSI_MEASUREMENT_READ index=0",
            "$2 = 0xc4000192",
            "[PE0] stopped at RSI_MEASUREMENT_READ index=0",
            "[PE0] ret  RSI_MEASUREMENT_READ -> RSI_SUCCESS value=",
            "RIM: ",
            "[Inferior 1 (Remote target) detached]",
        };
        int from = 0;
        for (String e : expected) {
            int at = out.indexOf(e, from);
            assertTrue(at >= 0, "gdb's output should show, in order, \"" + e + "\":\n" + out);
            from = at + e.length();
        }
        assertTrue(cca.out().contains("Goodbye."), cca.out());
    }
}
