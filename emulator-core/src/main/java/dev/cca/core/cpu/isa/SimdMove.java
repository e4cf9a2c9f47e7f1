package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/**
 * Advanced SIMD data movement (Arm ARM C4.1.96): the copy group (DUP, SMOV, UMOV, INS), scalar DUP, the
 * modified-immediate group (MOVI, MVNI, ORR, BIC, FMOV vector immediate), permutes (UZP, TRN, ZIP), EXT and the
 * table lookups TBL/TBX.
 */
public final class SimdMove {
    private SimdMove() {
    }

    /** The element size selected by the lowest set bit of imm5, or -1 (imm5 = x0000). */
    static int imm5Size(int imm5) {
        int s = Integer.numberOfTrailingZeros(imm5);
        return s > 3 ? -1 : s;
    }

    // ---- copy ------------------------------------------------------------------------------------------------

    /** DUP (element), vector: field i = imm5. */
    public static Insn dupElement(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        boolean q = f.u('q') == 1;
        if (esize < 0 || (esize == 3 && !q)) {
            return null;
        }
        int idx = imm5 >>> (esize + 1);
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long r = Vreg.replicate(Vreg.get(c.v, n, esize, idx), esize);
            c.v[2 * d] = r;
            c.v[2 * d + 1] = q ? r : 0;
            return pc + 4;
        };
    }

    /** DUP (element), scalar (MOV Bd/Hd/Sd/Dd, Vn.T[i]). */
    public static Insn dupScalar(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        if (esize < 0) {
            return null;
        }
        int idx = imm5 >>> (esize + 1);
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            Vreg.setScalar(c.v, d, esize, Vreg.get(c.v, n, esize, idx));
            return pc + 4;
        };
    }

    /** DUP (general). */
    public static Insn dupGeneral(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        boolean q = f.u('q') == 1;
        if (esize < 0 || (esize == 3 && !q)) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long r = Vreg.replicate(c.x[n], esize);
            c.v[2 * d] = r;
            c.v[2 * d + 1] = q ? r : 0;
            return pc + 4;
        };
    }

    /** SMOV (Q selects a W or X destination). */
    public static Insn smov(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        boolean q = f.u('q') == 1;
        if (esize < 0 || esize == 3 || (esize == 2 && !q)) {
            return null;
        }
        int idx = imm5 >>> (esize + 1);
        int d = f.u('d'), n = f.u('n');
        long mask = q ? -1L : 0xFFFF_FFFFL;
        return (c, pc) -> {
            FpAccess.check(c);
            c.setX(d, Vreg.getS(c.v, n, esize, idx) & mask);
            return pc + 4;
        };
    }

    /** UMOV (and MOV to general): W for B/H/S, X for D. */
    public static Insn umov(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        boolean q = f.u('q') == 1;
        if (esize < 0 || (q != (esize == 3))) {
            return null;
        }
        int idx = imm5 >>> (esize + 1);
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            c.setX(d, Vreg.get(c.v, n, esize, idx));
            return pc + 4;
        };
    }

    /** INS (general): Vd.T[i] = Xn. */
    public static Insn insGeneral(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        if (esize < 0) {
            return null;
        }
        int idx = imm5 >>> (esize + 1);
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            Vreg.set(c.v, d, esize, idx, c.x[n]);
            return pc + 4;
        };
    }

    /** INS (element): Vd.T[i] = Vn.T[j]; field i = imm5, j = imm4. */
    public static Insn insElement(Fields f) {
        int imm5 = f.u('i');
        int esize = imm5Size(imm5);
        if (esize < 0) {
            return null;
        }
        int dst = imm5 >>> (esize + 1);
        int src = f.u('j') >>> esize;
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            Vreg.set(c.v, d, esize, dst, Vreg.get(c.v, n, esize, src));
            return pc + 4;
        };
    }

    // ---- modified immediate ----------------------------------------------------------------------------------

    /** MOVI, MVNI, ORR (vector, immediate), BIC (vector, immediate), FMOV (vector, immediate). */
    public static Insn modifiedImmediate(Fields f) {
        boolean q = f.u('q') == 1;
        int op = f.u('o');
        int cmode = f.u('c');
        int imm8 = (f.u('a') << 5) | f.u('b');
        int d = f.u('d');
        if (cmode == 0b1111 && op == 1 && !q) {
            return null;
        }
        long imm = expandImm(op, cmode, imm8);
        int kind; // 0 move, 1 move inverted, 2 orr, 3 bic
        if (cmode == 0b1110 || cmode == 0b1111 || (cmode & 0b1001) == 0 || (cmode & 0b1101) == 0b1000
                || (cmode & 0b1110) == 0b1100) {
            kind = (op == 1 && cmode < 0b1110) ? 1 : 0;
        } else {
            kind = op == 0 ? 2 : 3;
        }
        long val = kind == 1 ? ~imm : imm;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            switch (kind) {
                case 0:
                case 1:
                    v[2 * d] = val;
                    v[2 * d + 1] = q ? val : 0;
                    break;
                case 2:
                    v[2 * d] |= val;
                    v[2 * d + 1] = q ? v[2 * d + 1] | val : 0;
                    break;
                default:
                    v[2 * d] &= ~val;
                    v[2 * d + 1] = q ? v[2 * d + 1] & ~val : 0;
                    break;
            }
            return pc + 4;
        };
    }

    /** AdvSIMDExpandImm. */
    static long expandImm(int op, int cmode, int imm8) {
        long i = imm8 & 0xFF;
        switch (cmode >>> 1) {
            case 0: return Vreg.replicate(i, 2);
            case 1: return Vreg.replicate(i << 8, 2);
            case 2: return Vreg.replicate(i << 16, 2);
            case 3: return Vreg.replicate(i << 24, 2);
            case 4: return Vreg.replicate(i, 1);
            case 5: return Vreg.replicate(i << 8, 1);
            case 6:
                return (cmode & 1) == 0 ? Vreg.replicate((i << 8) | 0xFF, 2) : Vreg.replicate((i << 16) | 0xFFFF, 2);
            default:
                if ((cmode & 1) == 0) {
                    if (op == 0) {
                        return Vreg.replicate(i, 0);
                    }
                    long r = 0;
                    for (int b = 0; b < 8; b++) {
                        if (((imm8 >>> b) & 1) != 0) {
                            r |= 0xFFL << (8 * b);
                        }
                    }
                    return r;
                }
                if (op == 0) {
                    return Vreg.replicate(FpScalar.expandImm(imm8, 2), 2);
                }
                return FpScalar.expandImm(imm8, 3);
        }
    }

    // ---- permute, extract, table lookup ----------------------------------------------------------------------
    public static final int UZP1 = 1, TRN1 = 2, ZIP1 = 3, UZP2 = 5, TRN2 = 6, ZIP2 = 7;

    /** UZP1, UZP2, TRN1, TRN2, ZIP1, ZIP2. */
    public static Insn permute(Fields f, int op) {
        int esize = f.u('s');
        boolean q = f.u('q') == 1;
        if (esize == 3 && !q) {
            return null;
        }
        int elements = (q ? 16 : 8) >> esize;
        int part = op >= 4 ? 1 : 0;
        int kind = op & 3;
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long nLo = v[2 * n], nHi = v[2 * n + 1], mLo = v[2 * m], mHi = v[2 * m + 1];
            long rLo = 0, rHi = 0;
            for (int e = 0; e < elements; e++) {
                long x;
                switch (kind) {
                    case 1: { // UZP: element 2e + part of Vn:Vm
                        int s = 2 * e + part;
                        x = s < elements ? Vreg.elem(nLo, nHi, esize, s) : Vreg.elem(mLo, mHi, esize, s - elements);
                        break;
                    }
                    case 2: { // TRN
                        int p = (e & ~1) + part;
                        x = (e & 1) == 0 ? Vreg.elem(nLo, nHi, esize, p) : Vreg.elem(mLo, mHi, esize, p);
                        break;
                    }
                    default: { // ZIP
                        int p = (e >> 1) + part * elements / 2;
                        x = (e & 1) == 0 ? Vreg.elem(nLo, nHi, esize, p) : Vreg.elem(mLo, mHi, esize, p);
                        break;
                    }
                }
                rLo = Vreg.orLo(rLo, x, esize, e);
                rHi = Vreg.orHi(rHi, x, esize, e);
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }

    /** EXT: bytes imm4 onwards of Vm:Vn. */
    public static Insn ext(Fields f) {
        boolean q = f.u('q') == 1;
        int pos = f.u('i');
        if (!q && pos >= 8) {
            return null;
        }
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo, hi;
            if (q) {
                // 32-byte value Vm:Vn as four words w0 (low of Vn) .. w3 (high of Vm), shifted right by pos bytes
                long w0 = v[2 * n], w1 = v[2 * n + 1], w2 = v[2 * m], w3 = v[2 * m + 1];
                lo = funnel(w0, w1, w2, pos);
                hi = funnel(w1, w2, w3, pos);
            } else {
                long a = v[2 * n], b = v[2 * m];
                lo = pos == 0 ? a : (a >>> (8 * pos)) | (b << (64 - 8 * pos));
                hi = 0;
            }
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }

    /** 64 bits starting at byte {@code pos} (0..15) of the 192-bit value c:b:a. */
    private static long funnel(long a, long b, long c, int pos) {
        if (pos >= 8) {
            a = b;
            b = c;
            pos -= 8;
        }
        return pos == 0 ? a : (a >>> (8 * pos)) | (b << (64 - 8 * pos));
    }

    /** TBL, TBX with 1-4 table registers (field l = len). */
    public static Insn table(Fields f, boolean tbx) {
        boolean q = f.u('q') == 1;
        int regs = f.u('l') + 1;
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        int limit = 16 * regs;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long iLo = v[2 * m], iHi = v[2 * m + 1];
            long dLo = v[2 * d], dHi = v[2 * d + 1];
            long rLo = 0, rHi = 0;
            for (int b = 0; b < (q ? 16 : 8); b++) {
                int idx = (int) ((b < 8 ? iLo >>> (8 * b) : iHi >>> (8 * (b - 8))) & 0xFF);
                long x;
                if (idx < limit) {
                    int reg = (n + (idx >> 4)) & 31;
                    int k = idx & 15;
                    x = (v[2 * reg + (k >> 3)] >>> (8 * (k & 7))) & 0xFF;
                } else if (tbx) {
                    x = ((b < 8 ? dLo >>> (8 * b) : dHi >>> (8 * (b - 8)))) & 0xFF;
                } else {
                    x = 0;
                }
                if (b < 8) {
                    rLo |= x << (8 * b);
                } else {
                    rHi |= x << (8 * (b - 8));
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }
}
