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
 * Stage-1 Address Size Faults (Arm ARM D8.3.3): an output address above the size TCR_EL1.IPS configures faults at
 * the level of the descriptor that holds it (cca-rmm-acs mm_realm_access_outside_ipa).
 */
class AddressSizeFaultTest {
    private static final long TABLES = Harness.RAM + 0x10_0000;

    private static Harness withWindowPageAt(long pa, long ips) {
        Harness h = new Harness();
        MmuSetup s = new MmuSetup(h.mem, TABLES);
        s.map(0, pa, 0);
        h.enterEl1(SecurityState.NON_SECURE, Harness.RAM);
        s.enable(h.cpu, 0);
        long tcr = h.cpu.sr[SysRegs.TCR_EL1] & ~(7L << 32);
        h.cpu.writeSysReg(SysRegs.TCR_EL1, tcr | (ips << 32));
        return h;
    }

    @Test
    void leafOutputAboveIpsIsAnAddressSizeFaultAtLevel3() {
        Harness h = withWindowPageAt(0x1_0000_0000L, 0); // IPS = 0b000: 32 bits
        Mmu m = h.cpu.mmu();
        assertFalse(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(Esr.FSC_ADDR_SIZE + 3, m.faultFsc);
    }

    @Test
    void sameDescriptorTranslatesWhenIpsCoversIt() {
        Harness h = withWindowPageAt(0x1_0000_0000L, 1); // IPS = 0b001: 36 bits
        Mmu m = h.cpu.mmu();
        assertTrue(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(0x1_0000_0000L, m.outPa);
    }

    @Test
    void tableAddressAboveIpsFaultsAtTheLevelOfTheTableDescriptor() {
        Harness h = withWindowPageAt(Harness.RAM, 0);
        // The level-1 entry for the window points at a level-2 table above 4 GB.
        h.mem.write(TABLES + 16, 8, 0x1_0000_0000L | 3);
        Mmu m = h.cpu.mmu();
        assertFalse(m.translate(h.cpu.translationContext(), MmuSetup.WINDOW, Mmu.READ, Cpu.MMU_EL10_1));
        assertEquals(Esr.FSC_ADDR_SIZE + 1, m.faultFsc);
    }
}
