package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.StopReport;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.MmioDevice;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests that cannot make progress end with a report (PC, ESR, EL), never a hang or a JVM-level failure. */
class AbnormalStopTest {
    static final long CODE = Harness.RAM + 0x1000;

    @Test
    void undefinedInstructionWithVectorsInUnmappedMemoryStopsAsAnExceptionLoop() {
        Harness h = new Harness();
        h.load(CODE, 0x00000000); // udf #0
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = 0x1000_0000L; // nothing there
        assertEquals(Cpu.StopReason.EXCEPTION_LOOP, h.runToEl2(SecurityState.NON_SECURE));
        StopReport r = h.cpu.stopReport();
        assertNotNull(r);
        assertEquals(1, r.el());
        assertEquals(Esr.EC_IABT_CUR, Esr.ec(r.esr()));
        assertEquals(0x1000_0200L, r.pc());
        assertTrue(r.toString().contains("pc=0x10000200"), r.toString());
        assertTrue(r.toString().contains("external abort"), r.toString());
    }

    @Test
    void garbageAtTheVectorStopsAsAnExceptionLoop() {
        Harness h = new Harness();
        long vbar = Harness.RAM + 0x8000; // zero-filled RAM: UDF #0 at every vector
        h.load(CODE, 0xd4000001); // svc #0
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = vbar;
        assertEquals(Cpu.StopReason.EXCEPTION_LOOP, h.runToEl2(SecurityState.NON_SECURE));
        StopReport r = h.cpu.stopReport();
        assertEquals(Esr.EC_UNKNOWN, Esr.ec(r.esr()));
        assertEquals(vbar + 0x200, r.pc());
        assertEquals(0, r.word());
    }

    @Test
    void jumpToUnmappedMemoryWithoutVectorsStops() {
        Harness h = new Harness();
        h.load(CODE, 0xd61f0000); // br x0
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.x[0] = 0x2000_0000L;
        assertEquals(Cpu.StopReason.EXCEPTION_LOOP, h.runToEl2(SecurityState.NON_SECURE));
        assertTrue(h.cpu.instructions < 100, "detected within a few exceptions");
    }

    @Test
    void exceptionsWithReturnsInBetweenAreNotALoop() {
        Harness h = new Harness();
        long vbar = Harness.RAM + 0x4000;
        // loop: svc #0; b loop -- the handler (eret) returns each time; stops at the budget, not as a loop.
        h.load(CODE, 0xd4000001, 0x17ffffff);
        h.load(vbar + 0x200, 0xd69f03e0); // eret
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = vbar;
        h.cpu.setBudget(10_000);
        assertEquals(Cpu.StopReason.BUDGET, h.cpu.runUntil(2, SecurityState.NON_SECURE));
    }

    @Test
    void aFailingDeviceModelStopsWithAnInternalErrorReport() {
        Harness h = new Harness();
        h.mem.addDevice(0x0900_0000L, 0x1000, new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                throw new IllegalStateException("device model bug");
            }

            @Override
            public void write(long offset, int size, long value) {
            }

            @Override
            public String name() {
                return "broken";
            }
        });
        h.load(CODE, 0xf9400001); // ldr x1, [x0]
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.x[0] = 0x0900_0000L;
        assertEquals(Cpu.StopReason.INTERNAL_ERROR, h.runToEl2(SecurityState.NON_SECURE));
        StopReport r = h.cpu.stopReport();
        assertEquals(CODE, r.pc());
        assertEquals(0xf9400001L, r.word());
        assertTrue(r.toString().contains("device model bug"), r.toString());
        assertTrue(h.cpu.internalErrorCause() instanceof IllegalStateException);
    }
}
