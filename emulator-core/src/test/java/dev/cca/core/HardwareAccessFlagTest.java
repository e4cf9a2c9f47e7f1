package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mmu.Mmu;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FEAT_HAFDBS (ID_AA64MMFR1_EL1.HAFDBS = 2): with TCR_EL1.HA the walk sets a clear access flag instead of faulting;
 * with TCR_EL1.HD a write to a writable-clean page (DBM set, AP[2] read-only) makes it dirty (cca-rmm-acs
 * mm_ha_hd_access). Stage 2 does the same under VTCR_EL2.HA/HD.
 */
class HardwareAccessFlagTest {
    private static final long TABLES = Harness.RAM + 0x10_0000;
    private static final long PAGE = Harness.RAM + 0x20_0000;
    private static final long DBM = 1L << 51;
    private static final long HA = 1L << 39, HD = 1L << 40;

    private final Harness h = new Harness();
    private final MmuSetup s = new MmuSetup(h.mem, TABLES);
    private final Mmu m;

    HardwareAccessFlagTest() {
        h.enterEl1(SecurityState.NON_SECURE, Harness.RAM);
        s.enable(h.cpu, 0);
        m = h.cpu.mmu();
    }

    private long descriptor() {
        return h.mem.read(s.l3, 8);
    }

    private void mapWithoutAccessFlag(long attrs) {
        h.mem.write(s.l3, 8, PAGE | MmuSetup.SH_IS | attrs | 3);
    }

    private void tcr(long bits) {
        h.cpu.writeSysReg(SysRegs.TCR_EL1, h.cpu.sr[SysRegs.TCR_EL1] | bits);
    }

    @Test
    void theIdRegisterSaysHardwareAccessFlagAndDirtyState() {
        assertEquals(2, h.cpu.sr[SysRegs.ID_AA64MMFR1_EL1] & 0xF);
    }

    @Test
    void withoutHaAClearAccessFlagFaults() {
        mapWithoutAccessFlag(0);
        assertFalse(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(Esr.FSC_ACCESS_FLAG + 3, m.faultFsc);
        assertEquals(0, descriptor() & MmuSetup.AF);
    }

    @Test
    void withHaTheWalkSetsTheAccessFlag() {
        mapWithoutAccessFlag(0);
        tcr(HA);
        assertTrue(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(PAGE, m.outPa);
        assertEquals(MmuSetup.AF, descriptor() & MmuSetup.AF);
    }

    @Test
    void aDebuggerTranslationLeavesTheTablesAlone() {
        mapWithoutAccessFlag(0);
        tcr(HA);
        assertEquals(PAGE, h.cpu.translateForDebug(MmuSetup.WINDOW, false));
        assertEquals(0, descriptor() & MmuSetup.AF);
    }

    @Test
    void withHdAWriteToAWritableCleanPageMakesItDirty() {
        mapWithoutAccessFlag(MmuSetup.AP_RO | DBM);
        tcr(HA | HD);
        assertTrue(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(0, m.outPerms & (1 << Mmu.WRITE), "clean: read-only until written");
        assertTrue(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.WRITE, Cpu.MMU_EL10_1));
        assertEquals(0, descriptor() & MmuSetup.AP_RO, "AP[2] cleared: dirty");
    }

    @Test
    void aReadOnlyPageWithoutDbmStillFaultsOnWrite() {
        mapWithoutAccessFlag(MmuSetup.AP_RO);
        tcr(HA | HD);
        assertFalse(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.WRITE, Cpu.MMU_EL10_1));
        assertEquals(Esr.FSC_PERMISSION + 3, m.faultFsc);
    }

    @Test
    void aStoreByTheCpuToAWritableCleanPageSucceeds() {
        mapWithoutAccessFlag(MmuSetup.AP_RO | DBM);
        tcr(HA | HD);
        h.cpu.write(MmuSetup.WINDOW, 8, 0x1234, 0);
        assertEquals(0x1234, h.mem.read(PAGE, 8));
        assertEquals(MmuSetup.AF, descriptor() & (MmuSetup.AF | MmuSetup.AP_RO));
    }
}
