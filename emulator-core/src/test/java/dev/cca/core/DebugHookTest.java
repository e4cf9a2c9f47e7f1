package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.DebugHook;
import dev.cca.core.cpu.SecurityState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The external-debugger hook of the run loop: per-instruction callbacks, blocking stops, watched pages. */
class DebugHookTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long DATA = Harness.RAM + 0x3000;

    /** Stores 7 at DATA, loads it back, adds 1 twice, stores a byte at DATA+9, then HVC. */
    private static Harness program() {
        Harness h = new Harness();
        h.load(CODE,
            0xd2a80000, // mov  x0, #0x40000000
            0x91400c00, // add  x0, x0, #0x3, lsl #12
            0xd28000e1, // mov  x1, #7
            0xf9000001, // str  x1, [x0]
            0xf9400002, // ldr  x2, [x0]
            0x91000443, // add  x3, x2, #1
            0x91000464, // add  x4, x3, #1
            0x39002404, // strb w4, [x0, #9]
            0xd4000002  // hvc  #0
        );
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        return h;
    }

    /** A hook that only records; watches nothing unless told. */
    private static class Recorder implements DebugHook {
        final List<Long> pcs = new ArrayList<>();
        final List<String> accesses = new ArrayList<>();
        long watchedPage = -1;

        @Override
        public void beforeInstruction(Cpu cpu) {
            pcs.add(cpu.pc);
        }

        @Override
        public boolean watchesPage(Cpu cpu, long pageVa) {
            return pageVa == watchedPage;
        }

        @Override
        public void dataAccess(Cpu cpu, long va, int size, boolean write) {
            accesses.add(String.format("%s %#x/%d at %#x", write ? "W" : "R", va, size, cpu.pc));
        }
    }

    @Test
    void hookSeesEveryInstructionBeforeItExecutesInProgramOrder() {
        Harness h = program();
        Recorder r = new Recorder();
        h.cpu.setDebugHook(r);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            expected.add(CODE + 4L * i);
        }
        assertEquals(expected, r.pcs);
        assertEquals(9, h.cpu.instructions);
        assertEquals(9, h.cpu.x[4]);
        assertTrue(r.accesses.isEmpty(), "no page watched: data accesses stay on the fast path " + r.accesses);
    }

    @Test
    void detachedHookIsNotCalled() {
        Harness h = program();
        Recorder r = new Recorder();
        h.cpu.setDebugHook(r);
        h.cpu.setDebugHook(null);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertTrue(r.pcs.isEmpty());
        assertEquals(9, h.cpu.x[4]);
    }

    @Test
    void hookMayRedirectThePcBeforeTheInstructionRuns() {
        Harness h = program();
        h.cpu.setDebugHook(new Recorder() {
            @Override
            public void beforeInstruction(Cpu cpu) {
                if (cpu.pc == CODE + 0x14) {
                    cpu.pc = CODE + 0x18; // skip "add x3, x2, #1"
                }
            }
        });
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(0, h.cpu.x[3]);
        assertEquals(1, h.cpu.x[4], "x4 = x3 + 1 with the skipped add");
    }

    @Test
    void watchedPageReportsEachAccessBeforeItIsPerformedAndTheAccessStillHappens() {
        Harness h = program();
        Recorder r = new Recorder();
        r.watchedPage = DATA;
        h.cpu.setDebugHook(r);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(List.of(
                String.format("W %#x/8 at %#x", DATA, CODE + 0xc),
                String.format("R %#x/8 at %#x", DATA, CODE + 0x10),
                String.format("W %#x/1 at %#x", DATA + 9, CODE + 0x1c)), r.accesses);
        assertEquals(7, h.mem.read(DATA, 8));
        assertEquals(9, h.mem.read(DATA + 9, 1));
        assertEquals(7, h.cpu.x[2]);
    }

    @Test
    void aBlockedCallbackIsAStopDuringWhichAnotherThreadMayChangeRegisters() throws Exception {
        Harness h = program();
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        h.cpu.setDebugHook(new Recorder() {
            @Override
            public void beforeInstruction(Cpu cpu) {
                if (cpu.pc == CODE + 0x14) {
                    stopped.countDown();
                    try {
                        resume.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        AtomicLong seenPc = new AtomicLong();
        Thread debugger = new Thread(() -> {
            try {
                stopped.await();
                seenPc.set(h.cpu.pc);
                h.cpu.x[2] = 100; // what a debugger's register write does
                resume.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        debugger.start();
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        debugger.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(CODE + 0x14, seenPc.get());
        assertEquals(101, h.cpu.x[3], "the write made while stopped is what the next instruction reads");
    }
}
