package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The translating engine and the interpreter leave the same state: random instruction streams (random words mixed
 * with loads, stores and arithmetic on a data area, and backward branches that make loops) run for the same
 * instruction budget under both, with every block translated on first dispatch; registers, PSTATE, the PC, the
 * instruction count and all of RAM must be identical. Faulting instructions are skipped by the EL1 vectors, so
 * the streams also exercise exceptions inside translated blocks, and stores into the code exercise invalidation.
 */
class EngineEquivalenceTest {
    private static final long CODE = Harness.RAM + 0x10000;
    private static final long DATA = Harness.RAM + 0x100000;
    private static final int WORDS = 3000;
    private static final int SEGMENT = 24;

    private static int threshold;

    @BeforeAll
    static void translateEverything() {
        threshold = Cpu.translationThreshold();
        Cpu.setTranslationThreshold(1);
    }

    @AfterAll
    static void restore() {
        Cpu.setTranslationThreshold(threshold);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void randomStreamsEndInTheSameStateUnderBothEngines(long seed) {
        Harness interp = run(seed, false);
        int before = Cpu.translatedBlocks();
        Harness jit = run(seed, true);
        assertTrue(Cpu.translatedBlocks() - before > 2, "the translator translated blocks: " + (Cpu.translatedBlocks() - before) + " in " + jit.cpu.instructions + " instructions, stop at EL" + jit.cpu.el + " pc " + Long.toHexString(jit.cpu.pc));
        assertSameState(seed, interp, jit);
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void aCodeCacheThatOverflowsIsDroppedAndTheStreamsStillEndInTheSameState(long seed) {
        Harness interp = run(seed, false);
        int drops = Cpu.translationCacheDrops();
        Cpu.setTranslationCacheLimit(5);
        Harness jit;
        try {
            jit = run(seed, true);
        } finally {
            Cpu.setTranslationCacheLimit(32768);
        }
        assertTrue(Cpu.translationCacheDrops() - drops > 2, "the cache was dropped: " + (Cpu.translationCacheDrops() - drops));
        assertSameState(seed, interp, jit);
    }

    /**
     * Block chaining: a loop of two blocks (the second reached by an unconditional branch, the first by the loop's
     * conditional branch) runs inside one translated region, entered once per execution chunk instead of once per
     * block per iteration, and ends in the interpreter's state.
     */
    @Test
    void aLoopOfTwoBlocksRunsInOneRegionWithoutReturningToTheRunLoop() {
        Harness[] hs = new Harness[2];
        for (int e = 0; e < 2; e++) {
            Harness h = new Harness();
            h.cpu.setTranslation(e == 1);
            h.load(CODE,
                    0xd2807d00, // movz x0, #1000
                    0xd2800001, // movz x1, #0
                    0x91000c21, // loop: add x1, x1, #3
                    0x14000002, // b skip
                    0x91019021, // add x1, x1, #100 (never)
                    0xf1000400, // skip: subs x0, x0, #1
                    0x54000001 | ((-4 & 0x7FFFF) << 5), // b.ne loop
                    0x14000000); // b .
            h.enterEl1(SecurityState.NON_SECURE, CODE);
            h.cpu.setBudget(100_000);
            h.cpu.runUntil(2, SecurityState.NON_SECURE);
            hs[e] = h;
        }
        assertSameState(0, hs[0], hs[1]);
        assertEquals(3000, hs[1].cpu.x[1]);
        long runs = hs[1].cpu.translatedBlockRuns();
        // 100,000 instructions are 25 chunks of 4,096; without chaining the loop alone enters a block 2,000 times.
        assertTrue(runs > 0 && runs < 200, "region entries: " + runs);
    }

    private static void assertSameState(long seed, Harness interp, Harness jit) {
        Cpu a = interp.cpu;
        Cpu b = jit.cpu;
        String where = "seed " + seed + ": ";
        assertEquals(a.instructions, b.instructions, where + "instruction count");
        assertEquals(a.pc, b.pc, where + "pc");
        assertArrayEquals(a.x, b.x, where + "X registers");
        assertArrayEquals(a.v, b.v, where + "V registers");
        assertArrayEquals(a.spEl, b.spEl, where + "stack pointers");
        assertEquals(a.nzcv, b.nzcv, where + "NZCV");
        assertEquals(a.el, b.el, where + "EL");
        assertEquals(a.sr[SysRegs.ELR_EL1], b.sr[SysRegs.ELR_EL1], where + "ELR_EL1");
        assertEquals(a.sr[SysRegs.ESR_EL1], b.sr[SysRegs.ESR_EL1], where + "ESR_EL1");
        assertEquals(a.sr[SysRegs.FAR_EL1], b.sr[SysRegs.FAR_EL1], where + "FAR_EL1");
        byte[] ra = new byte[(int) Harness.RAM_SIZE];
        byte[] rb = new byte[(int) Harness.RAM_SIZE];
        interp.mem.readBytes(Harness.RAM, ra, 0, ra.length);
        jit.mem.readBytes(Harness.RAM, rb, 0, rb.length);
        if (!Arrays.equals(ra, rb)) {
            int i = Arrays.mismatch(ra, rb);
            throw new AssertionError(where + "RAM differs first at PA 0x" + Long.toHexString(Harness.RAM + i));
        }
    }

    private static Harness run(long seed, boolean translate) {
        Harness h = new Harness();
        h.cpu.setTranslation(translate);
        Random rnd = new Random(seed);
        // Segments that loop a few times (so that their blocks are dispatched to again and again): movz x20, #k;
        // random body; subs x20, x20, #1; b.ne body. The body writes x10-x19 only, so every loop ends.
        int[] code = new int[WORDS];
        for (int seg = 0; seg + SEGMENT <= WORDS; seg += SEGMENT) {
            code[seg] = 0xd2800014 | ((2 + rnd.nextInt(8)) << 5);
            for (int i = seg + 1; i < seg + SEGMENT - 2; i++) {
                code[i] = word(rnd);
            }
            code[seg + SEGMENT - 2] = 0xf1000694; // subs x20, x20, #1
            code[seg + SEGMENT - 1] = 0x54000001 | (((-(SEGMENT - 2)) & 0x7FFFF) << 5); // b.ne seg + 1
        }
        h.load(CODE, code);
        // Every EL1 vector skips the faulting instruction: mrs x9, elr_el1; add x9, x9, #4; msr elr_el1, x9; eret
        long vbar = Harness.RAM + 0x4000;
        for (int v = 0; v < 16; v++) {
            h.load(vbar + 0x80L * v, 0xd5384029, 0x91001129, 0xd5184029, 0xd69f03e0);
        }
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = vbar;
        for (int r = 0; r < 31; r++) {
            h.cpu.x[r] = r < 8 ? DATA + 8L * rnd.nextInt(4096) : rnd.nextLong();
        }
        h.cpu.x[8] = CODE + 4L * rnd.nextInt(WORDS); // a base register into the code: stores modify it
        h.cpu.setBudget(300_000);
        h.cpu.runUntil(2, SecurityState.NON_SECURE);
        return h;
    }

    /** One instruction word: mostly common integer instructions on x0-x8 and x10-x19, some noise. */
    private static int word(Random rnd) {
        int rd = 10 + rnd.nextInt(10);
        int rn = rnd.nextInt(21);
        int rm = rnd.nextInt(21);
        int base = rnd.nextInt(9);
        switch (rnd.nextInt(13)) {
            case 0:
                return rnd.nextInt(); // anything: undefined, system, FP/SIMD...
            case 1: // ADD/SUB/ADDS/SUBS (immediate), 64-bit
                return 0x91000000 | (rnd.nextInt(4) << 29) | (rnd.nextInt(4096) << 10) | (rn << 5) | rd;
            case 2: // ADD/SUB/ADDS/SUBS (shifted register)
                return 0x8b000000 | (rnd.nextInt(4) << 29) | (rnd.nextInt(3) << 22) | (rm << 16)
                        | (rnd.nextInt(64) << 10) | (rn << 5) | rd;
            case 3: // AND/ORR/EOR/ANDS (shifted register)
                return 0x8a000000 | (rnd.nextInt(4) << 29) | (rnd.nextInt(4) << 22) | (rm << 16)
                        | (rnd.nextInt(64) << 10) | (rn << 5) | rd;
            case 4: // LDR Xt, [Xbase, #imm] (unsigned offset)
                return 0xf9400000 | (rnd.nextInt(512) << 10) | (base << 5) | rd;
            case 5: // STR Xt, [Xbase, #imm]
                return 0xf9000000 | (rnd.nextInt(512) << 10) | (base << 5) | (10 + rnd.nextInt(11));
            case 12: // STP Xt, Xt2, [Xbase, #imm]! / LDP
                return (rnd.nextBoolean() ? 0xa9800000 : 0xa9c00000) | (rnd.nextInt(64) << 15) | (rd << 10)
                        | (base << 5) | (10 + rnd.nextInt(10));
            case 6: // LDRB/STRB W, [Xbase, #imm]
                return (rnd.nextBoolean() ? 0x39400000 : 0x39000000) | (rnd.nextInt(4096) << 10) | (base << 5) | rd;
            case 7: { // B.cond forwards a little
                int off = 1 + rnd.nextInt(5);
                return 0x54000000 | ((off & 0x7FFFF) << 5) | rnd.nextInt(15);
            }
            case 8: { // CBZ/CBNZ forwards a little
                int off = 1 + rnd.nextInt(5);
                return 0xb4000000 | (rnd.nextInt(2) << 24) | ((off & 0x7FFFF) << 5) | rn;
            }
            case 9: // MUL / MADD
                return 0x9b000000 | (rm << 16) | (rnd.nextInt(31) << 10) | (rn << 5) | rd;
            case 10: // CSEL/CSINC
                return 0x9a800000 | (rm << 16) | (rnd.nextInt(16) << 12) | (rnd.nextInt(2) << 10) | (rn << 5) | rd;
            default: { // B forwards a little, or BL
                int off = 1 + rnd.nextInt(4);
                return (rnd.nextInt(4) == 0 ? 0x94000000 : 0x14000000) | off;
            }
        }
    }
}
