package dev.cca.rmm.el3;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.smc.Psci;

/**
 * PSCI 1.1 (Arm DEN0022) for the Non-secure world at EL3, as TF-A's generic PSCI layer answers it: VERSION,
 * FEATURES, CPU_ON, CPU_OFF, AFFINITY_INFO, SYSTEM_OFF, SYSTEM_RESET, and SMCCC_ARCH_FEATURES. Each PE is ON, OFF
 * or ON_PENDING (between a CPU_ON and its warm boot); the platform's {@link PowerControl} runs or parks the PEs.
 * CPU_SUSPEND, MIGRATE and the other optional functions are not implemented (NOT_SUPPORTED).
 */
final class NsPsci {
    static final long SMCCC_ARCH_FEATURES = 0x8000_0001L;
    private static final int ON = 0, OFF = 1, ON_PENDING = 2;
    /** SPSR for EL2h with D, A, I and F masked. */
    private static final long SPSR_EL2H_MASKED = 0x3C9;
    /** SCTLR_EL2 with the MMU and caches off (its RES1 bits and the reset value's EE = 0). */
    private static final long SCTLR_EL2_MMU_OFF = 0x30C5_0830L;

    private final Monitor monitor;
    private final Machine machine;
    private final PowerControl power;
    private final int[] state;
    private final long[] entry;
    private final long[] context;

    NsPsci(Monitor monitor, Machine machine, PowerControl power, int bootPe) {
        this.monitor = monitor;
        this.machine = machine;
        this.power = power;
        int n = machine.cpuCount();
        state = new int[n];
        entry = new long[n];
        context = new long[n];
        for (int i = 0; i < n; i++) {
            state[i] = i == bootPe ? ON : OFF;
        }
    }

    /** The PE whose MPIDR_EL1 affinity fields are {@code mpidr}'s, or -1. */
    private int peOf(long mpidr) {
        long mask = 0xFF_00FF_FFFFL;
        for (int i = 0; i < machine.cpuCount(); i++) {
            if ((machine.cpu(i).sr[SysRegs.MPIDR_EL1] & mask) == (mpidr & mask)) {
                return i;
            }
        }
        return -1;
    }

    void call(Cpu cpu, long fid) {
        long[] x = cpu.x;
        boolean smc32 = (fid & 0x4000_0000L) == 0;
        long a1 = smc32 ? x[1] & 0xFFFF_FFFFL : x[1];
        long a2 = smc32 ? x[2] & 0xFFFF_FFFFL : x[2];
        long a3 = smc32 ? x[3] & 0xFFFF_FFFFL : x[3];
        long r;
        if (fid == Psci.VERSION) {
            r = Psci.VERSION_1_1;
        } else if (fid == Psci.FEATURES) {
            r = supported(a1 & 0xFFFF_FFFFL) ? 0 : Psci.NOT_SUPPORTED;
        } else if (fid == SMCCC_ARCH_FEATURES) {
            long f = a1 & 0xFFFF_FFFFL;
            r = f == 0x8000_0000L || f == SMCCC_ARCH_FEATURES ? 0 : Psci.NOT_SUPPORTED;
        } else if (fid == Psci.CPU_ON_32 || fid == Psci.CPU_ON_64) {
            r = cpuOn(a1, a2, a3);
        } else if (fid == Psci.AFFINITY_INFO_32 || fid == Psci.AFFINITY_INFO_64) {
            r = affinityInfo(a1, a2);
        } else if (fid == Psci.CPU_OFF) {
            synchronized (this) {
                state[cpu.index] = OFF;
            }
            x[0] = Psci.SUCCESS; // not seen: the PE does not run again until a CPU_ON
            cpu.eret();
            power.powerOff(cpu.index);
            return;
        } else if (fid == Psci.SYSTEM_OFF || fid == Psci.SYSTEM_RESET) {
            x[0] = Psci.SUCCESS;
            cpu.eret();
            if (fid == Psci.SYSTEM_OFF) {
                power.systemOff();
            } else {
                power.systemReset();
            }
            return;
        } else {
            r = Psci.NOT_SUPPORTED;
        }
        x[0] = r;
        cpu.eret();
    }

    private static boolean supported(long f) {
        return f == Psci.VERSION || f == Psci.FEATURES || f == Psci.CPU_ON_32 || f == Psci.CPU_ON_64
                || f == Psci.CPU_OFF || f == Psci.AFFINITY_INFO_32 || f == Psci.AFFINITY_INFO_64
                || f == Psci.SYSTEM_OFF || f == Psci.SYSTEM_RESET || f == SMCCC_ARCH_FEATURES;
    }

    private long cpuOn(long mpidr, long ep, long ctx) {
        int pe = peOf(mpidr);
        if (pe < 0) {
            return Psci.INVALID_PARAMETERS;
        }
        if ((ep & 3) != 0 || machine.memory.ramPage(ep) == null) {
            return Psci.INVALID_ADDRESS;
        }
        synchronized (this) {
            if (state[pe] == ON) {
                return Psci.ALREADY_ON;
            }
            if (state[pe] == ON_PENDING) {
                return Psci.ON_PENDING;
            }
            state[pe] = ON_PENDING;
            entry[pe] = ep;
            context[pe] = ctx;
        }
        power.powerOn(pe);
        return Psci.SUCCESS;
    }

    private synchronized long affinityInfo(long mpidr, long level) {
        if (level != 0) {
            return Psci.INVALID_PARAMETERS;
        }
        int pe = peOf(mpidr);
        if (pe < 0) {
            return Psci.INVALID_PARAMETERS;
        }
        return state[pe];
    }

    void warmBoot(Cpu cpu) {
        long ep;
        long ctx;
        synchronized (this) {
            if (state[cpu.index] != ON_PENDING) {
                throw new IllegalStateException("PE " + cpu.index + " was not powered on by CPU_ON");
            }
            state[cpu.index] = ON;
            ep = entry[cpu.index];
            ctx = context[cpu.index];
        }
        enterNonSecureEl2(cpu, ep, ctx);
    }

    /** Puts the PE (at Non-secure EL2, where it was left) at {@code pc} as if EL3 had returned there. */
    static void enterNonSecureEl2(Cpu cpu, long pc, long x0) {
        java.util.Arrays.fill(cpu.x, 0, 31, 0);
        cpu.x[0] = x0;
        cpu.writeSysReg(SysRegs.SCTLR_EL2, SCTLR_EL2_MMU_OFF);
        cpu.sr[SysRegs.SPSR_EL2] = 0;
        cpu.pc = pc;
        cpu.setDaif(0x3C0);
        cpu.setSpSel(true);
    }
}
