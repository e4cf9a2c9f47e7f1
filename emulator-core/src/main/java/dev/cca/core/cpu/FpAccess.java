package dev.cca.core.cpu;

import static dev.cca.core.cpu.SysRegs.CPACR_EL1;
import static dev.cca.core.cpu.SysRegs.CPTR_EL2;
import static dev.cca.core.cpu.SysRegs.CPTR_EL3;
import static dev.cca.core.cpu.SysRegs.HCR_E2H;
import static dev.cca.core.cpu.SysRegs.HCR_EL2;
import static dev.cca.core.cpu.SysRegs.HCR_TGE;

/**
 * The SIMD&amp;FP access controls (Arm ARM D1.x "CheckFPAdvSIMDEnabled64", AArch64.CheckFPEnabled and
 * AArch64.CheckFPAdvSIMDTrap): CPACR_EL1.FPEN traps EL0/EL1 to EL1, CPTR_EL2.TFP (or CPTR_EL2.FPEN when
 * HCR_EL2.E2H is 1) traps EL0-EL2 to EL2 when EL2 is enabled, and CPTR_EL3.TFP traps every EL below and at EL3
 * to EL3. Every SIMD&amp;FP instruction, and MRS/MSR of FPCR and FPSR, calls {@link #check} before it does anything
 * else. The trap is EC 0x07 with ISS CV=1, COND=0xE (the AArch64 value), except that a trap to EL1 from EL0
 * while HCR_EL2.TGE is 1 is routed to EL2 as an "Unknown reason" exception (AArch64.AdvSIMDFPAccessTrap).
 */
public final class FpAccess {
    private FpAccess() {
    }

    static final long FPEN = 3L << 20;
    static final long TFP = 1L << 10;
    /** ISS of an EC 0x07 trap taken from AArch64 state: CV = 1, COND = 0b1110. */
    public static final int ISS_AARCH64 = (1 << 24) | (0xE << 20);

    /** Raises the SIMD&amp;FP access trap if the current EL may not use the SIMD&amp;FP registers. */
    public static void check(Cpu c) {
        long[] sr = c.sr;
        // Common case: FPEN = 0b11, no E2H, CPTR_EL2.TFP and CPTR_EL3.TFP clear. Allowed at every EL.
        if ((sr[CPACR_EL1] & FPEN) == FPEN && ((sr[CPTR_EL2] | sr[CPTR_EL3]) & TFP) == 0
                && (sr[HCR_EL2] & HCR_E2H) == 0) {
            return;
        }
        checkSlow(c);
    }

    /** Whether the SIMD&amp;FP registers are accessible at the current EL (no side effects; for debuggers). */
    public static boolean enabled(Cpu c) {
        return trapTarget(c) == 0;
    }

    private static void checkSlow(Cpu c) {
        int target = trapTarget(c);
        if (target == 0) {
            return;
        }
        if (target == 1 && c.el2Enabled() && (c.sr[HCR_EL2] & HCR_TGE) != 0) {
            throw c.pend(2, Esr.EC_UNKNOWN, 0);
        }
        throw c.pend(target, Esr.EC_FP_ACCESS, ISS_AARCH64);
    }

    /** The EL a SIMD&amp;FP access at the current EL traps to, or 0 if it does not trap. */
    static int trapTarget(Cpu c) {
        long[] sr = c.sr;
        int el = c.el;
        boolean el2 = el <= 2 && c.el2Enabled();
        boolean e2h = el2 && (sr[HCR_EL2] & HCR_E2H) != 0;
        boolean tge = el2 && (sr[HCR_EL2] & HCR_TGE) != 0;
        boolean inHost = e2h && tge && el == 0;
        if (el <= 1 && !inHost) {
            int fpen = (int) (sr[CPACR_EL1] >>> 20) & 3;
            if ((fpen & 1) == 0 || (fpen == 1 && el == 0)) {
                return 1;
            }
        }
        if (el2) {
            boolean disabled;
            if (e2h) {
                int fpen = (int) (sr[CPTR_EL2] >>> 20) & 3;
                disabled = (fpen & 1) == 0 || (fpen == 1 && el == 0 && tge);
            } else {
                disabled = (sr[CPTR_EL2] & TFP) != 0;
            }
            if (disabled) {
                return 2;
            }
        }
        if ((sr[CPTR_EL3] & TFP) != 0) {
            return 3;
        }
        return 0;
    }
}
