package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.mem.Pas;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.smc.Rmi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Granule delegation changes the GPT, after which every PE must drop the translations that cached the old GPI
 * (TLBI RPAOS + DSB at EL3). PEs run on threads of their own and only a PE's thread may touch its TLB, so the
 * monitor must reach the others through the coherence domain's broadcast, not by flushing their TLBs itself.
 *
 * <p>Here every PE runs the same host program at Non-secure EL2 on its own thread: it loads and stores across a
 * few pages (filling its TLB all the time) and delegates and undelegates a granule of its own (two world switches
 * and two GPT changes per round), so GPT changes made by one PE land while the others are in the middle of their
 * loads, stores and TLB refills.
 */
class GranuleTransitionConcurrencyTest {
    static final int PES = 3;
    static final int ROUNDS = 5000;
    static final int PAGES = 16;
    static final long CODE = HostPlatform.DRAM_BASE + 0x10_0000L;
    static final long DATA = HostPlatform.DRAM_BASE + 0x20_0000L;
    static final long GRANULES = HostPlatform.DRAM_BASE + 0x40_0000L;
    /** Per PE: PAGES data pages, then a page of results (rounds done, failing status, finished flag). */
    static final long PE_STRIDE = (PAGES + 1) * 4096L;
    static final int DONE = 0, STATUS = 8, FINISHED = 16;

    final HostPlatform platform = new HostPlatform(PES, 64L << 20);
    final CcaFirmware fw = CcaFirmware.install(platform);

    /** x19 data base, x20 granule, x21 rounds left, x26 results page. */
    static int[] program() {
        Asm a = new Asm();
        int round = a.here();
        a.movReg(22, 19).mov(23, PAGES);
        int touch = a.here();
        a.ldr(24, 22, 0).word(addImm(24, 24, 1)).str(24, 22, 0).word(addImm4k(22, 22))
                .sub(23, 23, 1).word(cbnz(23, touch - a.here()));
        a.mov(0, Rmi.GRANULE_DELEGATE).movReg(1, 20).smc();
        int failDelegate = a.here();
        a.word(0); // patched: cbnz x0, fail
        a.mov(0, Rmi.GRANULE_UNDELEGATE).movReg(1, 20).smc();
        int failUndelegate = a.here();
        a.word(0);
        a.ldr(24, 26, DONE).word(addImm(24, 24, 1)).str(24, 26, DONE)
                .sub(21, 21, 1).word(cbnz(21, round - a.here()));
        a.mov(24, 1).str(24, 26, FINISHED).hvc();
        int fail = a.here();
        a.str(0, 26, STATUS).mov(24, 1).str(24, 26, FINISHED).hvc();
        int[] w = a.words();
        w[failDelegate] = cbnz(0, fail - failDelegate);
        w[failUndelegate] = cbnz(0, fail - failUndelegate);
        return w;
    }

    static int addImm(int xd, int xn, int imm) {
        return 0x91000000 | (imm << 10) | (xn << 5) | xd;
    }

    static int addImm4k(int xd, int xn) {
        return 0x91400000 | (1 << 10) | (xn << 5) | xd; // ADD Xd, Xn, #1, LSL #12
    }

    static int cbnz(int xt, int offsetWords) {
        return 0xB5000000 | ((offsetWords & 0x7FFFF) << 5) | xt;
    }

    long results(int pe) {
        return DATA + pe * PE_STRIDE + PAGES * 4096L;
    }

    @Test
    @Timeout(300)
    void delegationOnSeveralPesWhileOthersRunKeepsEveryPeRunning() throws Exception {
        Cpu c0 = platform.machine.cpu(0);
        int[] code = program();
        for (int i = 0; i < code.length; i++) {
            c0.physWrite(CODE + 4L * i, 4, code[i] & 0xFFFF_FFFFL, Pas.NON_SECURE);
        }
        ExecutorService pool = Executors.newFixedThreadPool(PES);
        try {
            List<Future<Cpu.StopReason>> runs = new ArrayList<>();
            for (int pe = 0; pe < PES; pe++) {
                Cpu c = platform.machine.cpu(pe);
                long results = results(pe);
                c.x[19] = DATA + pe * PE_STRIDE;
                c.x[20] = GRANULES + pe * 4096L;
                c.x[21] = ROUNDS;
                c.x[26] = results;
                c.pc = CODE;
                c.setBudget(200_000_000L);
                runs.add(pool.submit(() -> {
                    // Each SMC returns to Non-secure EL2 (ARRIVED); the program's final HVC does too.
                    while (true) {
                        Cpu.StopReason r = c.runUntil(2, SecurityState.NON_SECURE);
                        if (r != Cpu.StopReason.ARRIVED || c.physRead(results + FINISHED, 8, Pas.NON_SECURE) != 0) {
                            return r;
                        }
                    }
                }));
            }
            for (int pe = 0; pe < PES; pe++) {
                Cpu.StopReason r = runs.get(pe).get(240, TimeUnit.SECONDS);
                Cpu c = platform.machine.cpu(pe);
                assertEquals(Cpu.StopReason.ARRIVED, r, "PE " + pe + " stopped: " + c.stopReport());
                long results = results(pe);
                assertEquals(0, c.physRead(results + STATUS, 8, Pas.NON_SECURE), "PE " + pe + ": failing RMI status");
                assertEquals(ROUNDS, c.physRead(results + DONE, 8, Pas.NON_SECURE), "PE " + pe + ": rounds done");
                for (int p = 0; p < PAGES; p++) {
                    assertEquals(ROUNDS, c.physRead(DATA + pe * PE_STRIDE + p * 4096L, 8, Pas.NON_SECURE),
                            "PE " + pe + ": a store was lost on page " + p);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
