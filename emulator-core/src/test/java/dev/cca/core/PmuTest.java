package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PMUv3 of one PE (dev.cca.core.cpu.Pmu): exact counts of instructions, cycles and data accesses under both
 * engines, filtering by exception level and security state, overflow status and the overflow PPI at the exact
 * instruction, CHAIN and 64-bit counters, the EL0 enables of PMUSERENR_EL0 and the MDCR_EL2 partition and traps.
 */
class PmuTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long EL0_CODE = Harness.RAM + 0x2000;
    private static final long VBAR = Harness.RAM + 0x8000;
    private static final long DATA = Harness.RAM + 0x10000;

    private static final int MSR_CNTENSET_X1 = 0xd51b9c21, MSR_EVTYPER0_X2 = 0xd51bec02,
            MSR_EVTYPER1_X3 = 0xd51bec23, MSR_PMCR_X4 = 0xd51b9c04, ISB = 0xd5033fdf, LDR_X5_X6 = 0xf94000c5,
            STR_X5_X6 = 0xf90000c5, NOP = 0xd503201f, MSR_PMCR_XZR = 0xd51b9c1f, HVC0 = 0xd4000002,
            ERET = 0xd69f03e0, SVC0 = 0xd4000001, MRS_X7_PMCCNTR = 0xd53b9d07, MSR_SWINC_X8 = 0xd51b9c88,
            MRS_X7_PMCR = 0xd53b9c07, MRS_X7_EVCNTR2 = 0xd53be847, MSR_EVTYPER2_X9 = 0xd51bec49,
            MSR_EVTYPER3_X10 = 0xd51bec6a, MSR_INTENSET_X11 = 0xd5189e2b, B_SELF = 0x14000000,
            MRS_X7_EVCNTR0 = 0xd53be807;

    private static final long P = 1L << 31, U = 1L << 30, NSK = 1L << 29, RLK = 1L << 22;

    private static Harness el1(SecurityState ss, int... code) {
        Harness h = new Harness();
        h.load(CODE, code);
        h.enterEl1(ss, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = VBAR;
        return h;
    }

    /** Enables counters 0, 1 and the cycle counter with the given event types, then runs {@code body}. */
    private static int[] program(int... body) {
        int[] head = {MSR_CNTENSET_X1, MSR_EVTYPER0_X2, MSR_EVTYPER1_X3, MSR_PMCR_X4};
        int[] all = new int[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private static void counters(Cpu c, long type0, long type1) {
        c.x[1] = (1L << Pmu.CYCLE) | 3;
        c.x[2] = type0;
        c.x[3] = type1;
        c.x[4] = Pmu.PMCR_E;
        c.x[6] = DATA;
    }

    @ParameterizedTest(name = "jit = {0}")
    @ValueSource(booleans = {false, true})
    void countsInstructionsCyclesAndDataAccessesExactlyBetweenTheMsrsThatStartAndStopThem(boolean jit) {
        int[] body = new int[4 + 3 * 40 + 2];
        int i = 0;
        body[i++] = ISB;
        for (int k = 0; k < 40; k++) {
            body[i++] = LDR_X5_X6;
            body[i++] = STR_X5_X6;
            body[i++] = NOP;
        }
        body[i++] = NOP;
        body[i++] = NOP;
        body[i++] = NOP;
        body[i++] = MSR_PMCR_XZR;
        body[i] = HVC0;
        Harness h = el1(SecurityState.NON_SECURE, program(body));
        Cpu c = h.cpu;
        c.setTranslation(jit);
        int threshold = Cpu.translationThreshold();
        Cpu.setTranslationThreshold(1);
        counters(c, Pmu.INST_RETIRED, Pmu.MEM_ACCESS);
        for (int run = 0; run < 3; run++) { // the third run executes translated blocks when jit is on
            c.pc = CODE;
            c.sr[SysRegs.SPSR_EL2] = 0x3C5;
            if (run > 0) {
                c.sr[SysRegs.ELR_EL2] = CODE;
                c.eret();
            }
            assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
            // Counted: ISB, 120 loop instructions, 3 NOPs and the MSR that clears PMCR_EL0.E (not the one that set it).
            long insns = 1 + 120 + 3 + 1;
            assertEquals(insns * (run + 1), c.pmu.counter(0), "INST_RETIRED after run " + run);
            assertEquals(80L * (run + 1), c.pmu.counter(1), "MEM_ACCESS after run " + run);
            assertEquals(insns * (run + 1), c.pmu.counter(Pmu.CYCLE), "cycles after run " + run);
        }
        Cpu.setTranslationThreshold(threshold);
    }

    @Test
    void filtersCountEachExceptionLevelAndCountExceptionsAtTheLevelTheyLeave() {
        // EL1: enable, ERET to EL0; EL0: NOP, NOP, SVC; EL1 vector: HVC to EL2.
        Harness h = el1(SecurityState.NON_SECURE, program(ERET));
        h.load(EL0_CODE, NOP, NOP, SVC0);
        h.load(VBAR + 0x400, HVC0);
        Cpu c = h.cpu;
        counters(c, Pmu.INST_RETIRED | U, Pmu.INST_RETIRED | P);
        c.x[1] |= 0xC;
        c.sr[SysRegs.ELR_EL1] = EL0_CODE;
        c.sr[SysRegs.SPSR_EL1] = 0; // EL0t
        c.writeSysReg(SysRegs.byName("PMEVTYPER2_EL0"), Pmu.EXC_TAKEN);
        c.writeSysReg(SysRegs.byName("PMEVTYPER3_EL0"), Pmu.EXC_RETURN);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(2, c.pmu.counter(0), "EL1 only: ERET and HVC");
        assertEquals(3, c.pmu.counter(1), "EL0 only: NOP, NOP, SVC");
        assertEquals(5, c.pmu.counter(Pmu.CYCLE), "unfiltered cycles");
        assertEquals(2, c.pmu.counter(2), "EXC_TAKEN: SVC from EL0, HVC from EL1");
        assertEquals(1, c.pmu.counter(3), "EXC_RETURN: the ERET");
    }

    @Test
    void nonSecureAndRealmEl1FiltersUseTheirOwnBits() {
        for (SecurityState ss : new SecurityState[] {SecurityState.NON_SECURE, SecurityState.REALM}) {
            Harness h = el1(ss, program(NOP, NOP, MSR_PMCR_XZR, HVC0));
            Cpu c = h.cpu;
            // Counter 0: P = 1 and NSK = 1 (counts Non-secure EL1, not Realm EL1); counter 1: P = 1, RLK = 1.
            counters(c, Pmu.INST_RETIRED | P | NSK, Pmu.INST_RETIRED | P | RLK);
            assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(ss));
            boolean ns = ss == SecurityState.NON_SECURE;
            assertEquals(ns ? 3 : 0, c.pmu.counter(0), ss + " NSK");
            assertEquals(ns ? 0 : 3, c.pmu.counter(1), ss + " RLK");
        }
    }

    @Test
    void overflowSetsStatusAndAssertsThePpiAtTheExactInstruction() {
        Harness h = el1(SecurityState.NON_SECURE, program(B_SELF));
        Cpu c = h.cpu;
        counters(c, Pmu.INST_RETIRED, Pmu.CPU_CYCLES);
        c.writeSysReg(SysRegs.byName("PMEVCNTR0_EL0"), 0xFFFF_FFF0L);
        c.writeSysReg(SysRegs.byName("PMINTENSET_EL1"), 1);
        c.setBudget(4 + 15); // the four set-up MSRs, then 15 branches: one short of the overflow
        c.runUntil(2, SecurityState.NON_SECURE);
        assertFalse(h.machine.gic.redistributor(0).line(Pmu.PPI));
        assertFalse(c.pmu.irqAsserted());
        c.setBudget(1);
        c.runUntil(2, SecurityState.NON_SECURE);
        assertTrue(h.machine.gic.redistributor(0).line(Pmu.PPI), "PPI 23 asserted by the 16th instruction");
        assertEquals(1, c.pmu.overflowStatus());
        assertEquals(0x1_0000_0000L, c.pmu.counter(0), "the 64-bit counter goes on past bit 31");
        c.writeSysReg(SysRegs.byName("PMOVSCLR_EL0"), 1);
        assertFalse(h.machine.gic.redistributor(0).line(Pmu.PPI), "level-sensitive: cleared with the status");
    }

    @Test
    void chainCountsEvenCounterOverflowsAndLpMakesCountersOverflowAt64Bits() {
        Harness h = el1(SecurityState.NON_SECURE, program(MSR_SWINC_X8, MSR_SWINC_X8, HVC0));
        Cpu c = h.cpu;
        counters(c, Pmu.SW_INCR, Pmu.CHAIN);
        c.x[8] = 1;
        c.writeSysReg(SysRegs.byName("PMEVCNTR0_EL0"), 0xFFFF_FFFFL);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(0x1_0000_0001L, c.pmu.counter(0));
        assertEquals(1, c.pmu.counter(1), "CHAIN: one overflow of counter 0");
        assertEquals(1, c.pmu.overflowStatus());

        Harness h64 = el1(SecurityState.NON_SECURE, program(MSR_SWINC_X8, HVC0));
        Cpu c64 = h64.cpu;
        counters(c64, Pmu.SW_INCR, Pmu.CHAIN);
        c64.x[4] = Pmu.PMCR_E | Pmu.PMCR_LP;
        c64.x[8] = 1;
        c64.writeSysReg(SysRegs.byName("PMEVCNTR0_EL0"), 0xFFFF_FFFFL);
        h64.runToEl2(SecurityState.NON_SECURE);
        assertEquals(0, c64.pmu.overflowStatus(), "PMCR_EL0.LP: no overflow at bit 31, so no CHAIN");
        assertEquals(0, c64.pmu.counter(1));
    }

    @Test
    void el0AccessNeedsPmuserenrAndTrapsToEl1Otherwise() {
        Harness h = el1(SecurityState.NON_SECURE, ERET);
        h.load(EL0_CODE, MRS_X7_PMCCNTR, SVC0);
        h.load(VBAR + 0x400, HVC0);
        Cpu c = h.cpu;
        c.sr[SysRegs.ELR_EL1] = EL0_CODE;
        c.sr[SysRegs.SPSR_EL1] = 0;
        h.runToEl2(SecurityState.NON_SECURE);
        long esr = c.sr[SysRegs.ESR_EL1];
        assertEquals(Esr.EC_SYSREG, Esr.ec(esr), "PMCCNTR_EL0 from EL0 without EN or CR traps to EL1");
        assertEquals(1, esr & 1, "a read");
        assertEquals(EL0_CODE, c.sr[SysRegs.ELR_EL1]);

        Harness h2 = el1(SecurityState.NON_SECURE, ERET);
        h2.load(EL0_CODE, MRS_X7_PMCCNTR, SVC0);
        h2.load(VBAR + 0x400, HVC0);
        Cpu c2 = h2.cpu;
        c2.sr[SysRegs.ELR_EL1] = EL0_CODE;
        c2.sr[SysRegs.SPSR_EL1] = 0;
        c2.writeSysReg(SysRegs.byName("PMUSERENR_EL0"), Pmu.USERENR_CR);
        c2.x[7] = -1;
        h2.runToEl2(SecurityState.NON_SECURE);
        assertEquals(Esr.EC_SVC64, Esr.ec(c2.sr[SysRegs.ESR_EL1]), "PMUSERENR_EL0.CR lets EL0 read the cycles");
        assertEquals(0, c2.x[7]);
    }

    @Test
    void mdcrEl2PartitionsTheCountersAndTrapsEl1Accesses() {
        Harness h = el1(SecurityState.NON_SECURE, MRS_X7_PMCR, MRS_X7_EVCNTR2, HVC0);
        Cpu c = h.cpu;
        c.sr[SysRegs.MDCR_EL2] = 2; // HPMN = 2
        c.pmu.reload();
        h.load(VBAR + 0x200, HVC0); // current EL, SPx: the UNDEFINED access
        h.runToEl2(SecurityState.NON_SECURE);
        assertEquals(2, (c.x[7] >>> 11) & 0x1F, "PMCR_EL0.N reads HPMN at EL1");
        assertEquals(Esr.EC_UNKNOWN, Esr.ec(c.sr[SysRegs.ESR_EL1]), "PMEVCNTR2_EL0 is reserved for EL2");
        assertEquals(Pmu.COUNTERS, (c.readSysReg(SysRegs.byName("PMCR_EL0")) >>> 11) & 0x1F, "all at EL2");

        Harness t = el1(SecurityState.NON_SECURE, MRS_X7_EVCNTR0, HVC0);
        t.cpu.sr[SysRegs.MDCR_EL2] = Pmu.COUNTERS | Pmu.MDCR_TPM;
        t.runToEl2(SecurityState.NON_SECURE);
        long esr = t.cpu.sr[SysRegs.ESR_EL2];
        assertEquals(Esr.EC_SYSREG, Esr.ec(esr), "MDCR_EL2.TPM traps PMU accesses from EL1 to EL2");
        assertEquals(CODE, t.cpu.sr[SysRegs.ELR_EL2]);
    }

    @Test
    void pmceidAdvertisesExactlyTheCountedEvents() {
        Harness h = el1(SecurityState.NON_SECURE, B_SELF);
        Cpu c = h.cpu;
        assertEquals(Pmu.PMCEID0, c.readSysReg(SysRegs.byName("PMCEID0_EL0")));
        assertEquals(Pmu.PMCEID1, c.readSysReg(SysRegs.byName("PMCEID1_EL0")));
        assertEquals(6, (c.sr[SysRegs.ID_AA64DFR0_EL1] >>> 8) & 0xF, "PMUVer: FEAT_PMUv3p5");
        // Every advertised event except SW_INCR and CHAIN is driven by the instruction stream; the others count 0.
        for (int e = 0; e < 64; e++) {
            boolean adv = ((e < 32 ? Pmu.PMCEID0 : Pmu.PMCEID1) >>> (e & 31) & 1) != 0;
            boolean counted = e == Pmu.SW_INCR || e == Pmu.INST_RETIRED || e == Pmu.EXC_TAKEN || e == Pmu.EXC_RETURN
                    || e == Pmu.CPU_CYCLES || e == Pmu.MEM_ACCESS || e == Pmu.INST_SPEC || e == Pmu.CHAIN
                    || e == Pmu.STALL_FRONTEND || e == Pmu.STALL_BACKEND;
            assertEquals(counted, adv, "event " + Integer.toHexString(e));
        }
    }

    @Test
    void disabledPmuCountsNothingAndSaveRestoreRoundTrips() {
        Harness h = el1(SecurityState.NON_SECURE, NOP, NOP, HVC0);
        Cpu c = h.cpu;
        c.writeSysReg(SysRegs.byName("PMCNTENSET_EL0"), 1L << Pmu.CYCLE);
        h.runToEl2(SecurityState.NON_SECURE);
        assertEquals(0, c.pmu.counter(Pmu.CYCLE), "PMCR_EL0.E = 0");
        long[] ctx = new long[Pmu.CONTEXT_LENGTH];
        c.writeSysReg(SysRegs.byName("PMEVCNTR3_EL0"), 1234);
        c.pmu.save(ctx, 0);
        c.pmu.restore(new long[Pmu.CONTEXT_LENGTH], 0);
        assertEquals(0, c.pmu.counter(3));
        c.pmu.restore(ctx, 0);
        assertEquals(1234, c.pmu.counter(3));
        assertEquals(1L << Pmu.CYCLE, c.readSysReg(SysRegs.byName("PMCNTENSET_EL0")));
    }
}
