package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;
import dev.cca.core.cpu.fp.FpCore;
import dev.cca.core.cpu.fp.Fpcr;

/**
 * Scalar floating-point instructions (Arm ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced
 * SIMD", the floating-point groups): data-processing with 1, 2 and 3 sources, compare, conditional compare,
 * conditional select, immediate moves, and conversions to and from integers and fixed-point numbers.
 *
 * <p>Field letters: t ftype, d/n/m/a registers, o opcode, c cond, f nzcv, i immediate, z sf, r rmode, e signal
 * (the "E" of FCMPE/FCCMPE), k compare with zero. Half precision (ftype 0b11) is only accepted by FCVT and the
 * FMOVs that FEAT_FP16 does not need; this PE does not implement FEAT_FP16 arithmetic.
 */
public final class FpScalar {
    private FpScalar() {
    }

    /** The operand format (FpCore.H/S/D) of an ftype field, or -1; half only when {@code half} is allowed. */
    static int fmt(int ftype, boolean half) {
        switch (ftype) {
            case 0: return FpCore.S;
            case 1: return FpCore.D;
            case 3: return half ? FpCore.H : -1;
            default: return -1;
        }
    }

    static long scalar(long[] v, int reg, int fmt) {
        return v[2 * reg] & FpCore.mask(fmt);
    }

    // ---- data-processing (1 source) --------------------------------------------------------------------------

    /** FMOV (register) (op 0), FABS (1), FNEG (2), FSQRT (3). */
    public static Insn oneSource(Fields f, int op) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        switch (op) {
            case 0: // FMOV
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, fmt, c.v[2 * n]);
                    return pc + 4;
                };
            case 1: // FABS
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, fmt, FpCore.fabs(c.v[2 * n], fmt));
                    return pc + 4;
                };
            case 2: // FNEG
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, fmt, FpCore.neg(c.v[2 * n], fmt));
                    return pc + 4;
                };
            default: // FSQRT
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, fmt, FpCore.sqrt(c, scalar(c.v, n, fmt), fmt));
                    return pc + 4;
                };
        }
    }

    /** FCVT (between precisions): field o = opc (destination type). */
    public static Insn fcvt(Fields f) {
        int from = fmt(f.u('t'), true);
        int to = fmt(f.u('o'), true);
        if (from < 0 || to < 0 || from == to) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long r = FpCore.convert(c, scalar(c.v, n, from), from, to, Fpcr.rmode(FpCore.fpcr(c)));
            Vreg.setScalar(c.v, d, to, r);
            return pc + 4;
        };
    }

    /** FRINTN/P/M/Z/A/X/I by the opcode bits [17:15] (0-4, 6, 7). */
    public static Insn frint(Fields f, int op) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        int fixed = roundingOf(op);
        boolean exact = op == 6;
        return (c, pc) -> {
            FpAccess.check(c);
            int rmode = fixed >= 0 ? fixed : Fpcr.rmode(FpCore.fpcr(c));
            Vreg.setScalar(c.v, d, fmt, FpCore.roundInt(c, scalar(c.v, n, fmt), fmt, rmode, exact));
            return pc + 4;
        };
    }

    /** The rounding of FRINT{N,P,M,Z,A,-,X,I} by its 3-bit code; -1 means FPCR.RMode. */
    static int roundingOf(int op) {
        switch (op) {
            case 0: return Fpcr.RN;
            case 1: return Fpcr.RP;
            case 2: return Fpcr.RM;
            case 3: return Fpcr.RZ;
            case 4: return Fpcr.RNA;
            default: return -1;
        }
    }

    // ---- data-processing (2 source) --------------------------------------------------------------------------

    /** FMUL (op 0), FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL (op 8): op is the opcode field. */
    public static Insn twoSource(Fields f, int op) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long a = scalar(c.v, n, fmt);
            long b = scalar(c.v, m, fmt);
            Vreg.setScalar(c.v, d, fmt, arith2(c, op, a, b, fmt));
            return pc + 4;
        };
    }

    static long arith2(Cpu c, int op, long a, long b, int fmt) {
        switch (op) {
            case 0: return FpCore.mul(c, a, b, fmt);
            case 1: return FpCore.div(c, a, b, fmt);
            case 2: return FpCore.add(c, a, b, fmt);
            case 3: return FpCore.sub(c, a, b, fmt);
            case 4: return FpCore.max(c, a, b, fmt);
            case 5: return FpCore.min(c, a, b, fmt);
            case 6: return FpCore.maxNum(c, a, b, fmt);
            case 7: return FpCore.minNum(c, a, b, fmt);
            default: return FpCore.neg(FpCore.mul(c, a, b, fmt), fmt); // FNMUL
        }
    }

    // ---- data-processing (3 source) --------------------------------------------------------------------------

    /**
     * FMADD, FMSUB, FNMADD, FNMSUB: FPMulAdd with the addend negated when o1 is 1 and the first multiplicand
     * negated when o0 != o1 (FPNeg, so a NaN operand propagates with its sign flipped).
     */
    public static Insn threeSource(Fields f, boolean negAddend, boolean negProduct) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n'), m = f.u('m'), a = f.u('a');
        return (c, pc) -> {
            FpAccess.check(c);
            long va = scalar(c.v, a, fmt);
            long vn = scalar(c.v, n, fmt);
            long vm = scalar(c.v, m, fmt);
            if (negAddend) {
                va = FpCore.neg(va, fmt);
            }
            if (negProduct) {
                vn = FpCore.neg(vn, fmt);
            }
            Vreg.setScalar(c.v, d, fmt, FpCore.mulAdd(c, va, vn, vm, fmt));
            return pc + 4;
        };
    }

    // ---- compare, conditional compare, conditional select ----------------------------------------------------

    /** FCMP, FCMPE ({@code signal}), with a register or with #0.0 (field k). */
    public static Insn compare(Fields f, boolean signal) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        boolean withZero = f.u('k') == 1;
        int n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long a = scalar(c.v, n, fmt);
            long b = withZero ? 0 : scalar(c.v, m, fmt);
            c.nzcv = FpCore.compare(c, a, b, fmt, signal);
            return pc + 4;
        };
    }

    /** FCCMP, FCCMPE ({@code signal}): fields c cond, f nzcv. */
    public static Insn condCompare(Fields f, boolean signal) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int cond = f.u('c');
        int flags = f.u('f') << 28;
        int n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            if (Alu.cond(c.nzcv, cond)) {
                c.nzcv = FpCore.compare(c, scalar(c.v, n, fmt), scalar(c.v, m, fmt), fmt, signal);
            } else {
                c.nzcv = flags;
            }
            return pc + 4;
        };
    }

    /** FCSEL. */
    public static Insn condSelect(Fields f) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        int cond = f.u('c');
        int d = f.u('d'), n = f.u('n'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            int src = Alu.cond(c.nzcv, cond) ? n : m;
            Vreg.setScalar(c.v, d, fmt, c.v[2 * src]);
            return pc + 4;
        };
    }

    // ---- immediate -------------------------------------------------------------------------------------------

    /** FMOV (scalar, immediate). */
    public static Insn fmovImm(Fields f) {
        int fmt = fmt(f.u('t'), false);
        if (fmt < 0) {
            return null;
        }
        long imm = expandImm(f.u('i'), fmt);
        int d = f.u('d');
        return (c, pc) -> {
            FpAccess.check(c);
            Vreg.setScalar(c.v, d, fmt, imm);
            return pc + 4;
        };
    }

    /** VFPExpandImm: sign, exponent NOT(b):b..b:cd, fraction efgh:0..0. */
    static long expandImm(int imm8, int fmt) {
        int e = fmt == FpCore.D ? 11 : fmt == FpCore.S ? 8 : 5;
        int fr = fmt == FpCore.D ? 52 : fmt == FpCore.S ? 23 : 10;
        long sign = (imm8 >>> 7) & 1;
        int b6 = (imm8 >>> 6) & 1;
        long exp = ((long) (b6 ^ 1) << (e - 1)) | ((b6 == 1 ? (1L << (e - 3)) - 1 : 0) << 2) | ((imm8 >>> 4) & 3);
        long frac = (long) (imm8 & 0xF) << (fr - 4);
        return (sign << (e + fr)) | (exp << fr) | frac;
    }

    // ---- conversions between floating-point and integer ------------------------------------------------------

    /**
     * FCVT{N,P,M,Z,A}{S,U}, SCVTF/UCVTF (integer), FMOV (general), by the rmode and opcode fields; field z sf.
     */
    public static Insn intConvert(Fields f, int rmode, int opcode) {
        boolean sf = f.u('z') == 1;
        int ftype = f.u('t');
        int d = f.u('d'), n = f.u('n');
        int intBits = sf ? 64 : 32;
        switch (opcode) {
            case 0:
            case 1: { // FCVT{N,P,M,Z}{S,U}
                int fmt = fmt(ftype, false);
                if (fmt < 0) {
                    return null;
                }
                return toInt(fmt, d, n, intBits, opcode == 1, rmode); // rmode codes equal FPCR.RMode codes
            }
            case 4:
            case 5: { // FCVTA{S,U}
                int fmt = fmt(ftype, false);
                if (fmt < 0 || rmode != 0) {
                    return null;
                }
                return toInt(fmt, d, n, intBits, opcode == 5, Fpcr.RNA);
            }
            case 2:
            case 3: { // SCVTF, UCVTF
                int fmt = fmt(ftype, false);
                if (fmt < 0 || rmode != 0) {
                    return null;
                }
                return fromInt(fmt, d, n, intBits, opcode == 3, 0);
            }
            case 6:
            case 7:
                return fmovGeneral(sf, ftype, rmode, opcode == 7, d, n);
            default:
                return null;
        }
    }

    private static Insn toInt(int fmt, int d, int n, int intBits, boolean unsigned, int rmode) {
        return toFixed(fmt, d, n, intBits, unsigned, rmode, 0);
    }

    private static Insn toFixed(int fmt, int d, int n, int intBits, boolean unsigned, int rmode, int fbits) {
        long mask = intBits == 64 ? -1L : 0xFFFF_FFFFL;
        return (c, pc) -> {
            FpAccess.check(c);
            long r = FpCore.toFixed(c, scalar(c.v, n, fmt), fmt, fbits, unsigned, intBits, rmode);
            c.setX(d, r & mask);
            return pc + 4;
        };
    }

    private static Insn fromInt(int fmt, int d, int n, int intBits, boolean unsigned, int fbits) {
        return (c, pc) -> {
            FpAccess.check(c);
            long x = c.x[n];
            if (intBits == 32) {
                x = unsigned ? x & 0xFFFF_FFFFL : (int) x;
            }
            long r = FpCore.fromFixed(c, x, unsigned, fbits, fmt, Fpcr.rmode(FpCore.fpcr(c)));
            Vreg.setScalar(c.v, d, fmt, r);
            return pc + 4;
        };
    }

    private static Insn fmovGeneral(boolean sf, int ftype, int rmode, boolean toFp, int d, int n) {
        if (!sf && ftype == 0 && rmode == 0) { // FMOV Wd, Sn / Sd, Wn
            if (toFp) {
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, 2, c.x[n]);
                    return pc + 4;
                };
            }
            return (c, pc) -> {
                FpAccess.check(c);
                c.setX(d, c.v[2 * n] & 0xFFFF_FFFFL);
                return pc + 4;
            };
        }
        if (sf && ftype == 1 && rmode == 0) { // FMOV Xd, Dn / Dd, Xn
            if (toFp) {
                return (c, pc) -> {
                    FpAccess.check(c);
                    Vreg.setScalar(c.v, d, 3, c.x[n]);
                    return pc + 4;
                };
            }
            return (c, pc) -> {
                FpAccess.check(c);
                c.setX(d, c.v[2 * n]);
                return pc + 4;
            };
        }
        if (sf && ftype == 2 && rmode == 1) { // FMOV Xd, Vn.D[1] / Vd.D[1], Xn
            if (toFp) {
                return (c, pc) -> {
                    FpAccess.check(c);
                    c.v[2 * d + 1] = c.x[n];
                    return pc + 4;
                };
            }
            return (c, pc) -> {
                FpAccess.check(c);
                c.setX(d, c.v[2 * n + 1]);
                return pc + 4;
            };
        }
        return null; // half-precision forms need FEAT_FP16; FJCVTZS needs FEAT_JSCVT
    }

    /** SCVTF/UCVTF/FCVTZS/FCVTZU (fixed-point) by rmode:opcode ({@code key}); fields z sf, i scale. */
    public static Insn fixedConvert(Fields f, int key) {
        boolean sf = f.u('z') == 1;
        int fmt = fmt(f.u('t'), false);
        int scale = f.u('i');
        if (fmt < 0 || (!sf && scale < 32)) {
            return null;
        }
        int fbits = 64 - scale;
        int d = f.u('d'), n = f.u('n');
        int intBits = sf ? 64 : 32;
        switch (key) {
            case 0b00_010: return fromInt(fmt, d, n, intBits, false, fbits);
            case 0b00_011: return fromInt(fmt, d, n, intBits, true, fbits);
            case 0b11_000: return toFixed(fmt, d, n, intBits, false, Fpcr.RZ, fbits);
            case 0b11_001: return toFixed(fmt, d, n, intBits, true, Fpcr.RZ, fbits);
            default: return null;
        }
    }
}
