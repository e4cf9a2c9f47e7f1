package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;

/**
 * Element access to the SIMD&amp;FP register file {@link Cpu#v} (Vn bits [63:0] at 2n, bits [127:64] at 2n+1).
 * Element sizes are log2 of the byte count: 0 B, 1 H, 2 S, 3 D. Elements are returned zero-extended.
 */
final class Vreg {
    private Vreg() {
    }

    static long mask(int esize) {
        return esize == 3 ? -1L : (1L << (8 << esize)) - 1;
    }

    /** Element {@code idx} of size {@code esize} of register {@code reg}, zero-extended. */
    static long get(long[] v, int reg, int esize, int idx) {
        int bit = idx << (3 + esize);
        long w = v[2 * reg + (bit >>> 6)];
        return esize == 3 ? w : (w >>> (bit & 63)) & ((1L << (8 << esize)) - 1);
    }

    /** Element {@code idx}, sign-extended. */
    static long getS(long[] v, int reg, int esize, int idx) {
        int bit = idx << (3 + esize);
        long w = v[2 * reg + (bit >>> 6)];
        int width = 8 << esize;
        return (w << (64 - width - (bit & 63))) >> (64 - width);
    }

    static void set(long[] v, int reg, int esize, int idx, long val) {
        int bit = idx << (3 + esize);
        int i = 2 * reg + (bit >>> 6);
        if (esize == 3) {
            v[i] = val;
            return;
        }
        long m = ((1L << (8 << esize)) - 1) << (bit & 63);
        v[i] = (v[i] & ~m) | ((val << (bit & 63)) & m);
    }

    /** Writes a scalar: the low element gets {@code val}, every other bit of the register becomes zero. */
    static void setScalar(long[] v, int reg, int esize, long val) {
        v[2 * reg] = val & mask(esize);
        v[2 * reg + 1] = 0;
    }

    /** Element of a 128-bit value held in two longs. */
    static long elem(long lo, long hi, int esize, int idx) {
        int bit = idx << (3 + esize);
        long w = (bit >>> 6) == 0 ? lo : hi;
        return esize == 3 ? w : (w >>> (bit & 63)) & ((1L << (8 << esize)) - 1);
    }

    /**
     * The low half of a 128-bit value held in two longs, with element {@code idx} (already masked to its size)
     * OR-ed in; {@link #orHi} is the other half. Together they are the inverse of {@link #elem}.
     */
    static long orLo(long lo, long elem, int esize, int idx) {
        int bit = idx << (3 + esize);
        return bit < 64 ? lo | elem << bit : lo;
    }

    static long orHi(long hi, long elem, int esize, int idx) {
        int bit = idx << (3 + esize);
        return bit < 64 ? hi : hi | elem << (bit - 64);
    }

    /** Replicates the low {@code 8 << esize} bits of {@code x} across 64 bits. */
    static long replicate(long x, int esize) {
        switch (esize) {
            case 0: return (x & 0xFF) * 0x0101_0101_0101_0101L;
            case 1: return (x & 0xFFFF) * 0x0001_0001_0001_0001L;
            case 2: return (x & 0xFFFF_FFFFL) * 0x0000_0001_0000_0001L;
            default: return x;
        }
    }
}
