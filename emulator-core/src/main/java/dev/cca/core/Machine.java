package dev.cca.core;

import dev.cca.core.cpu.CoherenceDomain;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.InstructionLimit;
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

    /** How the PEs' MPIDR_EL1 affinity fields are laid out. */
    public enum Topology {
        /** Affinity level 0 = PE index (what the Java host and QEMU virt use). */
        FLAT,
        /**
         * Arm's FVP Base: clusters of four cores, MT = 1, Aff0 = thread 0, Aff1 = core, Aff2 = cluster; CNTFRQ_EL0 =
         * 100 MHz (one counter tick is still one instruction, docs/time.md).
         */
        FVP
    }

    private final Topology topology;

    public Machine(int cpuCount) {
        this(cpuCount, Topology.FLAT);
    }

    public Machine(int cpuCount, Topology topology) {
        if (cpuCount < 1 || cpuCount > 255) {
            throw new IllegalArgumentException("cpu count must be 1..255, was " + cpuCount);
        }
        this.topology = topology;
        memory = new PhysicalMemory(PA_BITS);
        cpus = new Cpu[cpuCount];
        long[] mpidrs = new long[cpuCount];
        for (int i = 0; i < cpuCount; i++) {
            mpidrs[i] = mpidr(topology, i);
        }
        gic = new Gic(mpidrs);
        for (int i = 0; i < cpuCount; i++) {
            Cpu c = new Cpu(i, memory);
            c.gic.connect(gic);
            c.timer.setSystemCounter(counter);
            // One coherence domain: broadcast TLB maintenance and the global exclusive monitor span all PEs.
            c.setCoherenceDomain(domain);
            domain.add(c);
            cpus[i] = c;
            resetValues(c);
        }
    }

    /**
     * Limits the guest instructions all PEs execute together to exactly {@code limit}'s ({@link InstructionLimit});
     * its action runs when they are used up. Call before the PEs run.
     */
    public void limitInstructions(InstructionLimit limit) {
        for (Cpu c : cpus) {
            c.setInstructionLimit(limit);
        }
    }

    /** The identification registers and affinity of a PE, set at construction and after each reset. */
    private void resetValues(Cpu c) {
        IdRegisters.apply(c);
        c.sr[SysRegs.MPIDR_EL1] = mpidr(topology, c.index);
        c.sr[SysRegs.VPIDR_EL2] = IdRegisters.MIDR;
        c.sr[SysRegs.VMPIDR_EL2] = mpidr(topology, c.index);
        if (topology == Topology.FVP) {
            c.sr[SysRegs.CNTFRQ_EL0] = FVP_COUNTER_HZ;
        }
    }

    /** The FVP Base's system counter frequency, which TF-A programs into CNTFRQ_EL0 there. */
    public static final long FVP_COUNTER_HZ = 100_000_000L;

    /**
     * A cold reset of the whole system but its memory (a system reset): every PE back at EL3 in its reset state,
     * the GIC in its reset state. Firmware must be installed again afterwards. Call with no PE running.
     */
    public void reset() {
        gic.reset();
        for (Cpu c : cpus) {
            c.reset();
            resetValues(c);
            c.flushTlb();
            c.gic.sync();
        }
    }

    public Topology topology() {
        return topology;
    }

    /** MPIDR_EL1 of PE {@code i} in the flat layout: RES1 bit 31, affinity level 0 = i. */
    public static long mpidr(int i) {
        return mpidr(Topology.FLAT, i);
    }

    /** MPIDR_EL1 of PE {@code i} in {@code t}'s layout (RES1 bit 31 set). */
    public static long mpidr(Topology t, int i) {
        if (t == Topology.FVP) {
            return 0x8000_0000L | (1L << 24) | ((long) (i / 4) << 16) | ((long) (i % 4) << 8);
        }
        return 0x8000_0000L | (i & 0xFF);
    }

    public Cpu cpu(int i) {
        return cpus[i];
    }

    public int cpuCount() {
        return cpus.length;
    }
}
