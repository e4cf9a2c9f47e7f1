package dev.cca.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cca run --trace}: the JSON Lines and Chrome schemas of docs/tracing.md, filters and option errors. */
class TraceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> lines(Path f) throws IOException {
        List<JsonNode> l = new ArrayList<>();
        for (String s : Files.readAllLines(f)) {
            l.add(JSON.readTree(s));
        }
        return l;
    }

    private static List<JsonNode> of(List<JsonNode> events, String cat, String ev) {
        return events.stream().filter(e -> e.get("cat").asText().equals(cat) && e.get("ev").asText().equals(ev))
                .toList();
    }

    @Test
    void jsonLinesTraceRecordsEveryCategoryWithTheDocumentedFields(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("run.jsonl");
        CliRunner r = CliRunner.run("run", "--trace", f.toString());
        assertEquals(0, r.exit(), r.err());
        List<JsonNode> ev = lines(f);
        for (int i = 0; i < ev.size(); i++) {
            JsonNode e = ev.get(i);
            assertEquals(i, e.get("seq").asLong());
            for (String k : new String[] {"t_ns", "cat", "ev", "thread"}) {
                assertNotNull(e.get(k), k + " in " + e);
            }
        }

        // RMI: calls and returns pair up (RMI calls do not nest), with decoded arguments and statuses.
        List<JsonNode> calls = of(ev, "rmi", "call");
        List<JsonNode> rets = of(ev, "rmi", "return");
        assertEquals(calls.size(), rets.size());
        assertTrue(calls.size() > 40, "the boot makes dozens of RMI calls");
        for (int i = 0; i < calls.size(); i++) {
            assertEquals(calls.get(i).get("name"), rets.get(i).get("name"));
            assertEquals(7, calls.get(i).get("regs").size());
            assertTrue(rets.get(i).get("status").asText().startsWith("RMI_"));
            assertEquals(rets.get(i).get("status").asText().equals("RMI_SUCCESS"), rets.get(i).get("ok").asBoolean());
            // A failed call names the failure condition that fired and what the RMM found; a success none.
            JsonNode why = rets.get(i).get("failure");
            assertEquals(rets.get(i).get("ok").asBoolean(), why == null, rets.get(i).toString());
            if (why != null) {
                assertFalse(why.get("condition").asText().isEmpty());
                assertFalse(why.get("detail").asText().isEmpty());
            }
        }
        JsonNode failedCreate = rets.stream().filter(c -> c.get("name").asText().equals("RMI_DATA_CREATE")
                && !c.get("ok").asBoolean()).findFirst().orElseThrow();
        assertEquals("RMI_ERROR_RTT(2)", failedCreate.get("status").asText());
        assertEquals("rtt_walk", failedCreate.get("failure").get("condition").asText());
        assertEquals("the walk for ipa 0x40000000 stopped at level 2 (UNASSIGNED_EMPTY), above level 3",
                failedCreate.get("failure").get("detail").asText());
        assertEquals("RMI_VERSION", calls.get(0).get("name").asText());
        assertEquals("1.0", calls.get(0).get("args").get("req").asText());
        JsonNode dataCreate = calls.stream().filter(c -> c.get("name").asText().equals("RMI_DATA_CREATE"))
                .findFirst().orElseThrow();
        assertEquals("0x40000000", dataCreate.get("args").get("ipa").asText());
        assertEquals("MEASURE", dataCreate.get("args").get("flags").asText());
        List<JsonNode> enters = rets.stream().filter(c -> c.get("name").asText().equals("RMI_REC_ENTER")).toList();
        JsonNode lastEnter = enters.get(enters.size() - 1);
        assertEquals("RMI_EXIT_PSCI", lastEnter.get("exit_reason").asText());
        // The VMM's exit closes the VM: KVM tears the realm down after the last REC_ENTER.
        List<String> after = rets.subList(rets.indexOf(lastEnter) + 1, rets.size()).stream()
                .map(c -> c.get("name").asText()).toList();
        assertTrue(after.contains("RMI_REC_DESTROY") && after.contains("RMI_REALM_DESTROY"), after.toString());

        // RSI: the realm's calls, with its REC.
        List<String> rsi = of(ev, "rsi", "call").stream().map(e -> e.get("name").asText()).toList();
        assertEquals(List.of("RSI_VERSION", "RSI_REALM_CONFIG", "RSI_MEASUREMENT_READ", "RSI_HOST_CALL",
                "RSI_ATTESTATION_TOKEN_INIT", "RSI_ATTESTATION_TOKEN_CONTINUE", "RSI_ATTESTATION_TOKEN_CONTINUE",
                "RSI_IPA_STATE_SET", "RSI_HOST_CALL", "PSCI_SYSTEM_OFF"), rsi);
        assertEquals(10, of(ev, "rsi", "return").size());

        // Granules: each transition starts from the state the previous one left.
        Map<String, String> state = new HashMap<>();
        for (JsonNode g : of(ev, "granule", "transition")) {
            String pa = g.get("pa").asText();
            assertEquals(state.getOrDefault(pa, "UNDELEGATED"), g.get("from").asText(), g.toString());
            state.put(pa, g.get("to").asText());
        }
        long delegated = calls.stream().filter(c -> c.get("name").asText().equals("RMI_GRANULE_DELEGATE")).count();
        assertEquals(delegated, of(ev, "granule", "transition").stream()
                .filter(g -> g.get("to").asText().equals("DELEGATED") && g.get("from").asText().equals("UNDELEGATED"))
                .count());

        // KVM: the VMM's ioctls by name, and the exits KVM_RUN returned.
        Set<String> requests = new HashSet<>();
        for (JsonNode i : of(ev, "kvm", "ioctl")) {
            requests.add(i.get("request").asText());
            assertTrue(i.get("dur_ns").asLong() >= 0);
            if (i.get("result").asLong() < 0) {
                assertNotNull(i.get("errno"), i.toString());
            }
        }
        assertTrue(requests.containsAll(List.of("KVM_CREATE_VM", "KVM_CREATE_GUEST_MEMFD", "KVM_ARM_RMI_POPULATE",
                "KVM_CREATE_VCPU", "KVM_ARM_VCPU_INIT", "KVM_SET_ONE_REG", "KVM_RUN")), requests.toString());
        List<JsonNode> exits = of(ev, "kvm", "exit");
        assertEquals("KVM_EXIT_MMIO", exits.get(0).get("reason").asText());
        assertEquals("0x9000018", exits.get(0).get("phys_addr").asText(), "the UART flag register");
        JsonNode last = exits.get(exits.size() - 1);
        assertEquals("KVM_EXIT_SYSTEM_EVENT", last.get("reason").asText());
        assertEquals(1, last.get("type").asInt(), "KVM_SYSTEM_EVENT_SHUTDOWN");

        // REC exits and exceptions.
        List<JsonNode> recExits = of(ev, "rec", "exit");
        assertEquals("RMI_EXIT_PSCI", recExits.get(recExits.size() - 1).get("reason").asText());
        assertTrue(of(ev, "exception", "take").stream().anyMatch(e -> e.get("from_el").asInt() == 1
                && e.get("from_ss").asText().equals("REALM") && e.get("class").asText().equals("SMC")),
                "the realm's SMCs trap to Realm EL2");
    }

    @Test
    void filterKeepsOnlyTheChosenCategories(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rmi.jsonl");
        CliRunner r = CliRunner.run("run", "--trace", f.toString(), "--trace-filter", "rsi, kvm");
        assertEquals(0, r.exit(), r.err());
        Set<String> cats = new HashSet<>();
        for (JsonNode e : lines(f)) {
            cats.add(e.get("cat").asText());
        }
        assertEquals(Set.of("rsi", "kvm"), cats);
    }

    @Test
    void chromeTraceIsAnArrayOfTraceEventsWithBalancedSlicesAndARealmLifetime(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("run.json");
        CliRunner r = CliRunner.run("run", "--trace", f.toString(), "--trace-format", "chrome");
        assertEquals(0, r.exit(), r.err());
        JsonNode all = JSON.readTree(f.toFile());
        assertTrue(all.isArray());
        Map<String, Deque<String>> open = new HashMap<>();
        Set<String> metadata = new HashSet<>();
        int complete = 0;
        int counters = 0;
        List<String> async = new ArrayList<>();
        for (JsonNode e : all) {
            String ph = e.get("ph").asText();
            assertTrue(e.has("pid"), e.toString());
            if (!ph.equals("M")) {
                assertTrue(e.get("ts").isNumber(), e.toString());
            }
            String track = e.get("pid") + "/" + e.path("tid").asText();
            switch (ph) {
                case "M":
                    metadata.add(e.get("args").get("name").asText());
                    break;
                case "B":
                    open.computeIfAbsent(track, k -> new ArrayDeque<>()).push(e.get("name").asText());
                    break;
                case "E":
                    assertFalse(open.getOrDefault(track, new ArrayDeque<>()).isEmpty(), "E without B: " + e);
                    open.get(track).pop();
                    break;
                case "X":
                    complete++;
                    assertTrue(e.get("dur").asDouble() >= 0);
                    break;
                case "C":
                    counters++;
                    break;
                case "b":
                case "e":
                case "n":
                    async.add(ph + " " + e.get("name").asText());
                    break;
                case "i":
                    assertEquals("t", e.get("s").asText());
                    break;
                default:
                    throw new AssertionError("unexpected phase " + e);
            }
        }
        open.values().forEach(d -> assertTrue(d.isEmpty(), "unclosed slices " + d));
        assertTrue(metadata.containsAll(Set.of("PE0", "vcpu-0", "realms")), metadata.toString());
        assertTrue(complete > 100, "ioctls as complete events");
        assertTrue(counters > 10, "granule counter");
        assertEquals(3, async.size(), async.toString());
        assertTrue(async.get(0).startsWith("b realm 0x") && async.get(1).equals("n activated")
                && async.get(2).startsWith("e realm 0x"), async.toString());
    }

    @Test
    void badTraceAndGdbOptionsAreUsageErrors(@TempDir Path dir) throws IOException {
        assertUsage(CliRunner.run("run", "--trace", dir.resolve("t").toString(), "--trace-filter", "rmi,bogus"),
                "unknown category 'bogus'");
        assertUsage(CliRunner.run("run", "--trace-format", "chrome"), "need --trace FILE");
        assertUsage(CliRunner.run("run", "--trace", dir.resolve("no/such/dir/t.jsonl").toString()), "cannot write");
        assertUsage(CliRunner.run("run", "--wait-gdb"), "--wait-gdb needs --gdb");
        assertUsage(CliRunner.run("run", "--gdb", "tcp::notaport"), "expected tcp::PORT");
        try (ServerSocket busy = new ServerSocket(0)) {
            assertUsage(CliRunner.run("run", "--gdb", "tcp::" + busy.getLocalPort()), "cannot listen");
        }
        CliRunner bad = CliRunner.run("run", "--trace", "x", "--trace-format", "xml");
        assertEquals(2, bad.exit(), bad.err());
    }

    private static void assertUsage(CliRunner r, String fragment) {
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
