package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.gic.Redistributor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An interrupt that an instruction asserts is taken at the next instruction boundary (cca-rmm-acs
 * gic_timer_rel1_trig: a realm arms its timer with the condition already met and must exit with an IRQ before it
 * makes its next call).
 */
class InterruptLatencyTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long VBAR = Harness.RAM + 0x8000;
    private static final int DAIFCLR_I = 0xd50342ff, MSR_CNTV_CTL_X2 = 0xd51be322, ADD_X3_1 = 0x91000463,
            HVC0 = 0xd4000002, HVC1 = 0xd4000022;

    @Test
    void timerArmedWithItsConditionMetInterruptsTheNextInstruction() {
        Harness h = new Harness();
        int[] code = new int[12];
        code[0] = DAIFCLR_I;
        code[1] = MSR_CNTV_CTL_X2;
        for (int i = 2; i < 11; i++) {
            code[i] = ADD_X3_1;
        }
        code[11] = HVC0;
        h.load(CODE, code);
        h.load(VBAR + 0x280, HVC1); // IRQ, current EL with SP_ELx
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        Cpu c = h.cpu;
        c.sr[SysRegs.VBAR_EL1] = VBAR;
        Redistributor r = h.machine.gic.redistributor(0);
        r.setPriority(GenericTimer.PPI_VIRT, 0xA0);
        r.setEnabled(GenericTimer.PPI_VIRT, true);
        c.writeSysReg(SysRegs.byName("ICC_PMR_EL1"), 0xF8);
        c.writeSysReg(SysRegs.byName("ICC_IGRPEN1_EL1"), 1);
        c.writeSysReg(SysRegs.byName("CNTV_CVAL_EL0"), 0); // condition met as soon as the timer is enabled
        c.x[2] = GenericTimer.CTL_ENABLE;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(c.sr[SysRegs.ESR_EL2]));
        assertEquals(1, Esr.iss(c.sr[SysRegs.ESR_EL2]) & 0xFFFF, "the HVC of the IRQ vector");
        assertEquals(0, c.x[3], "no instruction after the MSR ran before the IRQ");
        assertEquals(CODE + 8, c.sr[SysRegs.ELR_EL1], "the IRQ returns to the instruction after the MSR");
    }
}
