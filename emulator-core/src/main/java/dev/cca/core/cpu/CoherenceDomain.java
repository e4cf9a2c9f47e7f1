package dev.cca.core.cpu;

import dev.cca.core.mem.Page;

import java.util.Arrays;

/**
 * The PEs that share one physical memory (one Inner Shareable domain): the target of broadcast TLB maintenance and
 * the home of the global exclusive monitor. A {@link dev.cca.core.Machine} puts all its PEs in one domain; a PE
 * created on its own is alone in its domain.
 *
 * <h2>Broadcast TLB maintenance</h2>
 * PEs may run on different threads at the same time. A broadcast TLBI (the IS forms, or any form under
 * HCR_EL2.FB) must have taken effect on every other PE before that PE's next memory access after the TLBI
 * completes (Arm ARM D8.13, "TLB maintenance instructions" and the completion by DSB). The protocol:
 * <ol>
 *   <li>the issuing PE posts the operation into each other PE's inbox ({@link Cpu#postTlbOp});</li>
 *   <li>a PE polls its inbox before every instruction while it executes (one volatile read) and when it starts
 *       executing, and applies the operations to its own TLB (only the owning thread ever touches a TLB);</li>
 *   <li>the issuing PE waits until every PE that is currently executing has acknowledged, draining its own inbox
 *       meanwhile so two PEs broadcasting at once cannot deadlock. A PE that is not executing (idle, parked, or
 *       running a firmware model) is not waited for: it applies the operation before it executes again.</li>
 * </ol>
 * So the TLBI instruction itself completes only when the invalidation is visible everywhere, which is at least as
 * strong as the architecture's TLBI + DSB requirement.
 *
 * <h2>Global exclusive monitor</h2>
 * A load-exclusive marks the physical address range of its exclusives reservation granule (64 bytes,
 * CTR_EL0.ERG = 4) on the issuing PE. A store by any other PE that overlaps a marked granule clears that PE's
 * mark, so its store-exclusive fails. Pages with at least one mark carry a count ({@link Page#monitors}), so that
 * stores to other pages pay one volatile read and nothing else. The store-exclusive itself is a compare-and-set of
 * the value the load-exclusive read, so a store that lands between the mark check and the write is still seen
 * unless it wrote the same value (then the outcome equals an order in which it came first).
 */
public final class CoherenceDomain {
    /** Exclusives reservation granule in bytes (CTR_EL0.ERG = 4: 16 words). */
    public static final int ERG_BYTES = 64;

    private volatile Cpu[] members = new Cpu[0];
    private final Object monitorLock = new Object();

    /** Adds a PE to this domain (done once when a machine is assembled). */
    public synchronized void add(Cpu c) {
        Cpu[] m = Arrays.copyOf(members, members.length + 1);
        m[m.length - 1] = c;
        members = m;
    }

    public Cpu[] members() {
        return members.clone();
    }

    // ---- TLB maintenance ---------------------------------------------------------------------------------------

    /**
     * Applies {@code op} on {@code from} at once and on every other PE of the domain before this method returns
     * (for PEs that are executing) or before they execute again (for the others).
     */
    public void broadcast(Cpu from, TlbOp op) {
        from.applyTlbOp(op);
        Cpu[] m = members;
        if (m.length <= 1) {
            return;
        }
        long[] seq = new long[m.length];
        for (int i = 0; i < m.length; i++) {
            if (m[i] != from) {
                seq[i] = m[i].postTlbOp(op);
            }
        }
        for (int i = 0; i < m.length; i++) {
            if (m[i] != from) {
                while (!m[i].tlbOpApplied(seq[i])) {
                    from.drainTlbInbox();
                    Thread.onSpinWait();
                }
            }
        }
    }

    /**
     * Applies {@code op} on every PE of the domain from a thread that is not a PE's (a hypervisor model changing
     * stage-2 tables, a VMM): PEs that are executing apply it before this returns, the others before they next
     * execute. The TLBs are only ever touched by their own PE's thread.
     */
    public void broadcastFromOutside(TlbOp op) {
        Cpu[] m = members;
        long[] seq = new long[m.length];
        for (int i = 0; i < m.length; i++) {
            seq[i] = m[i].postTlbOp(op);
        }
        for (int i = 0; i < m.length; i++) {
            while (!m[i].tlbOpApplied(seq[i])) {
                Thread.onSpinWait();
            }
        }
    }

    // ---- global exclusive monitor --------------------------------------------------------------------------------

    /** Marks the granule of {@code pa} for {@code c}, releasing any previous mark it held. */
    void mark(Cpu c, Page page, long pa) {
        synchronized (monitorLock) {
            Page old = c.monitor.page;
            if (old != null) {
                old.monitors--;
            }
            if (page != null) {
                page.monitors++;
            }
            c.monitor.page = page;
            c.monitor.pa = pa;
            c.monitor.lost = false;
        }
    }

    /** Releases {@code c}'s mark (CLREX, exception entry or return, store-exclusive). */
    void release(Cpu c) {
        synchronized (monitorLock) {
            Page old = c.monitor.page;
            if (old != null) {
                old.monitors--;
            }
            c.monitor.page = null;
            c.monitor.pa = -1;
        }
    }

    /** A store by {@code from} to {@code [off, off+size)} of {@code page}: clears other PEs' overlapping marks. */
    public void onStore(Cpu from, Page page, int off, int size) {
        long lo = (page.address + off) & -ERG_BYTES;
        long hi = (page.address + off + size - 1) & -ERG_BYTES;
        synchronized (monitorLock) {
            for (Cpu c : members) {
                if (c != from && c.monitor.page == page) {
                    long g = c.monitor.pa & -ERG_BYTES;
                    if (g >= lo && g <= hi) {
                        c.monitor.lost = true;
                    }
                }
            }
        }
    }
}
