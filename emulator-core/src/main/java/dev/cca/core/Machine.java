package dev.cca.core;

import dev.cca.core.cpu.CoherenceDomain;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.SystemCounter;
import dev.cca.core.gic.Gic;
import dev.cca.core.mem.PhysicalMemory;

/**
 * A system: physical memory and its processing elements, with the identification registers that say what the
 * emulated PE implements. Devices and firmware are attached by whoever assembles the platform.
 */
public final class Machine {
    /** Physical address size of the PEs (ID_AA64MMFR0_EL1.PARange = 0b0101). */
    public static final int PA_BITS = 48;

    public final PhysicalMemory memory;
    /** The physical GIC: one redistributor per PE, read through each PE's CPU interface. */
    public final Gic gic;
    /** The system counter shared by the PEs' generic timers (docs/time.md). */
    public final SystemCounter counter = new SystemCounter();
    private final Cpu[] cpus;
    private final CoherenceDomain domain = new CoherenceDomain();
    /**
     * Set by the software that parks PEs in a wait (a hypervisor emulating WFI) while every guest PE waits and
     * nothing inside the machine can end the wait: no interrupt pending, no timer armed. Only an event from
     * outside (a VMM injecting an interrupt, a signal) can wake the guest; a tool that has none to give ends the run.
     */
    private volatile boolean asleepWithoutWakeSource;

    public boolean asleepWithoutWakeSource() {
        return asleepWithoutWakeSource;
    }

    public void setAsleepWithoutWakeSource(boolean v) {
        asleepWithoutWakeSource = v;
    }

    public Machine(int cpuCount) {
        if (cpuCount < 1 || cpuCount > 255) {
            throw new IllegalArgumentException("cpu count must be 1..255, was " + cpuCount);
        }
        memory = new PhysicalMemory(PA_BITS);
        cpus = new Cpu[cpuCount];
        gic = new Gic(cpuCount);
        for (int i = 0; i < cpuCount; i++) {
            Cpu c = new Cpu(i, memory);
            c.gic.connect(gic);
            c.timer.setSystemCounter(counter);
            IdRegisters.apply(c);
            c.sr[SysRegs.MPIDR_EL1] = mpidr(i);
            // One coherence domain: broadcast TLB maintenance and the global exclusive monitor span all PEs.
            c.setCoherenceDomain(domain);
            domain.add(c);
            c.sr[SysRegs.VPIDR_EL2] = IdRegisters.MIDR;
            c.sr[SysRegs.VMPIDR_EL2] = mpidr(i);
            cpus[i] = c;
        }
    }

    /** MPIDR_EL1 of PE {@code i}: RES1 bit 31, affinity level 0 = i. */
    public static long mpidr(int i) {
        return 0x8000_0000L | (i & 0xFF);
    }

    public Cpu cpu(int i) {
        return cpus[i];
    }

    public int cpuCount() {
        return cpus.length;
    }
}
