package dev.cca.core.platform;

import dev.cca.core.Machine;
import dev.cca.core.gic.GicMmio;
import dev.cca.core.mem.PhysicalMemory;

import java.io.OutputStream;
import java.util.List;

/**
 * The devices of Arm's FVP Base platform that bare-metal Non-secure software expects (cca run --host-image), at
 * the FVP's addresses:
 *
 * <pre>
 *   0x1C09_0000 .. 0x1C0C_0000  PL011 UART0..UART3 (all write to the console)
 *   0x1C0F_0000                 SP805 watchdog, SPI 32
 *   0x2A44_0000 / 0x2A45_0000   SBSA generic watchdog control / refresh frames, WS0 = SPI 59
 *   0x2F00_0000                 GICv3 distributor (64 KiB)
 *   0x2F10_0000                 GICv3 redistributors, 128 KiB per PE
 * </pre>
 *
 * Time for the watchdogs is the system counter: the highest count any running PE has reached (docs/time.md).
 */
public final class FvpDevices {
    public static final long UART0 = 0x1C09_0000L, UART1 = 0x1C0A_0000L, UART2 = 0x1C0B_0000L,
            UART3 = 0x1C0C_0000L, UART_SIZE = 0x1_0000L;
    public static final long SP805 = 0x1C0F_0000L, SP805_SIZE = 0x1_0000L;
    public static final int SP805_SPI = 32;
    public static final long GENERIC_WDOG_CONTROL = 0x2A44_0000L, GENERIC_WDOG_REFRESH = 0x2A45_0000L;
    public static final int GENERIC_WDOG_SPI = 59;
    public static final long GICD = 0x2F00_0000L, GICD_SIZE = 0x1_0000L, GICR = 0x2F10_0000L;

    private final Machine machine;
    public final List<Pl011> uarts;
    public final Sp805Watchdog sp805;
    public final GenericWatchdog genericWatchdog;
    private final List<TimedDevice> timed;

    /** Maps the devices into {@code machine}'s physical memory. {@code reset} is the system reset request line. */
    public FvpDevices(Machine machine, OutputStream console, Runnable reset) {
        this.machine = machine;
        PhysicalMemory mem = machine.memory;
        uarts = List.of(new Pl011(console), new Pl011(console), new Pl011(console), new Pl011(console));
        long[] bases = {UART0, UART1, UART2, UART3};
        for (int i = 0; i < 4; i++) {
            mem.addDevice(bases[i], UART_SIZE, uarts.get(i));
        }
        var gicd = machine.gic.distributor();
        sp805 = new Sp805Watchdog(gicd, SP805_SPI, this::now, reset, this::rescheduled);
        mem.addDevice(SP805, SP805_SIZE, sp805);
        genericWatchdog = new GenericWatchdog(gicd, GENERIC_WDOG_SPI, this::now, reset,
                this::rescheduled);
        mem.addDevice(GENERIC_WDOG_CONTROL, 0x1000, genericWatchdog.control);
        mem.addDevice(GENERIC_WDOG_REFRESH, 0x1000, genericWatchdog.refresh);
        mem.addDevice(GICD, GICD_SIZE, GicMmio.distributor(machine.gic));
        mem.addDevice(GICR, (long) machine.cpuCount() * 0x2_0000L, GicMmio.redistributors(machine.gic));
        timed = List.of(sp805, genericWatchdog);
    }

    private volatile java.util.function.IntPredicate running = pe -> true;

    /**
     * Says which PEs are running (powered on): only their counters move the devices' time. A PE that is off keeps
     * the count it had, which may be ahead of what it published and of the others.
     */
    public void setRunning(java.util.function.IntPredicate running) {
        this.running = running;
    }

    /**
     * A device's next deadline may have moved: every running PE ends its instruction chunk soon (within one
     * interpreter step of 4096 instructions) so that its next chunk ends at the new deadline.
     */
    private void rescheduled() {
        java.util.function.IntPredicate on = running;
        for (int i = 0; i < machine.cpuCount(); i++) {
            if (on.test(i)) {
                machine.cpu(i).requestStop();
            }
        }
    }

    /** The system counter as devices see it: the highest count published, or reached by a running PE. */
    public long now() {
        long t = machine.counter.highWater();
        java.util.function.IntPredicate on = running;
        for (int i = 0; i < machine.cpuCount(); i++) {
            if (on.test(i)) {
                t = Math.max(t, machine.cpu(i).timer.localCount());
            }
        }
        return t;
    }

    /** Lets the timed devices catch up with the counter (called by the PEs' run loops between chunks). */
    public void advance() {
        long t = now();
        for (TimedDevice d : timed) {
            d.advance(t);
        }
    }

    /** The earliest counter value at which a device changes state, or Long.MAX_VALUE. */
    public long nextDeadline() {
        long t = Long.MAX_VALUE;
        for (TimedDevice d : timed) {
            t = Math.min(t, d.nextDeadline());
        }
        return t;
    }

    /** Flushes the UARTs' output. */
    public void flush() {
        uarts.forEach(Pl011::flush);
    }
}
