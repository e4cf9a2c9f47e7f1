package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SIMD&amp;FP loads and stores with SP as the base register: CheckSPAlignment applies as for general registers. */
class FpLoadStoreTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long VECTORS = Harness.RAM + 0x4000;
    private static final int STR_Q0_SP = 0x3d8003e0;      // str q0, [sp]
    private static final int LDP_Q1_Q2_SP = 0xacc10be1;   // ldp q1, q2, [sp], #32
    private static final int HVC = 0xd4000002;

    private static Harness run(long sp, long sctlr) {
        Harness h = new Harness();
        h.load(CODE, STR_Q0_SP, LDP_Q1_Q2_SP, HVC);
        h.load(VECTORS + 0x200, HVC);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        Cpu c = h.cpu;
        c.sr[SysRegs.VBAR_EL1] = VECTORS;
        c.sr[SysRegs.CPACR_EL1] = 3L << 20;
        c.sr[SysRegs.SCTLR_EL1] = sctlr;
        c.setSp(sp);
        c.v[0] = 0x1111_2222_3333_4444L;
        c.v[1] = 0x5555_6666_7777_8888L;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        return h;
    }

    @Test
    void alignedSpBaseStoresAndLoadsWithWriteback() {
        long sp = Harness.RAM + 0x8000;
        Harness h = run(sp, SysRegs.SCTLR_SA);
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(0x1111_2222_3333_4444L, h.cpu.v[2]);
        assertEquals(0x5555_6666_7777_8888L, h.cpu.v[3]);
        assertEquals(sp + 32, h.cpu.spEl[1], "SP_EL1 written back");
    }

    @Test
    void misalignedSpBaseFaultsWhenSctlrSaIsSet() {
        Harness h = run(Harness.RAM + 0x8008, SysRegs.SCTLR_SA);
        assertEquals(Esr.EC_SP_ALIGN, Esr.ec(h.cpu.sr[SysRegs.ESR_EL1]));
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL1]);
    }

    @Test
    void misalignedSpBaseIsAllowedWithoutSctlrSa() {
        Harness h = run(Harness.RAM + 0x8008, 0);
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(0x1111_2222_3333_4444L, h.cpu.v[2]);
    }
}
