package dev.cca.core.cpu;

/**
 * System registers of the base architecture beyond the core table of {@link SysRegs}, in storage slots 128-255:
 * the OS lock and debug registers that Linux programs at boot (as storage: breakpoints and watchpoints do not
 * fire, see docs/cpu-features.md), AIDR_EL1, and the rest of the ID register space, which reads as zero
 * (Arm ARM D19.1.2: unallocated encodings in op0=3, op1=0, CRn=0, CRm=1..7 are RAZ, so that software can probe
 * ID registers of later architecture versions).
 */
final class BaseSysRegs {
    private BaseSysRegs() {
    }

    static final int OSLSR_EL1 = 128, OSDLR_EL1 = 129, MDCCINT_EL1 = 130, DBGPRCR_EL1 = 131, DBGCLAIM = 132;
    static final int DBGBVR0 = 133, DBGBCR0 = 139, DBGWVR0 = 145, DBGWCR0 = 149;
    /** Implemented breakpoints and watchpoints (ID_AA64DFR0_EL1.BRPs = 5, WRPs = 3). */
    static final int BREAKPOINTS = 6, WATCHPOINTS = 4;
    /** OSLSR_EL1.OSLM = 0b10 (bit 3): the OS lock is implemented; OSLK is bit 1. */
    static final long OSLM = 1L << 3, OSLK = 1L << 1;

    static void register() {
        SysRegs.define("OSLAR_EL1", 2, 0, 1, 0, 4, -1, 1, null,
                (c, v) -> c.sr[OSLSR_EL1] = (v & 1) != 0 ? OSLK : 0);
        SysRegs.define("OSLSR_EL1", 2, 0, 1, 1, 4, OSLSR_EL1, 1, c -> OSLM | (c.sr[OSLSR_EL1] & OSLK), null);
        SysRegs.define("OSDLR_EL1", 2, 0, 1, 3, 4, OSDLR_EL1, 1, c -> c.sr[OSDLR_EL1],
                (c, v) -> c.sr[OSDLR_EL1] = v & 1);
        SysRegs.define("MDRAR_EL1", 2, 0, 1, 0, 0, -1, 1, c -> 0, null);
        SysRegs.define("MDCCINT_EL1", 2, 0, 0, 2, 0, MDCCINT_EL1, 1, c -> c.sr[MDCCINT_EL1],
                (c, v) -> c.sr[MDCCINT_EL1] = v & ((1L << 29) | (1L << 30)));
        SysRegs.define("DBGPRCR_EL1", 2, 0, 1, 4, 4, DBGPRCR_EL1, 1, c -> c.sr[DBGPRCR_EL1],
                (c, v) -> c.sr[DBGPRCR_EL1] = v & 1);
        SysRegs.define("DBGCLAIMSET_EL1", 2, 0, 7, 8, 6, DBGCLAIM, 1, c -> 0xFF,
                (c, v) -> c.sr[DBGCLAIM] |= v & 0xFF);
        SysRegs.define("DBGCLAIMCLR_EL1", 2, 0, 7, 9, 6, -1, 1, c -> c.sr[DBGCLAIM],
                (c, v) -> c.sr[DBGCLAIM] &= ~(v & 0xFF));
        for (int n = 0; n < BREAKPOINTS; n++) {
            int bvr = DBGBVR0 + n, bcr = DBGBCR0 + n;
            SysRegs.define("DBGBVR" + n + "_EL1", 2, 0, 0, n, 4, bvr, 1, c -> c.sr[bvr], (c, v) -> c.sr[bvr] = v);
            // DBGBCR: BT [23:20], LBN [19:16], SSC [15:14], HMC [13], BAS [8:5], PMC [2:1], E [0].
            SysRegs.define("DBGBCR" + n + "_EL1", 2, 0, 0, n, 5, bcr, 1, c -> c.sr[bcr],
                    (c, v) -> {
                        c.sr[bcr] = v & 0x00FF_E1E7L;
                        c.onDebugControlWrite();
                    });
        }
        for (int n = 0; n < WATCHPOINTS; n++) {
            int wvr = DBGWVR0 + n, wcr = DBGWCR0 + n;
            SysRegs.define("DBGWVR" + n + "_EL1", 2, 0, 0, n, 6, wvr, 1, c -> c.sr[wvr], (c, v) -> c.sr[wvr] = v);
            // DBGWCR: MASK [28:24], WT [20], LBN [19:16], SSC [15:14], HMC [13], BAS [12:5], LSC [4:3], PAC [2:1], E.
            SysRegs.define("DBGWCR" + n + "_EL1", 2, 0, 0, n, 7, wcr, 1, c -> c.sr[wcr],
                    (c, v) -> {
                        c.sr[wcr] = v & 0x1F1F_FFFFL;
                        c.onDebugControlWrite();
                    });
        }
        SysRegs.define("AIDR_EL1", 3, 1, 0, 0, 7, -1, 1, c -> 0, null);
        for (int crm = 1; crm <= 7; crm++) {
            for (int op2 = 0; op2 < 8; op2++) {
                if (SysRegs.byEncoding(SysReg.encode(3, 0, 0, crm, op2)) == null) {
                    SysRegs.define("S3_0_C0_C" + crm + "_" + op2, 3, 0, 0, crm, op2, -1, 1, c -> 0, null);
                }
            }
        }
    }

    /** Reset values (cold reset): the OS lock is locked (Arm ARM D2.5). */
    static void reset(Cpu c) {
        c.sr[OSLSR_EL1] = OSLK;
    }
}
