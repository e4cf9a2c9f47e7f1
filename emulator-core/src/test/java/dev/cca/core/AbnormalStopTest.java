package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Firmware;
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

    /**
     * A hypervisor at EL2 (a Java model here, KVM or the RMM in a run) that answers an instruction abort by
     * re-entering the guest at the same address: with exception returns in between, the same abort with nothing
     * executed between two of them is still a loop, and the report says what came before it.
     */
    @Test
    void theSameAbortTakenAgainWithNoInstructionInBetweenStopsEvenAcrossExceptionReturns() {
        Harness h = new Harness();
        h.load(CODE, 0xd503201f); // nop
        int[] entries = {0};
        h.cpu.setFirmware(2, SecurityState.NON_SECURE, new Firmware() {
            @Override
            public void enter(Cpu cpu, Entry entry) {
                entries[0]++;
                cpu.eret(); // retry at ELR_EL2: the same fetch faults again
            }

            @Override
            public String name() {
                return "retrying hypervisor";
            }
        });
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.HCR_EL2] |= SysRegs.HCR_VM; // stage 2 on, with no tables: the fetch faults to EL2
        h.cpu.sr[SysRegs.VTTBR_EL2] = 0;
        h.cpu.onTranslationRegimeChange();
        h.cpu.setBudget(1_000_000);
        // Run until EL3 (never reached): the firmware at EL2 handles the exits.
        assertEquals(Cpu.StopReason.EXCEPTION_LOOP, h.cpu.runUntil(3, SecurityState.ROOT));
        assertEquals(Cpu.NO_PROGRESS_LIMIT, entries[0], "the hypervisor saw every abort, then the PE stopped");
        StopReport r = h.cpu.stopReport();
        assertEquals(1, r.el());
        assertEquals(Esr.EC_IABT_LOWER, Esr.ec(r.esr()));
        assertTrue(r.toString().contains("with no instruction completing in between"), r.toString());
    }

    @Test
    void aHypervisorThatResolvesAFaultAfterAFewRetriesIsNotALoop() {
        Harness h = new Harness();
        h.load(CODE, 0xd2800020, 0xd4000002); // mov x0, #1; hvc #0
        int[] faults = {0};
        h.cpu.setFirmware(2, SecurityState.NON_SECURE, new Firmware() {
            @Override
            public void enter(Cpu cpu, Entry entry) {
                if (Esr.ec(cpu.sr[SysRegs.ESR_EL2]) == Esr.EC_HVC64) {
                    cpu.x[1] = 0x600D;
                    cpu.requestStop();
                } else if (++faults[0] == Cpu.NO_PROGRESS_LIMIT / 2) {
                    cpu.sr[SysRegs.HCR_EL2] &= ~SysRegs.HCR_VM; // "maps the page": stage 2 off
                    cpu.onTranslationRegimeChange();
                }
                cpu.eret();
            }

            @Override
            public String name() {
                return "slow hypervisor";
            }
        });
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.HCR_EL2] |= SysRegs.HCR_VM;
        h.cpu.sr[SysRegs.VTTBR_EL2] = 0;
        h.cpu.onTranslationRegimeChange();
        h.cpu.setBudget(1_000_000);
        assertEquals(Cpu.StopReason.STOP_REQUESTED, h.cpu.runUntil(3, SecurityState.ROOT));
        assertEquals(0x600D, h.cpu.x[1], "the guest ran to its HVC");
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
