package dev.cca.core.cpu.isa;

/**
 * SIMD-within-a-register helpers: lane-wise operations on a 64-bit half of a vector register without splitting it
 * into elements. Used for the operations that glibc's string and memory routines execute in their inner loops
 * (compares, add/subtract, byte pairwise max/min/add, SHRN), where a per-element loop would dominate the
 * interpreter's time. {@code esize} is log2 of the lane size in bytes.
 */
final class Swar {
    private Swar() {
    }

    /** The top bit of every lane. */
    static long top(int esize) {
        return Vreg.replicate(1L << ((8 << esize) - 1), esize);
    }

    /** Turns lane top bits (only top bits set) into all-ones lanes. */
    static long expand(long topBits, int esize) {
        return (topBits << 1) - (topBits >>> ((8 << esize) - 1));
    }

    static long add(long a, long b, int esize) {
        long h = top(esize);
        return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h);
    }

    static long sub(long a, long b, int esize) {
        long h = top(esize);
        return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h);
    }

    /** All-ones in the lanes of x that are zero. */
    static long zeroLanes(long x, int esize) {
        long h = top(esize);
        long nonzero = (((x & ~h) + ~h) | x) & h;
        return expand(~nonzero & h, esize);
    }

    static long eq(long a, long b, int esize) {
        return zeroLanes(a ^ b, esize);
    }

    /** All-ones in the lanes where a &gt;= b as unsigned numbers. */
    static long geUnsigned(long a, long b, int esize) {
        long h = top(esize);
        long lowGe = ((a | h) - (b & ~h)) & h; // lane top set iff a's low bits >= b's low bits
        long ge = ((a & ~b) | (~(a ^ b) & lowGe)) & h;
        return expand(ge, esize);
    }

    static long geSigned(long a, long b, int esize) {
        long h = top(esize);
        return geUnsigned(a ^ h, b ^ h, esize);
    }

    /**
     * Byte pairwise operation (0 add, 1 unsigned max, 2 unsigned min) over the eight bytes of x: four result
     * bytes in the low 32 bits.
     */
    static long pairwiseBytes(int op, long x) {
        long even = x & 0x00FF_00FF_00FF_00FFL;
        long odd = (x >>> 8) & 0x00FF_00FF_00FF_00FFL;
        long r;
        if (op == 0) {
            r = (even + odd) & 0x00FF_00FF_00FF_00FFL;
        } else {
            // 16-bit lanes holding 8-bit values: bit 15 of (even | 0x8000) - odd says even >= odd
            long geTop = ((even | 0x8000_8000_8000_8000L) - odd) & 0x8000_8000_8000_8000L;
            long ge = expand(geTop, 1);
            r = op == 1 ? (even & ge) | (odd & ~ge) : (odd & ge) | (even & ~ge);
        }
        return packHalves(r, 1);
    }

    /** Packs the low halves of the lanes of x (lane size esize, 1..3) into the low 32 bits. */
    static long packHalves(long x, int esize) {
        switch (esize) {
            case 1:
                return (x & 0xFFL) | ((x >>> 8) & 0xFF00L) | ((x >>> 16) & 0xFF_0000L) | ((x >>> 24) & 0xFF00_0000L);
            case 2:
                return (x & 0xFFFFL) | ((x >>> 16) & 0xFFFF_0000L);
            default:
                return x & 0xFFFF_FFFFL;
        }
    }

    /** SHRN of one 64-bit half: lanes of size wsize shifted right by s (1..half the lane), low halves packed. */
    static long shrn(long x, int wsize, int s) {
        return packHalves(x >>> s, wsize);
    }
}
