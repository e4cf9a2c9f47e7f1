package dev.cca.core.platform;

import dev.cca.core.gic.Distributor;
import dev.cca.core.mem.MmioDevice;

import java.util.function.LongSupplier;

/**
 * The SBSA generic watchdog (Arm BSA, section "Watchdog"): a control frame (WCS, WOR, WCV) and a refresh frame (WRR)
 * compared against the system counter. An explicit refresh (a write to WRR, WCS or WOR) sets WCV = counter + WOR and
 * clears WS0. When the counter passes WCV the first time WS0 is set (its SPI raised) and WCV reloads; the second
 * time WS1 is set, which resets the system.
 */
public final class GenericWatchdog implements TimedDevice {
    private static final int WCS = 0x000, WOR = 0x008, WCV = 0x010, W_IIDR = 0xFCC, WRR = 0x000;
    /** W_IIDR: Arm as implementer, architecture version 0 (SBSA generic watchdog revision 0). */
    private static final int IIDR = 0x43B;

    private final Distributor gicd;
    private final int spi;
    private final LongSupplier clock;
    private final Runnable reset;
    /** Told when the next deadline may have moved (a register write), so that running PEs look again. */
    private final Runnable rescheduled;
    private boolean enabled, ws0, ws1;
    private long wor;
    private long wcv;

    public GenericWatchdog(Distributor gicd, int spi, LongSupplier clock, Runnable reset, Runnable rescheduled) {
        this.rescheduled = rescheduled;
        this.gicd = gicd;
        this.spi = spi;
        this.clock = clock;
        this.reset = reset;
    }

    private void refresh(long now) {
        wcv = now + wor;
        ws0 = false;
        gicd.setLine(spi, false);
    }

    @Override
    public synchronized void advance(long now) {
        while (enabled && !ws1 && now > wcv) {
            if (!ws0) {
                ws0 = true;
                gicd.setLine(spi, true);
                wcv = wcv + Math.max(wor, 1);
            } else {
                ws1 = true;
                enabled = false;
                reset.run();
            }
        }
    }

    @Override
    public synchronized long nextDeadline() {
        return enabled && !ws1 ? wcv + 1 : Long.MAX_VALUE;
    }

    /** The control frame. */
    public final MmioDevice control = new MmioDevice() {
        @Override
        public long read(long offset, int size) {
            synchronized (GenericWatchdog.this) {
                advance(clock.getAsLong());
                switch ((int) offset) {
                    case WCS: return (enabled ? 1 : 0) | (ws0 ? 2 : 0) | (ws1 ? 4 : 0);
                    case WOR: return wor;
                    case WCV: return size == 8 ? wcv : wcv & 0xFFFF_FFFFL;
                    case WCV + 4: return wcv >>> 32;
                    case W_IIDR: return IIDR;
                    default: return 0;
                }
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            synchronized (GenericWatchdog.this) {
                long now = clock.getAsLong();
                advance(now);
                switch ((int) offset) {
                    case WCS:
                        enabled = (value & 1) != 0;
                        refresh(now);
                        break;
                    case WOR:
                        wor = value & 0xFFFF_FFFFL;
                        refresh(now);
                        break;
                    case WCV:
                        wcv = size == 8 ? value : (wcv & ~0xFFFF_FFFFL) | (value & 0xFFFF_FFFFL);
                        break;
                    case WCV + 4:
                        wcv = (wcv & 0xFFFF_FFFFL) | (value << 32);
                        break;
                    default:
                        break;
                }
            }
            rescheduled.run();
        }

        @Override
        public String name() {
            return "generic watchdog control";
        }
    };

    /** The refresh frame: any write to WRR refreshes. */
    public final MmioDevice refresh = new MmioDevice() {
        @Override
        public long read(long offset, int size) {
            return offset == W_IIDR ? IIDR : 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            if (offset == WRR) {
                synchronized (GenericWatchdog.this) {
                    long now = clock.getAsLong();
                    advance(now);
                    refresh(now);
                }
                rescheduled.run();
            }
        }

        @Override
        public String name() {
            return "generic watchdog refresh";
        }
    };
}
