package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/**
 * Integer data-processing instructions (Arm ARM C4.1.86-C4.1.94): the semantics of each encoding of the
 * "Data Processing -- Immediate" and "Data Processing -- Register" groups. Each factory reads the operand fields
 * once and returns an {@link Insn} specialised for the register width.
 */
public final class DataProcessing {
    private DataProcessing() {
    }

    private static final long W = 0xFFFF_FFFFL;

    // ---- PC-relative addressing ------------------------------------------------------------------------------

    public static Insn adr(Fields f) {
        int rd = f.u('d');
        long imm = (f.s('h') << 2) | f.u('l');
        return (c, pc) -> {
            c.setX(rd, pc + imm);
            return pc + 4;
        };
    }

    public static Insn adrp(Fields f) {
        int rd = f.u('d');
        long imm = ((f.s('h') << 2) | f.u('l')) << 12;
        return (c, pc) -> {
            c.setX(rd, (pc & ~0xFFFL) + imm);
            return pc + 4;
        };
    }

    // ---- add/subtract ----------------------------------------------------------------------------------------

    /** ADD, ADDS, SUB, SUBS (immediate). Rn may be SP; Rd may be SP unless flags are set. */
    public static Insn addSubImm(Fields f) {
        boolean sf = f.u('z') == 1;
        boolean sub = f.u('o') == 1;
        boolean setFlags = f.u('s') == 1;
        int rd = f.u('d'), rn = f.u('n');
        long imm = (long) f.u('i') << (f.u('h') == 1 ? 12 : 0);
        return addSub(sf, sub, setFlags, rd, rn, true, (c, a) -> imm);
    }

    /** ADD, ADDS, SUB, SUBS (shifted register). */
    public static Insn addSubShifted(Fields f) {
        boolean sf = f.u('z') == 1;
        int type = f.u('h');
        int amount = f.u('i');
        if (type == 3 || (!sf && amount >= 32)) {
            return null;
        }
        int rm = f.u('m');
        Operand op = sf ? (c, a) -> Alu.shift64(c.x[rm], type, amount)
                : (c, a) -> Alu.shift32((int) c.x[rm], type, amount) & W;
        return addSub(sf, f.u('o') == 1, f.u('s') == 1, f.u('d'), f.u('n'), false, op);
    }

    /** ADD, ADDS, SUB, SUBS (extended register). Rn and (without flags) Rd may be SP. */
    public static Insn addSubExtended(Fields f) {
        boolean sf = f.u('z') == 1;
        int option = f.u('x');
        int shift = f.u('i');
        if (shift > 4) {
            return null;
        }
        int rm = f.u('m');
        return addSub(sf, f.u('o') == 1, f.u('s') == 1, f.u('d'), f.u('n'), true,
                (c, a) -> Alu.extend(c.x[rm], option, shift));
    }

    @FunctionalInterface
    interface Operand {
        long get(dev.cca.core.cpu.Cpu c, long other);
    }

    private static Insn addSub(boolean sf, boolean sub, boolean setFlags, int rd, int rn, boolean rnSp, Operand op2) {
        boolean rdSp = rnSp && !setFlags;
        if (sf) {
            if (setFlags) {
                return (c, pc) -> {
                    long a = rnSp ? c.getXsp(rn) : c.x[rn];
                    long b = op2.get(c, a);
                    long r;
                    if (sub) {
                        r = a - b;
                        c.nzcv = Alu.addFlags64(a, ~b, r);
                    } else {
                        r = a + b;
                        c.nzcv = Alu.addFlags64(a, b, r);
                    }
                    c.setX(rd, r);
                    return pc + 4;
                };
            }
            return (c, pc) -> {
                long a = rnSp ? c.getXsp(rn) : c.x[rn];
                long b = op2.get(c, a);
                long r = sub ? a - b : a + b;
                if (rdSp) {
                    c.setXsp(rd, r);
                } else {
                    c.setX(rd, r);
                }
                return pc + 4;
            };
        }
        if (setFlags) {
            return (c, pc) -> {
                int a = (int) (rnSp ? c.getXsp(rn) : c.x[rn]);
                int b = (int) op2.get(c, a);
                int r;
                if (sub) {
                    r = a - b;
                    c.nzcv = Alu.addFlags32(a, ~b, r);
                } else {
                    r = a + b;
                    c.nzcv = Alu.addFlags32(a, b, r);
                }
                c.setX(rd, r & W);
                return pc + 4;
            };
        }
        return (c, pc) -> {
            int a = (int) (rnSp ? c.getXsp(rn) : c.x[rn]);
            int b = (int) op2.get(c, a);
            long r = (sub ? a - b : a + b) & W;
            if (rdSp) {
                c.setXsp(rd, r);
            } else {
                c.setX(rd, r);
            }
            return pc + 4;
        };
    }

    /** ADC, ADCS, SBC, SBCS. */
    public static Insn addSubCarry(Fields f) {
        boolean sf = f.u('z') == 1;
        boolean sub = f.u('o') == 1;
        boolean setFlags = f.u('s') == 1;
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        if (sf) {
            return (c, pc) -> {
                long a = c.x[rn];
                long b = sub ? ~c.x[rm] : c.x[rm];
                long r = a + b + ((c.nzcv & Alu.C) != 0 ? 1 : 0);
                if (setFlags) {
                    c.nzcv = Alu.addFlags64(a, b, r);
                }
                c.setX(rd, r);
                return pc + 4;
            };
        }
        return (c, pc) -> {
            int a = (int) c.x[rn];
            int b = sub ? ~(int) c.x[rm] : (int) c.x[rm];
            int r = a + b + ((c.nzcv & Alu.C) != 0 ? 1 : 0);
            if (setFlags) {
                c.nzcv = Alu.addFlags32(a, b, r);
            }
            c.setX(rd, r & W);
            return pc + 4;
        };
    }

    // ---- logical ---------------------------------------------------------------------------------------------

    /** AND, ORR, EOR, ANDS (immediate). Rd may be SP except for ANDS. */
    public static Insn logicalImm(Fields f) {
        boolean sf = f.u('z') == 1;
        int n = f.u('k');
        if (!sf && n == 1) {
            return null;
        }
        long[] m = Alu.decodeBitMasks(n, f.u('t'), f.u('r'), true);
        if (m == null) {
            return null;
        }
        long imm = sf ? m[0] : m[0] & W;
        int opc = f.u('o');
        int rd = f.u('d'), rn = f.u('n');
        return (c, pc) -> {
            long a = c.x[rn];
            long r;
            switch (opc) {
                case 0: r = a & imm; break;
                case 1: r = a | imm; break;
                case 2: r = a ^ imm; break;
                default:
                    r = a & imm;
                    c.nzcv = sf ? Alu.logicFlags64(r) : Alu.logicFlags32((int) r);
                    c.setX(rd, sf ? r : r & W);
                    return pc + 4;
            }
            c.setXsp(rd, sf ? r : r & W);
            return pc + 4;
        };
    }

    /** AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register). */
    public static Insn logicalShifted(Fields f) {
        boolean sf = f.u('z') == 1;
        int amount = f.u('i');
        if (!sf && amount >= 32) {
            return null;
        }
        int type = f.u('h');
        boolean invert = f.u('k') == 1;
        int opc = f.u('o');
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        if (sf) {
            return (c, pc) -> {
                long b = Alu.shift64(c.x[rm], type, amount);
                if (invert) {
                    b = ~b;
                }
                long a = c.x[rn];
                long r;
                switch (opc) {
                    case 0: r = a & b; break;
                    case 1: r = a | b; break;
                    case 2: r = a ^ b; break;
                    default: r = a & b; c.nzcv = Alu.logicFlags64(r); break;
                }
                c.setX(rd, r);
                return pc + 4;
            };
        }
        return (c, pc) -> {
            int b = Alu.shift32((int) c.x[rm], type, amount);
            if (invert) {
                b = ~b;
            }
            int a = (int) c.x[rn];
            int r;
            switch (opc) {
                case 0: r = a & b; break;
                case 1: r = a | b; break;
                case 2: r = a ^ b; break;
                default: r = a & b; c.nzcv = Alu.logicFlags32(r); break;
            }
            c.setX(rd, r & W);
            return pc + 4;
        };
    }

    // ---- move wide, bitfield, extract ------------------------------------------------------------------------

    /** MOVN, MOVZ, MOVK. */
    public static Insn moveWide(Fields f) {
        boolean sf = f.u('z') == 1;
        int opc = f.u('o');
        int hw = f.u('h');
        if (opc == 1 || (!sf && hw >= 2)) {
            return null;
        }
        int rd = f.u('d');
        int pos = hw * 16;
        long imm = (long) f.u('i') << pos;
        switch (opc) {
            case 0: {
                long v = sf ? ~imm : ~imm & W;
                return (c, pc) -> {
                    c.setX(rd, v);
                    return pc + 4;
                };
            }
            case 2:
                return (c, pc) -> {
                    c.setX(rd, imm);
                    return pc + 4;
                };
            default: {
                long keep = ~(0xFFFFL << pos);
                return (c, pc) -> {
                    long v = (c.x[rd] & keep) | imm;
                    c.setX(rd, sf ? v : v & W);
                    return pc + 4;
                };
            }
        }
    }

    /** SBFM, BFM, UBFM (and their aliases LSL, LSR, ASR, SXT*, UXT*, *BFX, *BFIZ, BFI, BFXIL). */
    public static Insn bitfield(Fields f) {
        boolean sf = f.u('z') == 1;
        int n = f.u('k');
        int opc = f.u('o');
        int immr = f.u('r'), imms = f.u('t');
        if (opc == 3 || (sf ? n != 1 : (n != 0 || immr >= 32 || imms >= 32))) {
            return null;
        }
        long[] m = Alu.decodeBitMasks(n, imms, immr, false);
        if (m == null) {
            return null;
        }
        long wmask = sf ? m[0] : m[0] & W;
        long tmask = sf ? m[1] : m[1] & W;
        int rd = f.u('d'), rn = f.u('n');
        int width = sf ? 64 : 32;
        switch (opc) {
            case 0: // SBFM
                return (c, pc) -> {
                    long src = c.x[rn];
                    long bot = rotr(src, immr, width) & wmask;
                    long top = ((src >>> imms) & 1) != 0 ? -1L : 0;
                    long r = (top & ~tmask) | (bot & tmask);
                    c.setX(rd, sf ? r : r & W);
                    return pc + 4;
                };
            case 1: // BFM
                return (c, pc) -> {
                    long dst = c.x[rd];
                    long bot = (dst & ~wmask) | (rotr(c.x[rn], immr, width) & wmask);
                    long r = (dst & ~tmask) | (bot & tmask);
                    c.setX(rd, sf ? r : r & W);
                    return pc + 4;
                };
            default: // UBFM
                return (c, pc) -> {
                    long r = rotr(c.x[rn], immr, width) & wmask & tmask;
                    c.setX(rd, r);
                    return pc + 4;
                };
        }
    }

    private static long rotr(long v, int r, int width) {
        if (width == 64) {
            return Long.rotateRight(v, r);
        }
        return Integer.rotateRight((int) v, r) & W;
    }

    /** EXTR (and ROR immediate). */
    public static Insn extr(Fields f) {
        boolean sf = f.u('z') == 1;
        int n = f.u('k');
        int lsb = f.u('t');
        if ((sf ? n != 1 : n != 0) || (!sf && lsb >= 32)) {
            return null;
        }
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        if (sf) {
            return (c, pc) -> {
                long lo = c.x[rm], hi = c.x[rn];
                c.setX(rd, lsb == 0 ? lo : (lo >>> lsb) | (hi << (64 - lsb)));
                return pc + 4;
            };
        }
        return (c, pc) -> {
            long v = ((c.x[rn] & W) << 32) | (c.x[rm] & W);
            c.setX(rd, (v >>> lsb) & W);
            return pc + 4;
        };
    }

    // ---- conditional ---------------------------------------------------------------------------------------

    /** CSEL, CSINC, CSINV, CSNEG. */
    public static Insn condSelect(Fields f) {
        boolean sf = f.u('z') == 1;
        int op = f.u('o');
        int op2 = f.u('p');
        int cond = f.u('c');
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        boolean inv = op == 1;
        boolean inc = op2 == 1;
        return (c, pc) -> {
            long r;
            if (Alu.cond(c.nzcv, cond)) {
                r = c.x[rn];
            } else {
                r = c.x[rm];
                if (inv) {
                    r = ~r;
                }
                if (inc) {
                    r = r + 1;
                }
            }
            c.setX(rd, sf ? r : r & W);
            return pc + 4;
        };
    }

    /** CCMN, CCMP (register and immediate). */
    public static Insn condCompare(Fields f, boolean imm) {
        boolean sf = f.u('z') == 1;
        boolean sub = f.u('o') == 1;
        int cond = f.u('c');
        int nzcv = f.u('f') << 28;
        int rn = f.u('n');
        int rm = imm ? -1 : f.u('m');
        long immv = imm ? f.u('i') : 0;
        return (c, pc) -> {
            if (!Alu.cond(c.nzcv, cond)) {
                c.nzcv = nzcv;
                return pc + 4;
            }
            long b = imm ? immv : c.x[rm];
            if (sf) {
                long a = c.x[rn];
                long bb = sub ? ~b : b;
                c.nzcv = Alu.addFlags64(a, bb, a + bb + (sub ? 1 : 0));
            } else {
                int a = (int) c.x[rn];
                int bb = sub ? ~(int) b : (int) b;
                c.nzcv = Alu.addFlags32(a, bb, a + bb + (sub ? 1 : 0));
            }
            return pc + 4;
        };
    }

    // ---- multiply, divide, shifts by register, 1-source ------------------------------------------------------

    /** MADD, MSUB, SMADDL, SMSUBL, UMADDL, UMSUBL, SMULH, UMULH. */
    public static Insn dataProc3(Fields f) {
        boolean sf = f.u('z') == 1;
        int op54 = f.u('o');
        int op31 = f.u('p');
        boolean o0 = f.u('q') == 1;
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m'), ra = f.u('a');
        if (op54 != 0) {
            return null;
        }
        switch (op31) {
            case 0:
                if (sf) {
                    return (c, pc) -> {
                        long p = c.x[rn] * c.x[rm];
                        c.setX(rd, o0 ? c.x[ra] - p : c.x[ra] + p);
                        return pc + 4;
                    };
                }
                return (c, pc) -> {
                    int p = (int) c.x[rn] * (int) c.x[rm];
                    c.setX(rd, ((int) (o0 ? (int) c.x[ra] - p : (int) c.x[ra] + p)) & W);
                    return pc + 4;
                };
            case 1: // SMADDL / SMSUBL
            case 5: { // UMADDL / UMSUBL
                if (!sf) {
                    return null;
                }
                boolean unsigned = op31 == 5;
                return (c, pc) -> {
                    long a = unsigned ? c.x[rn] & W : (int) c.x[rn];
                    long b = unsigned ? c.x[rm] & W : (int) c.x[rm];
                    long p = a * b;
                    c.setX(rd, o0 ? c.x[ra] - p : c.x[ra] + p);
                    return pc + 4;
                };
            }
            case 2: // SMULH
                if (!sf || o0) {
                    return null;
                }
                return (c, pc) -> {
                    c.setX(rd, Math.multiplyHigh(c.x[rn], c.x[rm]));
                    return pc + 4;
                };
            case 6: // UMULH
                if (!sf || o0) {
                    return null;
                }
                return (c, pc) -> {
                    long a = c.x[rn], b = c.x[rm];
                    long h = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
                    c.setX(rd, h);
                    return pc + 4;
                };
            default:
                return null;
        }
    }

    /** UDIV, SDIV, LSLV, LSRV, ASRV, RORV. */
    public static Insn dataProc2(Fields f) {
        boolean sf = f.u('z') == 1;
        int opcode = f.u('o');
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        switch (opcode) {
            case 0b000010: // UDIV
                return sf ? (c, pc) -> {
                    long d = c.x[rm];
                    c.setX(rd, d == 0 ? 0 : Long.divideUnsigned(c.x[rn], d));
                    return pc + 4;
                } : (c, pc) -> {
                    long d = c.x[rm] & W;
                    c.setX(rd, d == 0 ? 0 : (c.x[rn] & W) / d);
                    return pc + 4;
                };
            case 0b000011: // SDIV (MIN / -1 wraps, division by zero gives 0)
                return sf ? (c, pc) -> {
                    long d = c.x[rm];
                    long n = c.x[rn];
                    c.setX(rd, d == 0 ? 0 : (d == -1 ? -n : n / d));
                    return pc + 4;
                } : (c, pc) -> {
                    int d = (int) c.x[rm];
                    int n = (int) c.x[rn];
                    c.setX(rd, (d == 0 ? 0 : (d == -1 ? -n : n / d)) & W);
                    return pc + 4;
                };
            case 0b001000:
            case 0b001001:
            case 0b001010:
            case 0b001011: {
                int type = opcode & 3;
                return sf ? (c, pc) -> {
                    c.setX(rd, Alu.shift64(c.x[rn], type, (int) (c.x[rm] & 63)));
                    return pc + 4;
                } : (c, pc) -> {
                    c.setX(rd, Alu.shift32((int) c.x[rn], type, (int) (c.x[rm] & 31)) & W);
                    return pc + 4;
                };
            }
            default:
                return null;
        }
    }

    /** RBIT, REV16, REV32, REV, CLZ, CLS. */
    public static Insn dataProc1(Fields f) {
        boolean sf = f.u('z') == 1;
        int opcode = f.u('o');
        int rd = f.u('d'), rn = f.u('n');
        switch (opcode) {
            case 0: // RBIT
                return sf ? (c, pc) -> {
                    c.setX(rd, Long.reverse(c.x[rn]));
                    return pc + 4;
                } : (c, pc) -> {
                    c.setX(rd, Integer.reverse((int) c.x[rn]) & W);
                    return pc + 4;
                };
            case 1: // REV16
                return (c, pc) -> {
                    long v = c.x[rn];
                    long r = ((v & 0x00FF_00FF_00FF_00FFL) << 8) | ((v >>> 8) & 0x00FF_00FF_00FF_00FFL);
                    c.setX(rd, sf ? r : r & W);
                    return pc + 4;
                };
            case 2: // REV32 (64-bit) or REV (32-bit)
                return sf ? (c, pc) -> {
                    long v = c.x[rn];
                    long hi = Integer.reverseBytes((int) (v >>> 32)) & W;
                    long lo = Integer.reverseBytes((int) v) & W;
                    c.setX(rd, (hi << 32) | lo);
                    return pc + 4;
                } : (c, pc) -> {
                    c.setX(rd, Integer.reverseBytes((int) c.x[rn]) & W);
                    return pc + 4;
                };
            case 3: // REV (64-bit)
                if (!sf) {
                    return null;
                }
                return (c, pc) -> {
                    c.setX(rd, Long.reverseBytes(c.x[rn]));
                    return pc + 4;
                };
            case 4: // CLZ
                return sf ? (c, pc) -> {
                    c.setX(rd, Long.numberOfLeadingZeros(c.x[rn]));
                    return pc + 4;
                } : (c, pc) -> {
                    c.setX(rd, Integer.numberOfLeadingZeros((int) c.x[rn]));
                    return pc + 4;
                };
            case 5: // CLS
                return sf ? (c, pc) -> {
                    long v = c.x[rn];
                    c.setX(rd, Long.numberOfLeadingZeros(v ^ (v >> 1)) - 1);
                    return pc + 4;
                } : (c, pc) -> {
                    int v = (int) c.x[rn];
                    c.setX(rd, Integer.numberOfLeadingZeros(v ^ (v >> 1)) - 1);
                    return pc + 4;
                };
            default:
                return null;
        }
    }
}
