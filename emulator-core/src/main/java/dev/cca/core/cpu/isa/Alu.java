package dev.cca.core.cpu.isa;

/** Arithmetic helpers shared by the A64 instruction semantics (Arm ARM shared pseudocode). */
public final class Alu {
    private Alu() {
    }

    public static final int N = 1 << 31, Z = 1 << 30, C = 1 << 29, V = 1 << 28;

    /*
     * The flag computations are kept under HotSpot's 35-byte inlining limit for call sites that are not hot
     * (MaxInlineSize), so that every add and subtract inlines them, in the interpreter's lambdas and in blocks.
     */

    /** NZCV of a + b + carryIn on 64 bits (AddWithCarry). */
    public static int addFlags64(long a, long b, long r) {
        return logicFlags64(r) | (int) ((((a & b) | ((a | b) & ~r)) >>> 63) << 29)
                | (int) ((((a ^ r) & (b ^ r)) >>> 63) << 28);
    }

    /** NZCV of a + b + carryIn on 32 bits. */
    public static int addFlags32(int a, int b, int r) {
        return logicFlags32(r) | ((((a & b) | ((a | b) & ~r)) >>> 31) << 29) | ((((a ^ r) & (b ^ r)) >>> 31) << 28);
    }

    /** NZ flags of a logical result, C and V cleared. */
    public static int logicFlags64(long r) {
        return (r < 0 ? N : 0) | (r == 0 ? Z : 0);
    }

    public static int logicFlags32(int r) {
        return (r < 0 ? N : 0) | (r == 0 ? Z : 0);
    }

    /** ConditionHolds(cond) for a packed NZCV. */
    public static boolean cond(int nzcv, int cond) {
        boolean r;
        switch (cond >>> 1) {
            case 0: r = (nzcv & Z) != 0; break;
            case 1: r = (nzcv & C) != 0; break;
            case 2: r = (nzcv & N) != 0; break;
            case 3: r = (nzcv & V) != 0; break;
            case 4: r = (nzcv & C) != 0 && (nzcv & Z) == 0; break;
            case 5: r = ((nzcv & N) != 0) == ((nzcv & V) != 0); break;
            case 6: r = ((nzcv & N) != 0) == ((nzcv & V) != 0) && (nzcv & Z) == 0; break;
            default: r = true; break;
        }
        if ((cond & 1) != 0 && cond != 0xF) {
            r = !r;
        }
        return r;
    }

    /** ShiftReg: 0 LSL, 1 LSR, 2 ASR, 3 ROR. */
    public static long shift64(long v, int type, int amount) {
        switch (type) {
            case 0: return v << amount;
            case 1: return v >>> amount;
            case 2: return v >> amount;
            default: return Long.rotateRight(v, amount);
        }
    }

    public static int shift32(int v, int type, int amount) {
        switch (type) {
            case 0: return v << amount;
            case 1: return v >>> amount;
            case 2: return v >> amount;
            default: return Integer.rotateRight(v, amount);
        }
    }

    /** ExtendReg: option 0..7 = UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX, then shifted left. */
    public static long extend(long v, int option, int shift) {
        long r;
        switch (option) {
            case 0: r = v & 0xFF; break;
            case 1: r = v & 0xFFFF; break;
            case 2: r = v & 0xFFFF_FFFFL; break;
            case 4: r = (byte) v; break;
            case 5: r = (short) v; break;
            case 6: r = (int) v; break;
            default: r = v; break;
        }
        return r << shift;
    }

    private static long ones(int n) {
        return n >= 64 ? -1L : (1L << n) - 1;
    }

    private static long replicate(long elem, int esize) {
        long r = elem & ones(esize);
        for (int s = esize; s < 64; s <<= 1) {
            r |= r << s;
        }
        return r;
    }

    private static long rorElem(long v, int r, int esize) {
        v &= ones(esize);
        if (r == 0) {
            return v;
        }
        return ((v >>> r) | (v << (esize - r))) & ones(esize);
    }

    /**
     * DecodeBitMasks(N, imms, immr, immediate): returns {wmask, tmask}, or null for a reserved encoding.
     * For 32-bit operations the caller uses the low 32 bits.
     */
    public static long[] decodeBitMasks(int n, int imms, int immr, boolean immediate) {
        int combined = (n << 6) | (~imms & 0x3F);
        int len = 31 - Integer.numberOfLeadingZeros(combined);
        if (len < 1) {
            return null;
        }
        int levels = (1 << len) - 1;
        if (immediate && (imms & levels) == levels) {
            return null;
        }
        int s = imms & levels;
        int r = immr & levels;
        int diff = (s - r) & 0x3F;
        int esize = 1 << len;
        int d = diff & levels;
        long welem = ones(s + 1);
        long telem = ones(d + 1);
        return new long[] {replicate(rorElem(welem, r, esize), esize), replicate(telem, esize)};
    }
}
