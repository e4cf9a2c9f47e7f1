package dev.cca.core.cpu.fp;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;

import static dev.cca.core.cpu.fp.Fpcr.AHP;
import static dev.cca.core.cpu.fp.Fpcr.DN;
import static dev.cca.core.cpu.fp.Fpcr.DZC;
import static dev.cca.core.cpu.fp.Fpcr.FZ;
import static dev.cca.core.cpu.fp.Fpcr.IDC;
import static dev.cca.core.cpu.fp.Fpcr.IOC;
import static dev.cca.core.cpu.fp.Fpcr.IXC;
import static dev.cca.core.cpu.fp.Fpcr.ODD;
import static dev.cca.core.cpu.fp.Fpcr.OFC;
import static dev.cca.core.cpu.fp.Fpcr.RM;
import static dev.cca.core.cpu.fp.Fpcr.RN;
import static dev.cca.core.cpu.fp.Fpcr.RNA;
import static dev.cca.core.cpu.fp.Fpcr.RP;
import static dev.cca.core.cpu.fp.Fpcr.UFC;

/**
 * IEEE 754 binary16/32/64 arithmetic with the Arm architecture's rules (Arm ARM J1 shared pseudocode, "FPAdd",
 * "FPMulAdd", "FPRound", "FPUnpack", "FPProcessNaNs"...). Values are raw bit patterns in the low 16, 32 or 64 bits
 * of a {@code long}; {@code fmt} is the log2 of the size in bytes (1 half, 2 single, 3 double), as in the size
 * fields of the instructions.
 *
 * <p>Every operation reads FPCR (rounding mode, FZ, DN, AHP) from the PE and ORs the cumulative exception flags it
 * raises into FPSR. Arithmetic is exact integer arithmetic on the significands followed by one rounding step
 * ({@link #round}) that follows FPRound: flush-to-zero of tiny results before rounding (UFC, no IXC), underflow
 * detected before rounding and only when inexact, overflow to infinity or the largest normal number by rounding
 * mode. Nothing here allocates.
 */
public final class FpCore {
    private FpCore() {
    }

    public static final int H = 1, S = 2, D = 3;

    private static final int[] FRAC = {0, 10, 23, 52};
    private static final int[] EXPW = {0, 5, 8, 11};

    static int frac(int fmt) {
        return FRAC[fmt];
    }

    static int bias(int fmt) {
        return (1 << (EXPW[fmt] - 1)) - 1;
    }

    public static long signBit(int fmt) {
        return 1L << ((8 << fmt) - 1);
    }

    /** All N bits of the format. */
    public static long mask(int fmt) {
        return fmt == D ? -1L : (1L << (8 << fmt)) - 1;
    }

    public static long infinity(int fmt) {
        return (long) ((1 << EXPW[fmt]) - 1) << FRAC[fmt];
    }

    public static long defaultNaN(int fmt) {
        return infinity(fmt) | (1L << (FRAC[fmt] - 1));
    }

    static long maxNormal(int fmt) {
        return infinity(fmt) - 1;
    }

    /** The value 2^k (k within the normal range) with the given sign. */
    static long powerOfTwo(int fmt, int sign, int k) {
        return ((long) sign << ((8 << fmt) - 1)) | ((long) (k + bias(fmt)) << FRAC[fmt]);
    }

    public static boolean isNaN(long x, int fmt) {
        return (x & ~signBit(fmt) & mask(fmt)) > infinity(fmt);
    }

    public static boolean isSNaN(long x, int fmt) {
        return isNaN(x, fmt) && (x & (1L << (FRAC[fmt] - 1))) == 0;
    }

    public static boolean isQNaN(long x, int fmt) {
        return isNaN(x, fmt) && (x & (1L << (FRAC[fmt] - 1))) != 0;
    }

    static int signOf(long x, int fmt) {
        return (int) (x >>> ((8 << fmt) - 1)) & 1;
    }

    static long abs(long x, int fmt) {
        return x & ~signBit(fmt) & mask(fmt);
    }

    /** FPNeg: flips the sign bit, NaNs included; no exceptions. */
    public static long neg(long x, int fmt) {
        return (x ^ signBit(fmt)) & mask(fmt);
    }

    public static long fabs(long x, int fmt) {
        return abs(x, fmt);
    }

    static long zero(int fmt, int sign) {
        return (long) sign << ((8 << fmt) - 1);
    }

    public static int fpcr(Cpu c) {
        return (int) c.sr[SysRegs.FPCR];
    }

    public static void raise(Cpu c, int flags) {
        c.sr[SysRegs.FPSR] |= flags;
    }

    // =========================================================================================================
    // FPUnpack: input flush-to-zero, NaN processing
    // =========================================================================================================

    /**
     * The input-denormal step of FPUnpack: with FPCR.FZ a single or double denormal reads as a zero of the same
     * sign and sets IDC. Half precision would use FZ16, which is not implemented (FEAT_FP16), so it never flushes.
     */
    static long flushIn(Cpu c, int fpcr, long x, int fmt) {
        x &= mask(fmt);
        if (fmt != H && (fpcr & FZ) != 0 && (x & infinity(fmt)) == 0 && (x & ((1L << FRAC[fmt]) - 1)) != 0) {
            raise(c, IDC);
            return x & signBit(fmt);
        }
        return x;
    }

    /** FPProcessNaN: quietens a signalling NaN (IOC), or gives the default NaN when FPCR.DN is set. */
    static long processNaN(Cpu c, int fpcr, long x, int fmt) {
        if ((x & (1L << (FRAC[fmt] - 1))) == 0) {
            raise(c, IOC);
        }
        if ((fpcr & DN) != 0) {
            return defaultNaN(fmt);
        }
        return (x | (1L << (FRAC[fmt] - 1))) & mask(fmt);
    }

    /** FPProcessNaNs: the first signalling NaN operand wins, else the first quiet NaN. One of them is a NaN. */
    static long processNaNs(Cpu c, int fpcr, long a, long b, int fmt) {
        if (isSNaN(a, fmt)) {
            return processNaN(c, fpcr, a, fmt);
        }
        if (isSNaN(b, fmt)) {
            return processNaN(c, fpcr, b, fmt);
        }
        if (isNaN(a, fmt)) {
            return processNaN(c, fpcr, a, fmt);
        }
        return processNaN(c, fpcr, b, fmt);
    }

    /** FPProcessNaNs3 in the operand order of FPMulAdd: addend, multiplicand, multiplier. */
    static long processNaNs3(Cpu c, int fpcr, long a, long b, long d, int fmt) {
        if (isSNaN(a, fmt)) {
            return processNaN(c, fpcr, a, fmt);
        }
        if (isSNaN(b, fmt)) {
            return processNaN(c, fpcr, b, fmt);
        }
        if (isSNaN(d, fmt)) {
            return processNaN(c, fpcr, d, fmt);
        }
        if (isNaN(a, fmt)) {
            return processNaN(c, fpcr, a, fmt);
        }
        if (isNaN(b, fmt)) {
            return processNaN(c, fpcr, b, fmt);
        }
        return processNaN(c, fpcr, d, fmt);
    }

    /** Significand of a finite nonzero value as an integer (implicit bit included): value = sig * 2^exp. */
    static long sigOf(long x, int fmt) {
        int f = FRAC[fmt];
        long m = x & ((1L << f) - 1);
        return (x & infinity(fmt)) == 0 ? m : m | (1L << f);
    }

    static int expOf(long x, int fmt) {
        int f = FRAC[fmt];
        int be = (int) ((x & infinity(fmt)) >>> f);
        return (be == 0 ? 1 : be) - bias(fmt) - f;
    }

    // =========================================================================================================
    // FPRound
    // =========================================================================================================

    /**
     * FPRound/FPRoundCV of the exact value (-1)^sign * sig * 2^e, where {@code sig} is positive and below 2^63 and
     * its lowest bit may be a sticky bit standing for any nonzero bits below it. {@code cv} selects FPRoundCV
     * (conversions: AHP applies to half-precision results).
     */
    static long round(Cpu c, int fpcr, int rmode, int fmt, int sign, int e, long sig, boolean cv) {
        int f = FRAC[fmt];
        int ew = EXPW[fmt];
        int bias = (1 << (ew - 1)) - 1;
        long signBit = (long) sign << ((8 << fmt) - 1);
        int lz = Long.numberOfLeadingZeros(sig);
        sig <<= lz - 1;
        int exponent = e - (lz - 1) + 62; // the value lies in [2^exponent, 2^(exponent+1))
        if (fmt != H && (fpcr & FZ) != 0 && exponent < 1 - bias) {
            raise(c, UFC); // flush-to-zero: UFC without IXC
            return signBit;
        }
        int biased = exponent + bias;
        int shift = 62 - f;
        if (biased <= 0) {
            shift += 1 - biased;
            biased = 0;
        }
        long mant;
        boolean inexact;
        int half; // the discarded part compared with half a unit in the last place
        if (shift >= 64) {
            mant = 0;
            inexact = true;
            half = -1;
        } else {
            mant = sig >>> shift;
            long rem = sig & ((1L << shift) - 1);
            long h = 1L << (shift - 1);
            inexact = rem != 0;
            half = rem < h ? -1 : rem == h ? 0 : 1;
        }
        int flags = 0;
        if (biased == 0 && inexact) {
            flags |= UFC; // tiny before rounding and inexact
        }
        boolean up;
        boolean overflowToInf;
        switch (rmode) {
            case RN:
                up = half > 0 || (half == 0 && (mant & 1) != 0);
                overflowToInf = true;
                break;
            case RP:
                up = inexact && sign == 0;
                overflowToInf = sign == 0;
                break;
            case RM:
                up = inexact && sign != 0;
                overflowToInf = sign != 0;
                break;
            case RNA:
                up = half >= 0;
                overflowToInf = true;
                break;
            case ODD:
                up = false;
                overflowToInf = false;
                if (inexact) {
                    mant |= 1;
                }
                break;
            default: // RZ
                up = false;
                overflowToInf = false;
                break;
        }
        if (up) {
            mant++;
            if (mant == 1L << f) {
                biased = 1; // a denormal rounded up to the smallest normal number
            }
            if (mant == 1L << (f + 1)) {
                biased++;
                mant >>>= 1;
            }
        }
        long result;
        if (!(cv && fmt == H && (fpcr & AHP) != 0)) {
            if (biased >= (1 << ew) - 1) {
                result = signBit | (overflowToInf ? infinity(fmt) : maxNormal(fmt));
                flags |= OFC;
                inexact = true;
            } else {
                result = signBit | ((long) biased << f) | (mant & ((1L << f) - 1));
            }
        } else {
            // Alternative half precision: no infinities or NaNs, exponent 31 is a normal exponent.
            if (biased >= 1 << ew) {
                result = signBit | 0x7FFF;
                flags |= IOC;
                inexact = false;
            } else {
                result = signBit | ((long) biased << f) | (mant & ((1L << f) - 1));
            }
        }
        if (inexact) {
            flags |= IXC;
        }
        if (flags != 0) {
            raise(c, flags);
        }
        return result;
    }

    /** {@link #round} of the 128-bit magnitude hi:lo * 2^e (hi below 2^63). */
    static long roundWide(Cpu c, int fpcr, int rmode, int fmt, int sign, int e, long hi, long lo, boolean cv) {
        if (hi == 0) {
            if (lo > 0) {
                return round(c, fpcr, rmode, fmt, sign, e, lo, cv);
            }
            return round(c, fpcr, rmode, fmt, sign, e + 1, (lo >>> 1) | (lo & 1), cv);
        }
        int bits = 128 - Long.numberOfLeadingZeros(hi);
        int k = bits - 62;
        long sig;
        if (k < 64) {
            sig = (hi << (64 - k)) | (lo >>> k) | ((lo << (64 - k)) != 0 ? 1 : 0);
        } else {
            boolean lost = lo != 0 || (k > 64 && (hi << (128 - k)) != 0);
            sig = (hi >>> (k - 64)) | (lost ? 1 : 0);
        }
        return round(c, fpcr, rmode, fmt, sign, e + k, sig, cv);
    }

    static long shiftRightJam(long m, int d) {
        if (d == 0) {
            return m;
        }
        if (d < 63) {
            return (m >>> d) | ((m & ((1L << d) - 1)) != 0 ? 1 : 0);
        }
        return m != 0 ? 1 : 0;
    }

    static int rmode(int fpcr) {
        return Fpcr.rmode(fpcr);
    }

    // =========================================================================================================
    // Arithmetic
    // =========================================================================================================

    /** FPAdd. */
    public static long add(Cpu c, long a, long b, int fmt) {
        return addSub(c, a, b, fmt, 0);
    }

    /** FPSub: the subtrahend's sign is flipped only after NaN processing, so a NaN keeps its sign. */
    public static long sub(Cpu c, long a, long b, int fmt) {
        return addSub(c, a, b, fmt, 1);
    }

    private static long addSub(Cpu c, long a, long b, int fmt, int negB) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            return processNaNs(c, fpcr, a, b, fmt);
        }
        int sa = signOf(a, fmt);
        int sb = signOf(b, fmt) ^ negB;
        long absA = abs(a, fmt);
        long absB = abs(b, fmt);
        long inf = infinity(fmt);
        if (absA == inf && absB == inf && sa != sb) {
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (absA == inf) {
            return absA | zero(fmt, sa);
        }
        if (absB == inf) {
            return absB | zero(fmt, sb);
        }
        int rmode = rmode(fpcr);
        if (absA == 0 && absB == 0) {
            return sa == sb ? zero(fmt, sa) : zero(fmt, rmode == RM ? 1 : 0);
        }
        if (absA == 0) {
            return absB | zero(fmt, sb);
        }
        if (absB == 0) {
            return absA | zero(fmt, sa);
        }
        int sh = 61 - FRAC[fmt];
        long ma = sigOf(a, fmt) << sh;
        long mb = sigOf(b, fmt) << sh;
        int ea = expOf(a, fmt);
        int eb = expOf(b, fmt);
        if (ea < eb || (ea == eb && ma < mb)) {
            long t = ma;
            ma = mb;
            mb = t;
            int te = ea;
            ea = eb;
            eb = te;
            int ts = sa;
            sa = sb;
            sb = ts;
        }
        mb = shiftRightJam(mb, ea - eb);
        long r;
        if (sa == sb) {
            r = ma + mb;
        } else {
            r = ma - mb;
            if (r == 0) {
                return zero(fmt, rmode == RM ? 1 : 0);
            }
        }
        return round(c, fpcr, rmode, fmt, sa, ea - sh, r, false);
    }

    /** FPMul. */
    public static long mul(Cpu c, long a, long b, int fmt) {
        return mul(c, a, b, fmt, false);
    }

    /** FPMulX (FMULX): as FPMul, but infinity times zero is 2.0 with the product's sign. */
    public static long mulx(Cpu c, long a, long b, int fmt) {
        return mul(c, a, b, fmt, true);
    }

    private static long mul(Cpu c, long a, long b, int fmt, boolean x) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            return processNaNs(c, fpcr, a, b, fmt);
        }
        int sign = signOf(a, fmt) ^ signOf(b, fmt);
        long absA = abs(a, fmt);
        long absB = abs(b, fmt);
        long inf = infinity(fmt);
        if ((absA == inf && absB == 0) || (absA == 0 && absB == inf)) {
            if (x) {
                return powerOfTwo(fmt, sign, 1);
            }
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (absA == inf || absB == inf) {
            return inf | zero(fmt, sign);
        }
        if (absA == 0 || absB == 0) {
            return zero(fmt, sign);
        }
        long ma = sigOf(a, fmt);
        long mb = sigOf(b, fmt);
        int e = expOf(a, fmt) + expOf(b, fmt);
        if (fmt != D) {
            return round(c, fpcr, rmode(fpcr), fmt, sign, e, ma * mb, false);
        }
        return roundWide(c, fpcr, rmode(fpcr), fmt, sign, e, Math.multiplyHigh(ma, mb), ma * mb, false);
    }

    /** FPDiv. */
    public static long div(Cpu c, long a, long b, int fmt) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            return processNaNs(c, fpcr, a, b, fmt);
        }
        int sign = signOf(a, fmt) ^ signOf(b, fmt);
        long absA = abs(a, fmt);
        long absB = abs(b, fmt);
        long inf = infinity(fmt);
        if ((absA == inf && absB == inf) || (absA == 0 && absB == 0)) {
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (absA == inf || absB == 0) {
            if (absA != inf) {
                raise(c, DZC);
            }
            return inf | zero(fmt, sign);
        }
        if (absA == 0 || absB == inf) {
            return zero(fmt, sign);
        }
        int f = FRAC[fmt];
        long ma = sigOf(a, fmt);
        long mb = sigOf(b, fmt);
        int ea = expOf(a, fmt);
        int eb = expOf(b, fmt);
        // Normalise denormals so both significands have their top bit at bit f.
        int na = Long.numberOfLeadingZeros(ma) - (63 - f);
        ma <<= na;
        ea -= na;
        int nb = Long.numberOfLeadingZeros(mb) - (63 - f);
        mb <<= nb;
        eb -= nb;
        if (fmt != D) {
            long num = ma << 39;
            long q = num / mb;
            long r = num - q * mb;
            return round(c, fpcr, rmode(fpcr), fmt, sign, ea - eb - 39, q | (r != 0 ? 1 : 0), false);
        }
        // Long division, ten quotient bits per step: 61 bits of quotient and a sticky remainder.
        long q = ma / mb;
        long r = ma - q * mb;
        for (int i = 0; i < 6; i++) {
            r <<= 10;
            long qq = r / mb;
            r -= qq * mb;
            q = (q << 10) | qq;
        }
        return round(c, fpcr, rmode(fpcr), fmt, sign, ea - eb - 60, q | (r != 0 ? 1 : 0), false);
    }

    /** FPSqrt. */
    public static long sqrt(Cpu c, long a, int fmt) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        if (isNaN(a, fmt)) {
            return processNaN(c, fpcr, a, fmt);
        }
        long absA = abs(a, fmt);
        if (absA == 0) {
            return a;
        }
        if (signOf(a, fmt) != 0) {
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (absA == infinity(fmt)) {
            return a;
        }
        int f = FRAC[fmt];
        long m = sigOf(a, fmt);
        int e = expOf(a, fmt);
        int n = Long.numberOfLeadingZeros(m) - (63 - f);
        m <<= n;
        e -= n;
        if ((e & 1) != 0) {
            m <<= 1;
            e -= 1;
        }
        if (fmt != D) {
            long x = m << 36; // below 2^61 for single and half
            long s = (long) Math.sqrt((double) x);
            while (s * s > x) {
                s--;
            }
            while ((s + 1) * (s + 1) <= x) {
                s++;
            }
            return round(c, fpcr, rmode(fpcr), fmt, 0, (e - 36) / 2, s | (s * s != x ? 1 : 0), false);
        }
        // m has at most 53 significant bits, so it converts exactly; Math.sqrt is correctly rounded. Compare
        // the square of the rounded root with m exactly to learn on which side the true root lies.
        double r = Math.sqrt((double) m);
        long rb = Double.doubleToRawLongBits(r);
        long rm = (rb & ((1L << 52) - 1)) | (1L << 52);
        int rexp = (int) (rb >>> 52) - 1075; // r = rm * 2^rexp
        long sqHi = Math.multiplyHigh(rm, rm);
        long sqLo = rm * rm;
        int s = -2 * rexp; // compare rm^2 with m * 2^s
        long mHi = s >= 64 ? m << (s - 64) : m >>> (64 - s);
        long mLo = s >= 64 ? 0 : m << s;
        int cmp = sqHi != mHi ? Long.compareUnsigned(sqHi, mHi) : Long.compareUnsigned(sqLo, mLo);
        long sig = (rm << 2) + (cmp < 0 ? 1 : cmp > 0 ? -1 : 0);
        return round(c, fpcr, rmode(fpcr), fmt, 0, rexp - 2 + e / 2, sig, false);
    }

    /** FPMulAdd(addend, op1, op2): addend + op1 * op2 with a single rounding (FMADD, FMLA...). */
    public static long mulAdd(Cpu c, long addend, long op1, long op2, int fmt) {
        int fpcr = fpcr(c);
        long a = flushIn(c, fpcr, addend, fmt);
        long x = flushIn(c, fpcr, op1, fmt);
        long y = flushIn(c, fpcr, op2, fmt);
        long inf = infinity(fmt);
        long absX = abs(x, fmt);
        long absY = abs(y, fmt);
        boolean infZero = (absX == inf && absY == 0) || (absX == 0 && absY == inf);
        if (isNaN(a, fmt) || isNaN(x, fmt) || isNaN(y, fmt)) {
            long r = processNaNs3(c, fpcr, a, x, y, fmt);
            if (isQNaN(a, fmt) && infZero) {
                raise(c, IOC);
                return defaultNaN(fmt);
            }
            return r;
        }
        int sA = signOf(a, fmt);
        int sP = signOf(x, fmt) ^ signOf(y, fmt);
        long absA = abs(a, fmt);
        boolean infA = absA == inf;
        boolean infP = absX == inf || absY == inf;
        if (infZero || (infA && infP && sA != sP)) {
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (infA) {
            return a;
        }
        if (infP) {
            return inf | zero(fmt, sP);
        }
        return mulAddFinite(c, fpcr, fmt, a, sP, x, y, 0);
    }

    /**
     * The numeric part of FPMulAdd for finite operands: addend + (+/-)|x*y| with product sign {@code sP},
     * scaled by 2^scale before rounding (FRSQRTS halves its result).
     */
    private static long mulAddFinite(Cpu c, int fpcr, int fmt, long a, int sP, long x, long y, int scale) {
        int rmode = rmode(fpcr);
        int sA = signOf(a, fmt);
        boolean zA = abs(a, fmt) == 0;
        boolean zP = abs(x, fmt) == 0 || abs(y, fmt) == 0;
        if (zP) {
            if (zA) {
                return sA == sP ? zero(fmt, sA) : zero(fmt, rmode == RM ? 1 : 0);
            }
            if (scale == 0) {
                return a & mask(fmt);
            }
            return round(c, fpcr, rmode, fmt, sA, expOf(a, fmt) + scale, sigOf(a, fmt), false);
        }
        long mx = sigOf(x, fmt);
        long my = sigOf(y, fmt);
        int eP = expOf(x, fmt) + expOf(y, fmt) + scale;
        long pHi = Math.multiplyHigh(mx, my);
        long pLo = mx * my;
        if (zA) {
            return roundWide(c, fpcr, rmode, fmt, sP, eP, pHi, pLo, false);
        }
        // Exact sum of the product and the addend in 128-bit fixed point, both with their top bit at 125.
        int bp = pHi != 0 ? 128 - Long.numberOfLeadingZeros(pHi) : 64 - Long.numberOfLeadingZeros(pLo);
        int shP = 126 - bp;
        long hiP = shl128hi(pHi, pLo, shP);
        long loP = shl128lo(pLo, shP);
        eP -= shP;
        long ma = sigOf(a, fmt);
        int ba = 64 - Long.numberOfLeadingZeros(ma);
        long hiA = ma << (62 - ba);
        long loA = 0;
        int eA = expOf(a, fmt) + scale - (126 - ba);
        // Order so that the first operand has the larger magnitude.
        boolean swap = eA > eP || (eA == eP && (Long.compareUnsigned(hiA, hiP) > 0
                || (hiA == hiP && Long.compareUnsigned(loA, loP) > 0)));
        long bigHi, bigLo, smHi, smLo;
        int bigE, smE, bigS, smS;
        if (swap) {
            bigHi = hiA; bigLo = loA; bigE = eA; bigS = sA;
            smHi = hiP; smLo = loP; smE = eP; smS = sP;
        } else {
            bigHi = hiP; bigLo = loP; bigE = eP; bigS = sP;
            smHi = hiA; smLo = loA; smE = eA; smS = sA;
        }
        int d = bigE - smE;
        if (d > 0) {
            boolean lost = lost128(smHi, smLo, d);
            long nlo = shr128lo(smHi, smLo, d);
            smHi = shr128hi(smHi, d);
            smLo = nlo | (lost ? 1 : 0);
        }
        long rHi, rLo;
        if (bigS == smS) {
            rLo = bigLo + smLo;
            rHi = bigHi + smHi + (Long.compareUnsigned(rLo, bigLo) < 0 ? 1 : 0);
        } else {
            rLo = bigLo - smLo;
            rHi = bigHi - smHi - (Long.compareUnsigned(bigLo, smLo) < 0 ? 1 : 0);
            if (rHi == 0 && rLo == 0) {
                return zero(fmt, rmode == RM ? 1 : 0);
            }
        }
        return roundWide(c, fpcr, rmode, fmt, bigS, bigE, rHi, rLo, false);
    }

    static long shl128hi(long hi, long lo, int n) {
        if (n == 0) {
            return hi;
        }
        if (n < 64) {
            return (hi << n) | (lo >>> (64 - n));
        }
        return lo << (n - 64);
    }

    static long shl128lo(long lo, int n) {
        return n < 64 ? lo << n : 0;
    }

    static long shr128hi(long hi, int n) {
        return n < 64 ? hi >>> n : 0;
    }

    static long shr128lo(long hi, long lo, int n) {
        if (n == 0) {
            return lo;
        }
        if (n < 64) {
            return (lo >>> n) | (hi << (64 - n));
        }
        if (n < 128) {
            return hi >>> (n - 64);
        }
        return 0;
    }

    static boolean lost128(long hi, long lo, int n) {
        if (n == 0) {
            return false;
        }
        if (n < 64) {
            return (lo << (64 - n)) != 0;
        }
        if (n == 64) {
            return lo != 0;
        }
        if (n < 128) {
            return lo != 0 || (hi << (128 - n)) != 0;
        }
        return hi != 0 || lo != 0;
    }

    /** FPRecipStepFused (FRECPS): 2.0 - op1 * op2, fused. */
    public static long recipStepFused(Cpu c, long op1, long op2, int fmt) {
        return stepFused(c, op1, op2, fmt, false);
    }

    /** FPRSqrtStepFused (FRSQRTS): (3.0 - op1 * op2) / 2, fused. */
    public static long rsqrtStepFused(Cpu c, long op1, long op2, int fmt) {
        return stepFused(c, op1, op2, fmt, true);
    }

    private static long stepFused(Cpu c, long op1, long op2, int fmt, boolean rsqrt) {
        int fpcr = fpcr(c);
        long x = flushIn(c, fpcr, neg(op1, fmt), fmt);
        long y = flushIn(c, fpcr, op2, fmt);
        if (isNaN(x, fmt) || isNaN(y, fmt)) {
            return processNaNs(c, fpcr, x, y, fmt);
        }
        long inf = infinity(fmt);
        long absX = abs(x, fmt);
        long absY = abs(y, fmt);
        int sP = signOf(x, fmt) ^ signOf(y, fmt);
        if ((absX == inf && absY == 0) || (absX == 0 && absY == inf)) {
            // 2.0, or 1.5 for the reciprocal square root step
            return rsqrt ? powerOfTwo(fmt, 0, 0) | (1L << (FRAC[fmt] - 1)) : powerOfTwo(fmt, 0, 1);
        }
        if (absX == inf || absY == inf) {
            return inf | zero(fmt, sP);
        }
        long addend = rsqrt ? powerOfTwo(fmt, 0, 1) | (1L << (FRAC[fmt] - 1)) : powerOfTwo(fmt, 0, 1);
        return mulAddFinite(c, fpcr, fmt, addend, sP, x, y, rsqrt ? -1 : 0);
    }

    // =========================================================================================================
    // Minimum, maximum, comparisons
    // =========================================================================================================

    /** FPMax. */
    public static long max(Cpu c, long a, long b, int fmt) {
        return minMax(c, a, b, fmt, true);
    }

    /** FPMin. */
    public static long min(Cpu c, long a, long b, int fmt) {
        return minMax(c, a, b, fmt, false);
    }

    /** FPMaxNum: a single quiet NaN operand counts as -infinity, so the number wins. */
    public static long maxNum(Cpu c, long a, long b, int fmt) {
        boolean qa = isQNaN(a, fmt), qb = isQNaN(b, fmt);
        if (qa && !qb) {
            a = infinity(fmt) | signBit(fmt);
        } else if (!qa && qb) {
            b = infinity(fmt) | signBit(fmt);
        }
        return minMax(c, a, b, fmt, true);
    }

    /** FPMinNum: a single quiet NaN operand counts as +infinity. */
    public static long minNum(Cpu c, long a, long b, int fmt) {
        boolean qa = isQNaN(a, fmt), qb = isQNaN(b, fmt);
        if (qa && !qb) {
            a = infinity(fmt);
        } else if (!qa && qb) {
            b = infinity(fmt);
        }
        return minMax(c, a, b, fmt, false);
    }

    private static long minMax(Cpu c, long a, long b, int fmt, boolean max) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            return processNaNs(c, fpcr, a, b, fmt);
        }
        long ka = orderKey(a, fmt);
        long kb = orderKey(b, fmt);
        boolean pickA = max ? ka > kb : ka < kb;
        long r = pickA ? a : b;
        if (abs(r, fmt) == 0) {
            // A zero result: +0 for max unless both are -0; -0 for min if either is -0.
            int s = max ? signOf(a, fmt) & signOf(b, fmt) : signOf(a, fmt) | signOf(b, fmt);
            return zero(fmt, s);
        }
        return r;
    }

    /** A signed integer that orders non-NaN values as their real values (both zeros equal). */
    static long orderKey(long x, int fmt) {
        long m = abs(x, fmt);
        return signOf(x, fmt) != 0 ? -m : m;
    }

    /** FPCompare: NZCV in bits [31:28] (0011 unordered, 0110 equal, 1000 less, 0010 greater). */
    public static int compare(Cpu c, long a, long b, int fmt, boolean signalQuietNaNs) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            if (signalQuietNaNs || isSNaN(a, fmt) || isSNaN(b, fmt)) {
                raise(c, IOC);
            }
            return 0x3000_0000;
        }
        long ka = orderKey(a, fmt);
        long kb = orderKey(b, fmt);
        return ka == kb ? 0x6000_0000 : ka < kb ? 0x8000_0000 : 0x2000_0000;
    }

    /** FPCompareEQ: quiet NaNs do not signal. */
    public static boolean compareEq(Cpu c, long a, long b, int fmt) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            if (isSNaN(a, fmt) || isSNaN(b, fmt)) {
                raise(c, IOC);
            }
            return false;
        }
        return orderKey(a, fmt) == orderKey(b, fmt);
    }

    /** FPCompareGE (every NaN signals). */
    public static boolean compareGe(Cpu c, long a, long b, int fmt) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            raise(c, IOC);
            return false;
        }
        return orderKey(a, fmt) >= orderKey(b, fmt);
    }

    /** FPCompareGT (every NaN signals). */
    public static boolean compareGt(Cpu c, long a, long b, int fmt) {
        int fpcr = fpcr(c);
        a = flushIn(c, fpcr, a, fmt);
        b = flushIn(c, fpcr, b, fmt);
        if (isNaN(a, fmt) || isNaN(b, fmt)) {
            raise(c, IOC);
            return false;
        }
        return orderKey(a, fmt) > orderKey(b, fmt);
    }

    // =========================================================================================================
    // Conversions and rounding to integral
    // =========================================================================================================

    /**
     * FPToFixed: converts to a signed or unsigned integer of {@code intBits} bits (32 or 64, or the element size)
     * with {@code fbits} fraction bits, rounding with {@code rmode}. NaN gives 0 and out-of-range values saturate,
     * both with IOC and without IXC. The result is returned in the low {@code intBits} bits, sign-extended.
     */
    public static long toFixed(Cpu c, long op, int fmt, int fbits, boolean unsigned, int intBits, int rmode) {
        int fpcr = fpcr(c);
        op = flushIn(c, fpcr, op, fmt);
        if (isNaN(op, fmt)) {
            raise(c, IOC);
            return 0;
        }
        int sign = signOf(op, fmt);
        long absOp = abs(op, fmt);
        if (absOp == 0) {
            return 0;
        }
        boolean overflow = absOp == infinity(fmt);
        long mag = 0;
        boolean inexact = false;
        if (!overflow) {
            long m = sigOf(op, fmt);
            int e = expOf(op, fmt) + fbits;
            int half = -1;
            if (e >= 0) {
                if (e + (64 - Long.numberOfLeadingZeros(m)) > 64) {
                    overflow = true;
                } else {
                    mag = m << e;
                }
            } else if (-e >= 64) {
                inexact = true;
            } else {
                int sh = -e;
                mag = m >>> sh;
                long rem = m & ((1L << sh) - 1);
                long h = 1L << (sh - 1);
                inexact = rem != 0;
                half = rem < h ? -1 : rem == h ? 0 : 1;
            }
            if (!overflow && inexact) {
                boolean up;
                switch (rmode) {
                    case RN: up = half > 0 || (half == 0 && (mag & 1) != 0); break;
                    case RP: up = sign == 0; break;
                    case RM: up = sign != 0; break;
                    case RNA: up = half >= 0; break;
                    default: up = false; break;
                }
                if (up) {
                    mag++;
                    if (mag == 0) {
                        overflow = true; // carried out of 64 bits
                    }
                }
            }
        }
        long result;
        if (unsigned) {
            long max = intBits == 64 ? -1L : (1L << intBits) - 1;
            if (sign != 0) {
                if (overflow || mag != 0) {
                    raise(c, IOC);
                    return 0;
                }
                result = 0;
            } else if (overflow || Long.compareUnsigned(mag, max) > 0) {
                raise(c, IOC);
                return max;
            } else {
                result = mag;
            }
        } else {
            long max = intBits == 64 ? Long.MAX_VALUE : (1L << (intBits - 1)) - 1;
            if (sign == 0) {
                if (overflow || Long.compareUnsigned(mag, max) > 0) {
                    raise(c, IOC);
                    return max;
                }
                result = mag;
            } else {
                if (overflow || Long.compareUnsigned(mag, max + 1) > 0) {
                    raise(c, IOC);
                    return -max - 1;
                }
                result = -mag;
            }
        }
        if (inexact) {
            raise(c, IXC);
        }
        return result;
    }

    /**
     * FixedToFP: converts a signed or unsigned 64-bit integer (already extended from its source width) with
     * {@code fbits} fraction bits, rounding with {@code rmode}.
     */
    public static long fromFixed(Cpu c, long v, boolean unsigned, int fbits, int fmt, int rmode) {
        if (v == 0) {
            return 0;
        }
        int fpcr = fpcr(c);
        int sign = !unsigned && v < 0 ? 1 : 0;
        long mag = sign != 0 ? -v : v;
        if (mag < 0) { // 2^63 or more as an unsigned magnitude
            return round(c, fpcr, rmode, fmt, sign, 1 - fbits, (mag >>> 1) | (mag & 1), false);
        }
        return round(c, fpcr, rmode, fmt, sign, -fbits, mag, false);
    }

    /** FPConvert (FCVT, FCVTL, FCVTN, and FCVTXN with rounding mode ODD) between precisions. */
    public static long convert(Cpu c, long op, int from, int to, int rmode) {
        int fpcr = fpcr(c);
        op &= mask(from);
        boolean ahpIn = from == H && (fpcr & AHP) != 0;
        boolean ahpOut = to == H && (fpcr & AHP) != 0;
        op = flushIn(c, fpcr, op, from);
        int sign = signOf(op, from);
        long absOp = abs(op, from);
        if (!ahpIn && absOp > infinity(from)) {
            long r;
            if (ahpOut) {
                r = zero(to, sign);
            } else if ((fpcr & DN) != 0) {
                r = defaultNaN(to);
            } else {
                r = convertNaN(op, from, to);
            }
            if (isSNaN(op, from) || ahpOut) {
                raise(c, IOC);
            }
            return r;
        }
        if (!ahpIn && absOp == infinity(from)) {
            if (ahpOut) {
                raise(c, IOC);
                return zero(to, sign) | 0x7FFF;
            }
            return infinity(to) | zero(to, sign);
        }
        if (absOp == 0) {
            return zero(to, sign);
        }
        long m;
        int e;
        if (ahpIn && (op & infinity(H)) == infinity(H)) {
            m = (op & 0x3FF) | 0x400; // alternative half precision: exponent 31 is a normal exponent
            e = 31 - 15 - 10;
        } else {
            m = sigOf(op, from);
            e = expOf(op, from);
        }
        return round(c, fpcr, rmode, to, sign, e, m, true);
    }

    /** FPConvertNaN: keeps the sign and the top payload bits, sets the quiet bit. */
    static long convertNaN(long op, int from, int to) {
        int sign = signOf(op, from);
        long frac51 = (op & ((1L << (FRAC[from] - 1)) - 1)) << (52 - FRAC[from]); // payload below the quiet bit
        long payload = frac51 >>> (52 - FRAC[to]);
        return zero(to, sign) | infinity(to) | (1L << (FRAC[to] - 1)) | payload;
    }

    /** FPRoundInt (FRINTN/P/M/Z/A/I/X): {@code exact} raises IXC when the value changed (FRINTX). */
    public static long roundInt(Cpu c, long op, int fmt, int rmode, boolean exact) {
        int fpcr = fpcr(c);
        op = flushIn(c, fpcr, op, fmt);
        if (isNaN(op, fmt)) {
            return processNaN(c, fpcr, op, fmt);
        }
        long absOp = abs(op, fmt);
        if (absOp == 0 || absOp == infinity(fmt)) {
            return op;
        }
        int e = expOf(op, fmt);
        if (e >= 0) {
            return op; // already an integer
        }
        int sign = signOf(op, fmt);
        long m = sigOf(op, fmt);
        int sh = -e;
        long ip;
        boolean inexact;
        int half;
        if (sh >= 64) {
            ip = 0;
            inexact = true;
            half = -1;
        } else {
            ip = m >>> sh;
            long rem = m & ((1L << sh) - 1);
            long h = 1L << (sh - 1);
            inexact = rem != 0;
            half = rem < h ? -1 : rem == h ? 0 : 1;
        }
        if (inexact) {
            boolean up;
            switch (rmode) {
                case RN: up = half > 0 || (half == 0 && (ip & 1) != 0); break;
                case RP: up = sign == 0; break;
                case RM: up = sign != 0; break;
                case RNA: up = half >= 0; break;
                default: up = false; break;
            }
            if (up) {
                ip++;
            }
            if (exact) {
                raise(c, IXC);
            }
        }
        if (ip == 0) {
            return zero(fmt, sign);
        }
        return round(c, fpcr, RN, fmt, sign, 0, ip, false);
    }

    // =========================================================================================================
    // Estimates
    // =========================================================================================================

    /** FPRecipEstimate (FRECPE). */
    public static long recipEstimate(Cpu c, long op, int fmt) {
        int fpcr = fpcr(c);
        op = flushIn(c, fpcr, op, fmt);
        if (isNaN(op, fmt)) {
            return processNaN(c, fpcr, op, fmt);
        }
        int sign = signOf(op, fmt);
        long absOp = abs(op, fmt);
        if (absOp == infinity(fmt)) {
            return zero(fmt, sign);
        }
        if (absOp == 0) {
            raise(c, DZC);
            return infinity(fmt) | zero(fmt, sign);
        }
        int f = FRAC[fmt];
        int bias = bias(fmt);
        // |value| < 2^-(bias+1): the reciprocal overflows.
        if (absOp < ((long) 1 << (f - 2))) {
            int rmode = rmode(fpcr);
            boolean toInf = rmode == RN || (rmode == RP && sign == 0) || (rmode == RM && sign != 0);
            raise(c, OFC | IXC);
            return zero(fmt, sign) | (toInf ? infinity(fmt) : maxNormal(fmt));
        }
        int exp = (int) (absOp >>> f);
        // |value| >= 2^(bias-1) with FZ: the reciprocal is below the normal range and flushes to zero.
        if (fmt != H && (fpcr & FZ) != 0 && exp >= 2 * bias - 1) {
            raise(c, UFC);
            return zero(fmt, sign);
        }
        long fraction = (absOp & ((1L << f) - 1)) << (52 - f);
        if (exp == 0) {
            if ((fraction & (1L << 51)) == 0) {
                exp = -1;
                fraction = (fraction << 2) & ((1L << 52) - 1);
            } else {
                fraction = (fraction << 1) & ((1L << 52) - 1);
            }
        }
        int scaled = (int) (256 | (fraction >>> 44));
        int resultExp = 2 * bias - 1 - exp;
        long estimate = FpEstimates.recip(scaled);
        long frac = (estimate & 0xFF) << 44;
        if (resultExp == 0) {
            frac = (1L << 51) | (frac >>> 1);
        } else if (resultExp == -1) {
            frac = (1L << 50) | (frac >>> 2);
            resultExp = 0;
        }
        return zero(fmt, sign) | ((long) resultExp << f) | (frac >>> (52 - f));
    }

    /** FPRSqrtEstimate (FRSQRTE). */
    public static long rsqrtEstimate(Cpu c, long op, int fmt) {
        int fpcr = fpcr(c);
        op = flushIn(c, fpcr, op, fmt);
        if (isNaN(op, fmt)) {
            return processNaN(c, fpcr, op, fmt);
        }
        int sign = signOf(op, fmt);
        long absOp = abs(op, fmt);
        if (absOp == 0) {
            raise(c, DZC);
            return infinity(fmt) | zero(fmt, sign);
        }
        if (sign != 0) {
            raise(c, IOC);
            return defaultNaN(fmt);
        }
        if (absOp == infinity(fmt)) {
            return 0;
        }
        int f = FRAC[fmt];
        int bias = bias(fmt);
        long fraction = (absOp & ((1L << f) - 1)) << (52 - f);
        int exp = (int) (absOp >>> f);
        if (exp == 0) {
            while ((fraction & (1L << 51)) == 0) {
                fraction = fraction << 1;
                exp--;
            }
            fraction = (fraction << 1) & ((1L << 52) - 1);
        }
        // Even exponents scale to [0.5, 1.0) ('1':fraction<51:44>), odd ones to [0.25, 0.5) ('01':fraction<51:45>).
        int scaled = (exp & 1) == 0 ? (int) (256 | (fraction >>> 44)) : (int) (128 | (fraction >>> 45));
        // (3 * bias - 1 - exp) / 2, rounding towards minus infinity (exp may be negative).
        int resultExp = Math.floorDiv(3 * bias - 1 - exp, 2);
        long estimate = FpEstimates.rsqrt(scaled);
        return ((long) resultExp << f) | ((estimate & 0xFF) << (f - 8));
    }

    /** FPRecpX (FRECPX): the reciprocal exponent. */
    public static long recpX(Cpu c, long op, int fmt) {
        int fpcr = fpcr(c);
        op = flushIn(c, fpcr, op, fmt);
        if (isNaN(op, fmt)) {
            return processNaN(c, fpcr, op, fmt);
        }
        int f = FRAC[fmt];
        int emax = (1 << EXPW[fmt]) - 1;
        int exp = (int) (abs(op, fmt) >>> f);
        long r = exp == 0 ? (long) (emax - 1) << f : (long) (~exp & emax) << f;
        return zero(fmt, signOf(op, fmt)) | r;
    }

    /** UnsignedRecipEstimate (URECPE) of a 32-bit element. */
    public static int unsignedRecipEstimate(int op) {
        if (op >= 0) {
            return -1;
        }
        return FpEstimates.recip(op >>> 23) << 23;
    }

    /** UnsignedRSqrtEstimate (URSQRTE) of a 32-bit element. */
    public static int unsignedRSqrtEstimate(int op) {
        if ((op >>> 30) == 0) {
            return -1;
        }
        return FpEstimates.rsqrt(op >>> 23) << 23;
    }
}
