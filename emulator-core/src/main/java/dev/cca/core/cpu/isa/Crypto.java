package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/**
 * The cryptographic extension's AES, SHA-1, SHA-256 and 64-bit polynomial multiply instructions (FEAT_AES,
 * FEAT_PMULL, FEAT_SHA1, FEAT_SHA256), following the Arm ARM pseudocode (AESSubBytes, AESShiftRows,
 * AESMixColumns, SHA1hash*, SHA256hash, ...). A 128-bit value's byte i is bits [8i+7:8i]; AES treats byte 4c+r
 * as row r of column c.
 */
public final class Crypto {
    private Crypto() {
    }

    private static final int[] SBOX = new int[256];
    private static final int[] INV_SBOX = new int[256];

    static {
        // The AES S-box: the multiplicative inverse in GF(2^8) (x^8 + x^4 + x^3 + x + 1) and the affine transform.
        for (int a = 0; a < 256; a++) {
            int inv = 0;
            if (a != 0) {
                for (int b = 1; b < 256; b++) {
                    if (gmul(a, b) == 1) {
                        inv = b;
                        break;
                    }
                }
            }
            int s = inv;
            int r = inv;
            for (int i = 0; i < 4; i++) {
                r = ((r << 1) | (r >>> 7)) & 0xFF;
                s ^= r;
            }
            s ^= 0x63;
            SBOX[a] = s;
            INV_SBOX[s] = a;
        }
    }

    static int gmul(int a, int b) {
        int p = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & 1) != 0) {
                p ^= a;
            }
            boolean hi = (a & 0x80) != 0;
            a = (a << 1) & 0xFF;
            if (hi) {
                a ^= 0x1B;
            }
            b >>>= 1;
        }
        return p;
    }

    private static int byteAt(long lo, long hi, int i) {
        return (int) ((i < 8 ? lo >>> (8 * i) : hi >>> (8 * (i - 8))) & 0xFF);
    }

    public static final int AESE = 0, AESD = 1, AESMC = 2, AESIMC = 3;

    /** AESE, AESD, AESMC, AESIMC. */
    public static Insn aes(Fields f, int op) {
        if (f.u('s') != 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long lo = v[2 * n], hi = v[2 * n + 1];
            if (op == AESE || op == AESD) {
                lo ^= v[2 * d];
                hi ^= v[2 * d + 1];
            }
            long rLo = 0, rHi = 0;
            for (int b = 0; b < 16; b++) {
                int col = b >> 2, row = b & 3;
                int x;
                switch (op) {
                    case AESE: // SubBytes(ShiftRows(state)): byte (c, r) comes from column c + r
                        x = SBOX[byteAt(lo, hi, 4 * ((col + row) & 3) + row)];
                        break;
                    case AESD: // InvSubBytes(InvShiftRows(state)): from column c - r
                        x = INV_SBOX[byteAt(lo, hi, 4 * ((col - row) & 3) + row)];
                        break;
                    case AESMC:
                        x = mixColumn(lo, hi, col, row, false);
                        break;
                    default:
                        x = mixColumn(lo, hi, col, row, true);
                        break;
                }
                if (b < 8) {
                    rLo |= (long) x << (8 * b);
                } else {
                    rHi |= (long) x << (8 * (b - 8));
                }
            }
            v[2 * d] = rLo;
            v[2 * d + 1] = rHi;
            return pc + 4;
        };
    }

    private static final int[] MIX = {2, 3, 1, 1};
    private static final int[] INV_MIX = {14, 11, 13, 9};

    /** Row {@code row} of MixColumns (or InvMixColumns) applied to column {@code col}. */
    private static int mixColumn(long lo, long hi, int col, int row, boolean inverse) {
        int[] m = inverse ? INV_MIX : MIX;
        int x = 0;
        for (int k = 0; k < 4; k++) {
            x ^= gmul(m[(k - row) & 3], byteAt(lo, hi, 4 * col + k));
        }
        return x;
    }

    // ---- SHA-1 and SHA-256 -----------------------------------------------------------------------------------
    public static final int SHA1C = 0, SHA1P = 1, SHA1M = 2, SHA1SU0 = 3, SHA256H = 4, SHA256H2 = 5,
            SHA256SU1 = 6, SHA1H = 7, SHA1SU1 = 8, SHA256SU0 = 9;

    /**
     * SHA1C/P/M, SHA1SU0, SHA256H, SHA256H2, SHA256SU1 (three registers) and SHA1H, SHA1SU1, SHA256SU0 (two). The
     * 32-bit words of Vd, Vn and Vm are x0..x3, y0..y3 and w0..w3, least significant first.
     */
    public static Insn sha(Fields f, int op) {
        if (f.u('s') != 0) {
            return null;
        }
        int d = f.u('d'), n = f.u('n');
        int m = f.has('m') ? f.u('m') : 0;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long xl = v[2 * d], xh = v[2 * d + 1], yl = v[2 * n], yh = v[2 * n + 1];
            long wl = v[2 * m], wh = v[2 * m + 1];
            int x0 = (int) xl, x1 = (int) (xl >>> 32), x2 = (int) xh, x3 = (int) (xh >>> 32);
            int y0 = (int) yl, y1 = (int) (yl >>> 32), y2 = (int) yh, y3 = (int) (yh >>> 32);
            int w0 = (int) wl, w1 = (int) (wl >>> 32), w2 = (int) wh, w3 = (int) (wh >>> 32);
            int r0, r1, r2, r3;
            switch (op) {
                case SHA1C: case SHA1P: case SHA1M: {
                    // Four rounds on the hash abcd (x) and e (y0); <Y, X> = ROL(Y : X, 32) after each.
                    int y = y0;
                    for (int e = 0; e < 4; e++) {
                        int t;
                        switch (op) {
                            case SHA1C: t = (x1 & x2) | (~x1 & x3); break;
                            case SHA1P: t = x1 ^ x2 ^ x3; break;
                            default: t = (x1 & x2) | (x1 & x3) | (x2 & x3); break;
                        }
                        int wE = e == 0 ? w0 : e == 1 ? w1 : e == 2 ? w2 : w3;
                        y = y + Integer.rotateLeft(x0, 5) + t + wE;
                        x1 = Integer.rotateLeft(x1, 30);
                        int top = x3;
                        x3 = x2;
                        x2 = x1;
                        x1 = x0;
                        x0 = y;
                        y = top;
                    }
                    r0 = x0; r1 = x1; r2 = x2; r3 = x3;
                    break;
                }
                case SHA1SU0: // (op2<63:0> : op1<127:64>) EOR op1 EOR op3
                    r0 = x2 ^ x0 ^ w0; r1 = x3 ^ x1 ^ w1; r2 = y0 ^ x2 ^ w2; r3 = y1 ^ x3 ^ w3;
                    break;
                case SHA256H: case SHA256H2: {
                    // SHA256H: SHA256hash(X = Vd, Y = Vn) giving X; SHA256H2: SHA256hash(X = Vn, Y = Vd) giving Y.
                    int a0 = op == SHA256H ? x0 : y0, a1 = op == SHA256H ? x1 : y1;
                    int a2 = op == SHA256H ? x2 : y2, a3 = op == SHA256H ? x3 : y3;
                    int b0 = op == SHA256H ? y0 : x0, b1 = op == SHA256H ? y1 : x1;
                    int b2 = op == SHA256H ? y2 : x2, b3 = op == SHA256H ? y3 : x3;
                    for (int e = 0; e < 4; e++) {
                        int chs = (b0 & b1) | (~b0 & b2);
                        int maj = (a0 & a1) | (a0 & a2) | (a1 & a2);
                        int s1 = Integer.rotateRight(b0, 6) ^ Integer.rotateRight(b0, 11) ^ Integer.rotateRight(b0, 25);
                        int s0 = Integer.rotateRight(a0, 2) ^ Integer.rotateRight(a0, 13) ^ Integer.rotateRight(a0, 22);
                        int wE = e == 0 ? w0 : e == 1 ? w1 : e == 2 ? w2 : w3;
                        int t = b3 + s1 + chs + wE;
                        a3 = t + a3;
                        b3 = t + s0 + maj;
                        // <Y, X> = ROL(Y : X, 32): X' = X<95:0> : Y<127:96>, Y' = Y<95:0> : X<127:96>
                        int aTop = a3, bTop = b3;
                        a3 = a2; a2 = a1; a1 = a0; a0 = bTop;
                        b3 = b2; b2 = b1; b1 = b0; b0 = aTop;
                    }
                    if (op == SHA256H) {
                        r0 = a0; r1 = a1; r2 = a2; r3 = a3;
                    } else {
                        r0 = b0; r1 = b1; r2 = b2; r3 = b3;
                    }
                    break;
                }
                case SHA256SU1: {
                    // T0 = op3<31:0> : op2<127:32> = (y1, y2, y3, w0); T1 = op3<127:64> = (w2, w3)
                    r0 = sigma256(w2) + x0 + y1;
                    r1 = sigma256(w3) + x1 + y2;
                    r2 = sigma256(r0) + x2 + y3;
                    r3 = sigma256(r1) + x3 + w0;
                    break;
                }
                case SHA1H:
                    r0 = Integer.rotateLeft(y0, 30); r1 = 0; r2 = 0; r3 = 0;
                    break;
                case SHA1SU1: {
                    // T = X EOR LSR(Y, 32); W3 also takes ROL(T<31:0>, 2)
                    int t0 = x0 ^ y1, t1 = x1 ^ y2, t2 = x2 ^ y3, t3 = x3;
                    r0 = Integer.rotateLeft(t0, 1);
                    r1 = Integer.rotateLeft(t1, 1);
                    r2 = Integer.rotateLeft(t2, 1);
                    r3 = Integer.rotateLeft(t3, 1) ^ Integer.rotateLeft(t0, 2);
                    break;
                }
                default: // SHA256SU0: T = op2<31:0> : op1<127:32> = (x1, x2, x3, y0)
                    r0 = sigma0(x1) + x0; r1 = sigma0(x2) + x1; r2 = sigma0(x3) + x2; r3 = sigma0(y0) + x3;
                    break;
            }
            v[2 * d] = (r0 & 0xFFFF_FFFFL) | ((long) r1 << 32);
            v[2 * d + 1] = (r2 & 0xFFFF_FFFFL) | ((long) r3 << 32);
            return pc + 4;
        };
    }

    /** The message-schedule sigma0 of SHA256SU0. */
    private static int sigma0(int x) {
        return Integer.rotateRight(x, 7) ^ Integer.rotateRight(x, 18) ^ (x >>> 3);
    }

    /** The message-schedule sigma1 of SHA256SU1. */
    private static int sigma256(int x) {
        return Integer.rotateRight(x, 17) ^ Integer.rotateRight(x, 19) ^ (x >>> 10);
    }

    // ---- PMULL/PMULL2 of 64-bit elements ---------------------------------------------------------------------

    /** PMULL (1Q = 1D x 1D) and PMULL2 (the high doublewords): 128-bit carry-less product. */
    public static Insn pmull64(boolean q, int d, int n, int m) {
        int half = q ? 1 : 0;
        return (c, pc) -> {
            FpAccess.check(c);
            long[] v = c.v;
            long a = v[2 * n + half], b = v[2 * m + half];
            long lo = 0, hi = 0;
            for (int i = 0; i < 64; i++) {
                if (((b >>> i) & 1) != 0) {
                    lo ^= a << i;
                    if (i != 0) {
                        hi ^= a >>> (64 - i);
                    }
                }
            }
            v[2 * d] = lo;
            v[2 * d + 1] = hi;
            return pc + 4;
        };
    }
}
