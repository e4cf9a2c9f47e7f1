package dev.cca.core.cpu;

import dev.cca.core.mem.Page;

/**
 * One PE's local exclusive monitor (Arm ARM B2.9): the granule a load-exclusive marked and the values it returned.
 * The global side (another PE's store to the marked granule clears the mark) lives in {@link CoherenceDomain},
 * which updates {@link #page}, {@link #pa} and {@link #lost} under its lock.
 */
public final class ExclusiveMonitor {
    /** The physical address marked by the last load-exclusive, or -1; its page (null for a device or none). */
    long pa = -1;
    Page page;
    /** Set by another PE's store to the marked granule (under the domain's lock). */
    volatile boolean lost;
    private int size;
    private long value, value2;
    private long va;

    /** Records what the load-exclusive read; the domain has marked {@code pa} already. */
    void set(long va, int size, long v1, long v2) {
        this.va = va;
        this.size = size;
        this.value = v1;
        this.value2 = v2;
    }

    /** Whether the monitor holds a mark (a clear is then needed on exception entry and return). */
    boolean armed() {
        return page != null || pa != -1;
    }

    /** The VA the last load-exclusive used, or -1 when the monitor is open. */
    long va() {
        return pa == -1 ? -1 : va;
    }

    /** Whether a store-exclusive of {@code size} bytes to {@code pa} may succeed. */
    boolean passes(long pa, int size) {
        return this.pa == pa && this.size == size && !lost;
    }

    long value() {
        return value;
    }

    long value2() {
        return value2;
    }

    long address() {
        return pa;
    }
}
