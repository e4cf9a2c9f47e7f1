package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SysReg;
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
        SysReg r = SysRegs.byEncoding((f.word() >>> 5) & 0xFFFF);
        if (r == null || r.writeOnly()) {
            return null;
        }
        int minEl = r.minEl;
        boolean fp = r.id == SysRegs.FPCR || r.id == SysRegs.FPSR;
        return (c, pc) -> {
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
        SysReg r = SysRegs.byEncoding((f.word() >>> 5) & 0xFFFF);
        if (r == null || r.readOnly()) {
            return null;
        }
        int minEl = r.minEl;
        boolean fp = r.id == SysRegs.FPCR || r.id == SysRegs.FPSR;
        return (c, pc) -> {
            if (c.el < minEl) {
                throw c.undefined();
            }
            if (fp) {
                FpAccess.check(c);
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
                    checkEl0Uma(c);
                    c.setDaif(c.daif | (imm << 6));
                    return pc + 4;
                };
            case 0b011_111: // DAIFClr
                return (c, pc) -> {
                    checkEl0Uma(c);
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

    private static void checkEl0Uma(Cpu c) {
        if (c.el == 0 && (c.sr[SysRegs.SCTLR_EL1] & (1L << 9)) == 0) {
            throw c.trapSysReg(1, 0);
        }
    }

    /** HINT space: NOP, YIELD, WFE, WFI, SEV, SEVL and the hints of features that are not implemented. */
    public static Insn hint(Fields f) {
        int n = (f.u('d') << 3) | f.u('e');
        switch (n) {
            case 2: return (c, pc) -> c.waitForInterrupt(pc, true);
            case 3: return (c, pc) -> c.waitForInterrupt(pc, false);
            default: return (c, pc) -> pc + 4; // NOP, YIELD, SEV(L), and PAC/BTI/ESB/CSDB hints as NOPs
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
                // The interpreter is sequentially consistent per PE and has no speculation: barriers order
                // nothing further.
                return (c, pc) -> pc + 4;
            default:
                return null;
        }
    }

    /** SYS: DC, IC, TLBI. */
    public static Insn sys(Fields f) {
        int op1 = f.u('b'), crn = f.u('c'), crm = f.u('d'), op2 = f.u('e');
        int rt = f.u('t');
        if (crn == 8) { // TLBI
            int minEl = op1 == 4 ? 2 : op1 == 6 ? 3 : 1;
            // CRm 7, 4 and 6 are the local (non-shareable) forms; the others broadcast to every PE.
            boolean broadcast = crm != 7 && crm != 4 && crm != 6;
            return (c, pc) -> {
                if (c.el < minEl) {
                    throw c.undefined();
                }
                c.tlbInvalidate(broadcast);
                return pc + 4;
            };
        }
        if (crn == 7) {
            if (op1 == 3 && crm == 4 && op2 == 1) { // DC ZVA
                return (c, pc) -> {
                    long base = c.x[rt] & ~63L;
                    for (int i = 0; i < 64; i += 8) {
                        c.write(base + i, 8, 0, 0);
                    }
                    return pc + 4;
                };
            }
            if ((crm == 5 && op2 == 1) || (crm == 1 && op2 == 0) || (crm == 5 && op2 == 0)) {
                // IC IVAU, IC IALLUIS, IC IALLU: the decode cache is kept coherent with memory on every store.
                return (c, pc) -> pc + 4;
            }
            if (crm == 6 || crm == 10 || crm == 11 || crm == 12 || crm == 13 || crm == 14) {
                // DC IVAC/ISW/CSW/CISW/CVAC/CVAU/CVAP/CIVAC...: there are no caches to maintain.
                return (c, pc) -> {
                    if (c.el == 0 && op1 == 0) {
                        throw c.undefined();
                    }
                    return pc + 4;
                };
            }
        }
        return null;
    }
}
