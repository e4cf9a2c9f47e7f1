package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.TlbOp;
import dev.cca.core.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PEs running on different threads at once: LSE atomics and exclusive loops lose no update, a store by another PE
 * breaks an exclusive reservation (the global monitor), and a broadcast TLBI reaches a PE while it executes.
 */
class MultiPeAtomicityTest {
    static final long RAM = 0x4000_0000L, CODE = RAM + 0x1000, COUNTER = RAM + 0x8000;

    final Machine m = new Machine(2);
    final PhysicalMemory mem = m.memory;

    MultiPeAtomicityTest() {
        mem.addRam(RAM, 16 << 20, "ram");
    }

    void load(long pa, int... words) {
        for (int i = 0; i < words.length; i++) {
            mem.write(pa + 4L * i, 4, words[i] & 0xFFFF_FFFFL);
        }
    }

    static void enterEl1(Cpu c, long entry) {
        c.writeSysReg(SysRegs.SCR_EL3, SysRegs.SCR_NS | SysRegs.SCR_HCE | SysRegs.SCR_RW);
        c.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW;
        c.sr[SysRegs.SPSR_EL3] = 0x3C5;
        c.sr[SysRegs.ELR_EL3] = entry;
        c.eret();
    }

    private void runBoth(long entry, long iterations) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?>[] f = new Future<?>[2];
            for (int i = 0; i < 2; i++) {
                Cpu c = m.cpu(i);
                enterEl1(c, entry);
                c.x[0] = COUNTER;
                c.x[1] = 1;
                c.x[2] = iterations;
                c.setBudget(100_000_000L);
                f[i] = pool.submit(() -> assertEquals(Cpu.StopReason.ARRIVED, c.runUntil(2, SecurityState.NON_SECURE)));
            }
            for (Future<?> x : f) {
                x.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(120)
    void concurrentLdaddLosesNoUpdate() throws Exception {
        load(CODE, 0xf821001f, 0xf1000442, 0x54ffffc1, 0xd4000002); // stadd x1,[x0]; subs; b.ne; hvc
        runBoth(CODE, 200_000);
        assertEquals(400_000L, mem.read(COUNTER, 8));
    }

    @Test
    @Timeout(120)
    void concurrentExclusiveLoopsLoseNoUpdate() throws Exception {
        // loop: ldxr x3,[x0]; add x3,x3,x1; stxr w4,x3,[x0]; cbnz w4,loop; subs x2,x2,#1; b.ne loop; hvc #0
        load(CODE, 0xc85f7c03, 0x8b010063, 0xc8047c03, 0x35ffffa4, 0xf1000442, 0x54ffff61, 0xd4000002);
        runBoth(CODE, 200_000);
        assertEquals(400_000L, mem.read(COUNTER, 8));
    }

    @Test
    void storeByAnotherPeMakesStoreExclusiveFail() {
        load(CODE, 0xc85f7c01, 0xc8027c03, 0xd4000002); // ldxr x1,[x0]; stxr w2,x3,[x0]; hvc #0
        Cpu c0 = m.cpu(0), c1 = m.cpu(1);
        enterEl1(c0, CODE);
        enterEl1(c1, CODE);
        for (long other : new long[] {COUNTER, COUNTER + 64}) {
            c0.pc = CODE;
            c0.x[0] = COUNTER;
            c0.x[3] = 0x77;
            c0.setBudget(1);
            c0.runUntil(2, SecurityState.NON_SECURE); // LDXR only
            c1.write(other + 8, 8, 0x1234, 0);          // a store by PE 1, in or outside the granule
            c0.setBudget(10);
            assertEquals(Cpu.StopReason.ARRIVED, c0.runUntil(2, SecurityState.NON_SECURE));
            long expected = other == COUNTER ? 1 : 0;
            assertEquals(expected, c0.x[2], "STXR status after a store to " + Long.toHexString(other + 8));
            enterEl1(c0, CODE);
        }
        assertEquals(0x77, mem.read(COUNTER, 8));
    }

    @Test
    @Timeout(60)
    void broadcastTlbiReachesARunningPe() throws Exception {
        broadcastReachesRunningPe(false);
    }

    @Test
    @Timeout(60)
    void invalidationFromANonPeThreadReachesARunningPe() throws Exception {
        broadcastReachesRunningPe(true);
    }

    private void broadcastReachesRunningPe(boolean fromOutside) throws Exception {
        long pa1 = RAM + 0x20000, pa2 = RAM + 0x21000;
        mem.write(pa1, 8, 1);
        mem.write(pa2, 8, 2);
        MmuSetup tables = new MmuSetup(mem, RAM + 0x10000);
        tables.map(0, pa1, 0);
        // spin: ldr x3,[x0]; cmp x3,x1; b.eq spin; hvc #0
        load(CODE, 0xf9400003, 0xeb01007f, 0x54ffffc0, 0xd4000002);
        Cpu c0 = m.cpu(0), c1 = m.cpu(1);
        enterEl1(c0, CODE);
        enterEl1(c1, CODE);
        tables.enable(c0, 0);
        tables.enable(c1, 0);
        c1.x[0] = MmuSetup.WINDOW;
        c1.x[1] = 1;
        c1.setBudget(2_000_000_000L);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Cpu.StopReason> f = pool.submit(() -> c1.runUntil(2, SecurityState.NON_SECURE));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (c1.instructions < 100_000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(c1.instructions >= 100_000, "PE 1 is spinning on the old mapping");
            tables.map(0, pa2, 0);
            if (fromOutside) {
                c0.coherenceDomain().broadcastFromOutside(new TlbOp(TlbOp.EL10, TlbOp.ALL, 0, 0));
            } else {
                c0.tlbMaintenance(new TlbOp(TlbOp.EL10, TlbOp.BY_VA_ALL_ASID, MmuSetup.WINDOW, 0), true);
            }
            assertEquals(Cpu.StopReason.ARRIVED, f.get(30, TimeUnit.SECONDS));
            assertEquals(2, c1.x[3]);
        } finally {
            pool.shutdownNow();
        }
    }
}
