package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cca -v run} shows the realm's life on standard error and {@code -vv} every ioctl and RMI call, while
 * standard output stays the guest's console; a realm guest run without --realm gets a hint. Run as a child process,
 * so that the log's real standard error is what is checked.
 */
class VerboseRunTest {
    private static String[] run(String... args) throws Exception {
        try (CcaSubprocess p = new CcaSubprocess(args)) {
            int exit = p.waitFor(120);
            return new String[] {String.valueOf(exit), p.out(), p.err()};
        }
    }

    @Test
    void verboseShowsTheRealmsLifeAndExitCountsOnStderrOnly() throws Exception {
        String[] quiet = run("run", "--challenge", "01");
        String[] v = run("-v", "run", "--challenge", "01");
        String[] vv = run("-vv", "run", "--challenge", "01");
        assertEquals("0", v[0], v[2]);
        assertEquals("0", vv[0], vv[2]);
        assertEquals(quiet[1], v[1], "-v leaves standard output to the guest's console");
        assertEquals(quiet[1], vv[1], "-vv leaves standard output to the guest's console");
        assertFalse(quiet[2].contains("RunLog"), quiet[2]);
        assertFalse(quiet[2].contains("REC exits:"), quiet[2]);

        String e = v[2];
        assertTrue(e.contains("realm created (RMI_REALM_CREATE): RD 0x"), e);
        assertTrue(e.contains("populated 0x40000000-0x40002000 (2 pages, measured; RMI_DATA_CREATE)"), e);
        assertTrue(e.contains("REC created (RMI_REC_CREATE)"), e);
        assertTrue(e.contains("RIPAS RAM over 0x40002000-"), e);
        assertTrue(e.contains("realm activated (RMI_REALM_ACTIVATE)"), e);
        assertTrue(e.contains("realm destroyed (RMI_REALM_DESTROY)"), e);
        assertTrue(e.indexOf("realm created") < e.indexOf("realm activated"), e);
        assertTrue(e.matches("(?s).*REC exits: +\\d+ \\(RMI_EXIT_HOST_CALL 2, RMI_EXIT_PSCI 1, RMI_EXIT_RIPAS_CHANGE 1, "
                + "RMI_EXIT_SYNC \\(Data abort from a lower EL\\) \\d+\\)\n.*"), e);
        assertTrue(e.matches("(?s).*VMM exits: +\\d+ \\(KVM_EXIT_HYPERCALL 2, KVM_EXIT_MEMORY_FAULT 1, "
                + "KVM_EXIT_MMIO \\d+, KVM_EXIT_SYSTEM_EVENT 1\\)\n.*"), e);
        assertFalse(e.contains("ioctl("), "-v does not list every ioctl");

        String ee = vv[2];
        assertTrue(ee.contains("ioctl(3 /dev/kvm, KVM_CREATE_VM, 0x121) = 4"), ee);
        assertTrue(ee.contains("KVM_ARM_RMI_POPULATE"), ee);
        assertTrue(ee.contains("RMI_DATA_CREATE rd=0x"), ee);
        assertTrue(ee.contains("RMI_REALM_ACTIVATE -> RMI_SUCCESS"), ee);
        assertTrue(ee.contains("ioctl(6 anon_inode:kvm-vcpu:0, KVM_RUN, 0x0) = 0"), ee);
    }

    @Test
    void realmGuestWithoutRealmGetsAHint() throws Exception {
        String image = RunCommandTest.HELLO.toString();
        String[] normal = run("run", "-k", image);
        assertEquals("3", normal[0], "the guest finds no RMM and asks for a reset: " + normal[2]);
        assertTrue(normal[2].contains("hint:         the guest made an RSI call (RSI_VERSION, SMC 0xc4000190) in a "
                + "normal VM, where KVM answers NOT_SUPPORTED; did you mean --realm?"), normal[2]);
        assertFalse(normal[1].contains("hint"), "the hint is not on the console");
        String[] other = run("run", "-k", "../src-test-images/platform/smp-sgi.elf", "--cpus", "2");
        assertFalse(other[2].contains("hint:"), "a guest that makes no RSI call gets no hint: " + other[2]);
        String[] realm = run("run", "--realm", "-k", image);
        assertFalse(realm[2].contains("hint:"), realm[2]);
    }
}
