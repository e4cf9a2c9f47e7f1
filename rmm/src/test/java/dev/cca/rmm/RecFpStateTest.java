package dev.cca.rmm;

import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The realm's SIMD&amp;FP registers belong to its REC: they survive a REC exit during which the host (or another
 * guest) uses the PE's registers, and they do not stay in the PE for the host to read.
 */
class RecFpStateTest {
    private static final long PATTERN_LO = 0x0123_4567_89AB_CDEFL;
    private static final long PATTERN_HI = 0xFEDC_BA98_7654_3210L;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a realm stuck in an exception loop never exits
    void simdRegistersSurviveARecExitAndAreClearedForTheHost() {
        Asm p = new Asm()
                .mov(1, 3L << 20).word(0xD5181041)      // msr cpacr_el1, x1 (FPEN = 0b11)
                .word(0xD5033FDF)                         // isb
                .mov(10, PATTERN_LO).mov(11, PATTERN_HI)
                .word(0x9E670140)                         // fmov d0, x10
                .word(0x4E181D60)                         // mov v0.d[1], x11
                .call(Rsi.HOST_CALL, RecExitsTest.DATA)
                .word(0x9E660014)                         // fmov x20, d0
                .word(0x4E183C15)                         // mov x21, v0.d[1]
                .call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        assertArrayEquals(new long[64], f.h.cpu.v, "no realm SIMD&FP value is left in the PE");
        Arrays.fill(f.h.cpu.v, 0x5A5A_5A5A_5A5A_5A5AL); // the host (or another guest) uses the registers
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(PATTERN_LO, g[20]);
        assertEquals(PATTERN_HI, g[21]);
    }
}
