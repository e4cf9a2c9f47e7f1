package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A hypervisor's injection of a synchronous exception into its guest's EL1 follows AArch64.TakeException. */
class GuestExceptionsTest {
    private final Cpu cpu = new Machine(1).cpu(0);

    private void guestAt(long pstate, long pc) {
        cpu.sr[SysRegs.SPSR_EL2] = pstate;
        cpu.sr[SysRegs.ELR_EL2] = pc;
        cpu.sr[SysRegs.VBAR_EL1] = 0x8_0000;
    }

    /** kvm_skip_instr: the emulated instruction was the one being stepped, so the step completes after it. */
    @Test
    void skippingAnEmulatedInstructionStepsThePcAndCompletesASoftwareStep() {
        long ss = 1L << 21;
        guestAt(ss | 0x3C5, 0x4000_2000L);
        GuestExceptions.skipInstruction(cpu.sr);
        assertEquals(0x4000_2004L, cpu.sr[SysRegs.ELR_EL2]);
        assertEquals(0x3C5, cpu.sr[SysRegs.SPSR_EL2], "SPSR_EL2.SS cleared, the rest kept");
    }

    @Test
    void undefinedFromEl1hKeepsTheFlagsAndSetsPanWhenSpanIsClear() {
        long nzcv = 0xAL << 28;
        guestAt(nzcv | 0x5, 0x4000_1000L); // EL1h, interrupts unmasked
        cpu.sr[SysRegs.SCTLR_EL1] = 0; // SPAN = 0: PAN is set on exception entry
        GuestExceptions.injectUndefined(cpu);
        assertEquals(0x8_0200L, cpu.sr[SysRegs.ELR_EL2], "current EL with SP_ELx vector");
        assertEquals(nzcv | (1L << 22) | 0x3C5, cpu.sr[SysRegs.SPSR_EL2], "NZCV kept, PAN set, DAIF masked, EL1h");
        assertEquals(0x4000_1000L, cpu.sr[SysRegs.ELR_EL1]);
        assertEquals(nzcv | 0x5, cpu.sr[SysRegs.SPSR_EL1]);
        assertEquals(Esr.IL, cpu.sr[SysRegs.ESR_EL1], "EC 0, IL");
    }

    @Test
    void abortFromEl0IsALowerElAbortAndLeavesPanAloneWhenSpanIsSet() {
        guestAt(0x0, 0x1234); // EL0
        cpu.sr[SysRegs.SCTLR_EL1] = SysRegs.SCTLR_SPAN;
        GuestExceptions.injectAbort(cpu, false, Esr.FSC_SEA, 0xDEAD_0000L);
        assertEquals(0x8_0400L, cpu.sr[SysRegs.ELR_EL2], "lower EL, AArch64 vector");
        assertEquals(0x3C5, cpu.sr[SysRegs.SPSR_EL2]);
        assertEquals(((long) Esr.EC_DABT_LOWER << 26) | Esr.IL | Esr.FSC_SEA, cpu.sr[SysRegs.ESR_EL1]);
        assertEquals(0xDEAD_0000L, cpu.sr[SysRegs.FAR_EL1]);
    }
}
