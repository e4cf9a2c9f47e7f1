package dev.cca.core.platform;

import dev.cca.core.gic.Distributor;
import dev.cca.core.mem.MmioDevice;

import java.util.function.LongSupplier;

/**
 * An Arm SP805 watchdog (DDI 0270): a 32-bit down-counter clocked by WDOGCLK, loaded from WdogLoad. When it reaches
 * zero with the interrupt enabled it raises WDOGINT (an SPI) and reloads; reaching zero again with the interrupt
 * still set and WdogControl.RESEN set asserts WDOGRES, which resets the system. Writing WdogIntClr clears the
 * interrupt and reloads. Registers are write-protected unless WdogLock was written with 0x1ACCE551.
 *
 * <p>WDOGCLK is the system counter divided by {@link #COUNTER_DIVIDER}: 1 MHz at the FVP's 100 MHz counter.
 */
public final class Sp805Watchdog implements MmioDevice, TimedDevice {
    public static final int COUNTER_DIVIDER = 100;
    private static final int LOAD = 0x000, VALUE = 0x004, CONTROL = 0x008, INTCLR = 0x00C, RIS = 0x010,
            MIS = 0x014, LOCK = 0xC00;
    private static final int UNLOCK_KEY = 0x1ACCE551;
    private static final int[] ID = {0x05, 0x18, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1};

    private final Distributor gicd;
    private final int spi;
    private final LongSupplier clock;
    private final Runnable reset;
    /** Told when the next deadline may have moved (a register write), so that running PEs look again. */
    private final Runnable rescheduled;
    private long load = 0xFFFF_FFFFL;
    private int control;
    private boolean interrupt;
    private boolean locked;
    /** Counter value at which the down-counter was last loaded. */
    private long loadedAt;

    /** @param clock the system counter; @param reset asserts the system reset (WDOGRES) */
    public Sp805Watchdog(Distributor gicd, int spi, LongSupplier clock, Runnable reset, Runnable rescheduled) {
        this.rescheduled = rescheduled;
        this.gicd = gicd;
        this.spi = spi;
        this.clock = clock;
        this.reset = reset;
    }

    private boolean running() {
        return (control & 1) != 0;
    }

    /** Counter value at which the down-counter reaches zero. */
    private long expiry() {
        return loadedAt + Math.max(load, 1) * COUNTER_DIVIDER;
    }

    @Override
    public synchronized void advance(long now) {
        while (running() && now >= expiry()) {
            long at = expiry();
            if (interrupt) {
                if ((control & 2) != 0) {
                    control = 0; // the system resets: the counter stops until it is programmed again
                    interrupt = false;
                    gicd.setLine(spi, false);
                    reset.run();
                    return;
                }
            }
            interrupt = true;
            gicd.setLine(spi, true);
            loadedAt = at;
        }
    }

    @Override
    public synchronized long nextDeadline() {
        return running() ? expiry() : Long.MAX_VALUE;
    }

    @Override
    public synchronized long read(long offset, int size) {
        int off = (int) offset;
        if (off >= 0xFE0 && off < 0x1000) {
            return ID[(off - 0xFE0) >>> 2];
        }
        long now = clock.getAsLong();
        advance(now);
        switch (off) {
            case LOAD: return load;
            case VALUE: return running() ? Math.max(0, load - (now - loadedAt) / COUNTER_DIVIDER) : load;
            case CONTROL: return control;
            case RIS: return interrupt ? 1 : 0;
            case MIS: return interrupt && running() ? 1 : 0;
            case LOCK: return locked ? 1 : 0;
            default: return 0;
        }
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int off = (int) offset;
        long now = clock.getAsLong();
        advance(now);
        if (off == LOCK) {
            locked = value != UNLOCK_KEY;
            return;
        }
        if (locked) {
            return;
        }
        switch (off) {
            case LOAD:
                load = value & 0xFFFF_FFFFL;
                loadedAt = now;
                break;
            case CONTROL: {
                boolean was = running();
                control = (int) value & 3;
                if (!was && running()) {
                    loadedAt = now; // enabling the interrupt (re)starts the counter from WdogLoad
                }
                gicd.setLine(spi, interrupt && running());
                break;
            }
            case INTCLR:
                interrupt = false;
                loadedAt = now;
                gicd.setLine(spi, false);
                break;
            default:
                break;
        }
        rescheduled.run();
    }

    @Override
    public String name() {
        return "SP805 watchdog";
    }
}
