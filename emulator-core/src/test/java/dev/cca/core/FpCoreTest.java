package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.fp.FpCore;
import dev.cca.core.cpu.fp.Fpcr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FpCore against an oracle independent of QEMU: Java's correctly rounded round-to-nearest arithmetic (+, *, /,
 * sqrt, fma) gives the RN result, and exact BigDecimal comparisons decide the directed roundings and the
 * inexact, overflow and underflow flags (Arm: underflow = tiny before rounding and inexact).
 */
class FpCoreTest {
    private static final int D = FpCore.D, S = FpCore.S;
    private final Cpu cpu = new Machine(1).cpu(0);

    private long run(int rmode, java.util.function.LongSupplier op) {
        cpu.sr[SysRegs.FPCR] = (long) rmode << Fpcr.RMODE_SHIFT;
        cpu.sr[SysRegs.FPSR] = 0;
        return op.getAsLong();
    }

    private int flags() {
        return (int) cpu.sr[SysRegs.FPSR];
    }

    /** Operands spread over every binade, with extra weight near the edges of the range and on denormals. */
    private static double randomDouble(Random r) {
        switch (r.nextInt(6)) {
            case 0: return Double.longBitsToDouble(r.nextLong() & 0x000F_FFFF_FFFF_FFFFL
                    | (r.nextBoolean() ? Long.MIN_VALUE : 0)); // denormal
            case 1: return Double.longBitsToDouble((r.nextLong() & 0x800F_FFFF_FFFF_FFFFL) | (0x7F0L + r.nextInt(15)) << 52);
            case 2: return Double.longBitsToDouble((r.nextLong() & 0x800F_FFFF_FFFF_FFFFL) | (long) r.nextInt(40) << 52);
            case 3: return r.nextInt(2000) - 1000 + r.nextInt(8) / 8.0;
            default: {
                double d = Double.longBitsToDouble(r.nextLong());
                return Double.isNaN(d) || Double.isInfinite(d) ? 1.0 : d;
            }
        }
    }

    /** Checks a double result against the RN reference and the exact value's position. */
    private void checkD(String what, int rmode, double rn, int cmpExactVsRn, long got, int flags) {
        double expected = directed(rn, cmpExactVsRn, rmode);
        boolean inexact = cmpExactVsRn != 0 || Double.isInfinite(rn);
        assertEquals(Double.doubleToRawLongBits(expected), got,
                () -> what + " rmode " + rmode + ": expected " + expected + " got " + Double.longBitsToDouble(got));
        assertEquals(inexact, (flags & Fpcr.IXC) != 0, () -> what + " IXC");
        boolean overflow = Double.isInfinite(rn);
        assertEquals(overflow, (flags & Fpcr.OFC) != 0, () -> what + " OFC");
        boolean tiny = Math.abs(rn) < Double.MIN_NORMAL || (Math.abs(rn) == Double.MIN_NORMAL && cmpExactVsRn * Math.signum(rn) < 0);
        assertEquals(tiny && inexact, (flags & Fpcr.UFC) != 0, () -> what + " UFC");
    }

    /** The directed rounding of an exact value that lies on side {@code cmp} of its round-to-nearest result. */
    private static double directed(double rn, int cmp, int rmode) {
        if (Double.isInfinite(rn)) {
            boolean pos = rn > 0;
            switch (rmode) {
                case Fpcr.RP: return pos ? rn : -Double.MAX_VALUE;
                case Fpcr.RM: return pos ? Double.MAX_VALUE : rn;
                case Fpcr.RZ: return pos ? Double.MAX_VALUE : -Double.MAX_VALUE;
                default: return rn;
            }
        }
        switch (rmode) {
            case Fpcr.RP: return cmp > 0 ? Math.nextUp(rn) : rn;
            case Fpcr.RM: return cmp < 0 ? Math.nextDown(rn) : rn;
            case Fpcr.RZ:
                if (rn > 0 || (rn == 0 && cmp > 0)) {
                    return cmp < 0 ? Math.nextDown(rn) : rn;
                }
                return cmp > 0 ? Math.nextUp(rn) : rn;
            default: return rn;
        }
    }

    private static int signum(BigDecimal x) {
        return x.signum();
    }

    @ParameterizedTest(name = "rmode {0}")
    @ValueSource(ints = {Fpcr.RN, Fpcr.RP, Fpcr.RM, Fpcr.RZ})
    void doubleArithmeticIsCorrectlyRoundedWithArmFlags(int rmode) {
        Random r = new Random(42 + rmode);
        for (int i = 0; i < 20_000; i++) {
            double a = randomDouble(r), b = randomDouble(r), c = randomDouble(r);
            long ab = Double.doubleToRawLongBits(a), bb = Double.doubleToRawLongBits(b);
            long cb = Double.doubleToRawLongBits(c);
            BigDecimal ea = new BigDecimal(a), eb = new BigDecimal(b), ec = new BigDecimal(c);

            double sum = a + b;
            long got = run(rmode, () -> FpCore.add(cpu, ab, bb, D));
            if (sum != 0 && !Double.isInfinite(sum)) {
                checkD("add " + a + " " + b, rmode, sum, signum(ea.add(eb).subtract(new BigDecimal(sum))), got, flags());
            }

            double prod = a * b;
            got = run(rmode, () -> FpCore.mul(cpu, ab, bb, D));
            if (prod != 0 && !Double.isInfinite(prod)) {
                checkD("mul " + a + " " + b, rmode, prod, signum(ea.multiply(eb).subtract(new BigDecimal(prod))), got, flags());
            }

            if (b != 0) {
                double q = a / b;
                got = run(rmode, () -> FpCore.div(cpu, ab, bb, D));
                if (q != 0 && !Double.isInfinite(q)) {
                    // sign(a/b - q) = sign(a - q*b) * sign(b)
                    int cmp = signum(ea.subtract(new BigDecimal(q).multiply(eb))) * (b > 0 ? 1 : -1);
                    checkD("div " + a + " " + b, rmode, q, cmp, got, flags());
                }
            }

            double fma = Math.fma(a, b, c);
            got = run(rmode, () -> FpCore.mulAdd(cpu, cb, ab, bb, D));
            if (fma != 0 && !Double.isInfinite(fma)) {
                checkD("fma " + a + " " + b + " " + c, rmode, fma,
                        signum(ea.multiply(eb).add(ec).subtract(new BigDecimal(fma))), got, flags());
            }

            double x = Math.abs(a);
            double root = Math.sqrt(x);
            long xb = Double.doubleToRawLongBits(x);
            got = run(rmode, () -> FpCore.sqrt(cpu, xb, D));
            if (root != 0) {
                int cmp = signum(new BigDecimal(x).subtract(new BigDecimal(root).pow(2)));
                checkD("sqrt " + x, rmode, root, cmp, got, flags());
            }
        }
    }

    @Test
    void singlePrecisionRoundToNearestMatchesJavaFloat() {
        Random r = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            float a = Float.intBitsToFloat(r.nextInt()), b = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(a) || Float.isNaN(b)) {
                continue;
            }
            long ab = Float.floatToRawIntBits(a) & 0xFFFF_FFFFL, bb = Float.floatToRawIntBits(b) & 0xFFFF_FFFFL;
            assertSameFloat(a + b, run(Fpcr.RN, () -> FpCore.add(cpu, ab, bb, S)), "add", a, b);
            assertSameFloat(a - b, run(Fpcr.RN, () -> FpCore.sub(cpu, ab, bb, S)), "sub", a, b);
            assertSameFloat(a * b, run(Fpcr.RN, () -> FpCore.mul(cpu, ab, bb, S)), "mul", a, b);
            assertSameFloat(a / b, run(Fpcr.RN, () -> FpCore.div(cpu, ab, bb, S)), "div", a, b);
            assertSameFloat(Math.fma(a, b, a), run(Fpcr.RN, () -> FpCore.mulAdd(cpu, ab, ab, bb, S)), "fma", a, b);
            assertSameFloat((float) Math.sqrt(Math.abs(a)),
                    run(Fpcr.RN, () -> FpCore.sqrt(cpu, ab & 0x7FFF_FFFFL, S)), "sqrt", a, b);
        }
    }

    private static void assertSameFloat(float expected, long got, String op, float a, float b) {
        if (Float.isNaN(expected)) {
            assertTrue(Float.isNaN(Float.intBitsToFloat((int) got)), op + " " + a + " " + b + ": expected a NaN");
            return;
        }
        assertEquals(Float.floatToRawIntBits(expected), (int) got, () -> op + " " + a + " " + b);
    }

    @Test
    void signallingNanOperandWinsOverQuietAndIsQuietened() {
        long qnan = 0x7FF8_0000_0000_0001L, snan = 0x7FF0_0000_0000_0002L;
        long r = run(Fpcr.RN, () -> FpCore.add(cpu, qnan, snan, D));
        assertEquals(0x7FF8_0000_0000_0002L, r);
        assertEquals(Fpcr.IOC, flags());
        r = run(Fpcr.RN, () -> FpCore.add(cpu, qnan, 0x7FF8_0000_0000_0003L, D));
        assertEquals(qnan, r, "first quiet NaN wins");
        assertEquals(0, flags());
    }

    @Test
    void defaultNanModeReplacesPropagatedNaNs() {
        cpu.sr[SysRegs.FPCR] = Fpcr.DN;
        cpu.sr[SysRegs.FPSR] = 0;
        assertEquals(FpCore.defaultNaN(D), FpCore.mul(cpu, 0xFFF0_0000_0000_0005L, 0x3FF0_0000_0000_0000L, D));
        assertEquals(Fpcr.IOC, flags());
    }

    @Test
    void flushToZeroFlushesDenormalInputsAndTinyResults() {
        cpu.sr[SysRegs.FPCR] = Fpcr.FZ;
        cpu.sr[SysRegs.FPSR] = 0;
        // denormal + 1.0 = 1.0 exactly, IDC for the flushed input
        assertEquals(0x3FF0_0000_0000_0000L, FpCore.add(cpu, 1, 0x3FF0_0000_0000_0000L, D));
        assertEquals(Fpcr.IDC, flags());
        cpu.sr[SysRegs.FPSR] = 0;
        // MIN_NORMAL * 0.5 would be denormal: flushed to +0 with UFC and without IXC
        assertEquals(0, FpCore.mul(cpu, 0x0010_0000_0000_0000L, 0x3FE0_0000_0000_0000L, D));
        assertEquals(Fpcr.UFC, flags());
    }

    @Test
    void conversionsSaturateAndReportInvalid() {
        long big = Double.doubleToRawLongBits(1e30);
        assertEquals(Long.MAX_VALUE, run(Fpcr.RN, () -> FpCore.toFixed(cpu, big, D, 0, false, 64, Fpcr.RZ)));
        assertEquals(Fpcr.IOC, flags());
        assertEquals(0, run(Fpcr.RN, () -> FpCore.toFixed(cpu, 0x7FF8_0000_0000_0000L, D, 0, false, 32, Fpcr.RZ)));
        assertEquals(Fpcr.IOC, flags());
        long m = Double.doubleToRawLongBits(-2.5);
        assertEquals(-2, run(Fpcr.RN, () -> FpCore.toFixed(cpu, m, D, 0, false, 64, Fpcr.RN)), "ties to even");
        assertEquals(Fpcr.IXC, flags());
        assertEquals(-3, run(Fpcr.RN, () -> FpCore.toFixed(cpu, m, D, 0, false, 64, Fpcr.RNA)), "ties away");
        assertEquals(0, run(Fpcr.RN, () -> FpCore.toFixed(cpu, m, D, 0, true, 64, Fpcr.RZ)), "negative to unsigned");
        assertEquals(Fpcr.IOC, flags());
    }
}
