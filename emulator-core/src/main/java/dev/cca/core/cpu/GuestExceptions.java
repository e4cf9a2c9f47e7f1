package dev.cca.core.cpu;

/**
 * What a hypervisor that stopped a guest at EL2 does to the guest's trapped instruction, with the guest's state in
 * ELR_EL2 and SPSR_EL2: injection of a synchronous exception into its EL1 (KVM's inject_undef64 / inject_abt64,
 * TF-RMM's inject_sync_idabort), where the exception return from EL2 must land on the guest's EL1 vector as if the
 * exception had been taken there (Arm ARM D1.3.2, AArch64.TakeException); or completion of the instruction it
 * emulated ({@link #skipInstruction}).
 */
public final class GuestExceptions {
    private GuestExceptions() {
    }

    private static final long NZCV = 0xFL << 28;
    private static final long DIT = 1L << 24;
    private static final long PAN = 1L << 22;
    private static final long SSBS = 1L << 12;
    private static final long SPSR_SS = 1L << 21;
    /** EL1h with D, A, I and F masked. */
    private static final long EL1H_MASKED = 0x3C5;
    private static final long SCTLR_DSSBS = 1L << 44;

    /**
     * Makes the guest take a synchronous exception at EL1 with syndrome {@code ec}/{@code iss} (IL = 1) and, if
     * {@code hasFar}, FAR_EL1 = {@code far}. The guest's PSTATE becomes EL1h with DAIF masked; NZCV and DIT are
     * kept, PAN is set when SCTLR_EL1.SPAN is 0, SSBS follows SCTLR_EL1.DSSBS, SS, IL, UAO and BTYPE are cleared.
     */
    public static void injectSync(Cpu cpu, int ec, int iss, boolean hasFar, long far) {
        long[] sr = cpu.sr;
        long spsr = sr[SysRegs.SPSR_EL2];
        int fromEl = (int) (spsr >>> 2) & 3;
        long offset = fromEl == 0 ? 0x400 : (spsr & 1) != 0 ? 0x200 : 0;
        sr[SysRegs.ESR_EL1] = ((long) ec << 26) | Esr.IL | (iss & 0x1FF_FFFFL);
        if (hasFar) {
            sr[SysRegs.FAR_EL1] = far;
        }
        sr[SysRegs.ELR_EL1] = sr[SysRegs.ELR_EL2];
        sr[SysRegs.SPSR_EL1] = spsr;
        sr[SysRegs.ELR_EL2] = sr[SysRegs.VBAR_EL1] + offset;
        long sctlr = sr[SysRegs.SCTLR_EL1];
        long pstate = EL1H_MASKED | (spsr & (NZCV | DIT));
        pstate |= (sctlr & SysRegs.SCTLR_SPAN) == 0 ? PAN : spsr & PAN;
        pstate |= (sctlr & SCTLR_DSSBS) != 0 ? SSBS : 0;
        sr[SysRegs.SPSR_EL2] = pstate;
    }

    /**
     * The hypervisor emulated the trapped instruction (an MMIO access, WFx, HVC/SMC, a system register): the guest
     * resumes after it, and the instruction counts as the one a software step was stepping, so SPSR_EL2.SS is
     * cleared and the step exception is taken right after it (KVM's kvm_skip_instr; TF-RMM does the same when it
     * advances a REC's PC).
     */
    public static void skipInstruction(long[] sr) {
        sr[SysRegs.ELR_EL2] += 4;
        sr[SysRegs.SPSR_EL2] &= ~SPSR_SS;
    }

    /** An UNDEFINED instruction (EC 0). */
    public static void injectUndefined(Cpu cpu) {
        injectSync(cpu, Esr.EC_UNKNOWN, 0, false, 0);
    }

    /**
     * A synchronous external abort with fault status {@code fsc} on an instruction fetch or a data access at
     * {@code far}, reported from the EL the guest was at (EC 0x20/0x21 or 0x24/0x25).
     */
    public static void injectAbort(Cpu cpu, boolean instruction, int fsc, long far) {
        boolean fromEl0 = ((cpu.sr[SysRegs.SPSR_EL2] >>> 2) & 3) == 0;
        int ec = instruction ? (fromEl0 ? Esr.EC_IABT_LOWER : Esr.EC_IABT_CUR)
                : (fromEl0 ? Esr.EC_DABT_LOWER : Esr.EC_DABT_CUR);
        injectSync(cpu, ec, fsc, true, far);
    }
}
