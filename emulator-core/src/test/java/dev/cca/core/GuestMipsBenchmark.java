package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Guest instructions per second on a CPU-bound loop (ALU, multiply, register-offset loads and stores, branches)
 * on the bare machine at EL1 with the MMU off. Not part of the default run:
 * <pre>mvn -B -q test -pl emulator-core -Dtest=GuestMipsBenchmark -Dcca.bench=true</pre>
 * docs/performance.md records the figures.
 */
@EnabledIfSystemProperty(named = "cca.bench", matches = "true")
class GuestMipsBenchmark {
    static final long CODE = Harness.RAM + 0x1000;
    /** loop: add; eor (shifted); ldr [x0,x5]; add; str [x0,x5]; add; and; mul; cbz; subs; b.ne -- then hvc. */
    static final int[] LOOP = {0x8b020021, 0xca010c63, 0xf8656804, 0x8b010084, 0xf8256804, 0x910020a5, 0x927d20a5,
        0x9b037c86, 0xb4000026, 0xf10004e7, 0x54fffec1, 0xd4000002};
    static final int LOOP_INSNS = 11;

    @Test
    void guestMips() {
        long iterations = Long.getLong("cca.bench.iterations", 20_000_000L);
        for (int round = 0; round < 5; round++) {
            Harness h = new Harness();
            h.load(CODE, LOOP);
            h.enterEl1(SecurityState.NON_SECURE, CODE);
            h.cpu.x[0] = Harness.RAM + 0x10000;
            h.cpu.x[2] = 3;
            h.cpu.x[7] = iterations;
            h.cpu.setBudget(Long.MAX_VALUE);
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            Cpu.StopReason r = h.cpu.runUntil(2, SecurityState.NON_SECURE);
            long dt = System.nanoTime() - t0;
            long dc = mx.getCurrentThreadCpuTime() - c0;
            assertEquals(Cpu.StopReason.ARRIVED, r);
            long n = h.cpu.instructions;
            assertEquals(iterations * LOOP_INSNS + 1, n);
            System.out.printf("round %d: %d instructions in %.3f s = %.1f MIPS (%.1f MIPS of thread CPU time)%n",
                    round, n, dt / 1e9, n * 1e3 / dt, n * 1e3 / dc);
        }
    }
}
