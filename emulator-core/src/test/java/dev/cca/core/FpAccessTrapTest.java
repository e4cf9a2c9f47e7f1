package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The SIMD&amp;FP access controls at every level (CheckFPAdvSIMDEnabled64): CPACR_EL1.FPEN to EL1, CPTR_EL2.TFP to
 * EL2, CPTR_EL3.TFP to EL3, with the priority EL1 before EL2 before EL3, and MRS of FPCR trapping like an FP
 * instruction. (The differential suite covers the EL1 case against QEMU; these levels are above its harness.)
 */
class FpAccessTrapTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long VECTORS = Harness.RAM + 0x4000;
    private static final int FADD = 0x1e602800;   // fadd d0, d0, d0
    private static final int MRS_FPCR = 0xd53b4400; // mrs x0, fpcr
    private static final int HVC = 0xd4000002;    // hvc #0
    private static final int FP_TRAP_ESR = (Esr.EC_FP_ACCESS << 26) | Esr.IL | (1 << 24) | (0xE << 20);

    private static Harness el1With(long cpacr, long cptrEl2, long cptrEl3, int... code) {
        Harness h = new Harness();
        h.load(CODE, code);
        h.load(VECTORS + 0x200, HVC); // EL1 synchronous vector: report by HVC to EL2
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        Cpu c = h.cpu;
        c.sr[SysRegs.VBAR_EL1] = VECTORS;
        c.sr[SysRegs.CPACR_EL1] = cpacr;
        c.sr[SysRegs.CPTR_EL2] = cptrEl2;
        c.sr[SysRegs.CPTR_EL3] = cptrEl3;
        return h;
    }

    @Test
    void fpInstructionRunsWhenEveryLevelAllowsIt() {
        Harness h = el1With(3L << 20, 0, 0, FADD, HVC);
        h.cpu.v[0] = Double.doubleToRawLongBits(1.25);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(2.5, Double.longBitsToDouble(h.cpu.v[0]));
    }

    @Test
    void cpacrFpenZeroTrapsEl1ToEl1WithEc7() {
        Harness h = el1With(0, 0, 0, FADD, HVC);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        // The trap went to EL1, whose vector reported it with an HVC.
        assertEquals(FP_TRAP_ESR, h.cpu.sr[SysRegs.ESR_EL1]);
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL1]);
    }

    @Test
    void cpacrFpenOneAllowsEl1() {
        Harness h = el1With(1L << 20, 0, 0, FADD, HVC);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(CODE + 8, h.cpu.sr[SysRegs.ELR_EL2], "the FADD ran, then the HVC after it");
    }

    @Test
    void cptrEl2TfpTrapsToEl2() {
        Harness h = el1With(3L << 20, 1L << 10, 0, FADD, HVC);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(FP_TRAP_ESR, h.cpu.sr[SysRegs.ESR_EL2]);
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL2]);
    }

    @Test
    void el1TrapTakesPriorityOverEl2Trap() {
        Harness h = el1With(0, 1L << 10, 1L << 10, FADD, HVC);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(FP_TRAP_ESR, h.cpu.sr[SysRegs.ESR_EL1]);
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
    }

    @Test
    void cptrEl3TfpTrapsToEl3() {
        Harness h = el1With(3L << 20, 0, 1L << 10, MRS_FPCR, HVC);
        h.cpu.setBudget(1000);
        assertEquals(Cpu.StopReason.ARRIVED, h.cpu.runUntil(3, SecurityState.ROOT));
        assertEquals(FP_TRAP_ESR, h.cpu.sr[SysRegs.ESR_EL3]);
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL3]);
    }

    @Test
    void loadsAndStoresOfSimdRegistersTrapToo() {
        Harness h = el1With(3L << 20, 1L << 10, 0, 0x3dc00261 /* ldr q1, [x19] */, HVC);
        h.cpu.x[19] = Harness.RAM;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(FP_TRAP_ESR, h.cpu.sr[SysRegs.ESR_EL2]);
    }
}
