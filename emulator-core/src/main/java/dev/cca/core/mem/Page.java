package dev.cca.core.mem;

/**
 * One 4 KiB granule of RAM. {@code code} is the decode cache of the CPU that executes from this page: an array of
 * 1024 decoded instructions (element type owned by the CPU), dropped slot by slot when the page is written so that
 * self-modifying code is seen.
 */
public final class Page {
    public static final int SHIFT = 12;
    public static final int SIZE = 1 << SHIFT;
    public static final long MASK = SIZE - 1;

    public final long address;
    public final byte[] data = new byte[SIZE];
    /** Decoded-instruction cache for this page, or null when the page has never been executed. */
    public volatile Object[] code;
    /**
     * Translated code starting in this page (element type owned by the CPU's translator), or null. Dropped as a
     * whole when any byte of the page is written while it holds decoded code.
     */
    public volatile Object translated;
    /**
     * Number of PEs holding an exclusive-monitor mark in this page (maintained by the CPU's coherence domain under
     * its lock). Stores check it so that a store by one PE clears the marks of the others.
     */
    public volatile int monitors;

    Page(long address) {
        this.address = address;
    }

    /** Drops decoded instructions overlapping [offset, offset+size), and all translated code of the page. */
    public void invalidateCode(int offset, int size) {
        Object[] c = code;
        if (c != null) {
            if (translated != null) {
                translated = null;
            }
            int first = offset >>> 2;
            int last = Math.min((offset + size - 1) >>> 2, c.length - 1);
            for (int i = first; i <= last; i++) {
                c[i] = null;
            }
        }
    }
}
