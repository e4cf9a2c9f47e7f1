package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.PhysicalMemory;

/** A one-PE machine with 16 MiB of RAM at 0x4000_0000 for running hand-assembled test programs. */
final class Harness {
    static final long RAM = 0x4000_0000L;
    static final long RAM_SIZE = 16 << 20;

    final Machine machine = new Machine(1);
    final Cpu cpu = machine.cpu(0);
    final PhysicalMemory mem = machine.memory;

    Harness() {
        mem.addRam(RAM, RAM_SIZE, "ram");
    }

    void load(long pa, int... words) {
        for (int i = 0; i < words.length; i++) {
            mem.write(pa + 4L * i, 4, words[i] & 0xFFFF_FFFFL);
        }
    }

    /** Drops from EL3 to EL1h in {@code state} at {@code entry}, as firmware would. */
    void enterEl1(SecurityState state, long entry) {
        enterEl1(cpu, state, entry);
    }

    /** Drops {@code cpu} from EL3 to EL1h in {@code state} at {@code entry}, as firmware would. */
    static void enterEl1(Cpu cpu, SecurityState state, long entry) {
        long scr = SysRegs.SCR_HCE | SysRegs.SCR_RW;
        if (state == SecurityState.NON_SECURE) {
            scr |= SysRegs.SCR_NS;
        } else if (state == SecurityState.REALM) {
            scr |= SysRegs.SCR_NS | SysRegs.SCR_NSE;
        }
        cpu.writeSysReg(SysRegs.SCR_EL3, scr);
        cpu.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW;
        cpu.sr[SysRegs.SPSR_EL3] = 0x3C5; // EL1h, DAIF masked
        cpu.sr[SysRegs.ELR_EL3] = entry;
        cpu.eret();
    }

    /** Runs until the program traps to EL2 (HVC, stage-2 fault...) in {@code state}. */
    Cpu.StopReason runToEl2(SecurityState state) {
        cpu.setBudget(1_000_000);
        return cpu.runUntil(2, state);
    }
}
