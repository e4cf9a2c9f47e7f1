package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.PhysicalMemory;

/**
 * Stage-1 tables for the EL1&amp;0 regime with a 39-bit VA and 4 KB pages, built in guest memory for tests: RAM at
 * 0x4000_0000 identity-mapped by a 1 GB block, and a window of 4 KB pages at {@link #WINDOW} whose descriptors a
 * test can rewrite.
 */
final class MmuSetup {
    static final long WINDOW = 0x8000_0000L;
    static final long AF = 1L << 10, SH_IS = 3L << 8, NG = 1L << 11, AP_RO = 2L << 6;

    final PhysicalMemory mem;
    final long l1, l2, l3;

    /** Tables at {@code base} (three pages). */
    MmuSetup(PhysicalMemory mem, long base) {
        this.mem = mem;
        l1 = base;
        l2 = base + 0x1000;
        l3 = base + 0x2000;
        mem.zero(base, 0x3000);
        mem.write(l1 + 8, 8, 0x4000_0000L | AF | SH_IS | 1);
        mem.write(l1 + 16, 8, l2 | 3);
        mem.write(l2, 8, l3 | 3);
    }

    /** Maps window page {@code n} to {@code pa} with extra descriptor bits. */
    void map(int n, long pa, long attrs) {
        mem.write(l3 + 8L * n, 8, pa | AF | SH_IS | attrs | 3);
    }

    /** Turns the MMU on for EL1&0 on {@code cpu} with ASID {@code asid} in TTBR0_EL1. */
    void enable(Cpu cpu, int asid) {
        cpu.writeSysReg(SysRegs.MAIR_EL1, 0xFF);
        cpu.writeSysReg(SysRegs.TCR_EL1, 25L | (1L << 8) | (1L << 10) | (3L << 12) | (25L << 16) | (2L << 30)
                | (5L << 32) | (1L << 36));
        cpu.writeSysReg(SysRegs.TTBR0_EL1, l1 | ((long) asid << 48));
        cpu.writeSysReg(SysRegs.SCTLR_EL1, cpu.sr[SysRegs.SCTLR_EL1] | 1);
    }
}
