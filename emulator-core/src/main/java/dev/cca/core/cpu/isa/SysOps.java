package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SysRegTraps;
import dev.cca.core.cpu.TlbOp;
import dev.cca.core.cpu.decode.Fields;
import dev.cca.core.mem.Page;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.mmu.Mmu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The SYS instructions (op0 = 1): cache maintenance (DC, IC), TLB maintenance (TLBI) and address translation
 * (AT), with their EL0 enables (SCTLR_EL1.UCI/DZE), their traps to EL2 (HCR_EL2.TPU/TPCP/TSW/TDZ/TTLB) and,
 * for the by-VA forms, the faults they can raise (Arm ARM D7.5.9). Encodings that belong to features this PE does
 * not advertise (TLBI range and outer-shareable forms, DC CVADP, DC GVA/GZVA, AT S1E1RP/WP) stay UNDEFINED.
 */
public final class SysOps {
    private SysOps() {
    }

    public static Insn sys(Fields f) {
        int op1 = f.u('b'), crn = f.u('c'), crm = f.u('d'), op2 = f.u('e');
        int rt = f.u('t');
        if (crn == 8) {
            return tlbi(op1, crm, op2, rt);
        }
        if (crn == 7 && crm == 8) {
            return at(op1, op2, rt);
        }
        if (crn == 7) {
            return cache(op1, crm, op2, rt);
        }
        return null;
    }

    // ---- DC and IC --------------------------------------------------------------------------------------------

    private static final int DC_ZVA = 1, DC_IVAC = 2, DC_CLEAN = 3, DC_SETWAY = 4, IC_ALL = 5, IC_IVAU = 6;

    private static Insn cache(int op1, int crm, int op2, int rt) {
        int kind;
        long trap;
        boolean el0; // accessible at EL0 under SCTLR_EL1.UCI (or DZE for DC ZVA)
        int key = (op1 << 8) | (crm << 4) | op2;
        switch (key) {
            case 0x010: case 0x050: kind = IC_ALL; trap = SysRegTraps.HCR_TPU; el0 = false; break; // IC IALLU(IS)
            case 0x351: kind = IC_IVAU; trap = SysRegTraps.HCR_TPU; el0 = true; break;
            case 0x061: kind = DC_IVAC; trap = SysRegTraps.HCR_TPCP; el0 = false; break;
            case 0x062: case 0x0A2: case 0x0E2: kind = DC_SETWAY; trap = SysRegTraps.HCR_TSW; el0 = false; break;
            case 0x341: kind = DC_ZVA; trap = SysRegTraps.HCR_TDZ; el0 = true; break;
            case 0x3A1: case 0x3E1: case 0x3C1: // DC CVAC, DC CIVAC, DC CVAP
                kind = DC_CLEAN; trap = SysRegTraps.HCR_TPCP; el0 = true; break;
            case 0x3B1: kind = DC_CLEAN; trap = SysRegTraps.HCR_TPU; el0 = true; break; // DC CVAU
            default: return null;
        }
        long el0Enable = kind == DC_ZVA ? SysRegTraps.SCTLR_DZE : SysRegTraps.SCTLR_UCI;
        int crn = 7;
        return (c, pc) -> {
            if (c.el == 0) {
                if (!el0) {
                    throw c.undefined();
                }
                if ((c.sr[SCTLR_EL1] & el0Enable) == 0) {
                    throw c.trapSysReg(c.syncTargetEl(), SysRegTraps.iss(1, op1, crn, crm, op2, rt, false));
                }
            }
            SysRegTraps.checkSys(c, trap, op1, crn, crm, op2, rt);
            long va = c.x[rt];
            switch (kind) {
                case DC_ZVA:
                    zeroBlock(c, va);
                    break;
                case DC_IVAC:
                    // Invalidate needs write permission; there is no cache, so nothing else happens.
                    c.translateForMaintenance(va, true, true);
                    break;
                case DC_CLEAN:
                case IC_IVAU:
                    // Only EL0 executions check permissions (read access); translation faults always apply.
                    c.translateForMaintenance(va, false, c.el == 0);
                    break;
                default:
                    // IC IALLU(IS), set/way operations: no caches; decoded code is coherent with every store.
                    break;
            }
            return pc + 4;
        };
    }

    /** DC ZVA: zeroes the naturally aligned block of DCZID_EL0.BS words (64 bytes) holding {@code va}. */
    static void zeroBlock(Cpu c, long va) {
        int bytes = 4 << (c.sr[DCZID_EL0] & 0xF);
        long base = va & -bytes;
        int i = c.translateData(base, bytes, false, true, 0);
        Page p = c.tlbPageAt(i);
        if (p == null) {
            for (int k = 0; k < bytes; k += 8) {
                c.write(base + k, 8, 0, 0);
            }
            return;
        }
        int off = (int) (base & Page.MASK);
        java.util.Arrays.fill(p.data, off, off + bytes, (byte) 0);
        c.afterAtomicStore(p, off, bytes);
    }

    // ---- TLBI -------------------------------------------------------------------------------------------------

    private static Insn tlbi(int op1, int crm, int op2, int rt) {
        int minEl;
        int regimes;
        int kind;
        boolean broadcast;
        switch (op1) {
            case 0: // EL1: CRm 3 Inner Shareable, 7 local
                if (crm != 3 && crm != 7) {
                    return null;
                }
                minEl = 1;
                regimes = TlbOp.EL10;
                broadcast = crm == 3;
                switch (op2) {
                    case 0: kind = TlbOp.ALL; break;                 // VMALLE1
                    case 1: case 5: kind = TlbOp.BY_VA; break;       // VAE1, VALE1
                    case 2: kind = TlbOp.BY_ASID; break;             // ASIDE1
                    case 3: case 7: kind = TlbOp.BY_VA_ALL_ASID; break; // VAAE1, VAALE1
                    default: return null;
                }
                break;
            case 4: // EL2
                minEl = 2;
                if (crm == 0 || crm == 4) { // IPAS2E1IS, IPAS2LE1IS / IPAS2E1, IPAS2LE1
                    if (op2 != 1 && op2 != 5) {
                        return null;
                    }
                    // Entries combine both stages: dropping every EL1&0 entry is the safe over-approximation.
                    regimes = TlbOp.EL10;
                    kind = TlbOp.ALL;
                    broadcast = crm == 0;
                    break;
                }
                if (crm != 3 && crm != 7) {
                    return null;
                }
                broadcast = crm == 3;
                switch (op2) {
                    case 0: regimes = TlbOp.EL2; kind = TlbOp.ALL; break;              // ALLE2
                    case 1: case 5: regimes = TlbOp.EL2; kind = TlbOp.BY_VA_ALL_ASID; break; // VAE2, VALE2
                    case 4: case 6: regimes = TlbOp.EL10; kind = TlbOp.ALL; break;     // ALLE1, VMALLS12E1
                    default: return null;
                }
                break;
            case 6: // EL3, and the RME PA-based forms
                minEl = 3;
                if (crm == 1 && op2 == 4) { // PAALLOS
                    regimes = TlbOp.ALL_REGIMES;
                    kind = TlbOp.ALL;
                    broadcast = true;
                    break;
                }
                if (crm == 4 && (op2 == 3 || op2 == 7)) { // RPAOS, RPALOS
                    regimes = TlbOp.ALL_REGIMES;
                    kind = TlbOp.ALL;
                    broadcast = true;
                    break;
                }
                if (crm == 7 && op2 == 4) { // PAALL
                    regimes = TlbOp.ALL_REGIMES;
                    kind = TlbOp.ALL;
                    broadcast = false;
                    break;
                }
                if (crm != 3 && crm != 7) {
                    return null;
                }
                broadcast = crm == 3;
                switch (op2) {
                    case 0: regimes = TlbOp.EL3; kind = TlbOp.ALL; break;                   // ALLE3
                    case 1: case 5: regimes = TlbOp.EL3; kind = TlbOp.BY_VA_ALL_ASID; break; // VAE3, VALE3
                    default: return null;
                }
                break;
            default:
                return null;
        }
        TlbOp fixed = kind == TlbOp.ALL ? new TlbOp(regimes, TlbOp.ALL, 0, 0) : null;
        int fRegimes = regimes, fKind = kind;
        boolean fBroadcast = broadcast;
        return (c, pc) -> {
            if (c.el < minEl) {
                throw c.undefined();
            }
            SysRegTraps.checkSys(c, SysRegTraps.HCR_TTLB, op1, 8, crm, op2, rt);
            boolean bc = fBroadcast || (c.el == 1 && c.el2Enabled() && (c.sr[HCR_EL2] & SysRegTraps.HCR_FB) != 0);
            TlbOp op = fixed;
            if (op == null) {
                long xt = c.x[rt];
                int asid = (int) (xt >>> 48) & (((c.sr[TCR_EL1] >>> 36) & 1) != 0 ? 0xFFFF : 0xFF);
                op = new TlbOp(fRegimes, fKind, (xt & 0xFFF_FFFF_FFFFL) << 12, asid);
            }
            c.tlbMaintenance(op, bc);
            return pc + 4;
        };
    }

    // ---- AT ---------------------------------------------------------------------------------------------------

    private static Insn at(int op1, int op2, int rt) {
        int minEl, mmuIdx;
        boolean write = (op2 & 1) != 0;
        boolean stage2 = false;
        switch ((op1 << 3) | op2) {
            case 0x00: case 0x01: minEl = 1; mmuIdx = Cpu.MMU_EL10_1; break;            // S1E1R, S1E1W
            case 0x02: case 0x03: minEl = 1; mmuIdx = Cpu.MMU_EL10_0; break;            // S1E0R, S1E0W
            case 0x20: case 0x21: minEl = 2; mmuIdx = Cpu.MMU_EL2; break;               // S1E2R, S1E2W
            case 0x24: case 0x25: minEl = 2; mmuIdx = Cpu.MMU_EL10_1; stage2 = true; break; // S12E1R, S12E1W
            case 0x26: case 0x27: minEl = 2; mmuIdx = Cpu.MMU_EL10_0; stage2 = true; break; // S12E0R, S12E0W
            case 0x30: case 0x31: minEl = 3; mmuIdx = Cpu.MMU_EL3; break;               // S1E3R, S1E3W
            default: return null;
        }
        boolean s2 = stage2;
        return (c, pc) -> {
            if (c.el < minEl) {
                throw c.undefined();
            }
            c.sr[PAR_EL1] = translate(c, c.x[rt], write ? Mmu.WRITE : Mmu.READ, mmuIdx, s2);
            return pc + 4;
        };
    }

    /**
     * PAR_EL1 for an address translation (Arm ARM D19.2 PAR_EL1): on success PA[47:12], NS, SH, the MAIR
     * attribute in [63:56] and bit 11 (RES1); on a fault F = 1, FST, PTW, S and bit 11. The TLB is not used or
     * changed (the result is what a walk now gives).
     */
    static long translate(Cpu c, long va, int access, int mmuIdx, boolean withStage2) {
        Mmu m = c.mmu();
        if (!m.translate(c.translationContext(), va, access, mmuIdx, withStage2)) {
            int fsc = m.faultFsc;
            return 1L | ((long) (fsc & 0x3F) << 1) | (m.faultS1ptw ? 1L << 8 : 0) | (m.faultStage2 ? 1L << 9 : 0)
                    | (1L << 11);
        }
        int gpc = GranuleProtection.check(c.memory, c.sr[GPCCR_EL3], c.sr[GPTBR_EL3], c.memory.paBits(),
                m.outPa & ~0xFFFL, m.outPas);
        if (gpc != GranuleProtection.OK) {
            return 1L | (0x28L << 1) | (1L << 11);
        }
        long ns = m.outPas == dev.cca.core.mem.Pas.SECURE || m.outPas == dev.cca.core.mem.Pas.ROOT ? 0 : 1L << 9;
        return (m.outPa & 0x0000_FFFF_FFFF_F000L) | ((long) m.outAttr << 56) | ((long) m.outSh << 7) | ns
                | (1L << 11);
    }
}
