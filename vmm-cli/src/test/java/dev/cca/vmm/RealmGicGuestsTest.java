package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The realm guests of src-test-images/realm-gic, run with {@code cca run --realm --cpus N}: SGIs between vCPUs and
 * the active state through the realm's vGIC, the EL1 virtual and physical timers' interrupts (a disabled timer's
 * line drops), the realm's PMU (RMM pmu_ena), PSCI from a realm with the calls completed by KVM or by the VMM, and the
 * realm's own breakpoints, watchpoints and software step. Each guest prints PASS or FAIL lines and powers off.
 */
class RealmGicGuestsTest {
    static final Path DIR = Path.of("..", "src-test-images", "realm-gic");

    @Test
    void committedImagesMatchTheirSources(@TempDir Path out) throws IOException, InterruptedException {
        boolean haveAs = new ProcessBuilder("sh", "-c", "command -v aarch64-linux-gnu-as").start().waitFor() == 0;
        Assumptions.assumeTrue(haveAs,
                "aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): not checked");
        Process p = new ProcessBuilder("sh", DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        for (String g : new String[] {"realm-debug.elf", "realm-psci.elf", "realm-sgi.elf", "realm-timer.elf",
                "realm-pmu.elf"}) {
            assertArrayEquals(Files.readAllBytes(DIR.resolve(g)), Files.readAllBytes(out.resolve(g)),
                    "src-test-images/realm-gic/" + g + " is stale: run src-test-images/realm-gic/build.sh");
        }
    }

    /** Runs a guest of realm-gic in a realm on {@code cpus} vCPUs and checks that it passed and powered off. */
    static CliRunner runPassing(String guest, int cpus, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--realm", "-k", DIR.resolve(guest + ".elf").toString(),
                "--cpus", String.valueOf(cpus), "--timeout", "120s"));
        args.addAll(List.of(extra));
        CliRunner r = CliRunner.run(args.toArray(String[]::new));
        String all = r.out() + r.err();
        assertEquals(0, r.exit(), all);
        assertFalse(r.out().contains("FAIL"), all);
        assertTrue(r.out().contains(guest + ": PASS\n"), all);
        assertTrue(all.contains("ended:        guest powered off (PSCI SYSTEM_OFF)"), all);
        return r;
    }

    @ParameterizedTest(name = "{0} vCPUs, PSCI: {1}")
    @CsvSource({"1, kernel", "2, kernel", "4, kernel", "1, user", "2, user", "4, user", "4, psci-user profile"})
    void cpuOnAffinityInfoAndCpuOffFromARealm(int cpus, String psci, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("kvm.jsonl");
        String[] how = psci.equals("kernel") ? new String[] {"--psci", "kernel"}
                : psci.equals("user") ? new String[] {"--psci", "user"} : new String[] {"--abi-profile", "psci-user"};
        CliRunner r = runPassing("realm-psci", cpus, how[0], how[1], "--trace", trace.toString(),
                "--trace-filter", "kvm");
        assertTrue(r.out().contains("realm-psci: vCPUs: " + cpus + "\n"), r.out());
        for (int k = 1; k < cpus; k++) {
            assertTrue(r.out().contains("realm-psci: vCPU " + k + " up with its context id\n"), r.out());
        }
        if (cpus > 1) {
            assertTrue(r.out().contains("realm-psci: the last vCPU started again after CPU_OFF and is OFF again\n"),
                    r.out());
        }
        // Who completed the calls: the VMM's KVM_ARM_VCPU_RMI_PSCI_COMPLETE ioctls show in the trace, KVM's do not.
        long completions = Files.readAllLines(trace).stream()
                .filter(l -> l.contains("\"request\":\"KVM_ARM_VCPU_RMI_PSCI_COMPLETE\"")).count();
        if (psci.equals("kernel")) {
            assertEquals(0, completions);
        } else {
            // Per secondary at least AFFINITY_INFO (OFF), CPU_ON, CPU_ON (ALREADY_ON) and AFFINITY_INFO (ON).
            assertTrue(completions >= 4L * (cpus - 1), "PSCI_COMPLETE ioctls: " + completions);
        }
    }

    @ParameterizedTest(name = "{0} vCPUs")
    @ValueSource(ints = {1, 2, 4})
    void sgisReachEveryVcpuAndTheActiveStateFollowsTheGuestsAcknowledgeAndEoi(int cpus) {
        CliRunner r = runPassing("realm-sgi", cpus);
        String expected = "realm-sgi: vCPU 0 up\n"
                + "realm-sgi: vCPUs: " + cpus + "\n"
                + "realm-sgi: vCPU 0: SGI 15 active, pending and active, then pending: ok\n";
        if (cpus > 1) {
            expected += "realm-sgi: vCPU 0 took SGI k from every secondary k\n"
                    + "realm-sgi: every secondary took SGI 8 (IRM) and answered with SGI 8 + k\n"
                    + "realm-sgi: AFFINITY_INFO says every secondary is OFF\n"
                    + "realm-sgi: vCPU 1 started again after CPU_OFF\n";
        }
        assertTrue(r.out().startsWith(expected + "realm-sgi: PASS\n"), r.out());
    }

    @Test
    void sgisAndCpuOnWithPsciInTheVmm() {
        CliRunner r = runPassing("realm-sgi", 4, "--psci", "user");
        assertTrue(r.out().contains("realm-sgi: every secondary took SGI 8 (IRM) and answered with SGI 8 + k\n"),
                r.out());
    }

    @Test
    void realmPmuCountsExactlyAcrossRecExitsAndItsOverflowComesBackThroughTheListRegisters() {
        CliRunner r = runPassing("realm-pmu", 1);
        assertTrue(r.out().startsWith("pmu: PMUv3p5, 6 event counters\n"
                + "pmu: INST_RETIRED, MEM_ACCESS and cycles exact\n"
                + "pmu: EL1 filtered out by P\n"
                + "pmu: overflow interrupt PPI 23 at the overflowing instruction\n"
                + "realm-pmu: PASS\n"), r.out());
    }

    @ParameterizedTest(name = "{0} vCPUs")
    @ValueSource(ints = {1, 2, 4})
    void bothEl1TimersInterruptEveryVcpuAndADisabledTimersLineDrops(int cpus) {
        CliRunner r = runPassing("realm-timer", cpus);
        for (int k = 0; k < cpus; k++) {
            for (String t : new String[] {"virtual timer (PPI 27)", "physical timer (PPI 30)"}) {
                assertTrue(r.out().contains("realm-timer: vCPU " + k + ": " + t
                        + ": level, disable, IMASK, interrupt, deadline, quiet after disable: ok\n"), r.out());
            }
        }
    }

    @Test
    void aRealmsBreakpointWatchpointAndSoftwareStepRaiseItsOwnDebugExceptionsAcrossHostExits() {
        CliRunner r = runPassing("realm-debug", 1);
        assertTrue(r.out().startsWith("realm-debug: vCPU 0 up\n"
                + "realm-debug: breakpoint armed\n"
                + "realm-debug: breakpoint: EC 0x31, ELR at the instruction: ok\n"
                + "realm-debug: watchpoint armed\n"
                + "realm-debug: watchpoint: EC 0x35, WnR, FAR at the first watched byte: ok\n"
                + "realm-debug: software step armed\n"
                + "realm-debug: software step: pending (ISV 0), then two steps (ISV 1): ok\n"
                + "realm-debug: PASS\n"), r.out());
    }
}
