package dev.cca.core.cpu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * Access checks of MRS/MSR beyond the lowest exception level: the EL0 enables of SCTLR_EL1 and the traps to EL2
 * that a hypervisor configures in HCR_EL2 and MDCR_EL2 (Arm ARM D19, each register's "Accessibility" pseudocode).
 * Classified once per instruction word at decode time; {@link #check} runs only for registers that have a check.
 */
public final class SysRegTraps {
    private SysRegTraps() {
    }

    // HCR_EL2 trap bits.
    public static final long HCR_TID0 = 1L << 15, HCR_TID1 = 1L << 16, HCR_TID2 = 1L << 17, HCR_TID3 = 1L << 18,
            HCR_TIDCP = 1L << 20, HCR_TACR = 1L << 21, HCR_TSW = 1L << 22, HCR_TPCP = 1L << 23,
            HCR_TTLB = 1L << 25, HCR_TVM = 1L << 26, HCR_TDZ = 1L << 28, HCR_TPU = 1L << 29,
            HCR_TRVM = 1L << 30, HCR_FB = 1L << 9;
    // MDCR_EL2 trap bits.
    public static final long MDCR_TDE = 1L << 8, MDCR_TDA = 1L << 9, MDCR_TDOSA = 1L << 10, MDCR_TDRA = 1L << 11;
    // SCTLR_EL1 EL0 enables.
    public static final long SCTLR_UMA = 1L << 9, SCTLR_DZE = 1L << 14, SCTLR_UCT = 1L << 15,
            SCTLR_NTWI = 1L << 16, SCTLR_NTWE = 1L << 18, SCTLR_UCI = 1L << 26;

    /** What an access needs checked: HCR_EL2 bits (read/write), MDCR_EL2 bits, and EL0 rules. */
    public static final class Check {
        final long hcrRead, hcrWrite, mdcr;
        final int el0Rule;

        Check(long hcrRead, long hcrWrite, long mdcr, int el0Rule) {
            this.hcrRead = hcrRead;
            this.hcrWrite = hcrWrite;
            this.mdcr = mdcr;
            this.el0Rule = el0Rule;
        }
    }

    static final int EL0_NONE = 0, EL0_UCT = 1, EL0_UMA = 2, EL0_READ_ONLY = 3;

    /** The checks for system register {@code r}, or null if only its minimum EL applies. */
    public static Check classify(SysReg r) {
        long hr = 0, hw = 0, md = 0;
        int el0 = EL0_NONE;
        switch (r.name) {
            case "SCTLR_EL1": case "TTBR0_EL1": case "TTBR1_EL1": case "TCR_EL1": case "ESR_EL1": case "FAR_EL1":
            case "AFSR0_EL1": case "AFSR1_EL1": case "MAIR_EL1": case "AMAIR_EL1": case "CONTEXTIDR_EL1":
                hr = HCR_TRVM;
                hw = HCR_TVM;
                break;
            case "ACTLR_EL1":
                hr = hw = HCR_TACR;
                break;
            case "REVIDR_EL1": case "AIDR_EL1":
                hr = HCR_TID1;
                break;
            case "CTR_EL0":
                hr = HCR_TID2;
                el0 = EL0_UCT;
                break;
            case "CCSIDR_EL1": case "CLIDR_EL1": case "CSSELR_EL1":
                hr = hw = HCR_TID2;
                break;
            case "DAIF":
                el0 = EL0_UMA;
                break;
            case "TPIDRRO_EL0":
                el0 = EL0_READ_ONLY;
                break;
            case "OSLAR_EL1": case "OSLSR_EL1": case "OSDLR_EL1": case "DBGPRCR_EL1":
                md = MDCR_TDOSA;
                break;
            case "MDRAR_EL1":
                md = MDCR_TDRA;
                break;
            default:
                if (r.op0 == 3 && r.op1 == 0 && r.crn == 0 && r.crm >= 1 && r.crm <= 7) {
                    hr = HCR_TID3; // the ID register space, ID_AA64*_EL1 and the AArch32 ID registers
                } else if (r.op0 == 2 && r.op1 == 0 && (r.crn == 0 || r.crn == 7)) {
                    md = MDCR_TDA; // MDSCR_EL1, DBGB*/DBGW*, MDCCINT_EL1, DBGCLAIM*, DBGAUTHSTATUS
                } else {
                    return null;
                }
        }
        return new Check(hr, hw, md, el0);
    }

    /** The ISS of a trapped MSR/MRS (EC 0x18): Op0, Op2, Op1, CRn, Rt, CRm, Direction (1 = read). */
    public static int iss(int op0, int op1, int crn, int crm, int op2, int rt, boolean read) {
        return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);
    }

    /** Throws the trap (or UNDEFINED) that an access of {@code r} from the current EL raises, if any. */
    public static void check(Cpu c, SysReg r, Check k, int rt, boolean read) {
        int el = c.el;
        if (el >= 2) {
            return;
        }
        int iss = iss(r.op0, r.op1, r.crn, r.crm, r.op2, rt, read);
        if (el == 0) {
            long sctlr = c.sr[SCTLR_EL1];
            switch (k.el0Rule) {
                case EL0_UCT:
                    if ((sctlr & SCTLR_UCT) == 0) {
                        throw c.trapSysReg(c.syncTargetEl(), iss);
                    }
                    break;
                case EL0_UMA:
                    if ((sctlr & SCTLR_UMA) == 0) {
                        throw c.trapSysReg(c.syncTargetEl(), iss);
                    }
                    break;
                case EL0_READ_ONLY:
                    if (!read) {
                        throw c.undefined();
                    }
                    break;
                default:
                    break;
            }
        }
        if (!c.el2Enabled()) {
            return;
        }
        long hcrBits = read ? k.hcrRead : k.hcrWrite;
        if (hcrBits != 0 && (c.sr[HCR_EL2] & hcrBits) != 0) {
            throw c.trapSysReg(2, iss);
        }
        if (k.mdcr != 0) {
            long mdcr = c.sr[MDCR_EL2];
            long bits = k.mdcr;
            if ((mdcr & MDCR_TDE) != 0 || (c.sr[HCR_EL2] & HCR_TGE) != 0) {
                bits |= MDCR_TDE; // TDE (and TGE) imply TDA, TDOSA and TDRA
            }
            if ((mdcr & bits) != 0) {
                throw c.trapSysReg(2, iss);
            }
        }
    }

    /** Trap of a SYS instruction (DC, IC, TLBI, AT) to EL2 by HCR_EL2 {@code bits}, if set (EC 0x18). */
    public static void checkSys(Cpu c, long bits, int op1, int crn, int crm, int op2, int rt) {
        if (c.el < 2 && bits != 0 && c.el2Enabled() && (c.sr[HCR_EL2] & bits) != 0) {
            throw c.trapSysReg(2, iss(1, op1, crn, crm, op2, rt, false));
        }
    }
}
