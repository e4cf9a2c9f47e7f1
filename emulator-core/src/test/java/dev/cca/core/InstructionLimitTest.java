package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.InstructionLimit;
import dev.cca.core.cpu.SecurityState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A shared instruction limit (a tool's --max-instructions) stops a PE after exactly that many instructions. */
class InstructionLimitTest {
    private static final long CODE = Harness.RAM + 0x1000;

    @ParameterizedTest(name = "{0} instructions, translator {1}")
    @CsvSource({"1, false", "5, false", "4095, false", "4097, false", "1000003, false",
        "1, true", "5, true", "4097, true", "1000003, true"})
    void aPeRunningAloneExecutesExactlyTheLimit(long limit, boolean jit) {
        int threshold = Cpu.translationThreshold();
        Cpu.setTranslationThreshold(1);
        try {
            Harness h = new Harness();
            h.load(CODE, GuestMipsBenchmark.LOOP);
            h.enterEl1(SecurityState.NON_SECURE, CODE);
            h.cpu.setTranslation(jit);
            h.cpu.x[0] = Harness.RAM + 0x10000;
            h.cpu.x[7] = Long.MAX_VALUE; // loops for ever
            AtomicInteger reached = new AtomicInteger();
            h.machine.limitInstructions(new InstructionLimit(limit, reached::incrementAndGet));
            h.cpu.setBudget(Long.MAX_VALUE);
            // Nothing takes the PE out of the guest when the action runs here: the run loop returns on its own.
            assertEquals(Cpu.StopReason.STOP_REQUESTED, h.cpu.runUntil(2, SecurityState.NON_SECURE));
            assertEquals(limit, h.cpu.instructions);
            assertEquals(1, reached.get());
            // Running again executes nothing more.
            assertEquals(Cpu.StopReason.STOP_REQUESTED, h.cpu.runUntil(2, SecurityState.NON_SECURE));
            assertEquals(limit, h.cpu.instructions);
            assertEquals(1, reached.get());
        } finally {
            Cpu.setTranslationThreshold(threshold);
        }
    }

    @ParameterizedTest(name = "{0} instructions, translator {1}")
    @CsvSource({"1, false", "100, false", "1000003, false", "1000003, true"})
    void fourPesTogetherExecuteExactlyTheLimit(long limit, boolean jit) throws Exception {
        Machine m = new Machine(4);
        m.memory.addRam(Harness.RAM, Harness.RAM_SIZE, "ram");
        for (int i = 0; i < GuestMipsBenchmark.LOOP.length; i++) {
            m.memory.write(CODE + 4L * i, 4, GuestMipsBenchmark.LOOP[i] & 0xFFFF_FFFFL);
        }
        // The tool's stop: every PE is asked to stop.
        m.limitInstructions(new InstructionLimit(limit, () -> {
            for (int i = 0; i < m.cpuCount(); i++) {
                m.cpu(i).requestStop();
            }
        }));
        Thread[] threads = new Thread[m.cpuCount()];
        Throwable[] failed = new Throwable[1];
        for (int i = 0; i < threads.length; i++) {
            Cpu c = m.cpu(i);
            long data = Harness.RAM + 0x10000 + 0x10000L * i;
            threads[i] = new Thread(() -> {
                try {
                    Harness.enterEl1(c, SecurityState.NON_SECURE, CODE);
                    c.setTranslation(jit);
                    c.x[0] = data;
                    c.x[7] = Long.MAX_VALUE;
                    c.setBudget(Long.MAX_VALUE);
                    while (c.runUntil(2, SecurityState.NON_SECURE) != Cpu.StopReason.STOP_REQUESTED) {
                        c.setBudget(Long.MAX_VALUE);
                    }
                } catch (Throwable t) {
                    failed[0] = t;
                }
            });
            threads[i].start();
        }
        long total = 0;
        for (int i = 0; i < threads.length; i++) {
            threads[i].join(60_000);
            assertEquals(false, threads[i].isAlive(), "PE " + i + " stopped");
            total += m.cpu(i).instructions;
        }
        assertEquals(null, failed[0]);
        assertEquals(limit, total);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"0", "-1"})
    void aLimitMustBePositive(long limit) {
        assertThrows(IllegalArgumentException.class, () -> new InstructionLimit(limit, null));
    }
}
