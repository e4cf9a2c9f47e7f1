package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EL1 code running under a stage-2 translation whose tables are built in memory in the architectural format. */
class StageTwoTranslationTest {
    static final long TABLES = Harness.RAM + 0x10_0000;
    static final long CODE_PA = Harness.RAM + 0x1000;
    static final long DATA_PA = Harness.RAM + 0x2000;
    static final long CODE_IPA = 0x8000_0000L;
    static final long DATA_IPA = 0x8000_1000L;

    /** Maps 4 KB pages with a 32-bit IPA space starting at level 1 (VTCR_EL2.T0SZ = 32, SL0 = 1). */
    static void buildStage2(Harness h) {
        long l1 = TABLES, l2 = TABLES + 0x1000, l3 = TABLES + 0x2000;
        h.mem.write(l1 + 8 * 2, 8, l2 | 3);             // IPA 0x8000_0000 / 1 GB
        h.mem.write(l2 + 8 * 0, 8, l3 | 3);             // first 2 MB
        long page = (1L << 10) | (3L << 6) | (0xFL << 2) | 3; // AF, S2AP RW, normal memory, page
        h.mem.write(l3 + 8 * 0, 8, CODE_PA | page);
        h.mem.write(l3 + 8 * 1, 8, DATA_PA | page);
        h.cpu.sr[SysRegs.VTCR_EL2] = 32 | (1 << 6);
        h.cpu.sr[SysRegs.VTTBR_EL2] = TABLES;
        h.cpu.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW | SysRegs.HCR_VM;
        h.cpu.onTranslationRegimeChange();
    }

    @Test
    void mappedIpaReadsBackingPageAndUnmappedIpaFaultsToEl2WithSyndrome() {
        Harness h = new Harness();
        h.load(CODE_PA, 0xf9400022, 0xf9000062, 0xd4000022); // ldr x2,[x1]; str x2,[x3]; hvc #1
        h.mem.write(DATA_PA, 8, 0x1122334455667788L);
        h.enterEl1(SecurityState.NON_SECURE, CODE_IPA);
        buildStage2(h);
        h.cpu.x[1] = DATA_IPA;
        h.cpu.x[3] = 0x0900_0000L;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(0x1122334455667788L, h.cpu.x[2]);
        long esr = h.cpu.sr[SysRegs.ESR_EL2];
        assertEquals(Esr.EC_DABT_LOWER, Esr.ec(esr));
        int iss = Esr.iss(esr);
        assertTrue((iss & Esr.ISV) != 0, "a single-register store reports a valid instruction syndrome");
        assertEquals(3, (iss >>> Esr.SAS_SHIFT) & 3, "doubleword access");
        assertEquals(2, (iss >>> Esr.SRT_SHIFT) & 31, "source register x2");
        assertTrue((iss & Esr.SF) != 0);
        assertTrue((iss & Esr.WNR) != 0);
        assertEquals(Esr.FSC_TRANSLATION + 1, iss & 0x3F, "IPA 0x0900_0000 has no level-1 entry");
        assertEquals(0x0900_0000L, h.cpu.sr[SysRegs.FAR_EL2]);
        assertEquals((0x0900_0000L >>> 12) << 4, h.cpu.sr[SysRegs.HPFAR_EL2]);
        assertEquals(CODE_IPA + 4, h.cpu.sr[SysRegs.ELR_EL2], "the faulting store is the return address");
    }

    @Test
    void fetchFromUnmappedIpaIsAnInstructionAbortAtStage2() {
        Harness h = new Harness();
        h.enterEl1(SecurityState.NON_SECURE, 0x7000_0000L);
        buildStage2(h);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long esr = h.cpu.sr[SysRegs.ESR_EL2];
        assertEquals(Esr.EC_IABT_LOWER, Esr.ec(esr));
        assertEquals((0x7000_0000L >>> 12) << 4, h.cpu.sr[SysRegs.HPFAR_EL2]);
    }
}
