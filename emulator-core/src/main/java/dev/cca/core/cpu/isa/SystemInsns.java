package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SysReg;
import dev.cca.core.cpu.SysRegTraps;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.decode.Fields;

/**
 * Exception generation, exception return, system register moves, hints, barriers and the SYS instructions
 * (cache and TLB maintenance) of the "Branches, Exception Generating and System instructions" group.
 */
public final class SystemInsns {
    private SystemInsns() {
    }

    /** SVC, HVC, SMC, BRK, HLT (Exception generation). */
    public static Insn exception(Fields f) {
        int opc = f.u('o');
        int ll = f.u('l');
        int op2 = f.u('p');
        int imm = f.u('i');
        if (op2 != 0) {
            return null;
        }
        if (opc == 0) {
            switch (ll) {
                case 1: return (c, pc) -> c.svcAt(pc, imm);
                case 2: return (c, pc) -> c.hvcAt(pc, imm);
                case 3: return (c, pc) -> c.smcAt(pc, imm);
                default: return null;
            }
        }
        if (opc == 1 && ll == 0) { // BRK
            return (c, pc) -> c.brkAt(pc, imm);
        }
        return null; // HLT (no halting debug), DCPS*: UNDEFINED
    }

    /** ERET. */
    public static Insn eret(Fields f) {
        return (c, pc) -> {
            if (c.el == 0) {
                throw c.undefined();
            }
            return c.eret();
        };
    }

    /** MRS Xt, (system register). */
    public static Insn mrs(Fields f) {
        int rt = f.u('t');
        int word = f.word();
        SysReg r = SysRegs.byEncoding((f.word() >>> 5) & 0xFFFF);
        if (r == null || r.writeOnly()) {
            return null;
        }
        int minEl = r.minEl;
        boolean fp = r.id == SysRegs.FPCR || r.id == SysRegs.FPSR;
        SysRegTraps.Check check = SysRegTraps.classify(r);
        if (check != null) {
            return (c, pc) -> {
                c.beginSysRegAccess(word);
                if (c.el < minEl) {
                    throw c.undefined();
                }
                SysRegTraps.check(c, r, check, rt, true);
                c.setX(rt, c.readSysReg(r));
                return pc + 4;
            };
        }
        return (c, pc) -> {
            c.beginSysRegAccess(word);
            if (c.el < minEl) {
                throw c.undefined();
            }
            if (fp) {
                FpAccess.check(c);
            }
            c.setX(rt, c.readSysReg(r));
            return pc + 4;
        };
    }

    /** MSR (system register), Xt. */
    public static Insn msrReg(Fields f) {
        int rt = f.u('t');
        int word = f.word();
        SysReg r = SysRegs.byEncoding((f.word() >>> 5) & 0xFFFF);
        if (r == null || r.readOnly()) {
            return null;
        }
        int minEl = r.minEl;
        boolean fp = r.id == SysRegs.FPCR || r.id == SysRegs.FPSR;
        SysRegTraps.Check check = SysRegTraps.classify(r);
        return (c, pc) -> {
            c.beginSysRegAccess(word);
            if (c.el < minEl) {
                throw c.undefined();
            }
            if (fp) {
                FpAccess.check(c);
            }
            if (check != null) {
                SysRegTraps.check(c, r, check, rt, false);
            }
            c.writeSysReg(r, c.x[rt]);
            return pc + 4;
        };
    }

    /** MSR (immediate): SPSel, DAIFSet, DAIFClr, PAN, UAO, SSBS, DIT. */
    public static Insn msrImm(Fields f) {
        int op1 = f.u('b');
        int op2 = f.u('e');
        int imm = f.u('d');
        int key = (op1 << 3) | op2;
        switch (key) {
            case 0b000_101: // SPSel
                return (c, pc) -> {
                    if (c.el == 0) {
                        throw c.undefined();
                    }
                    c.setSpSel((imm & 1) != 0);
                    return pc + 4;
                };
            case 0b011_110: // DAIFSet
                return (c, pc) -> {
                    checkEl0Uma(c, op2, imm);
                    c.setDaif(c.daif | (imm << 6));
                    return pc + 4;
                };
            case 0b011_111: // DAIFClr
                return (c, pc) -> {
                    checkEl0Uma(c, op2, imm);
                    c.setDaif(c.daif & ~(imm << 6));
                    return pc + 4;
                };
            case 0b000_100: // PAN
                return (c, pc) -> {
                    if (c.el == 0) {
                        throw c.undefined();
                    }
                    c.setPan((imm & 1) != 0);
                    return pc + 4;
                };
            default:
                return null; // UAO, SSBS, DIT, TCO: features not implemented
        }
    }

    /** MSR DAIFSet/DAIFClr at EL0 without SCTLR_EL1.UMA traps (EC 0x18, Op0 = 0, Op1 = 3, CRn = 4, CRm = imm). */
    private static void checkEl0Uma(Cpu c, int op2, int imm) {
        if (c.el == 0 && (c.sr[SysRegs.SCTLR_EL1] & SysRegTraps.SCTLR_UMA) == 0) {
            throw c.trapSysReg(c.syncTargetEl(), SysRegTraps.iss(0, 3, 4, imm, op2, 31, false));
        }
    }

    /** HINT space: NOP, YIELD, WFE, WFI, SEV, SEVL and the hints of features that are not implemented. */
    public static Insn hint(Fields f) {
        int n = (f.u('d') << 3) | f.u('e');
        switch (n) {
            case 2: return (c, pc) -> {
                checkEl0Wfx(c, true);
                return c.waitForInterrupt(pc, true);
            };
            case 3: return (c, pc) -> {
                checkEl0Wfx(c, false);
                return c.waitForInterrupt(pc, false);
            };
            default: return (c, pc) -> pc + 4; // NOP, YIELD, SEV(L), and PAC/BTI/ESB/CSDB hints as NOPs
        }
    }

    /** WFI/WFE at EL0 trap to EL1 unless SCTLR_EL1.nTWI/nTWE allow them (EC 0x01, CV = 1, COND = 0xE). */
    private static void checkEl0Wfx(Cpu c, boolean wfe) {
        if (c.el == 0 && (c.sr[SysRegs.SCTLR_EL1] & (wfe ? SysRegTraps.SCTLR_NTWE : SysRegTraps.SCTLR_NTWI)) == 0) {
            throw c.pend(c.syncTargetEl(), Esr.EC_WFX, (1 << 24) | (0xE << 20) | (wfe ? 1 : 0));
        }
    }

    /** CLREX, DSB, DMB, ISB, SB. */
    public static Insn barrier(Fields f) {
        int op2 = f.u('e');
        switch (op2) {
            case 2: // CLREX
                return (c, pc) -> {
                    c.clearExclusiveMonitor();
                    return pc + 4;
                };
            case 4:
            case 5:
            case 6:
            case 7:
                // Each PE executes in program order without speculation; between PEs on different threads, DMB
                // and DSB are full fences. ISB and SB need nothing.
                if (op2 == 6 || op2 == 7) {
                    return (c, pc) -> pc + 4;
                }
                return (c, pc) -> {
                    java.lang.invoke.VarHandle.fullFence();
                    return pc + 4;
                };
            default:
                return null;
        }
    }

    /** SYS: DC, IC, TLBI, AT (see {@link SysOps}). */
    public static Insn sys(Fields f) {
        return SysOps.sys(f);
    }
}
