package dev.cca.core.cpu.fp;

/**
 * The 8-bit estimate tables behind FRECPE/URECPE and FRSQRTE/URSQRTE, computed once from the Arm ARM's
 * RecipEstimate() and RecipSqrtEstimate() (shared pseudocode, without FEAT_RPRES increased precision).
 */
final class FpEstimates {
    private FpEstimates() {
    }

    private static final short[] RECIP = new short[512];
    private static final short[] RSQRT = new short[512];

    static {
        for (int a = 256; a < 512; a++) {
            // a is a fixed-point value in [0.5, 1.0) in units of 1/512; the result is in [1.0, 2.0) in 1/256.
            int x = a * 2 + 1;
            int b = (1 << 19) / x;
            RECIP[a] = (short) ((b + 1) / 2);
        }
        for (int a0 = 128; a0 < 512; a0++) {
            int a;
            if (a0 < 256) {
                a = a0 * 2 + 1; // 0.25 .. 0.5 in units of 1/512
            } else {
                a = ((a0 >> 1) << 1);
                a = (a + 1) * 2; // 0.5 .. 1.0 in units of 1/256
            }
            long b = 512;
            while ((long) a * (b + 1) * (b + 1) < (1L << 28)) {
                b++;
            }
            RSQRT[a0] = (short) ((b + 1) / 2);
        }
    }

    /** RecipEstimate(a) for 256 &lt;= a &lt; 512: a result in 256..511. */
    static int recip(int a) {
        return RECIP[a];
    }

    /** RecipSqrtEstimate(a) for 128 &lt;= a &lt; 512: a result in 256..511. */
    static int rsqrt(int a) {
        return RSQRT[a];
    }
}
