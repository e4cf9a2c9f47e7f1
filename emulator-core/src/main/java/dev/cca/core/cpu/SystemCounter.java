package dev.cca.core.cpu;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The system counter shared by the PEs of a machine (the CNTPCT_EL0 time base, docs/time.md).
 *
 * <p>There is no wall clock in the model: each PE's view of the counter advances with the instructions it executes
 * (one tick per instruction) and jumps forward when the PE idles until a timer deadline. Counters of different
 * PEs drift apart when their threads run at different speeds, so this object keeps the highest value any PE has
 * observed: a PE that reads the counter and finds itself behind catches up to it. Reads therefore never go
 * backwards across PEs, and a run on one PE is exactly reproducible.
 */
public final class SystemCounter {
    private final AtomicLong highWater = new AtomicLong();

    /** The highest counter value any PE has published. */
    public long highWater() {
        return highWater.get();
    }

    /** Publishes {@code v}: the high-water mark becomes at least {@code v}. Returns the mark. */
    public long publish(long v) {
        long g = highWater.get();
        while (v > g) {
            if (highWater.compareAndSet(g, v)) {
                return v;
            }
            g = highWater.get();
        }
        return g;
    }
}
