package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.decode.A64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Random instruction words decode without errors, and executing random code ends cleanly (never a Java error). */
class GarbageExecutionTest {

    @Test
    void everyRandomWordDecodes() {
        Random rnd = new Random(42);
        for (int i = 0; i < 2_000_000; i++) {
            assertNotNull(A64.decode(rnd.nextInt()));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomCodeRunsToACleanStop(long seed) {
        Harness h = new Harness();
        Random rnd = new Random(seed);
        long code = Harness.RAM + 0x10000;
        for (int i = 0; i < 4096; i++) {
            h.mem.write(code + 4L * i, 4, rnd.nextInt() & 0xFFFF_FFFFL);
        }
        // Every EL1 vector skips the faulting instruction: mrs x9, elr_el1; add x9, x9, #4; msr elr_el1, x9; eret
        long vbar = Harness.RAM + 0x4000;
        for (int v = 0; v < 16; v++) {
            h.load(vbar + 0x80L * v, 0xd5384029, 0x91001129, 0xd5184029, 0xd69f03e0);
        }
        h.enterEl1(SecurityState.NON_SECURE, code);
        h.cpu.sr[SysRegs.VBAR_EL1] = vbar;
        for (int r = 0; r < 31; r++) {
            h.cpu.x[r] = rnd.nextBoolean() ? Harness.RAM + rnd.nextInt((int) Harness.RAM_SIZE) : rnd.nextLong();
        }
        h.cpu.setBudget(200_000);
        Cpu.StopReason stop = h.cpu.runUntil(2, SecurityState.NON_SECURE);
        assertNotEquals(Cpu.StopReason.INTERNAL_ERROR, stop,
                () -> "seed " + seed + ": " + h.cpu.stopReport() + " " + h.cpu.internalErrorCause());
    }
}
