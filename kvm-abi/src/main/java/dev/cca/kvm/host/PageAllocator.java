package dev.cca.kvm.host;

import java.util.BitSet;

/**
 * The host kernel's physical page allocator over the platform's DRAM (4 KiB pages). Allocation is first-fit;
 * {@link #allocContiguous} serves naturally aligned blocks (stage-2 root tables).
 */
public final class PageAllocator {
    public static final long PAGE = 4096;
    private final long base;
    private final int pages;
    private final BitSet used;
    private int hint;

    public PageAllocator(long base, long size) {
        this.base = base;
        this.pages = Math.toIntExact(size / PAGE);
        this.used = new BitSet(pages);
    }

    /** One page, or -1 when memory is exhausted. */
    public synchronized long alloc() {
        int i = used.nextClearBit(hint);
        if (i >= pages) {
            i = used.nextClearBit(0);
            if (i >= pages) {
                return -1;
            }
        }
        used.set(i);
        hint = i + 1;
        return base + i * PAGE;
    }

    /** {@code n} contiguous pages aligned to {@code n} pages (n a power of two), or -1. */
    public synchronized long allocContiguous(int n) {
        for (int i = 0; i + n <= pages; i += n) {
            int next = used.nextSetBit(i);
            if (next < 0 || next >= i + n) {
                used.set(i, i + n);
                return base + i * PAGE;
            }
            i = (next / n) * n;
        }
        return -1;
    }

    public synchronized void free(long pa) {
        int i = (int) ((pa - base) / PAGE);
        if (i < 0 || i >= pages || !used.get(i)) {
            throw new IllegalArgumentException(String.format("freeing a page that is not allocated: %#x", pa));
        }
        used.clear(i);
        if (i < hint) {
            hint = i;
        }
    }

    public synchronized int freePages() {
        return pages - used.cardinality();
    }

    public int totalPages() {
        return pages;
    }
}
