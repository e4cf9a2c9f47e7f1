package dev.cca.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cca debug --script}: stepping through the default realm's RMI calls, checked against the run's trace. */
@Timeout(300)
class DebugCommandTest {
    /** A call or return line; not anchored, as the guest's partial console lines may precede it. */
    private static final Pattern EVENT = Pattern.compile("\\[PE(\\d+)\\] ( *)(call|ret ) (\\S+)(.*)$",
            Pattern.MULTILINE);

    record Call(String name, String status) {
    }

    private static List<JsonNode> trace(Path f) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> l = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
            l.add(m.readTree(line));
        }
        return l;
    }

    @Test
    void rmiStepWalksEveryRmiCallOfTheBootWithTheNamesAndStatusesOfTheTrace(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("steps.txt");
        Files.writeString(script, "# step through the whole boot, one completed call at a time\n"
                + "rmi-step\n".repeat(800));
        Path traceFile = dir.resolve("run.jsonl");
        CliRunner r = CliRunner.run("debug", "--script", script.toString(), "--trace", traceFile.toString(),
                "--trace-filter", "rmi,rsi");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.startsWith("cca debug: stopped at the host kernel's first RMI call"), out);
        // (The guest's console output is interleaved with the steps: each character is an MMIO exit.)
        assertTrue(out.contains("guest ended: guest powered off"), out);

        // What the console printed.
        List<Call> consoleCalls = new ArrayList<>();
        List<Call> consoleReturns = new ArrayList<>();
        int returns = 0;
        Matcher m = EVENT.matcher(out);
        while (m.find()) {
            boolean ret = m.group(3).startsWith("ret");
            String name = m.group(4);
            if (ret) {
                returns++;
            }
            if (!name.startsWith("RMI_")) {
                continue;
            }
            if (ret) {
                String rest = m.group(5).trim();
                assertTrue(rest.startsWith("-> "), m.group());
                // "-> STATUS results...", then ": condition: what the RMM found" when the call failed
                consoleReturns.add(new Call(name, rest.substring(3).split("[ :]")[0]));
            } else {
                consoleCalls.add(new Call(name, null));
            }
        }

        // What the trace recorded, up to the end of the realm (its last REC_ENTER).
        List<Call> traceCalls = new ArrayList<>();
        List<Call> traceReturns = new ArrayList<>();
        for (JsonNode e : trace(traceFile)) {
            if (!e.get("cat").asText().equals("rmi")) {
                continue;
            }
            if (e.get("ev").asText().equals("call")) {
                traceCalls.add(new Call(e.get("name").asText(), null));
            } else {
                traceReturns.add(new Call(e.get("name").asText(), e.get("status").asText()));
            }
        }
        int lastEnter = traceReturns.lastIndexOf(new Call("RMI_REC_ENTER", "RMI_SUCCESS"));
        assertTrue(lastEnter > 10, traceReturns.toString());
        // The console may go on into the teardown that closing the VM makes (REC_DESTROY, UNDELEGATE...), as far
        // as the script's steps reach: it is a prefix of the trace that covers at least the whole boot.
        assertTrue(consoleReturns.size() > lastEnter && consoleReturns.size() <= traceReturns.size(),
                consoleReturns.size() + " returns on the console, " + traceReturns.size() + " in the trace");
        assertEquals(traceReturns.subList(0, consoleReturns.size()), consoleReturns,
                "every RMI call of the boot, in order, with the trace's names and statuses");
        assertEquals(traceCalls.subList(0, consoleCalls.size()), consoleCalls);
        assertTrue(consoleCalls.size() > lastEnter, consoleCalls.toString());
        for (String name : new String[] {"RMI_VERSION", "RMI_FEATURES", "RMI_GRANULE_DELEGATE", "RMI_REALM_CREATE",
            "RMI_REC_AUX_COUNT", "RMI_RTT_CREATE", "RMI_DATA_CREATE", "RMI_REC_CREATE", "RMI_RTT_INIT_RIPAS",
            "RMI_REALM_ACTIVATE", "RMI_REC_ENTER"}) {
            assertTrue(consoleReturns.stream().anyMatch(c -> c.name.equals(name)), name);
        }
        assertTrue(consoleReturns.contains(new Call("RMI_DATA_CREATE", "RMI_ERROR_RTT(2)")),
                "the host's first DATA_CREATE fails for want of an RTT, as the trace says");
        // and the console says which failure condition fired and what the RMM found
        assertTrue(out.contains("ret  RMI_DATA_CREATE -> RMI_ERROR_RTT(2): rtt_walk: the walk for ipa 0x40000000"
                + " stopped at level 2 (UNASSIGNED_EMPTY), above level 3"), out);

        // One rmi-step per completed call: each step command printed exactly one return.
        int steps = 0;
        for (String line : out.split("\n")) {
            if (line.equals("(cca) rmi-step")) {
                steps++;
            }
            if (line.startsWith("guest ended")) {
                break;
            }
        }
        // (Closing the VM tears the realm down, and those calls can be stepped before or after "guest ended" is
        // printed: count both up to that line.)
        int end = out.indexOf("guest ended:");
        int returnsBeforeEnd = 0;
        Matcher rm = EVENT.matcher(end < 0 ? out : out.substring(0, end));
        while (rm.find()) {
            if (rm.group(3).startsWith("ret")) {
                returnsBeforeEnd++;
            }
        }
        assertTrue(returns >= returnsBeforeEnd);
        assertTrue(steps == returnsBeforeEnd || steps == returnsBeforeEnd + 1,
                steps + " steps, " + returnsBeforeEnd + " returns");
        assertTrue(out.contains("the guest has ended"), "steps after the end say so");
    }

    @Test
    void consoleCommandsBreakpointRegistersMemoryAndRmmViews(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("s.txt");
        Files.writeString(script, String.join("\n",
                "help", "break puts", "breaks", "continue", "regs", "x $x0 20", "x 0x7fff00000000 8",
                "granule 0x80000000", "realm", "rtt 0x40000000", "rec", "measurements", "pe", "step 2",
                "delete puts", "watch realm_config", "cpu 3", "frobnicate", "break nosuchsymbol", "quit", "rmi-step"));
        CliRunner r = CliRunner.run("debug", "--script", script.toString());
        String out = r.out();
        assertEquals(0, r.exit(), "quit stops the guest, as asked: a success: " + out + r.err());
        String[] expected = {
            "(cca) break puts", "breakpoint at 0x40000168 <puts>",
            "(cca) continue", "[PE0] breakpoint, pc 0x40000168 <puts>, EL1 Realm",
            "(cca) regs", "x0  0x0000000040000280",
            "(cca) x $x0 20", "0x000040000280: 48 65 6c 6c 6f 20 66 72 6f 6d 20 61 20 72 65 61  Hello from a rea",
            "(cca) x 0x7fff00000000 8", "cannot read 0x7fff00000000",
            "(cca) granule 0x80000000", "granule 0x80000000: UNDELEGATED, GPT: non-secure access",
            "(cca) realm", "ACTIVE, IPA width 33, SHA-256",
            "(cca) rtt 0x40000000", "ASSIGNED_RAM",
            "(cca) rec", "running (live registers are in the PE)",
            "(cca) measurements", "REM3",
            "(cca) pe", "PE0: EL1 Realm, pc 0x40000168",
            "(cca) step 2", "[PE0] pc 0x40000170 <puts+8>, EL1 Realm",
            "(cca) watch realm_config", "watching writes to 0x40001000 <realm_config>",
            "(cca) cpu 3", "there are 1 PEs",
            "(cca) frobnicate", "unknown command 'frobnicate'",
            "(cca) break nosuchsymbol", "'nosuchsymbol' is neither a symbol",
            "(cca) quit", "stopping the guest",
        };
        int from = 0;
        for (String e : expected) {
            int at = out.indexOf(e, from);
            assertTrue(at >= 0, "expected, in order, \"" + e + "\" in:\n" + out);
            from = at + e.length();
        }
        assertFalse(out.contains("(cca) rmi-step"), "nothing runs after quit");
        assertTrue(r.err().contains("ended:        stopped by the user"), r.err());
    }

    /** cca debug takes cca run's realm options: the realm it stops in is measured with SHA-512. */
    @Test
    void debugTakesTheRealmOptionsOfRun(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("r.txt");
        Files.writeString(script, "break _start\ncontinue\nrealm\nquit\n");
        CliRunner r = CliRunner.run("debug", "--measurement-algo", "sha512", "--realm-pv", "00112233", "--script",
                script.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("ACTIVE, IPA width 33, SHA-512"), r.out());
    }

    @Test
    void aScriptEndingInQuitExitsZeroAndAnErrorBeforeTheQuitKeepsItsStatus(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("q.txt");
        Files.writeString(script, "rmi-step\nquit\n");
        CliRunner r = CliRunner.run("debug", "--script", script.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("stopping the guest") && r.err().contains("stopped by the user"), r.out() + r.err());
        // A guest that ended before the quit (here at the instruction limit, in a loop that runs far longer than
        // the limit, so the limit's check sees it whatever the machine's speed): the quit stops nothing, the run's
        // status stands.
        Files.writeString(script, "continue\nquit\n");
        CliRunner limit = CliRunner.run("debug", "-k", Path.of("..", "src-test-images", "bench", "mips-loop.elf")
                .toString(), "--max-instructions", "1000000", "--script", script.toString());
        assertEquals(4, limit.exit(), limit.out() + limit.err());
    }

    @Test
    void endOfScriptLetsTheGuestRunToItsEnd(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("empty.txt");
        Files.writeString(script, "rmi-step\n");
        CliRunner r = CliRunner.run("debug", "--script", script.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("end of input: the guest runs on to its end"));
        assertTrue(r.out().contains("Goodbye."));
    }

    @Test
    void badScriptAndImageArgumentsAreOneLineErrors(@TempDir Path dir) {
        CliRunner r = CliRunner.run("debug", "--script", dir.resolve("missing.txt").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("missing.txt: no such file"), r.err());
        CliRunner img = CliRunner.run("debug", "--realm", "-k", "/nonexistent/guest.elf", "--script",
                dir.toString() + "/missing.txt");
        assertEquals(2, img.exit());
    }

    @Test
    void missingImageEndsTheConsoleWithTheRunsError(@TempDir Path dir) throws IOException {
        Path script = dir.resolve("s.txt");
        Files.writeString(script, "rmi-step\n");
        CliRunner r = CliRunner.run("debug", "--realm", "-k", "/nonexistent/guest.elf", "--script",
                script.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no such file"), r.err());
    }
}
