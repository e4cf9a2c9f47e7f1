package dev.cca.core.debug;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysReg;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Cpu#guestDebugArmed}: the engine's cue to interpret one instruction at a time. */
class GuestDebugArmedTest {
    private final Cpu cpu = new Machine(1).cpu(0);

    private void write(String name, long v) {
        SysReg r = SysRegs.byName(name);
        cpu.writeSysReg(r, v);
    }

    @Test
    void notArmedAtReset() {
        assertFalse(cpu.guestDebugArmed());
    }

    @Test
    void softwareStepEnabledInMdscrArmsIt() {
        write("MDSCR_EL1", Cpu.MDSCR_SS);
        assertTrue(cpu.guestDebugArmed());
    }

    @Test
    void mdeAloneDoesNotArmItButAnEnabledBreakpointOrWatchpointDoes() {
        write("MDSCR_EL1", Cpu.MDSCR_MDE);
        assertFalse(cpu.guestDebugArmed());
        write("DBGBCR5_EL1", 0x1E7);
        assertTrue(cpu.guestDebugArmed());
        write("DBGBCR5_EL1", 0);
        write("DBGWCR3_EL1", 0x1FF);
        assertTrue(cpu.guestDebugArmed());
        write("MDSCR_EL1", 0);
        assertFalse(cpu.guestDebugArmed(), "an enabled watchpoint without MDE cannot fire");
    }
}
