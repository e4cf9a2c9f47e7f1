package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Self-hosted debug exceptions (Arm ARM D2) as an EL1 kernel sees them: the exception class, ISS, ELR and FAR of
 * breakpoints, watchpoints and software step, their enables (OS lock, KDE, MDE, PSTATE.D) and routing (MDCR_EL2.TDE),
 * in the Non-secure and the Realm security state. The EL1 vector table is 16 HVCs, so a debug exception taken to
 * EL1 ends the run at EL2 with ESR_EL1/ELR_EL1/FAR_EL1 holding what the guest's handler would read.
 */
class SelfHostedDebugTest {
    private static final int NOP = 0xd503201f, STR_X2_X1 = 0xf9000022, LDR_X3_X1 = 0xf940_0023,
            LDADD_X2_X3_X1 = 0xf8220023, LDXR_X3_X1 = 0xc85f7c23, SVC_0 = 0xd4000001, ERET = 0xd69f03e0;
    private static final int HVC_99 = 0xd4001322;
    private static final long CODE = Harness.RAM + 0x1000, VECTORS = Harness.RAM + 0x800, DATA = Harness.RAM + 0x2000;
    private static final long KDE = 1L << 13, MDE = 1L << 15, SS = 1L;
    private static final int FSC_DEBUG = 0x22, ISV = 1 << 24, EX = 1 << 6;
    /** DBGBCR/DBGWCR privilege field PMC/PAC = EL1 only, and E. */
    private static final long EL1_ENABLED = (1 << 1) | 1;

    private Harness h;
    private Cpu cpu;

    /** A fresh PE at EL1 in {@code state}, running {@code code} with the OS lock clear and PSTATE.D clear. */
    private void boot(SecurityState state, long mdscr, int... code) {
        h = new Harness();
        cpu = h.cpu;
        for (int i = 0; i < 16; i++) {
            h.load(VECTORS + 0x80L * i, 0xd4000002 | (i << 5)); // hvc #i
        }
        h.load(CODE, code);
        h.enterEl1(state, CODE);
        cpu.sr[SysRegs.VBAR_EL1] = VECTORS;
        sysreg("OSLAR_EL1", 0);
        sysreg("MDSCR_EL1", mdscr);
        cpu.daif = 0; // PSTATE.D clear: debug exceptions enabled at EL1 with KDE
    }

    private void sysreg(String name, long v) {
        cpu.writeSysReg(SysRegs.byName(name), v);
    }

    private void run(SecurityState state) {
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(state));
    }

    private static long esr(int ec, int iss) {
        return ((long) ec << 26) | Esr.IL | iss;
    }

    private long esrEl1() {
        return cpu.sr[SysRegs.ESR_EL1];
    }

    @Test
    void breakpointAtEl1IsTakenBeforeTheInstructionWithEc0x31() {
        boot(SecurityState.NON_SECURE, KDE | MDE, NOP, NOP, NOP, HVC_99);
        sysreg("DBGBVR2_EL1", CODE + 8);
        sysreg("DBGBCR2_EL1", EL1_ENABLED);
        cpu.sr[SysRegs.FAR_EL1] = 0x1234;
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x31, FSC_DEBUG), esrEl1());
        assertEquals(CODE + 8, cpu.sr[SysRegs.ELR_EL1]);
        assertEquals(0x1234, cpu.sr[SysRegs.FAR_EL1], "a breakpoint does not write FAR");
    }

    @Test
    void breakpointsNeedTheOsLockClearKdeAndPstateDClear() {
        for (String blocker : new String[] {"oslock", "kde", "d"}) {
            boot(SecurityState.NON_SECURE, blocker.equals("kde") ? MDE : KDE | MDE, NOP, NOP, NOP, HVC_99);
            if (blocker.equals("oslock")) {
                sysreg("OSLAR_EL1", 1);
            }
            if (blocker.equals("d")) {
                cpu.daif = 0x200;
            }
            sysreg("DBGBVR0_EL1", CODE + 4);
            sysreg("DBGBCR0_EL1", EL1_ENABLED);
            run(SecurityState.NON_SECURE);
            assertEquals(esr(Esr.EC_HVC64, 0x99), cpu.sr[SysRegs.ESR_EL2], blocker + " blocks the breakpoint");
        }
    }

    @Test
    void mdcrEl2TdeRoutesABreakpointToEl2AsALowerElException() {
        boot(SecurityState.NON_SECURE, MDE, NOP, NOP, HVC_99); // no KDE, PSTATE.D set: EL2 is a higher EL
        cpu.daif = 0x3C0;
        cpu.sr[SysRegs.MDCR_EL2] = 1L << 8;
        sysreg("DBGBVR1_EL1", CODE + 4);
        sysreg("DBGBCR1_EL1", EL1_ENABLED);
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x30, FSC_DEBUG), cpu.sr[SysRegs.ESR_EL2]);
        assertEquals(CODE + 4, cpu.sr[SysRegs.ELR_EL2]);
    }

    @Test
    void breakpointInARealmAndTheRealmOnlySecurityStateControl() {
        long realmOnly = (1L << 29) | (1L << 14); // SSCE:SSC = 0b101
        boot(SecurityState.REALM, KDE | MDE, NOP, NOP, HVC_99);
        sysreg("DBGBVR3_EL1", CODE + 4);
        sysreg("DBGBCR3_EL1", realmOnly | EL1_ENABLED);
        run(SecurityState.REALM);
        assertEquals(esr(0x31, FSC_DEBUG), esrEl1());
        assertEquals(CODE + 4, cpu.sr[SysRegs.ELR_EL1]);

        Harness ns = new Harness();
        Cpu c = ns.cpu;
        ns.load(CODE, NOP, NOP, HVC_99);
        ns.enterEl1(SecurityState.NON_SECURE, CODE);
        c.writeSysReg(SysRegs.byName("OSLAR_EL1"), 0);
        c.writeSysReg(SysRegs.byName("MDSCR_EL1"), KDE | MDE);
        c.daif = 0;
        c.writeSysReg(SysRegs.byName("DBGBVR3_EL1"), CODE + 4);
        c.writeSysReg(SysRegs.byName("DBGBCR3_EL1"), realmOnly | EL1_ENABLED);
        assertEquals(Cpu.StopReason.ARRIVED, ns.runToEl2(SecurityState.NON_SECURE));
        assertEquals(esr(Esr.EC_HVC64, 0x99), c.sr[SysRegs.ESR_EL2], "a Realm-only breakpoint in Non-secure");
    }

    /** DBGWCR with byte-address-select {@code bas}, load/store control {@code lsc} (1 load, 2 store, 3 both). */
    private void watch(int n, long address, int bas, int lsc) {
        sysreg("DBGWVR" + n + "_EL1", address);
        sysreg("DBGWCR" + n + "_EL1", ((long) bas << 5) | ((long) lsc << 3) | EL1_ENABLED);
    }

    @Test
    void watchpointOnAStoreReportsWnrAndTheFirstWatchedByteInFar() {
        boot(SecurityState.NON_SECURE, KDE | MDE, STR_X2_X1, HVC_99);
        cpu.x[1] = DATA;
        cpu.x[2] = 0x1122_3344_5566_7788L;
        watch(0, DATA, 0xF0, 2); // bytes 4-7 of the doubleword, stores
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x35, Esr.WNR | FSC_DEBUG), esrEl1());
        assertEquals(DATA + 4, cpu.sr[SysRegs.FAR_EL1]);
        assertEquals(CODE, cpu.sr[SysRegs.ELR_EL1], "the watched instruction has not completed");
        assertEquals(0, h.mem.read(DATA, 8), "the store was not performed");
    }

    @Test
    void watchpointOnALoadHasWnrClearAndLscFiltersTheAccessKind() {
        boot(SecurityState.NON_SECURE, KDE | MDE, STR_X2_X1, LDR_X3_X1, HVC_99);
        cpu.x[1] = DATA + 8;
        watch(1, DATA + 8, 0x01, 1); // loads only: the store passes
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x35, FSC_DEBUG), esrEl1());
        assertEquals(DATA + 8, cpu.sr[SysRegs.FAR_EL1]);
        assertEquals(CODE + 4, cpu.sr[SysRegs.ELR_EL1]);
    }

    @Test
    void anAccessStraddlingTwoDoublewordsIsCaughtByTheWatchpointOnTheSecond() {
        boot(SecurityState.NON_SECURE, KDE | MDE, STR_X2_X1, HVC_99);
        cpu.x[1] = DATA + 4; // bytes DATA+4 .. DATA+11
        watch(2, DATA + 8, 0x02, 3); // only byte DATA+9
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x35, Esr.WNR | FSC_DEBUG), esrEl1());
        assertEquals(DATA + 9, cpu.sr[SysRegs.FAR_EL1]);
    }

    @Test
    void atomicReadModifyWriteReportsWnrClearWhenTheWatchpointWatchesLoads() {
        boot(SecurityState.NON_SECURE, KDE | MDE, LDADD_X2_X3_X1, HVC_99);
        cpu.x[1] = DATA;
        watch(3, DATA, 0xFF, 3);
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x35, FSC_DEBUG), esrEl1(), "a read of the location would have matched: WnR = 0");

        boot(SecurityState.NON_SECURE, KDE | MDE, LDADD_X2_X3_X1, HVC_99);
        cpu.x[1] = DATA;
        watch(3, DATA, 0xFF, 2);
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x35, Esr.WNR | FSC_DEBUG), esrEl1(), "stores only: WnR = 1");
    }

    @Test
    void misalignedAtomicIsAnAlignmentFaultWithWnrClear() {
        boot(SecurityState.NON_SECURE, 0, LDADD_X2_X3_X1, HVC_99);
        cpu.x[1] = DATA + 4;
        run(SecurityState.NON_SECURE);
        assertEquals(esr(Esr.EC_DABT_CUR, Esr.FSC_ALIGNMENT), esrEl1(),
                "WnR = 0: a read of the location would have generated the alignment fault");
        assertEquals(DATA + 4, cpu.sr[SysRegs.FAR_EL1]);
    }

    @Test
    void steppingAnInstructionTakesTheStepExceptionAfterItWithIsvAndEx() {
        boot(SecurityState.NON_SECURE, KDE | SS, LDXR_X3_X1, NOP, HVC_99);
        cpu.x[1] = DATA;
        cpu.pstateOther |= 1L << 21; // PSTATE.SS = 1: active-not-pending
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x33, ISV | EX | FSC_DEBUG), esrEl1(), "a stepped load-exclusive sets EX");
        assertEquals(CODE + 4, cpu.sr[SysRegs.ELR_EL1]);
        assertEquals(0, cpu.sr[SysRegs.SPSR_EL1] & (1L << 21), "PSTATE.SS was cleared by the step");
    }

    @Test
    void activePendingStepIsTakenBeforeAnyInstructionWithIsvClear() {
        boot(SecurityState.NON_SECURE, KDE | SS, NOP, HVC_99); // PSTATE.SS = 0
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x33, FSC_DEBUG), esrEl1());
        assertEquals(CODE, cpu.sr[SysRegs.ELR_EL1]);
    }

    @Test
    void steppedSvcSavesSpsrSsClearSoTheStepCompletesAtTheReturn() {
        boot(SecurityState.NON_SECURE, KDE | SS, SVC_0, HVC_99);
        cpu.pstateOther |= 1L << 21;
        run(SecurityState.NON_SECURE);
        assertEquals(esr(Esr.EC_SVC64, 0), esrEl1());
        assertEquals(CODE + 4, cpu.sr[SysRegs.ELR_EL1]);
        assertEquals(0, cpu.sr[SysRegs.SPSR_EL1] & (1L << 21));
    }

    @Test
    void eretFromAHandlerRestoresSpsrSsAndStepsTheFirstInstructionThere() {
        boot(SecurityState.NON_SECURE, KDE | SS, ERET, HVC_99, NOP, NOP);
        cpu.daif = 0x3C0; // the handler runs with PSTATE.D set: step is inactive at the source
        cpu.sr[SysRegs.SPSR_EL1] = (1L << 21) | 0x5 | 0x1C0; // SS = 1, EL1h, D clear
        cpu.sr[SysRegs.ELR_EL1] = CODE + 8;
        run(SecurityState.NON_SECURE);
        assertEquals(esr(0x33, ISV | FSC_DEBUG), esrEl1());
        assertEquals(CODE + 12, cpu.sr[SysRegs.ELR_EL1], "exactly one instruction was stepped");
    }
}
