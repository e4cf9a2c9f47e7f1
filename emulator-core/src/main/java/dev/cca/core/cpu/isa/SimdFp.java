package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;
import dev.cca.core.cpu.fp.FpCore;
import dev.cca.core.cpu.fp.Fpcr;

/**
 * Advanced SIMD floating-point instructions, vector and scalar: three same, two-register miscellaneous, across
 * lanes, scalar pairwise, by element, the fixed-point conversions of the shift-by-immediate groups, and
 * FCVTN/FCVTL/FCVTXN. Single and double precision (field z = sz); the half-precision forms belong to FEAT_FP16,
 * which is not implemented. Every element goes through {@link FpCore}, so FPCR and FPSR behave as for scalars.
 */
public final class SimdFp {
    private SimdFp() {
    }

    public static final int FADD = 0, FSUB = 1, FMUL = 2, FDIV = 3, FMAX = 4, FMIN = 5, FMAXNM = 6, FMINNM = 7,
            FMULX = 8, FABD = 9, FMLA = 10, FMLS = 11, FRECPS = 12, FRSQRTS = 13, FCMEQ = 14, FCMGE = 15,
            FCMGT = 16, FACGE = 17, FACGT = 18, FADDP = 19, FMAXP = 20, FMINP = 21, FMAXNMP = 22, FMINNMP = 23;

    static long binop(Cpu c, int op, int fmt, long a, long b, long d) {
        switch (op) {
            case FADD: case FADDP: return FpCore.add(c, a, b, fmt);
            case FSUB: return FpCore.sub(c, a, b, fmt);
            case FMUL: return FpCore.mul(c, a, b, fmt);
            case FDIV: return FpCore.div(c, a, b, fmt);
            case FMAX: case FMAXP: return FpCore.max(c, a, b, fmt);
            case FMIN: case FMINP: return FpCore.min(c, a, b, fmt);
            case FMAXNM: case FMAXNMP: return FpCore.maxNum(c, a, b, fmt);
            case FMINNM: case FMINNMP: return FpCore.minNum(c, a, b, fmt);
            case FMULX: return FpCore.mulx(c, a, b, fmt);
            case FABD: return FpCore.fabs(FpCore.sub(c, a, b, fmt), fmt);
            case FMLA: return FpCore.mulAdd(c, d, a, b, fmt);
            case FMLS: return FpCore.mulAdd(c, d, FpCore.neg(a, fmt), b, fmt);
            case FRECPS: return FpCore.recipStepFused(c, a, b, fmt);
            case FRSQRTS: return FpCore.rsqrtStepFused(c, a, b, fmt);
            case FCMEQ: return FpCore.compareEq(c, a, b, fmt) ? -1L : 0;
            case FCMGE: return FpCore.compareGe(c, a, b, fmt) ? -1L : 0;
            case FCMGT: return FpCore.compareGt(c, a, b, fmt) ? -1L : 0;
            case FACGE: return FpCore.compareGe(c, FpCore.fabs(a, fmt), FpCore.fabs(b, fmt), fmt) ? -1L : 0;
            case FACGT: return FpCore.compareGt(c, FpCore.fabs(a, fmt), FpCore.fabs(b, fmt), fmt) ? -1L : 0;
            default: throw new IllegalStateException("FP op " + op);
        }
    }

    static boolean isPairwise(int op) {
        return op >= FADDP;
    }

    static int fmt(int sz) {
        return sz == 0 ? FpCore.S : FpCore.D;
    }

    /** AdvSIMD three same (floating-point), vector form. */
    public static Insn threeSame(Fields f, int op) {
        int sz = f.u('z');
        boolean q = f.u('q') == 1;
        if (sz == 1 && !q) {
            return null;
        }
        int esize = sz + 2;
        return loop2(op, fmt(sz), esize, (q ? 16 : 8) >> esize, q, f.u('d'), f.u('n'), f.u('m'), -1);
    }

    /** AdvSIMD scalar three same (floating-point). */
    public static Insn threeSameScalar(Fields f, int op) {
        int sz = f.u('z');
        return loop2(op, fmt(sz), sz + 2, 1, false, f.u('d'), f.u('n'), f.u('m'), -1);
    }

    /** FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar): op(Vn[0], Vn[1]). */
    public static Insn pairwiseScalar(Fields f, int op) {
        int sz = f.u('z');
        int fmt = fmt(sz);
        int d = f.u('d'), n = f.u('n');
        int esize = sz + 2;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long a = Vreg.get(v, n, esize, 0), b = Vreg.get(v, n, esize, 1);
            Vreg.setScalar(v, d, esize, binop(c, op, fmt, a, b, 0));
            return pc + 4;
        };
    }

    /**
     * The element loop of binary FP operations: pairwise operations pair adjacent elements of Vn:Vm; with
     * {@code index} &gt;= 0 the second operand is element {@code index} of Vm (the by-element forms).
     */
    private static Insn loop2(int op, int fmt, int esize, int elements, boolean q, int d, int n, int m, int index) {
        boolean pairwise = isPairwise(op);
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1], bLo = v[2 * m], bHi = v[2 * m + 1];
            long dLo = v[2 * d], dHi = v[2 * d + 1];
            long bElem = index >= 0 ? Vreg.elem(bLo, bHi, esize, index) : 0;
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
                    b = index >= 0 ? bElem : Vreg.elem(bLo, bHi, esize, e);
                }
                long r = binop(c, op, fmt, a, b, Vreg.elem(dLo, dHi, esize, e)) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /** FMLA, FMLS, FMUL, FMULX (by element), vector or scalar: fields z sz, h H, l L, k M. */
    public static Insn byElement(Fields f, int op, boolean scalar) {
        int sz = f.u('z');
        boolean q = !scalar && f.u('q') == 1;
        int l = f.u('l'), h = f.u('h');
        if (sz == 1 && (l == 1 || (!scalar && !q))) {
            return null;
        }
        int index = sz == 0 ? (h << 1) | l : h;
        int m = (f.u('k') << 4) | f.u('m');
        int esize = sz + 2;
        int elements = scalar ? 1 : (q ? 16 : 8) >> esize;
        return loop2(op, fmt(sz), esize, elements, q, f.u('d'), f.u('n'), m, index);
    }

    // ---- two-register miscellaneous --------------------------------------------------------------------------
    public static final int FABS = 0, FNEG = 1, FSQRT = 2, FRINTN = 3, FRINTP = 4, FRINTM = 5, FRINTZ = 6,
            FRINTA = 7, FRINTX = 8, FRINTI = 9, FCVTNS = 10, FCVTNU = 11, FCVTPS = 12, FCVTPU = 13, FCVTMS = 14,
            FCVTMU = 15, FCVTZS = 16, FCVTZU = 17, FCVTAS = 18, FCVTAU = 19, SCVTF = 20, UCVTF = 21, FCMGT0 = 22,
            FCMGE0 = 23, FCMEQ0 = 24, FCMLE0 = 25, FCMLT0 = 26, FRECPE = 27, FRSQRTE = 28, FRECPX = 29;

    static long unop(Cpu c, int op, int fmt, long a, int fbits) {
        int bits = 8 << fmt;
        switch (op) {
            case FABS: return FpCore.fabs(a, fmt);
            case FNEG: return FpCore.neg(a, fmt);
            case FSQRT: return FpCore.sqrt(c, a, fmt);
            case FRINTN: return FpCore.roundInt(c, a, fmt, Fpcr.RN, false);
            case FRINTP: return FpCore.roundInt(c, a, fmt, Fpcr.RP, false);
            case FRINTM: return FpCore.roundInt(c, a, fmt, Fpcr.RM, false);
            case FRINTZ: return FpCore.roundInt(c, a, fmt, Fpcr.RZ, false);
            case FRINTA: return FpCore.roundInt(c, a, fmt, Fpcr.RNA, false);
            case FRINTX: return FpCore.roundInt(c, a, fmt, Fpcr.rmode(FpCore.fpcr(c)), true);
            case FRINTI: return FpCore.roundInt(c, a, fmt, Fpcr.rmode(FpCore.fpcr(c)), false);
            case FCVTNS: return FpCore.toFixed(c, a, fmt, fbits, false, bits, Fpcr.RN);
            case FCVTNU: return FpCore.toFixed(c, a, fmt, fbits, true, bits, Fpcr.RN);
            case FCVTPS: return FpCore.toFixed(c, a, fmt, fbits, false, bits, Fpcr.RP);
            case FCVTPU: return FpCore.toFixed(c, a, fmt, fbits, true, bits, Fpcr.RP);
            case FCVTMS: return FpCore.toFixed(c, a, fmt, fbits, false, bits, Fpcr.RM);
            case FCVTMU: return FpCore.toFixed(c, a, fmt, fbits, true, bits, Fpcr.RM);
            case FCVTZS: return FpCore.toFixed(c, a, fmt, fbits, false, bits, Fpcr.RZ);
            case FCVTZU: return FpCore.toFixed(c, a, fmt, fbits, true, bits, Fpcr.RZ);
            case FCVTAS: return FpCore.toFixed(c, a, fmt, fbits, false, bits, Fpcr.RNA);
            case FCVTAU: return FpCore.toFixed(c, a, fmt, fbits, true, bits, Fpcr.RNA);
            case SCVTF:
                return FpCore.fromFixed(c, bits == 32 ? (int) a : a, false, fbits, fmt, Fpcr.rmode(FpCore.fpcr(c)));
            case UCVTF:
                return FpCore.fromFixed(c, a, true, fbits, fmt, Fpcr.rmode(FpCore.fpcr(c)));
            case FCMGT0: return FpCore.compareGt(c, a, 0, fmt) ? -1L : 0;
            case FCMGE0: return FpCore.compareGe(c, a, 0, fmt) ? -1L : 0;
            case FCMEQ0: return FpCore.compareEq(c, a, 0, fmt) ? -1L : 0;
            case FCMLE0: return FpCore.compareGe(c, 0, a, fmt) ? -1L : 0;
            case FCMLT0: return FpCore.compareGt(c, 0, a, fmt) ? -1L : 0;
            case FRECPE: return FpCore.recipEstimate(c, a, fmt);
            case FRSQRTE: return FpCore.rsqrtEstimate(c, a, fmt);
            case FRECPX: return FpCore.recpX(c, a, fmt);
            default: throw new IllegalStateException("FP unary op " + op);
        }
    }

    /** AdvSIMD two-register miscellaneous (floating-point), vector form. */
    public static Insn twoRegMisc(Fields f, int op) {
        int sz = f.u('z');
        boolean q = f.u('q') == 1;
        if ((sz == 1 && !q) || op == FRECPX) {
            return null;
        }
        int esize = sz + 2;
        return loop1(op, fmt(sz), esize, (q ? 16 : 8) >> esize, q, f.u('d'), f.u('n'), 0);
    }

    /** AdvSIMD scalar two-register miscellaneous (floating-point). */
    public static Insn twoRegMiscScalar(Fields f, int op) {
        int sz = f.u('z');
        switch (op) {
            case FCVTNS: case FCVTNU: case FCVTPS: case FCVTPU: case FCVTMS: case FCVTMU: case FCVTZS:
            case FCVTZU: case FCVTAS: case FCVTAU: case SCVTF: case UCVTF: case FCMGT0: case FCMGE0: case FCMEQ0:
            case FCMLE0: case FCMLT0: case FRECPE: case FRSQRTE: case FRECPX:
                break;
            default:
                return null;
        }
        return loop1(op, fmt(sz), sz + 2, 1, false, f.u('d'), f.u('n'), 0);
    }

    private static Insn loop1(int op, int fmt, int esize, int elements, boolean q, int d, int n, int fbits) {
        long emask = Vreg.mask(esize);
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long r = unop(c, op, fmt, Vreg.elem(aLo, aHi, esize, e), fbits) & emask;
                rLo = Vreg.orLo(rLo, r, esize, e);
                rHi = Vreg.orHi(rHi, r, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = q ? rHi : 0;
            return pc + 4;
        };
    }

    /**
     * SCVTF, UCVTF, FCVTZS, FCVTZU (vector or scalar, fixed-point): field h = immh:immb; immh 01xx selects
     * single precision, 1xxx double (001x would be half precision, FEAT_FP16).
     */
    public static Insn fixedPoint(Fields f, int op, boolean scalar) {
        int immhb = f.u('h');
        int immh = immhb >>> 3;
        boolean q = !scalar && f.u('q') == 1;
        int esize;
        if ((immh & 0b1000) != 0) {
            esize = 3;
        } else if ((immh & 0b0100) != 0) {
            esize = 2;
        } else {
            return null;
        }
        if (esize == 3 && !scalar && !q) {
            return null;
        }
        int fbits = (16 << esize) - immhb;
        int elements = scalar ? 1 : (q ? 16 : 8) >> esize;
        return loop1(op, esize, esize, elements, q, f.u('d'), f.u('n'), fbits);
    }

    // ---- across lanes ----------------------------------------------------------------------------------------

    /** FMAXNMV, FMAXV, FMINNMV, FMINV (single precision, 4S only): a pairwise reduction tree. */
    public static Insn acrossLanes(Fields f, int op) {
        if (f.u('z') != 0 || f.u('q') != 1) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        int fmt = FpCore.S;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = v[2 * n], hi = v[2 * n + 1];
            long r0 = binop(c, op, fmt, lo & 0xFFFF_FFFFL, lo >>> 32, 0);
            long r1 = binop(c, op, fmt, hi & 0xFFFF_FFFFL, hi >>> 32, 0);
            Vreg.setScalar(v, d, 2, binop(c, op, fmt, r0, r1, 0));
            return pc + 4;
        };
    }

    // ---- conversions between precisions ----------------------------------------------------------------------

    /** FCVTN, FCVTN2 (sz 0: single to half, 1: double to single) and FCVTXN, FCVTXN2 (double to single, odd). */
    public static Insn fcvtn(Fields f, boolean odd) {
        int sz = f.u('z');
        if (odd && sz == 0) {
            return null;
        }
        boolean q = f.u('q') == 1;
        int from = sz == 0 ? FpCore.S : FpCore.D;
        int to = from - 1;
        int d = f.u('d'), n = f.u('n');
        int elements = sz == 0 ? 4 : 2;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long aLo = v[2 * n], aHi = v[2 * n + 1];
            int rmode = odd ? Fpcr.ODD : Fpcr.rmode(FpCore.fpcr(c));
            long r = 0;
            for (int e = 0; e < elements; e++) {
                long x = FpCore.convert(c, Vreg.elem(aLo, aHi, from, e), from, to, rmode);
                r |= (x & Vreg.mask(to)) << (e << (3 + to));
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

    /** FCVTXN (scalar): double to single with round-to-odd. */
    public static Insn fcvtxnScalar(Fields f) {
        if (f.u('z') != 1) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long r = FpCore.convert(c, c.v[2 * n], FpCore.D, FpCore.S, Fpcr.ODD);
            Vreg.setScalar(c.v, d, 2, r);
            return pc + 4;
        };
    }

    /** FCVTL, FCVTL2 (sz 0: half to single, 1: single to double), from the low or high half of Vn. */
    public static Insn fcvtl(Fields f) {
        int sz = f.u('z');
        boolean q = f.u('q') == 1;
        int to = sz == 0 ? FpCore.S : FpCore.D;
        int from = to - 1;
        int d = f.u('d'), n = f.u('n');
        int elements = sz == 0 ? 4 : 2;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long src = q ? v[2 * n + 1] : v[2 * n];
            int rmode = Fpcr.rmode(FpCore.fpcr(c));
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long x = FpCore.convert(c, Vreg.elem(src, 0, from, e), from, to, rmode) & Vreg.mask(to);
                int bit = e << (3 + to);
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
}
