package dev.cca.core.mmu;

import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.Pas;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * VMSAv8-64 address translation for one PE: stage 1 for the EL1&amp;0, EL2 and EL3 regimes and stage 2 for
 * EL1&amp;0 under HCR_EL2.VM, with the 4 KB translation granule. Translation tables are read from physical
 * memory in the architectural descriptor format; every table read passes the granule protection check.
 *
 * <p>Results are left in fields (no allocation): on success {@link #outPa}, {@link #outPas}, {@link #outPerms}
 * (the permissions of the whole page for the requesting regime, so the TLB can cache them); on failure the fault
 * fields. Not thread-safe: one instance per PE.
 */
public final class Mmu {
    public static final int READ = 0, WRITE = 1, EXEC = 2;
    public static final int PERM_R = 1, PERM_W = 2, PERM_X = 4;
    /** Translation regimes (the PE's TLB keeps one table per regime): EL1&amp;0 at EL0, at EL1, at EL1 with PAN. */
    public static final int REGIME_EL10_0 = 0, REGIME_EL10_1 = 1, REGIME_EL10_1_PAN = 2, REGIME_EL2 = 3,
            REGIME_EL3 = 4;

    /** What a translation table walk needs of the PE it translates for. */
    public interface Context {
        /** The PE's system register storage (slots of {@code SysRegs}). */
        long[] sysRegs();

        SecurityState securityState();

        boolean el2Enabled();

        PhysicalMemory memory();

        /** GranuleProtectionCheck() of a walk access, possibly cached by the PE. */
        int granuleCheck(long pa, Pas pas);
    }

    // ---- results ---------------------------------------------------------------------------------------------
    public long outPa;
    public Pas outPas;
    public int outPerms;
    /** The IPA of the last translation when stage 2 was used. */
    public long outIpa;
    public boolean stage2Used;
    /** The mapping is global (nG = 0, or a regime without ASIDs): it survives ASID changes in the TLB. */
    public boolean outGlobal;
    /** log2 of the size of the mapping (12 for a page, 21 or 30 for blocks; the smaller of the two stages). */
    public int outSizeShift;
    /** Stage-1 memory attributes: the MAIR attribute byte and the shareability field (for PAR_EL1). */
    public int outAttr, outSh;

    // ---- fault information -----------------------------------------------------------------------------------
    /** Fault status code (FSC) for a translation-table fault. */
    public int faultFsc;
    /** The fault was detected at stage 2 (it goes to EL2 with HPFAR). */
    public boolean faultStage2;
    /** The fault happened on a stage-1 table walk access (S1PTW). */
    public boolean faultS1ptw;
    public long faultIpa;
    /** Non-zero if the fault is a granule protection fault on a table walk (a GranuleProtection result). */
    public int faultGpc;
    /** The faulting translation regime has stage 2 enabled. */
    public boolean faultStage2Regime;

    private static final long OA_MASK = 0x0000_FFFF_FFFF_F000L;

    /**
     * Translates {@code va} for an access of kind {@code access} (READ, WRITE, EXEC) in translation regime
     * {@code mmuIdx} (one of {@code REGIME_*}). Returns false with the fault fields set on a fault.
     */
    public boolean translate(Context c, long va, int access, int mmuIdx) {
        return translate(c, va, access, mmuIdx, true);
    }

    /**
     * As {@link #translate(Context, long, int, int)}; with {@code withStage2} false the result is the stage-1 output
     * (an IPA when stage 2 is enabled), as AT S1E1* reports it, though the stage-1 walk itself still goes through
     * stage 2.
     */
    public boolean translate(Context c, long va, int access, int mmuIdx, boolean withStage2) {
        faultGpc = 0;
        outGlobal = true;
        outSizeShift = 12;
        outAttr = 0;
        outSh = 2;
        faultStage2 = false;
        faultS1ptw = false;
        faultIpa = 0;
        stage2Used = false;
        SecurityState ss = c.securityState();
        long[] sr = c.sysRegs();
        boolean el10 = mmuIdx <= REGIME_EL10_1_PAN;
        boolean s2 = el10 && c.el2Enabled() && (sr[HCR_EL2] & HCR_VM) != 0 && ss != SecurityState.ROOT;
        faultStage2Regime = s2;
        int paBits = c.memory().paBits();

        long sctlr = el10 ? sr[SCTLR_EL1] : mmuIdx == REGIME_EL2 ? sr[SCTLR_EL2] : sr[SCTLR_EL3];
        long ipa;
        int perms;
        Pas s1Pas;
        if ((sctlr & SCTLR_M) == 0) {
            // Stage 1 disabled: flat, all permissions (Arm ARM D8.2.10).
            if ((va >>> paBits) != 0) {
                faultFsc = Esr.FSC_ADDR_SIZE;
                return false;
            }
            ipa = va;
            perms = PERM_R | PERM_W | PERM_X;
            s1Pas = ss.defaultPas;
        } else {
            if (!stage1(c, va, access, mmuIdx, el10, s2, sctlr)) {
                return false;
            }
            ipa = outPa;
            perms = outPerms;
            s1Pas = outPas;
        }
        if (!s2 || !withStage2) {
            outPa = ipa;
            outPas = s1Pas;
            outPerms = perms;
            return (perms & (1 << access)) != 0 || permFault(access, 3, false);
        }
        stage2Used = true;
        outIpa = ipa;
        int s1Shift = outSizeShift;
        if (!stage2(c, ipa, access, false)) {
            return false;
        }
        outSizeShift = Math.min(s1Shift, outSizeShift);
        outPerms &= perms;
        if ((perms & (1 << access)) == 0) {
            // stage 1 denied (already checked in stage1 for the requested access; kept for MMU-off paths)
            return permFault(access, 3, false);
        }
        return true;
    }

    /** False while a debugger translates: the walk uses the updated descriptors but writes nothing. */
    public boolean hardwareUpdates = true;

    private static final long AF = 1L << 10, DBM = 1L << 51, S1_AP2 = 1L << 7, S2_AP_W = 1L << 7;
    private static final long UPDATE_FAILED = 0; // an invalid descriptor: never the result of an update

    /**
     * The fault a hardware descriptor update ends in, or 0: a synchronous external abort on the walk if the table
     * is not in RAM, a translation fault if another PE invalidated the descriptor meanwhile.
     */
    private static int updateFsc(long desc, int level) {
        return desc == UPDATE_FAILED ? Esr.FSC_SEA_WALK + level : (desc & 1) == 0 ? Esr.FSC_TRANSLATION + level : 0;
    }

    /**
     * A hardware update of a translation table descriptor (FEAT_HAFDBS): atomically sets {@code set} (the access
     * flag, or stage 2's write permission) in the descriptor at {@code pa}; with {@code set} = 0 it clears stage 1's
     * AP[2] and sets the access flag (the dirty state). The update is a compare-and-swap on the descriptor, retried
     * if another PE changed it meanwhile, as the architecture's atomic read-modify-write is. Returns the descriptor
     * as updated (invalid if another PE invalidated it meanwhile), or UPDATE_FAILED if the table is not in RAM.
     */
    private long update(Context c, long pa, long desc, long set) {
        if (!hardwareUpdates) {
            return set == 0 ? (desc & ~S1_AP2) | AF : desc | set; // what the walk would see, memory untouched
        }
        dev.cca.core.mem.Page page = c.memory().ramPage(pa);
        if (page == null) {
            return UPDATE_FAILED;
        }
        int off = (int) (pa & dev.cca.core.mem.Page.MASK);
        long cur = desc;
        while (true) {
            long next = set == 0 ? (cur & ~S1_AP2) | AF : cur | set;
            if (next == cur) {
                return cur;
            }
            if (dev.cca.core.mem.Bytes.LONG.compareAndSet(page.data, off, cur, next)) {
                return next;
            }
            cur = (long) dev.cca.core.mem.Bytes.LONG.getVolatile(page.data, off);
            if ((cur & 1) == 0) {
                return cur; // made invalid meanwhile: the caller reports a translation fault
            }
        }
    }

    /** Bits of a (I)PS field value: 32, 36, 40, 42, 44, 48, 52 (0b110 and above read as 52). */
    static int outputSize(int ps) {
        switch (ps) {
            case 0: return 32;
            case 1: return 36;
            case 2: return 40;
            case 3: return 42;
            case 4: return 44;
            case 5: return 48;
            default: return 52;
        }
    }

    private boolean permFault(int access, int level, boolean stage2) {
        faultFsc = Esr.FSC_PERMISSION + level;
        faultStage2 = stage2;
        return false;
    }

    private boolean stage1(Context c, long va, int access, int mmuIdx, boolean el10, boolean s2, long sctlr) {
        long[] sr = c.sysRegs();
        long tcr;
        long ttbr;
        int tsz;
        boolean twoRanges = el10;
        boolean hi = false;
        if (el10) {
            tcr = sr[TCR_EL1];
            hi = ((va >>> 55) & 1) != 0;
            boolean tbi = ((tcr >>> (hi ? 38 : 37)) & 1) != 0;
            long cmp = tbi ? (va << 8) >> 8 : va;
            tsz = (int) (hi ? (tcr >>> 16) & 0x3F : tcr & 0x3F);
            boolean epd = ((tcr >>> (hi ? 23 : 7)) & 1) != 0;
            int tg = (int) (hi ? (tcr >>> 30) & 3 : (tcr >>> 14) & 3);
            if (epd) {
                faultFsc = Esr.FSC_TRANSLATION;
                return false;
            }
            if (hi ? tg != 2 : tg != 0) {
                // Only the 4 KB granule is implemented (ID_AA64MMFR0_EL1.TGran16/64 say so).
                faultFsc = Esr.FSC_TRANSLATION;
                return false;
            }
            tsz = clampTsz(tsz);
            long top = cmp >> (64 - tsz);
            if (top != (hi ? -1L : 0L)) {
                faultFsc = Esr.FSC_TRANSLATION;
                return false;
            }
            ttbr = hi ? sr[TTBR1_EL1] : sr[TTBR0_EL1];
        } else {
            tcr = mmuIdx == REGIME_EL2 ? sr[TCR_EL2] : sr[TCR_EL3];
            boolean tbi = ((tcr >>> 20) & 1) != 0;
            long cmp = tbi ? va & 0x00FF_FFFF_FFFF_FFFFL : va;
            tsz = clampTsz((int) (tcr & 0x3F));
            if ((cmp >>> (64 - tsz)) != 0) {
                faultFsc = Esr.FSC_TRANSLATION;
                return false;
            }
            ttbr = mmuIdx == REGIME_EL2 ? sr[TTBR0_EL2] : sr[TTBR0_EL3];
        }
        int inputBits = 64 - tsz;
        int start = 4 - (inputBits - 12 + 8) / 9;
        int level = start;
        long tableBytes = 8L << (inputBits - levelShift(start));
        long table = ttbr & 0x0000_FFFF_FFFF_FFFEL & ~(tableBytes - 1);
        // The configured output size (TCR_EL1.IPS, TCR_ELx.PS), capped at the implemented PA size: a table or
        // output address above it is an Address Size Fault at the level of the descriptor (Arm ARM D8.3.3).
        int oaBits = Math.min(outputSize((int) (el10 ? tcr >>> 32 : tcr >>> 16) & 7), c.memory().paBits());
        if ((table >>> oaBits) != 0) {
            faultFsc = Esr.FSC_ADDR_SIZE; // the TTBR: level 0
            return false;
        }
        SecurityState ss = c.securityState();
        Pas walkPas = ss.defaultPas;
        boolean apTableNoEl0 = false, apTableRo = false, xnTable = false, pxnTable = false;
        boolean nsTable = false;
        long desc;
        long descPa;
        while (true) {
            int shift = levelShift(level);
            int bits = level == start ? inputBits - shift : 9;
            long idx = (va >>> shift) & ((1L << bits) - 1);
            long descAddr = table + idx * 8;
            descPa = descAddr;
            Pas descPas = walkPas;
            if (s2) {
                if (!stage2(c, descAddr, READ, true)) {
                    return false;
                }
                descPa = outPa;
                descPas = outPas;
            }
            int gpc = c.granuleCheck(descPa & OA_MASK, descPas);
            if (gpc != GranuleProtection.OK) {
                faultGpc = gpc;
                faultS1ptw = s2;
                faultIpa = descAddr;
                faultFsc = Esr.FSC_GPF_WALK + Math.max(level, 0);
                return false;
            }
            try {
                desc = c.memory().read(descPa, 8);
            } catch (BusErrorException e) {
                faultFsc = Esr.FSC_SEA_WALK + level;
                return false;
            }
            int type = (int) desc & 3;
            if ((type & 1) == 0 || ((level == 3 || level == 0) && type == 1)) {
                // Invalid, or a block at level 3 or (4 KB granule, no FEAT_LPA2) at level 0.
                faultFsc = Esr.FSC_TRANSLATION + level;
                return false;
            }
            if (level < 3 && type == 3) {
                apTableNoEl0 |= ((desc >>> 61) & 1) != 0;
                apTableRo |= ((desc >>> 62) & 1) != 0;
                xnTable |= ((desc >>> 60) & 1) != 0;
                pxnTable |= ((desc >>> 59) & 1) != 0;
                if (ss == SecurityState.SECURE || ss == SecurityState.ROOT) {
                    nsTable |= ((desc >>> 63) & 1) != 0;
                }
                table = desc & OA_MASK & ~0xFFFL;
                if ((table >>> oaBits) != 0) {
                    faultFsc = Esr.FSC_ADDR_SIZE + level;
                    return false;
                }
                level++;
                continue;
            }
            break;
        }
        int shift = levelShift(level);
        long outMask = OA_MASK & ~((1L << shift) - 1);
        long pa = (desc & outMask) | (va & ((1L << shift) - 1));
        if (((desc & outMask) >>> oaBits) != 0) {
            faultFsc = Esr.FSC_ADDR_SIZE + level;
            return false;
        }
        // FEAT_HAFDBS: TCR_EL1.{HA,HD} are bits 39 and 40, TCR_EL2/EL3.{HA,HD} bits 21 and 22.
        boolean ha = ((tcr >>> (el10 ? 39 : 21)) & 1) != 0;
        boolean hd = ha && ((tcr >>> (el10 ? 40 : 22)) & 1) != 0;
        if ((desc & AF) == 0) {
            if (!ha) {
                faultFsc = Esr.FSC_ACCESS_FLAG + level;
                return false;
            }
            desc = update(c, descPa, desc, AF);
            if (updateFsc(desc, level) != 0) {
                faultFsc = updateFsc(desc, level);
                return false;
            }
        }
        if (hd && access == WRITE && (desc & (DBM | S1_AP2)) == (DBM | S1_AP2)) {
            // Dirty state: a write to a writable-clean page (DBM set, AP[2] read-only) makes it writable-dirty.
            desc = update(c, descPa, desc, 0);
            if (updateFsc(desc, level) != 0) {
                faultFsc = updateFsc(desc, level);
                return false;
            }
        }
        // Output physical address space.
        Pas pas;
        switch (ss) {
            case ROOT: {
                boolean ns = ((desc >>> 5) & 1) != 0;
                boolean nse = ((desc >>> 11) & 1) != 0;
                pas = Pas.fromCode((nse ? 2 : 0) | (ns ? 1 : 0));
                break;
            }
            case REALM:
                pas = ((desc >>> 5) & 1) != 0 ? Pas.NON_SECURE : Pas.REALM;
                break;
            case SECURE:
                pas = nsTable || ((desc >>> 5) & 1) != 0 ? Pas.NON_SECURE : Pas.SECURE;
                break;
            default:
                pas = Pas.NON_SECURE;
                break;
        }
        // Permissions (Arm ARM D8.4).
        boolean ap1 = ((desc >>> 6) & 1) != 0;   // EL0 accessible
        boolean ap2 = ((desc >>> 7) & 1) != 0;   // read-only
        boolean uxn = ((desc >>> 54) & 1) != 0;
        boolean pxn = ((desc >>> 53) & 1) != 0;
        boolean wxn = (sctlr & SCTLR_WXN) != 0;
        int perms;
        if (twoRanges) {
            boolean el0Access = ap1 && !apTableNoEl0;
            boolean ro = ap2 || apTableRo;
            if (mmuIdx == REGIME_EL10_0) {
                if (!el0Access) {
                    perms = 0;
                } else {
                    perms = PERM_R | (ro ? 0 : PERM_W);
                    boolean writable = !ro;
                    if (!uxn && !xnTable && !(wxn && writable)) {
                        perms |= PERM_X;
                    }
                }
            } else {
                perms = PERM_R | (ro ? 0 : PERM_W);
                boolean el0Writable = el0Access && !ro;
                if (!pxn && !pxnTable && !el0Writable && !(wxn && !ro)) {
                    perms |= PERM_X;
                }
                if (mmuIdx == REGIME_EL10_1_PAN && el0Access) {
                    perms &= PERM_X; // PAN: privileged data access to EL0-accessible memory faults
                }
            }
        } else {
            boolean ro = ap2 || apTableRo;
            perms = PERM_R | (ro ? 0 : PERM_W);
            if (!uxn && !xnTable && !(wxn && !ro)) {
                perms |= PERM_X;
            }
        }
        if ((perms & (1 << access)) == 0) {
            faultFsc = Esr.FSC_PERMISSION + level;
            return false;
        }
        outPa = pa;
        outPas = pas;
        outPerms = perms;
        outGlobal = !twoRanges || ((desc >>> 11) & 1) == 0;
        outSizeShift = shift;
        long mair = el10 ? sr[MAIR_EL1] : mmuIdx == REGIME_EL2 ? sr[MAIR_EL2] : sr[MAIR_EL3];
        outAttr = (int) (mair >>> (8 * ((desc >>> 2) & 7))) & 0xFF;
        // PAR_EL1.SH may be the descriptor's value or the effective one (Arm ARM D19.2); like QEMU, report the
        // descriptor's.
        outSh = (int) (desc >>> 8) & 3;
        return true;
    }

    private static int clampTsz(int tsz) {
        return Math.max(16, Math.min(tsz, 48));
    }

    private static int levelShift(int level) {
        return 12 + 9 * (3 - level);
    }

    /**
     * Stage-2 translation of {@code ipa} (VTTBR_EL2/VTCR_EL2, 4 KB granule). On success {@link #outPa},
     * {@link #outPas} and {@link #outPerms} hold the stage-2 result.
     */
    private boolean stage2(Context c, long ipa, int access, boolean s1ptw) {
        long[] sr = c.sysRegs();
        long vtcr = sr[VTCR_EL2];
        int t0sz = clampTsz((int) (vtcr & 0x3F));
        int sl0 = (int) (vtcr >>> 6) & 3;
        int inputBits = 64 - t0sz;
        int start;
        switch (sl0) {
            case 0: start = 2; break;
            case 1: start = 1; break;
            case 2: start = 0; break;
            default: start = 3; break;
        }
        if ((ipa >>> inputBits) != 0) {
            return s2Fault(Esr.FSC_TRANSLATION + start, ipa, s1ptw);
        }
        SecurityState ss = c.securityState();
        Pas walkPas = ss == SecurityState.REALM ? Pas.REALM : ss == SecurityState.SECURE ? Pas.SECURE
                : Pas.NON_SECURE;
        long table = sr[VTTBR_EL2] & 0x0000_FFFF_FFFF_FFFEL;
        int level = start;
        long desc;
        long descPa;
        while (true) {
            int shift = levelShift(level);
            int bits = level == start ? inputBits - shift : 9;
            long idx = (ipa >>> shift) & ((1L << bits) - 1);
            descPa = (table & OA_MASK) + idx * 8;
            int gpc = c.granuleCheck(descPa & OA_MASK, walkPas);
            if (gpc != GranuleProtection.OK) {
                faultGpc = gpc;
                faultStage2 = true;
                faultS1ptw = s1ptw;
                faultIpa = ipa;
                faultFsc = Esr.FSC_GPF_WALK + level;
                return false;
            }
            try {
                desc = c.memory().read(descPa, 8);
            } catch (BusErrorException e) {
                return s2Fault(Esr.FSC_SEA_WALK + level, ipa, s1ptw);
            }
            int type = (int) desc & 3;
            if ((type & 1) == 0 || (level == 3 && type == 1)) {
                return s2Fault(Esr.FSC_TRANSLATION + level, ipa, s1ptw);
            }
            if (level < 3 && type == 3) {
                table = desc & OA_MASK;
                level++;
                continue;
            }
            break;
        }
        // FEAT_HAFDBS at stage 2: VTCR_EL2.HA (bit 21) and HD (bit 22); dirty means S2AP[1] (write) set.
        boolean ha = ((vtcr >>> 21) & 1) != 0;
        if ((desc & AF) == 0) {
            if (!ha) {
                return s2Fault(Esr.FSC_ACCESS_FLAG + level, ipa, s1ptw);
            }
            desc = update(c, descPa, desc, AF);
            if (updateFsc(desc, level) != 0) {
                return s2Fault(updateFsc(desc, level), ipa, s1ptw);
            }
        }
        if (ha && ((vtcr >>> 22) & 1) != 0 && !s1ptw && access == WRITE && (desc & (DBM | S2_AP_W)) == DBM) {
            desc = update(c, descPa, desc, S2_AP_W);
            if (updateFsc(desc, level) != 0) {
                return s2Fault(updateFsc(desc, level), ipa, s1ptw);
            }
        }
        int shift = levelShift(level);
        long pa = (desc & OA_MASK & ~((1L << shift) - 1)) | (ipa & ((1L << shift) - 1));
        int perms = 0;
        if (((desc >>> 6) & 1) != 0) {
            perms |= PERM_R;
        }
        if (((desc >>> 7) & 1) != 0) {
            perms |= PERM_W;
        }
        if (((desc >>> 54) & 1) == 0 && (perms & PERM_R) != 0) {
            perms |= PERM_X;
        }
        // A stage-1 walk only needs read permission at stage 2 (no hardware access-flag updates).
        int need = s1ptw ? READ : access;
        if ((perms & (1 << need)) == 0) {
            return s2Fault(Esr.FSC_PERMISSION + level, ipa, s1ptw);
        }
        Pas pas;
        if (ss == SecurityState.REALM) {
            // RME: bit 55 of a Realm stage-2 descriptor selects the Non-secure PAS.
            pas = ((desc >>> 55) & 1) != 0 ? Pas.NON_SECURE : Pas.REALM;
        } else if (ss == SecurityState.SECURE) {
            pas = Pas.SECURE;
        } else {
            pas = Pas.NON_SECURE;
        }
        outPa = pa;
        outPas = pas;
        outPerms = perms;
        outSizeShift = shift;
        return true;
    }

    private boolean s2Fault(int fsc, long ipa, boolean s1ptw) {
        faultFsc = fsc;
        faultStage2 = true;
        faultS1ptw = s1ptw;
        faultIpa = ipa;
        return false;
    }
}
