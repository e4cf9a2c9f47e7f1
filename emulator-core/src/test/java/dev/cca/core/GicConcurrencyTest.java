package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.gic.Redistributor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The physical GIC's state and a PE's IRQ line stay consistent when other threads send SGIs to the PE. */
class GicConcurrencyTest {

    /**
     * One thread is the PE (the host at EL2 acknowledging and ending interrupts, as KVM's kick handling does);
     * another sends it SGIs, each as soon as the previous one was acknowledged, so the send races with the PE's
     * end of interrupt. The IRQ line must be high whenever an SGI is pending: once it was lost because the PE's
     * recomputation of the line ("nothing pending") could land after the sender's ("pending"), and the SGI then
     * sat in the redistributor with the line low (a host kick that never kicked).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anSgiSentWhileThePeEndsItsLastInterruptRaisesTheIrqLine() throws Exception {
        Harness h = new Harness();
        Cpu c = h.cpu;
        // Non-secure EL2h, the host's level, where ICC_* are the physical CPU interface.
        c.writeSysReg(SysRegs.SCR_EL3, SysRegs.SCR_NS | SysRegs.SCR_HCE | SysRegs.SCR_RW);
        c.sr[SysRegs.SPSR_EL3] = 0x3C9;
        c.sr[SysRegs.ELR_EL3] = Harness.RAM;
        c.eret();
        assertEquals(2, c.el);
        assertEquals(SecurityState.NON_SECURE, c.securityState());
        Redistributor r = h.machine.gic.redistributor(0);
        for (int sgi = 1; sgi <= 2; sgi++) {
            r.setPriority(sgi, 0xA0);
            r.setEnabled(sgi, true);
        }
        c.writeSysReg(SysRegs.byName("ICC_PMR_EL1"), 0xF8);
        c.writeSysReg(SysRegs.byName("ICC_IGRPEN1_EL1"), 1);

        int rounds = 200_000;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8); // enough rounds to race, bounded time
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicReference<String> lost = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            for (int i = 0; i < rounds && !stop.get(); i++) {
                while (acknowledged.get() < i) {
                    if (stop.get()) {
                        return;
                    }
                    Thread.onSpinWait();
                }
                h.machine.gic.sendSgi(0, 1 + (i & 1)); // alternate: the next SGI is not the active one
            }
        }, "sgi-sender");
        sender.setDaemon(true);
        sender.start();
        int done = 0;
        try {
            for (; done < rounds && System.nanoTime() < deadline; done++) {
                long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (!c.irqPending()) {
                    if (System.nanoTime() > waitUntil) {
                        lost.set("round " + done + ": SGI pending in the redistributor (highest " + r.highestPending()
                                + ") but the PE's IRQ line is low");
                        break;
                    }
                    Thread.onSpinWait();
                }
                if (lost.get() != null) {
                    break;
                }
                long intid = c.readSysReg(SysRegs.byName("ICC_IAR1_EL1"));
                acknowledged.incrementAndGet(); // the next SGI may now arrive during the end of interrupt below
                c.writeSysReg(SysRegs.byName("ICC_EOIR1_EL1"), intid);
            }
        } finally {
            stop.set(true);
            sender.join(5000);
        }
        assertNull(lost.get());
        assertTrue(done > 1000, "only " + done + " rounds ran");
    }
}
