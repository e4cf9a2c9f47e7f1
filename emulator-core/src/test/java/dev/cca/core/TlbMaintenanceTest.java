package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.TlbOp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The TLB keeps global entries across ASID changes and drops the non-global ones; TLBI by VA, by ASID and for all
 * ASIDs invalidate what they name (stale entries are visible on purpose: descriptors change without TLBI).
 */
class TlbMaintenanceTest {
    static final long PA_A = Harness.RAM + 0x20000, PA_B = Harness.RAM + 0x21000, PA_C = Harness.RAM + 0x22000;
    final Harness h = new Harness();
    final Cpu cpu = h.cpu;
    MmuSetup mmu;
    final long vaGlobal = MmuSetup.WINDOW, vaNg = MmuSetup.WINDOW + 0x1000;

    @BeforeEach
    void setUp() {
        h.mem.write(PA_A, 8, 0xA);
        h.mem.write(PA_B, 8, 0xB);
        h.mem.write(PA_C, 8, 0xC);
        mmu = new MmuSetup(h.mem, Harness.RAM + 0x10000);
        mmu.map(0, PA_A, 0);
        mmu.map(1, PA_B, MmuSetup.NG);
        h.enterEl1(SecurityState.NON_SECURE, Harness.RAM + 0x1000);
        mmu.enable(cpu, 1);
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0));
        assertEquals(0xB, cpu.read(vaNg, 8, 0));
        // Both descriptors now point at C; the TLB still holds the old translations.
        mmu.map(0, PA_C, 0);
        mmu.map(1, PA_C, MmuSetup.NG);
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0));
        assertEquals(0xB, cpu.read(vaNg, 8, 0));
    }

    @Test
    void asidChangeDropsNonGlobalEntriesOnly() {
        cpu.writeSysReg(SysRegs.TTBR0_EL1, mmu.l1 | (2L << 48));
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0), "global entry survives the ASID change");
        assertEquals(0xC, cpu.read(vaNg, 8, 0), "non-global entry was dropped");
    }

    @Test
    void ttbrWriteWithTheSameAsidKeepsEntries() {
        cpu.writeSysReg(SysRegs.TTBR0_EL1, mmu.l1 | (1L << 48));
        assertEquals(0xB, cpu.read(vaNg, 8, 0));
    }

    @Test
    void tlbiByVaInvalidatesGlobalAndMatchingAsidEntries() {
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_VA, vaNg, 7), false);
        assertEquals(0xB, cpu.read(vaNg, 8, 0), "another ASID's VA invalidation leaves this ASID's entry");
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_VA, vaNg, 1), false);
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_VA, vaGlobal | (0xFFL << 56), 7), false);
        assertEquals(0xC, cpu.read(vaGlobal, 8, 0), "global entries match any ASID; the top byte is ignored");
    }

    @Test
    void tlbiByAsidLeavesGlobalEntries() {
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_ASID, 0, 1), false);
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0));
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
    }

    @Test
    void tlbiVaOfAPageInsideABlockInvalidatesTheBlock() {
        // A 2 MB block at WINDOW + 2 MB: read two of its pages, then change the block and invalidate one VA.
        long va = MmuSetup.WINDOW + 0x20_0000;
        h.mem.write(Harness.RAM + 0x40_0000 + 0x5000, 8, 0x55);
        h.mem.write(Harness.RAM + 0x60_0000 + 0x5000, 8, 0x66);
        h.mem.write(mmu.l2 + 8, 8, (Harness.RAM + 0x40_0000) | MmuSetup.AF | 1);
        assertEquals(0x55, cpu.read(va + 0x5000, 8, 0));
        h.mem.write(mmu.l2 + 8, 8, (Harness.RAM + 0x60_0000) | MmuSetup.AF | 1);
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_VA_ALL_ASID, va + 0x1000, 0), false);
        assertEquals(0x66, cpu.read(va + 0x5000, 8, 0));
    }

    @Test
    void revalidationKeepsEntriesForTheSameContextAndFlushesForAnother() {
        cpu.revalidateTranslation(); // registers as they were when the entries were filled
        assertEquals(0xB, cpu.read(vaNg, 8, 0));
        cpu.sr[SysRegs.VTTBR_EL2] = 5L << 48; // a hypervisor model loads another VM's registers directly
        cpu.revalidateTranslation();
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
        assertEquals(0xC, cpu.read(vaGlobal, 8, 0));
    }

    @Test
    void revalidationWithAnotherAsidDropsOnlyNonGlobalEntries() {
        cpu.sr[SysRegs.TTBR0_EL1] = mmu.l1 | (9L << 48);
        cpu.revalidateTranslation();
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0));
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 100, 400})
    void aFullFlushDropsEveryEntryWhetherFewOrManyWereFilled(int more) {
        // A flush after few fills clears only the entries filled; after many it clears every array.
        for (int n = 2; n < 2 + more; n++) {
            mmu.map(n, PA_A, 0);
            assertEquals(0xA, cpu.read(MmuSetup.WINDOW + 0x1000L * n, 8, 0));
            mmu.map(n, PA_B, 0);
        }
        cpu.flushTlb();
        assertEquals(0xC, cpu.read(vaGlobal, 8, 0));
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
        for (int n = 2; n < 2 + more; n++) {
            assertEquals(0xB, cpu.read(MmuSetup.WINDOW + 0x1000L * n, 8, 0), "page " + n);
        }
        // and the entries filled after the flush are flushed by the next one
        mmu.map(0, PA_A, 0);
        cpu.flushTlb();
        assertEquals(0xA, cpu.read(vaGlobal, 8, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 400})
    void tlbiAllForEl2LeavesEl10Entries(int more) {
        // (after few fills it invalidates from the list of filled entries, after many it scans the regime)
        for (int n = 2; n < 2 + more; n++) {
            mmu.map(n, PA_A, 0);
            assertEquals(0xA, cpu.read(MmuSetup.WINDOW + 0x1000L * n, 8, 0));
        }
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL2, TlbOp.ALL, 0, 0), false);
        assertEquals(0xB, cpu.read(vaNg, 8, 0));
        cpu.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.ALL, 0, 0), false);
        assertEquals(0xC, cpu.read(vaNg, 8, 0));
        assertEquals(0xC, cpu.read(vaGlobal, 8, 0));
    }
}
