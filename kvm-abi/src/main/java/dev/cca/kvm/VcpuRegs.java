package dev.cca.kvm;

import dev.cca.kvm.uapi.Errno;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The register state KVM keeps for a vCPU and its KVM_GET/SET_ONE_REG encoding (arch/arm64/kvm/guest.c,
 * hypercalls.c, sys_regs.c): the core registers of {@code struct kvm_regs} addressed by 32-bit word offset, the
 * firmware pseudo-registers, and the system registers this host exposes. For a realm the values are KVM's copy:
 * the RMM owns the live state and only X0-X30 and (before activation) PC reach it.
 */
final class VcpuRegs {
    // struct kvm_regs, in 32-bit words (KVM_REG_ARM_CORE_REG(name)).
    static final int OFF_SP = 62, OFF_PC = 64, OFF_PSTATE = 66, OFF_SP_EL1 = 68, OFF_ELR_EL1 = 70, OFF_SPSR = 72,
            OFF_VREGS = 84, OFF_FPSR = 212, OFF_FPCR = 213, CORE_WORDS = 216;
    static final int NR_SPSR = 5;
    /** PSTATE modes KVM_SET_ONE_REG accepts for an AArch64 vCPU without NV: EL0t, EL1t, EL1h. */
    private static final long PSR_MODE_MASK = 0x1F;

    final long[] x = new long[31];
    long sp;
    long pc;
    long pstate;
    long spEl1;
    long elrEl1;
    final long[] spsr = new long[NR_SPSR];
    /** V0-V31 as {low, high} 64-bit halves. */
    final long[] vregs = new long[64];
    int fpsr;
    int fpcr;
    /** EL1 system registers KVM keeps per vCPU, by ONE_REG id, with their reset values. */
    final Map<Long, Long> sysregs = new LinkedHashMap<>();

    /** The per-vCPU system registers exposed through ONE_REG and their KVM reset values. */
    private static final long[][] SYSREGS = {
        {sysReg(3, 0, 1, 0, 0), 0x00C5_0078L}, // SCTLR_EL1: MMU off, caches off, RES1 bits
        {sysReg(3, 0, 1, 0, 2), 0},            // CPACR_EL1
        {sysReg(3, 0, 2, 0, 0), 0},            // TTBR0_EL1
        {sysReg(3, 0, 2, 0, 1), 0},            // TTBR1_EL1
        {sysReg(3, 0, 2, 0, 2), 0},            // TCR_EL1
        {sysReg(3, 0, 5, 2, 0), 0},            // ESR_EL1
        {sysReg(3, 0, 6, 0, 0), 0},            // FAR_EL1
        {sysReg(3, 0, 7, 4, 0), 0},            // PAR_EL1
        {sysReg(3, 0, 10, 2, 0), 0},           // MAIR_EL1
        {sysReg(3, 0, 12, 0, 0), 0},           // VBAR_EL1
        {sysReg(3, 0, 13, 0, 1), 0},           // CONTEXTIDR_EL1
        {sysReg(3, 0, 13, 0, 4), 0},           // TPIDR_EL1
        {sysReg(3, 0, 14, 1, 0), 0},           // CNTKCTL_EL1
        {sysReg(3, 3, 13, 0, 2), 0},           // TPIDR_EL0
        {sysReg(3, 3, 13, 0, 3), 0},           // TPIDRRO_EL0
    };

    /** kvm_reset_vcpu(): PSTATE EL1h with DAIF masked, everything else zero. */
    void reset(long mpidr) {
        java.util.Arrays.fill(x, 0);
        sp = 0;
        pc = 0;
        pstate = 0x3C5;
        spEl1 = 0;
        elrEl1 = 0;
        java.util.Arrays.fill(spsr, 0);
        java.util.Arrays.fill(vregs, 0);
        fpsr = 0;
        fpcr = 0;
        sysregs.clear();
        for (long[] r : SYSREGS) {
            sysregs.put(r[0], r[1]);
        }
        sysregs.put(REG_MPIDR_EL1, mpidr | (1L << 31));
    }

    static int regSize(long id) {
        int shift = (int) ((id & KVM_REG_SIZE_MASK) >>> 52);
        return shift > 10 ? Integer.MAX_VALUE : 1 << shift;
    }

    static long coproc(long id) {
        return id & KVM_REG_ARM_COPROC_MASK;
    }

    /** core_reg_size_from_offset(): the size of the core register at word offset {@code off}, or -1. */
    static int coreSize(long off) {
        int size;
        if (off >= 0 && off <= OFF_SPSR + 2L * (NR_SPSR - 1) && off != OFF_SPSR + 2L * NR_SPSR) {
            size = 8;
        } else if (off >= OFF_VREGS && off < OFF_VREGS + 4 * 32) {
            size = 16;
        } else if (off == OFF_FPSR || off == OFF_FPCR) {
            size = 4;
        } else {
            return -1;
        }
        return (off % (size / 4)) != 0 ? -1 : size;
    }

    /** The core register at word offset {@code off} as little-endian bytes. */
    byte[] readCore(long off, int size) {
        UserStruct s = UserStruct.ofSize(size);
        if (size == 8) {
            s.put64(0, core64((int) off));
        } else if (size == 16) {
            int v = (int) (off - OFF_VREGS) / 4;
            s.put64(0, vregs[2 * v]).put64(8, vregs[2 * v + 1]);
        } else {
            s.put32(0, off == OFF_FPSR ? fpsr : fpcr);
        }
        return s.bytes();
    }

    private long core64(int off) {
        if (off < OFF_SP) {
            return x[off / 2];
        }
        switch (off) {
            case OFF_SP: return sp;
            case OFF_PC: return pc;
            case OFF_PSTATE: return pstate;
            case OFF_SP_EL1: return spEl1;
            case OFF_ELR_EL1: return elrEl1;
            default: return spsr[(off - OFF_SPSR) / 2];
        }
    }

    /** set_core_reg() after validation: PSTATE must name an AArch64 EL0/EL1 mode; -EINVAL otherwise. */
    long writeCore(long off, int size, byte[] bytes) {
        UserStruct s = new UserStruct(bytes);
        if (size == 16) {
            int v = (int) (off - OFF_VREGS) / 4;
            vregs[2 * v] = s.u64(0);
            vregs[2 * v + 1] = s.u64(8);
            return 0;
        }
        if (size == 4) {
            if (off == OFF_FPSR) {
                fpsr = s.s32(0);
            } else {
                fpcr = s.s32(0);
            }
            return 0;
        }
        long v = s.u64(0);
        int o = (int) off;
        if (o < OFF_SP) {
            x[o / 2] = v;
            return 0;
        }
        switch (o) {
            case OFF_SP:
                sp = v;
                break;
            case OFF_PC:
                pc = v;
                break;
            case OFF_PSTATE: {
                long mode = v & PSR_MODE_MASK;
                if (mode != 0x0 && mode != 0x4 && mode != 0x5) {
                    return -Errno.EINVAL; // AArch32 modes need EL1_32BIT, EL2 modes need NV
                }
                pstate = v;
                break;
            }
            case OFF_SP_EL1:
                spEl1 = v;
                break;
            case OFF_ELR_EL1:
                elrEl1 = v;
                break;
            default:
                spsr[(o - OFF_SPSR) / 2] = v;
                break;
        }
        return 0;
    }

    /** The ids KVM_GET_REG_LIST reports for the core registers (kvm_arm_copy_core_reg_indices). */
    static List<Long> coreIds() {
        List<Long> ids = new ArrayList<>();
        for (int off = 0; off < CORE_WORDS; ) {
            int size = coreSize(off);
            if (size < 0) {
                off++;
                continue;
            }
            long sizeBits = size == 8 ? KVM_REG_SIZE_U64 : size == 16 ? KVM_REG_SIZE_U128 : KVM_REG_SIZE_U32;
            ids.add(KVM_REG_ARM64 | sizeBits | KVM_REG_ARM_CORE | off);
            off += size / 4;
        }
        return ids;
    }

    static List<Long> sysregIds() {
        List<Long> ids = new ArrayList<>();
        for (long[] r : SYSREGS) {
            ids.add(r[0]);
        }
        ids.add(REG_MPIDR_EL1);
        return ids;
    }
}
