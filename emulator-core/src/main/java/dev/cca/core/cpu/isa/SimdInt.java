package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.decode.Fields;
import dev.cca.core.cpu.fp.FpCore;
import dev.cca.core.cpu.fp.Fpcr;

/**
 * Advanced SIMD integer instructions, vector and scalar (Arm ARM C4.1.96 groups "AdvSIMD three same",
 * "three different", "two-register miscellaneous", "across lanes", "shift by immediate", "vector x indexed
 * element", "scalar pairwise" and their scalar forms). Each factory checks the size/Q constraints of its group and
 * returns an {@link Insn} that works on the two 64-bit halves of each register; saturating operations set
 * FPSR.QC.
 *
 * <p>Field letters: q Q, s size, d/n/m registers, h immh:immb (shifts), and for the indexed forms h H, l L, k M.
 */
public final class SimdInt {
    private SimdInt() {
    }

    // ---- three-same operations ---------------------------------------------------------------------------------
    public static final int SHADD = 0, UHADD = 1, SQADD = 2, UQADD = 3, SRHADD = 4, URHADD = 5, SHSUB = 6,
            UHSUB = 7, SQSUB = 8, UQSUB = 9, CMGT = 10, CMHI = 11, CMGE = 12, CMHS = 13, SSHL = 14, USHL = 15,
            SQSHL = 16, UQSHL = 17, SRSHL = 18, URSHL = 19, SQRSHL = 20, UQRSHL = 21, SMAX = 22, UMAX = 23,
            SMIN = 24, UMIN = 25, SABD = 26, UABD = 27, SABA = 28, UABA = 29, ADD = 30, SUB = 31, CMTST = 32,
            CMEQ = 33, MLA = 34, MLS = 35, MUL = 36, PMUL = 37, SMAXP = 38, UMAXP = 39, SMINP = 40, UMINP = 41,
            SQDMULH = 42, SQRDMULH = 43, ADDP = 44;
    /** Bitwise three-same operations (size selects the operation, not the element size). */
    public static final int AND = 0, BIC = 1, ORR = 2, ORN = 3, EOR = 4, BSL = 5, BIT = 6, BIF = 7;

    static long sext(long x, int esize) {
        int sh = 64 - (8 << esize);
        return (x << sh) >> sh;
    }

    static void qc(Cpu c) {
        c.sr[SysRegs.FPSR] |= Fpcr.QC;
    }

    /** SignedSatQ of a value that fits in a long, for an element narrower than 64 bits. */
    static long satS(Cpu c, long v, int esize) {
        long max = (1L << ((8 << esize) - 1)) - 1;
        if (v > max) {
            qc(c);
            return max;
        }
        if (v < -max - 1) {
            qc(c);
            return -max - 1;
        }
        return v;
    }

    /** UnsignedSatQ of a value that fits in a long, for an element narrower than 64 bits. */
    static long satU(Cpu c, long v, int esize) {
        long max = (1L << (8 << esize)) - 1;
        if (v > max) {
            qc(c);
            return max;
        }
        if (v < 0) {
            qc(c);
            return 0;
        }
        return v;
    }

    static long sqadd(Cpu c, long a, long b, int esize) {
        if (esize < 3) {
            return satS(c, sext(a, esize) + sext(b, esize), esize);
        }
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            qc(c);
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    static long uqadd(Cpu c, long a, long b, int esize) {
        if (esize < 3) {
            return satU(c, a + b, esize);
        }
        long r = a + b;
        if (Long.compareUnsigned(r, a) < 0) {
            qc(c);
            return -1L;
        }
        return r;
    }

    static long sqsub(Cpu c, long a, long b, int esize) {
        if (esize < 3) {
            return satS(c, sext(a, esize) - sext(b, esize), esize);
        }
        long r = a - b;
        if (((a ^ b) & (a ^ r)) < 0) {
            qc(c);
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    static long uqsub(Cpu c, long a, long b, int esize) {
        if (Long.compareUnsigned(a, b) < 0) {
            qc(c);
            return 0;
        }
        return a - b;
    }

    /**
     * The register-controlled shifts SSHL, USHL, SRSHL, URSHL, SQSHL, UQSHL, SQRSHL, UQRSHL: the shift is the
     * signed low byte of {@code b}; negative shifts go right (rounding if {@code round}).
     */
    static long shiftByRegister(Cpu c, long a, long b, int esize, boolean unsigned, boolean round, boolean sat) {
        int w = 8 << esize;
        int shift = (byte) b;
        long x = unsigned ? a : sext(a, esize);
        if (shift >= 0) {
            if (!sat) {
                return shift >= w ? 0 : x << shift;
            }
            return satShiftLeft(c, x, shift, esize, unsigned, unsigned);
        }
        int s = -shift;
        if (round) {
            if (s > 64) {
                return 0;
            }
            if (unsigned) {
                return (s == 64 ? 0 : x >>> s) + ((x >>> (s - 1)) & 1);
            }
            return (s == 64 ? x >> 63 : x >> s) + ((x >> (s - 1)) & 1);
        }
        if (unsigned) {
            return s >= 64 ? 0 : x >>> s;
        }
        return s >= 64 ? x >> 63 : x >> s;
    }

    /**
     * x &lt;&lt; shift (shift &gt;= 0) saturated to the element size: {@code unsignedIn} says whether x is an
     * unsigned (zero-extended) or a signed (sign-extended) value, {@code unsignedOut} whether the result saturates
     * as unsigned (SQSHLU has a signed input and an unsigned result).
     */
    static long satShiftLeft(Cpu c, long x, int shift, int esize, boolean unsignedIn, boolean unsignedOut) {
        int w = 8 << esize;
        if (x == 0) {
            return 0;
        }
        if (!unsignedIn && x < 0 && unsignedOut) {
            qc(c);
            return 0;
        }
        boolean overflow;
        long r = 0;
        if (shift >= w) {
            overflow = true;
        } else {
            r = x << shift;
            // x is nonnegative here whenever the result is unsigned, so a logical shift undoes the shift exactly.
            if (unsignedOut) {
                overflow = (r >>> shift) != x;
            } else {
                overflow = (r >> shift) != x;
            }
            if (!overflow && w < 64) {
                if (unsignedOut) {
                    overflow = Long.compareUnsigned(r, (1L << w) - 1) > 0;
                } else {
                    long max = (1L << (w - 1)) - 1;
                    overflow = r > max || r < -max - 1;
                }
            }
        }
        if (overflow) {
            qc(c);
            if (unsignedOut) {
                return w == 64 ? -1L : (1L << w) - 1;
            }
            long max = w == 64 ? Long.MAX_VALUE : (1L << (w - 1)) - 1;
            return x < 0 ? -max - 1 : max;
        }
        return r;
    }

    static long pmul8(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            if (((b >>> i) & 1) != 0) {
                r ^= a << i;
            }
        }
        return r;
    }

    /** One element of a three-same operation; a, b, d zero-extended elements. The caller masks the result. */
    static long elem3(Cpu c, int op, int esize, long a, long b, long d) {
        switch (op) {
            case SHADD: return (sext(a, esize) + sext(b, esize)) >> 1;
            case UHADD: return (a + b) >>> 1;
            case SQADD: return sqadd(c, a, b, esize);
            case UQADD: return uqadd(c, a, b, esize);
            case SRHADD: return (sext(a, esize) + sext(b, esize) + 1) >> 1;
            case URHADD: return (a + b + 1) >>> 1;
            case SHSUB: return (sext(a, esize) - sext(b, esize)) >> 1;
            case UHSUB: return (a - b) >> 1;
            case SQSUB: return sqsub(c, a, b, esize);
            case UQSUB: return uqsub(c, a, b, esize);
            case CMGT: return sext(a, esize) > sext(b, esize) ? -1L : 0;
            case CMHI: return Long.compareUnsigned(a, b) > 0 ? -1L : 0;
            case CMGE: return sext(a, esize) >= sext(b, esize) ? -1L : 0;
            case CMHS: return Long.compareUnsigned(a, b) >= 0 ? -1L : 0;
            case SSHL: return shiftByRegister(c, a, b, esize, false, false, false);
            case USHL: return shiftByRegister(c, a, b, esize, true, false, false);
            case SQSHL: return shiftByRegister(c, a, b, esize, false, false, true);
            case UQSHL: return shiftByRegister(c, a, b, esize, true, false, true);
            case SRSHL: return shiftByRegister(c, a, b, esize, false, true, false);
            case URSHL: return shiftByRegister(c, a, b, esize, true, true, false);
            case SQRSHL: return shiftByRegister(c, a, b, esize, false, true, true);
            case UQRSHL: return shiftByRegister(c, a, b, esize, true, true, true);
            case SMAX: case SMAXP: return Math.max(sext(a, esize), sext(b, esize));
            case UMAX: case UMAXP: return Long.compareUnsigned(a, b) >= 0 ? a : b;
            case SMIN: case SMINP: return Math.min(sext(a, esize), sext(b, esize));
            case UMIN: case UMINP: return Long.compareUnsigned(a, b) <= 0 ? a : b;
            case SABD: return Math.abs(sext(a, esize) - sext(b, esize));
            case UABD: return Math.abs(a - b);
            case SABA: return d + Math.abs(sext(a, esize) - sext(b, esize));
            case UABA: return d + Math.abs(a - b);
            case ADD: case ADDP: return a + b;
            case SUB: return a - b;
            case CMTST: return (a & b) != 0 ? -1L : 0;
            case CMEQ: return a == b ? -1L : 0;
            case MLA: return d + a * b;
            case MLS: return d - a * b;
            case MUL: return a * b;
            case PMUL: return pmul8(a, b);
            case SQDMULH: return sqdmulh(c, a, b, esize, false);
            case SQRDMULH: return sqdmulh(c, a, b, esize, true);
            default: throw new IllegalStateException("three-same op " + op);
        }
    }

    /** SQDMULH/SQRDMULH of one H or S element. */
    static long sqdmulh(Cpu c, long a, long b, int esize, boolean round) {
        int w = 8 << esize;
        long p = sext(a, esize) * sext(b, esize);
        long r = round ? (p + (1L << (w - 2))) >> (w - 1) : p >> (w - 1);
        return satS(c, r, esize);
    }

    static boolean isPairwise(int op) {
        return op == SMAXP || op == UMAXP || op == SMINP || op == UMINP || op == ADDP;
    }

    /** Whether the three-same op allows 64-bit elements (size 0b11). */
    static boolean allows64(int op) {
        switch (op) {
            case SQADD: case UQADD: case SQSUB: case UQSUB: case CMGT: case CMHI: case CMGE: case CMHS:
            case SSHL: case USHL: case SQSHL: case UQSHL: case SRSHL: case URSHL: case SQRSHL: case UQRSHL:
            case ADD: case SUB: case CMTST: case CMEQ: case ADDP:
                return true;
            default:
                return false;
        }
    }

    /** AdvSIMD three same (integer), vector form. */
    public static Insn threeSame(Fields f, int op) {
        int esize = f.u('s');
        boolean q = f.u('q') == 1;
        if (esize == 3 && (!q || !allows64(op))) {
            return null;
        }
        if ((op == SQDMULH || op == SQRDMULH) && (esize == 0 || esize == 3)) {
            return null;
        }
        if (op == PMUL && esize != 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        int elements = (q ? 16 : 8) >> esize;
        switch (op) {
            case ADD: case SUB: case CMEQ: case CMTST: case CMGT: case CMGE: case CMHI: case CMHS:
                return swar(op, esize, q, d, n, m);
            case ADDP: case UMAXP: case UMINP:
                if (esize == 0) {
                    return pairwiseBytes(op == ADDP ? 0 : op == UMAXP ? 1 : 2, q, d, n, m);
                }
                break;
            default:
                break;
        }
        return threeSameLoop(op, esize, q, elements, d, n, m);
    }

    /** AdvSIMD scalar three same (integer). */
    public static Insn threeSameScalar(Fields f, int op) {
        int esize = f.u('s');
        switch (op) {
            case SQADD: case UQADD: case SQSUB: case UQSUB: case SQSHL: case UQSHL: case SQRSHL: case UQRSHL:
                break;
            case SQDMULH: case SQRDMULH:
                if (esize == 0 || esize == 3) {
                    return null;
                }
                break;
            default:
                if (esize != 3) {
                    return null;
                }
        }
        return threeSameLoop(op, esize, false, 1, f.u('d'), f.u('n'), f.u('m'));
    }

    private static Insn threeSameLoop(int op, int esize, boolean q, int elements, int d, int n, int m) {
        boolean pairwise = isPairwise(op);
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1], bLo = v[2 * m], bHi = v[2 * m + 1];
            long dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long a, b;
                if (pairwise) {
                    int p = 2 * e;
                    if (p < elements) {
                        a = Vreg.elem(aLo, aHi, esize, p);
                        b = Vreg.elem(aLo, aHi, esize, p + 1);
                    } else {
                        a = Vreg.elem(bLo, bHi, esize, p - elements);
                        b = Vreg.elem(bLo, bHi, esize, p - elements + 1);
                    }
                } else {
                    a = Vreg.elem(aLo, aHi, esize, e);
                    b = Vreg.elem(bLo, bHi, esize, e);
                }
                long r = elem3(c, op, esize, a, b, Vreg.elem(dLo, dHi, esize, e)) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /** SWAR forms of the lane-wise operations that string and memory routines run in their inner loops. */
    private static Insn swar(int op, int esize, boolean q, int d, int n, int m) {
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = lanes(op, v[2 * n], v[2 * m], esize);
            long hi = q ? lanes(op, v[2 * n + 1], v[2 * m + 1], esize) : 0;
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }

    static long lanes(int op, long a, long b, int esize) {
        switch (op) {
            case ADD: return Swar.add(a, b, esize);
            case SUB: return Swar.sub(a, b, esize);
            case CMEQ: return Swar.eq(a, b, esize);
            case CMTST: return ~Swar.zeroLanes(a & b, esize);
            case CMGE: return Swar.geSigned(a, b, esize);
            case CMGT: return ~Swar.geSigned(b, a, esize);
            case CMHS: return Swar.geUnsigned(a, b, esize);
            case CMHI: return ~Swar.geUnsigned(b, a, esize);
            case CMEQ0: return Swar.zeroLanes(a, esize);
            case CMGE0: return ~Swar.expand(a & Swar.top(esize), esize);
            case CMLT0: return Swar.expand(a & Swar.top(esize), esize);
            case CMGT0: return ~Swar.expand(a & Swar.top(esize), esize) & ~Swar.zeroLanes(a, esize);
            default: // CMLE0
                return Swar.expand(a & Swar.top(esize), esize) | Swar.zeroLanes(a, esize);
        }
    }

    /** ADDP, UMAXP, UMINP on bytes: pairs of Vn then pairs of Vm. */
    private static Insn pairwiseBytes(int kind, boolean q, int d, int n, int m) {
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo, hi;
            if (q) {
                lo = Swar.pairwiseBytes(kind, v[2 * n]) | (Swar.pairwiseBytes(kind, v[2 * n + 1]) << 32);
                hi = Swar.pairwiseBytes(kind, v[2 * m]) | (Swar.pairwiseBytes(kind, v[2 * m + 1]) << 32);
            } else {
                lo = Swar.pairwiseBytes(kind, v[2 * n]) | (Swar.pairwiseBytes(kind, v[2 * m]) << 32);
                hi = 0;
            }
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }

    /** AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF (vector). */
    public static Insn logical(Fields f, int op) {
        boolean q = f.u('q') == 1;
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = logic(op, v[2 * n], v[2 * m], v[2 * d]);
            long hi = q ? logic(op, v[2 * n + 1], v[2 * m + 1], v[2 * d + 1]) : 0;
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }

    static long logic(int op, long a, long b, long d) {
        switch (op) {
            case AND: return a & b;
            case BIC: return a & ~b;
            case ORR: return a | b;
            case ORN: return a | ~b;
            case EOR: return a ^ b;
            case BSL: return (d & a) | (~d & b);
            case BIT: return (b & a) | (~b & d);
            default: return (~b & a) | (b & d); // BIF
        }
    }

    // ---- two-register miscellaneous --------------------------------------------------------------------------
    public static final int REV64 = 0, REV32 = 1, REV16 = 2, SADDLP = 3, UADDLP = 4, SADALP = 5, UADALP = 6,
            SUQADD = 7, USQADD = 8, CLS = 9, CLZ = 10, CNT = 11, NOT = 12, RBIT = 13, SQABS = 14, SQNEG = 15,
            CMGT0 = 16, CMGE0 = 17, CMEQ0 = 18, CMLE0 = 19, CMLT0 = 20, ABS = 21, NEG = 22, XTN = 23, SQXTN = 24,
            UQXTN = 25, SQXTUN = 26, SHLL = 27, URECPE = 28, URSQRTE = 29;

    /** AdvSIMD two-register miscellaneous (integer), vector form. */
    public static Insn twoRegMisc(Fields f, int op) {
        // NOT and RBIT fix the size bits in their patterns (size selects the operation).
        int esize = f.has('s') ? f.u('s') : op == RBIT ? 1 : 0;
        boolean q = f.u('q') == 1;
        int d = f.u('d'), n = f.u('n');
        switch (op) {
            case REV64:
                if (esize == 3) {
                    return null;
                }
                return permuteWithin(esize, 64, q, d, n);
            case REV32:
                if (esize > 1) {
                    return null;
                }
                return permuteWithin(esize, 32, q, d, n);
            case REV16:
                if (esize != 0) {
                    return null;
                }
                return permuteWithin(esize, 16, q, d, n);
            case SADDLP: case UADDLP: case SADALP: case UADALP:
                if (esize == 3) {
                    return null;
                }
                return pairwiseLong(op, esize, q, d, n);
            case CNT: case NOT: case RBIT:
                if (esize != (op == RBIT ? 1 : 0)) {
                    return null;
                }
                return bytewise(op, q, d, n);
            case CLS: case CLZ:
                if (esize == 3) {
                    return null;
                }
                break;
            case XTN: case SQXTN: case UQXTN: case SQXTUN:
                if (esize == 3) {
                    return null;
                }
                return narrow(op, esize, q, 8 >> esize, d, n);
            case SHLL:
                if (esize == 3) {
                    return null;
                }
                return shll(esize, q, d, n);
            case URECPE: case URSQRTE:
                if (esize != 0) { // sz = 0: 32-bit elements
                    return null;
                }
                esize = 2;
                break;
            case CMGT0: case CMGE0: case CMEQ0: case CMLE0: case CMLT0: {
                if (esize == 3 && !q) {
                    return null;
                }
                int es = esize;
                return (c, pc) -> {
                    FpAccess.check(c);
                    long[] v = c.v;
                    long lo = lanes(op, v[2 * n], 0, es);
                    long hi = q ? lanes(op, v[2 * n + 1], 0, es) : 0;
                    v[2 * d] = lo;
                    v[2 * d + 1] = hi;
                    return pc + 4;
                };
            }
            default: // SUQADD, USQADD, SQABS, SQNEG, ABS, NEG
                if (esize == 3 && !q) {
                    return null;
                }
                break;
        }
        return unaryLoop(op, esize, q ? 16 >> esize : 8 >> esize, q, d, n);
    }

    /** AdvSIMD scalar two-register miscellaneous (integer). */
    public static Insn twoRegMiscScalar(Fields f, int op) {
        int esize = f.u('s');
        int d = f.u('d'), n = f.u('n');
        switch (op) {
            case SQXTN: case UQXTN: case SQXTUN:
                if (esize == 3) {
                    return null;
                }
                return narrow(op, esize, false, 1, d, n);
            case CMGT0: case CMGE0: case CMEQ0: case CMLE0: case CMLT0: case ABS: case NEG:
                if (esize != 3) {
                    return null;
                }
                break;
            default: // SUQADD, USQADD, SQABS, SQNEG: any size
                break;
        }
        return unaryLoop(op, esize, 1, false, d, n);
    }

    private static Insn unaryLoop(int op, int esize, int elements, boolean q, int d, int n) {
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1], dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long a = Vreg.elem(aLo, aHi, esize, e);
                long r = elem1(c, op, esize, a, Vreg.elem(dLo, dHi, esize, e)) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    static long elem1(Cpu c, int op, int esize, long a, long d) {
        int w = 8 << esize;
        switch (op) {
            case SUQADD: {
                if (esize < 3) {
                    return satS(c, sext(d, esize) + a, esize);
                }
                long r = d + a;
                if (a < 0) { // a >= 2^63 as unsigned: the true sum is >= 0
                    if (r < 0 || d >= 0) {
                        qc(c);
                        return Long.MAX_VALUE;
                    }
                    return r;
                }
                if (d >= 0 && r < 0) {
                    qc(c);
                    return Long.MAX_VALUE;
                }
                return r;
            }
            case USQADD: {
                if (esize < 3) {
                    return satU(c, d + sext(a, esize), esize);
                }
                if (a >= 0) {
                    long r = d + a;
                    if (Long.compareUnsigned(r, d) < 0) {
                        qc(c);
                        return -1L;
                    }
                    return r;
                }
                if (Long.compareUnsigned(d, -a) < 0) {
                    qc(c);
                    return 0;
                }
                return d + a;
            }
            case CLS: return Long.numberOfLeadingZeros(sext(a, esize) ^ (sext(a, esize) << 1) | 1) - (64 - w);
            case CLZ: return Long.numberOfLeadingZeros(a) - (64 - w);
            case SQABS: {
                long x = sext(a, esize);
                if (x == -(1L << (w - 1)) || (w == 64 && x == Long.MIN_VALUE)) {
                    qc(c);
                    return w == 64 ? Long.MAX_VALUE : (1L << (w - 1)) - 1;
                }
                return Math.abs(x);
            }
            case SQNEG: {
                long x = sext(a, esize);
                if (x == -(1L << (w - 1)) || (w == 64 && x == Long.MIN_VALUE)) {
                    qc(c);
                    return w == 64 ? Long.MAX_VALUE : (1L << (w - 1)) - 1;
                }
                return -x;
            }
            case CMGT0: return sext(a, esize) > 0 ? -1L : 0;
            case CMGE0: return sext(a, esize) >= 0 ? -1L : 0;
            case CMEQ0: return a == 0 ? -1L : 0;
            case CMLE0: return sext(a, esize) <= 0 ? -1L : 0;
            case CMLT0: return sext(a, esize) < 0 ? -1L : 0;
            case ABS: return Math.abs(sext(a, esize));
            case NEG: return -a;
            case URECPE: return FpCore.unsignedRecipEstimate((int) a) & 0xFFFF_FFFFL;
            case URSQRTE: return FpCore.unsignedRSqrtEstimate((int) a) & 0xFFFF_FFFFL;
            default: throw new IllegalStateException("two-reg misc op " + op);
        }
    }

    /** REV16/REV32/REV64: reverses the elements within each container of {@code container} bits. */
    private static Insn permuteWithin(int esize, int container, boolean q, int d, int n) {
        int perContainer = container >> (3 + esize);
        int elements = (q ? 16 : 8) >> esize;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                int src = (e / perContainer) * perContainer + (perContainer - 1 - e % perContainer);
                long x = Vreg.elem(aLo, aHi, esize, src);
                rLo = Vreg.orLo(rLo, x, esize, e);
                rHi = Vreg.orHi(rHi, x, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }

    /** CNT, NOT, RBIT on bytes. */
    private static Insn bytewise(int op, boolean q, int d, int n) {
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = bytes(op, v[2 * n]);
            long hi = q ? bytes(op, v[2 * n + 1]) : 0;
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }

    static long bytes(int op, long x) {
        switch (op) {
            case NOT:
                return ~x;
            case RBIT:
                return Long.reverseBytes(Long.reverse(x));
            default: { // CNT
                long r = 0;
                for (int i = 0; i < 64; i += 8) {
                    r |= (long) Long.bitCount((x >>> i) & 0xFF) << i;
                }
                return r;
            }
        }
    }

    /** SADDLP, UADDLP, SADALP, UADALP. */
    private static Insn pairwiseLong(int op, int esize, boolean q, int d, int n) {
        boolean signed = op == SADDLP || op == SADALP;
        boolean acc = op == SADALP || op == UADALP;
        int outElements = (q ? 8 : 4) >> esize;
        int wsize = esize + 1;
        long wmask = Vreg.mask(wsize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1], dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < outElements; e++) {
                long x = Vreg.elem(aLo, aHi, esize, 2 * e), y = Vreg.elem(aLo, aHi, esize, 2 * e + 1);
                long r = signed ? sext(x, esize) + sext(y, esize) : x + y;
                if (acc) {
                    r += Vreg.elem(dLo, dHi, wsize, e);
                }
                r &= wmask;
                int bit = e << (3 + wsize);
                if (bit < 64) {
                    rLo |= r << bit;
                } else {
                    rHi |= r << (bit - 64);
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /**
     * XTN, SQXTN, UQXTN, SQXTUN: {@code esize} is the narrow (result) element size; the vector forms write the
     * low half (Q = 0, upper half zeroed) or the high half (Q = 1, "2" forms, low half kept).
     */
    private static Insn narrow(int op, int esize, boolean q, int elements, int d, int n) {
        int wsize = esize + 1;
        long emask = Vreg.mask(esize);
        boolean scalar = elements == 1;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1];
            long r = 0;
            for (int e = 0; e < elements; e++) {
                long x = Vreg.elem(aLo, aHi, wsize, e);
                long y;
                switch (op) {
                    case XTN: y = x; break;
                    case SQXTN: y = satS(c, sext(x, wsize), esize); break;
                    case UQXTN: y = wsize == 3 && x < 0 ? satUq(c, esize) : satU(c, x, esize); break;
                    default: y = satU(c, sext(x, wsize), esize); break; // SQXTUN
                }
                r |= (y & emask) << (e << (3 + esize));
            }
            if (scalar || !q) {
                v[2 * d] = r;
                v[2 * d + 1] = 0;
            } else {
                v[2 * d + 1] = r;
            }
            return pc + 4;
        };
    }

    /** Saturation of an unsigned 64-bit value that is at least 2^63 (never fits a narrower element). */
    private static long satUq(Cpu c, int esize) {
        qc(c);
        return Vreg.mask(esize);
    }

    /** SHLL, SHLL2: widens and shifts left by the element size. */
    private static Insn shll(int esize, boolean q, int d, int n) {
        int w = 8 << esize;
        int wsize = esize + 1;
        int elements = 8 >> esize;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long src = q ? v[2 * n + 1] : v[2 * n];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long x = Vreg.elem(src, 0, esize, e) << w;
                int bit = e << (3 + wsize);
                if (bit < 64) {
                    rLo |= x << bit;
                } else {
                    rHi |= x << (bit - 64);
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }

    // ---- across lanes ----------------------------------------------------------------------------------------
    public static final int ADDV = 0, SMAXV = 1, SMINV = 2, UMAXV = 3, UMINV = 4, SADDLV = 5, UADDLV = 6;

    /** ADDV, SMAXV, SMINV, UMAXV, UMINV, SADDLV, UADDLV. */
    public static Insn acrossLanes(Fields f, int op) {
        int esize = f.u('s');
        boolean q = f.u('q') == 1;
        if (esize == 3 || (esize == 2 && !q)) {
            return null;
        }
        int elements = (q ? 16 : 8) >> esize;
        int d = f.u('d'), n = f.u('n');
        int outSize = op == SADDLV || op == UADDLV ? esize + 1 : esize;
        long omask = Vreg.mask(outSize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = v[2 * n], hi = v[2 * n + 1];
            long acc = op == SMAXV || op == SMINV ? sext(Vreg.elem(lo, hi, esize, 0), esize)
                    : Vreg.elem(lo, hi, esize, 0);
            if (op == SADDLV) {
                acc = sext(acc, esize);
            }
            for (int e = 1; e < elements; e++) {
                long x = Vreg.elem(lo, hi, esize, e);
                switch (op) {
                    case ADDV: case UADDLV: acc += x; break;
                    case SADDLV: acc += sext(x, esize); break;
                    case SMAXV: acc = Math.max(acc, sext(x, esize)); break;
                    case SMINV: acc = Math.min(acc, sext(x, esize)); break;
                    case UMAXV: acc = Math.max(acc, x); break;
                    default: acc = Math.min(acc, x); break; // UMINV
                }
            }
            v[2 * d] = acc & omask;
            v[2 * d + 1] = 0;
            return pc + 4;
        };
    }

    /** ADDP (scalar): the sum of the two 64-bit elements. */
    public static Insn addpScalar(Fields f) {
        if (f.u('s') != 3) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            v[2 * d] = v[2 * n] + v[2 * n + 1];
            v[2 * d + 1] = 0;
            return pc + 4;
        };
    }

    // ---- three different -------------------------------------------------------------------------------------
    public static final int SADDL = 0, UADDL = 1, SADDW = 2, UADDW = 3, SSUBL = 4, USUBL = 5, SSUBW = 6,
            USUBW = 7, ADDHN = 8, RADDHN = 9, SUBHN = 10, RSUBHN = 11, SABAL = 12, UABAL = 13, SABDL = 14,
            UABDL = 15, SMLAL = 16, UMLAL = 17, SMLSL = 18, UMLSL = 19, SMULL = 20, UMULL = 21, SQDMLAL = 22,
            SQDMLSL = 23, SQDMULL = 24, PMULL = 25;

    /** AdvSIMD three different, vector form ("2" forms when Q = 1). */
    public static Insn threeDifferent(Fields f, int op) {
        int esize = f.u('s');
        boolean q = f.u('q') == 1;
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        if (op == PMULL) {
            if (esize == 0) {
                return threeDiffLoop(op, esize, q, 8, d, n, m, false);
            }
            return esize == 3 ? Crypto.pmull64(q, d, n, m) : null; // the 64-bit form is FEAT_PMULL
        }
        if (esize == 3) {
            return null;
        }
        if ((op == SQDMLAL || op == SQDMLSL || op == SQDMULL) && esize == 0) {
            return null;
        }
        if (op >= ADDHN && op <= RSUBHN) {
            return highNarrow(op, esize, q, d, n, m);
        }
        return threeDiffLoop(op, esize, q, 8 >> esize, d, n, m, false);
    }

    /** AdvSIMD scalar three different: SQDMLAL, SQDMLSL, SQDMULL (H and S sources). */
    public static Insn threeDifferentScalar(Fields f, int op) {
        int esize = f.u('s');
        if (esize == 0 || esize == 3) {
            return null;
        }
        return threeDiffLoop(op, esize, false, 1, f.u('d'), f.u('n'), f.u('m'), true);
    }

    private static Insn threeDiffLoop(int op, int esize, boolean q, int elements, int d, int n, int m,
                                      boolean scalar) {
        int wsize = esize + 1;
        long wmask = Vreg.mask(wsize);
        boolean wideA = op == SADDW || op == UADDW || op == SSUBW || op == USUBW;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long nLo = v[2 * n], nHi = v[2 * n + 1];
            long mHalf = q ? v[2 * m + 1] : v[2 * m];
            long nHalf = q ? nHi : nLo;
            long dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long b = Vreg.elem(mHalf, 0, esize, e);
                long a = wideA ? Vreg.elem(nLo, nHi, wsize, e) : Vreg.elem(nHalf, 0, esize, e);
                long acc = Vreg.elem(dLo, dHi, wsize, e);
                long r = elemLong(c, op, esize, a, b, acc) & wmask;
                int bit = e << (3 + wsize);
                if (bit < 64) {
                    rLo |= r << bit;
                } else {
                    rHi |= r << (bit - 64);
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = scalar ? 0 : rHi;
            return pc + 4;
        };
    }

    /** One element of a widening operation: a (narrow, or wide for the W forms), b narrow, acc wide. */
    static long elemLong(Cpu c, int op, int esize, long a, long b, long acc) {
        int wsize = esize + 1;
        switch (op) {
            case SADDL: return sext(a, esize) + sext(b, esize);
            case UADDL: return a + b;
            case SADDW: return a + sext(b, esize);
            case UADDW: return a + b;
            case SSUBL: return sext(a, esize) - sext(b, esize);
            case USUBL: return a - b;
            case SSUBW: return a - sext(b, esize);
            case USUBW: return a - b;
            case SABAL: return acc + Math.abs(sext(a, esize) - sext(b, esize));
            case UABAL: return acc + Math.abs(a - b);
            case SABDL: return Math.abs(sext(a, esize) - sext(b, esize));
            case UABDL: return Math.abs(a - b);
            case SMLAL: return acc + sext(a, esize) * sext(b, esize);
            case UMLAL: return acc + a * b;
            case SMLSL: return acc - sext(a, esize) * sext(b, esize);
            case UMLSL: return acc - a * b;
            case SMULL: return sext(a, esize) * sext(b, esize);
            case UMULL: return a * b;
            case SQDMULL: return sqdmull(c, a, b, esize);
            case SQDMLAL: return sqadd(c, acc, sqdmull(c, a, b, esize) & Vreg.mask(wsize), wsize);
            case SQDMLSL: return sqsub(c, acc, sqdmull(c, a, b, esize) & Vreg.mask(wsize), wsize);
            case PMULL: return pmulWide(a, b, 8);
            default: throw new IllegalStateException("three-different op " + op);
        }
    }

    /** 2 * a * b of signed H or S elements, saturated to the double-width element. */
    static long sqdmull(Cpu c, long a, long b, int esize) {
        long p = sext(a, esize) * sext(b, esize);
        if (esize == 2) {
            if (p == 1L << 62) { // only (-2^31)^2 overflows when doubled
                qc(c);
                return Long.MAX_VALUE;
            }
            return 2 * p;
        }
        return satS(c, 2 * p, esize + 1);
    }

    static long pmulWide(long a, long b, int bits) {
        long r = 0;
        for (int i = 0; i < bits; i++) {
            if (((b >>> i) & 1) != 0) {
                r ^= a << i;
            }
        }
        return r;
    }

    /** ADDHN, RADDHN, SUBHN, RSUBHN ("2" forms write the high half). */
    private static Insn highNarrow(int op, int esize, boolean q, int d, int n, int m) {
        int wsize = esize + 1;
        int w = 8 << esize;
        int elements = 8 >> esize;
        boolean sub = op == SUBHN || op == RSUBHN;
        long round = op == RADDHN || op == RSUBHN ? 1L << (w - 1) : 0;
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long nLo = v[2 * n], nHi = v[2 * n + 1], mLo = v[2 * m], mHi = v[2 * m + 1];
            long r = 0;
            for (int e = 0; e < elements; e++) {
                long a = Vreg.elem(nLo, nHi, wsize, e);
                long b = Vreg.elem(mLo, mHi, wsize, e);
                long x = (sub ? a - b : a + b) + round;
                r |= ((x >>> w) & emask) << (e * w);
            }
            if (q) {
                v[2 * d + 1] = r;
            } else {
                v[2 * d] = r;
                v[2 * d + 1] = 0;
            }
            return pc + 4;
        };
    }

    // ---- shift by immediate ----------------------------------------------------------------------------------
    public static final int SSHR = 0, USHR = 1, SSRA = 2, USRA = 3, SRSHR = 4, URSHR = 5, SRSRA = 6, URSRA = 7,
            SRI = 8, SHL = 9, SLI = 10, SQSHLU = 11, SQSHL_IMM = 12, UQSHL_IMM = 13, SHRN = 14, RSHRN = 15,
            SQSHRN = 16, SQRSHRN = 17, UQSHRN = 18, UQRSHRN = 19, SQSHRUN = 20, SQRSHRUN = 21, SSHLL = 22,
            USHLL = 23;

    /** The element size selected by immh (the highest set bit), or -1 when immh is 0. */
    static int immhSize(int immhb) {
        int immh = immhb >>> 3;
        return immh == 0 ? -1 : 31 - Integer.numberOfLeadingZeros(immh);
    }

    static boolean isRightShift(int op) {
        return op <= SRI || (op >= SHRN && op <= SQRSHRUN);
    }

    static boolean isNarrowing(int op) {
        return op >= SHRN && op <= SQRSHRUN;
    }

    /** AdvSIMD shift by immediate, vector form: field h = immh:immb. */
    public static Insn shiftImm(Fields f, int op) {
        int immhb = f.u('h');
        int esize = immhSize(immhb);
        boolean q = f.u('q') == 1;
        if (esize < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        if (isNarrowing(op) || op == SSHLL || op == USHLL) {
            if (esize == 3) {
                return null;
            }
            if (op == SSHLL || op == USHLL) {
                return shiftLong(op == USHLL, esize, immhb - (8 << esize), q, d, n);
            }
            int shift = (16 << esize) - immhb;
            if (op == SHRN) {
                int wsize = esize + 1;
                return (c, pc) -> {
                    FpAccess.check(c);
                    long[] v = c.v;
                    long r = Swar.shrn(v[2 * n], wsize, shift) | (Swar.shrn(v[2 * n + 1], wsize, shift) << 32);
                    if (q) {
                        v[2 * d + 1] = r;
                    } else {
                        v[2 * d] = r;
                        v[2 * d + 1] = 0;
                    }
                    return pc + 4;
                };
            }
            return shiftNarrow(op, esize, shift, q, 8 >> esize, d, n);
        }
        if (esize == 3 && !q) {
            return null;
        }
        int shift = isRightShift(op) ? (16 << esize) - immhb : immhb - (8 << esize);
        return shiftLoop(op, esize, shift, (q ? 16 : 8) >> esize, q, d, n);
    }

    /** AdvSIMD scalar shift by immediate. */
    public static Insn shiftImmScalar(Fields f, int op) {
        int immhb = f.u('h');
        int esize = immhSize(immhb);
        if (esize < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        if (isNarrowing(op)) {
            if (esize == 3 || op == SHRN || op == RSHRN) {
                return null;
            }
            return shiftNarrow(op, esize, (16 << esize) - immhb, false, 1, d, n);
        }
        if (op != SQSHLU && op != SQSHL_IMM && op != UQSHL_IMM && esize != 3) {
            return null;
        }
        int shift = isRightShift(op) ? (16 << esize) - immhb : immhb - (8 << esize);
        return shiftLoop(op, esize, shift, 1, false, d, n);
    }

    private static Insn shiftLoop(int op, int esize, int shift, int elements, boolean q, int d, int n) {
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1], dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long a = Vreg.elem(aLo, aHi, esize, e);
                long r = elemShift(c, op, esize, shift, a, Vreg.elem(dLo, dHi, esize, e)) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /** Arithmetic (or logical) shift right by 1..64 with optional rounding, of a sign- or zero-extended value. */
    static long shr(long x, int s, boolean unsigned, boolean round) {
        long r;
        if (unsigned) {
            r = s >= 64 ? 0 : x >>> s;
            if (round) {
                r += (x >>> (s - 1)) & 1;
            }
        } else {
            r = s >= 64 ? x >> 63 : x >> s;
            if (round) {
                r += (x >> (s - 1)) & 1;
            }
        }
        return r;
    }

    static long elemShift(Cpu c, int op, int esize, int shift, long a, long d) {
        int w = 8 << esize;
        switch (op) {
            case SSHR: return shr(sext(a, esize), shift, false, false);
            case USHR: return shr(a, shift, true, false);
            case SSRA: return d + shr(sext(a, esize), shift, false, false);
            case USRA: return d + shr(a, shift, true, false);
            case SRSHR: return shr(sext(a, esize), shift, false, true);
            case URSHR: return shr(a, shift, true, true);
            case SRSRA: return d + shr(sext(a, esize), shift, false, true);
            case URSRA: return d + shr(a, shift, true, true);
            case SRI: {
                long mask = shift >= 64 ? 0 : Vreg.mask(esize) >>> shift;
                return (d & ~mask) | (shr(a, shift, true, false) & mask);
            }
            case SHL: return a << shift;
            case SLI: {
                long mask = Vreg.mask(esize) << shift;
                return (d & ~mask) | ((a << shift) & mask);
            }
            case SQSHLU: return satShiftLeft(c, sext(a, esize), shift, esize, false, true);
            case SQSHL_IMM: return satShiftLeft(c, sext(a, esize), shift, esize, false, false);
            case UQSHL_IMM: return satShiftLeft(c, a, shift, esize, true, true);
            default: throw new IllegalStateException("shift op " + op + " w " + w);
        }
    }

    /**
     * SHRN, RSHRN, SQSHRN, SQRSHRN, UQSHRN, UQRSHRN, SQSHRUN, SQRSHRUN: {@code esize} is the narrow result size,
     * the source elements are twice as wide; {@code shift} is 1..w.
     */
    private static Insn shiftNarrow(int op, int esize, int shift, boolean q, int elements, int d, int n) {
        int wsize = esize + 1;
        long emask = Vreg.mask(esize);
        boolean round = op == RSHRN || op == SQRSHRN || op == UQRSHRN || op == SQRSHRUN;
        boolean unsignedIn = op == UQSHRN || op == UQRSHRN || op == SHRN || op == RSHRN;
        boolean scalar = elements == 1;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1];
            long r = 0;
            for (int e = 0; e < elements; e++) {
                long x = Vreg.elem(aLo, aHi, wsize, e);
                long s = shr(unsignedIn ? x : sext(x, wsize), shift, unsignedIn, round);
                long y;
                switch (op) {
                    case SHRN: case RSHRN: y = s; break;
                    case SQSHRN: case SQRSHRN: y = satS(c, s, esize); break;
                    case UQSHRN: case UQRSHRN:
                        // a 64-bit source shifted by one with rounding can reach 2^63: still too large
                        y = s < 0 ? satUq(c, esize) : satU(c, s, esize);
                        break;
                    default: y = satU(c, s, esize); break; // SQSHRUN, SQRSHRUN
                }
                r |= (y & emask) << (e << (3 + esize));
            }
            if (scalar || !q) {
                v[2 * d] = r;
                v[2 * d + 1] = 0;
            } else {
                v[2 * d + 1] = r;
            }
            return pc + 4;
        };
    }

    /** SSHLL, USHLL (and SXTL/UXTL): widens the low (or, for the "2" forms, high) half and shifts left. */
    private static Insn shiftLong(boolean unsigned, int esize, int shift, boolean q, int d, int n) {
        int wsize = esize + 1;
        long wmask = Vreg.mask(wsize);
        int elements = 8 >> esize;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long src = q ? v[2 * n + 1] : v[2 * n];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long x = Vreg.elem(src, 0, esize, e);
                long r = ((unsigned ? x : sext(x, esize)) << shift) & wmask;
                int bit = e << (3 + wsize);
                if (bit < 64) {
                    rLo |= r << bit;
                } else {
                    rHi |= r << (bit - 64);
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }

    // ---- vector x indexed element ----------------------------------------------------------------------------

    /** The element index of an indexed form: H:L:M for 16-bit elements, H:L for 32-bit. */
    static int index(Fields f, int esize) {
        int h = f.u('h'), l = f.u('l'), mBit = f.u('k');
        return esize == 1 ? (h << 2) | (l << 1) | mBit : (h << 1) | l;
    }

    /** The Vm of an indexed form: V0-V15 for 16-bit elements, V0-V31 for 32-bit. */
    static int indexReg(Fields f, int esize) {
        return esize == 1 ? f.u('m') : (f.u('k') << 4) | f.u('m');
    }

    /** MUL, MLA, MLS, SQDMULH, SQRDMULH (by element), vector or scalar ({@code scalar}). */
    public static Insn byElement(Fields f, int op, boolean scalar) {
        int esize = f.u('s');
        if (esize != 1 && esize != 2) {
            return null;
        }
        if (scalar && op != SQDMULH && op != SQRDMULH) {
            return null;
        }
        boolean q = !scalar && f.u('q') == 1;
        int idx = index(f, esize);
        int m = indexReg(f, esize);
        int d = f.u('d'), n = f.u('n');
        int elements = scalar ? 1 : (q ? 16 : 8) >> esize;
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long b = Vreg.get(v, m, esize, idx);
            long aLo = v[2 * n], aHi = v[2 * n + 1], dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long a = Vreg.elem(aLo, aHi, esize, e);
                long r = elem3(c, op, esize, a, b, Vreg.elem(dLo, dHi, esize, e)) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /** SMULL, UMULL, SMLAL, UMLAL, SMLSL, UMLSL, SQDMULL, SQDMLAL, SQDMLSL (by element), vector or scalar. */
    public static Insn byElementLong(Fields f, int op, boolean scalar) {
        int esize = f.u('s');
        if (esize != 1 && esize != 2) {
            return null;
        }
        if (scalar && op != SQDMULL && op != SQDMLAL && op != SQDMLSL) {
            return null;
        }
        boolean q = !scalar && f.u('q') == 1;
        int idx = index(f, esize);
        int m = indexReg(f, esize);
        int d = f.u('d'), n = f.u('n');
        int elements = scalar ? 1 : 8 >> esize;
        int wsize = esize + 1;
        long wmask = Vreg.mask(wsize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long b = Vreg.get(v, m, esize, idx);
            long src = q ? v[2 * n + 1] : v[2 * n];
            long dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long a = Vreg.elem(src, 0, esize, e);
                long r = elemLong(c, op, esize, a, b, Vreg.elem(dLo, dHi, wsize, e)) & wmask;
                int bit = e << (3 + wsize);
                if (bit < 64) {
                    rLo |= r << bit;
                } else {
                    rHi |= r << (bit - 64);
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = scalar ? 0 : rHi;
            return pc + 4;
        };
    }
}
