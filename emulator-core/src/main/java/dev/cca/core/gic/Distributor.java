package dev.cca.core.gic;

/**
 * The shared peripheral interrupts (SPIs, INTIDs 32 and up) of the physical GICv3 distributor: enable, pending,
 * active, priority, edge/level configuration, the input lines driven by devices, and the routing of each SPI to one
 * PE (GICD_IROUTER<n>, affinity routing). A PE's redistributor asks {@link #highestPendingFor} for the SPIs routed
 * to it, so the CPU interface sees SPIs and PPIs as one priority order.
 *
 * <p>Locking: a redistributor may call in here while holding its own lock; this class never calls a redistributor
 * while holding its own, and notifies the PEs whose state changed after releasing it.
 */
public final class Distributor {
    /** Number of SPIs: INTIDs 32..{@code 32 + SPIS - 1} (GICD_TYPER.ITLinesNumber = 4). */
    public static final int SPIS = 128;
    public static final int FIRST_SPI = 32;
    public static final int LIMIT = FIRST_SPI + SPIS;
    private static final int WORDS = SPIS / 32;
    /** GICD_IROUTER.Interrupt_Routing_Mode: any PE that participates (1 of N). */
    public static final long IROUTER_IRM = 1L << 31;

    private final Gic gic;
    private final int[] enabled = new int[WORDS];
    private final int[] latched = new int[WORDS];
    private final int[] lines = new int[WORDS];
    private final int[] active = new int[WORDS];
    private final int[] level = new int[WORDS];
    private final int[] group = new int[WORDS];
    private final int[] groupMod = new int[WORDS];
    private final int[] priority = new int[SPIS];
    private final long[] router = new long[SPIS];
    /** The PE each SPI is delivered to (resolved from its router value), -1 if none. */
    private final int[] target = new int[SPIS];
    private int ctlr;

    Distributor(Gic gic) {
        this.gic = gic;
        reset();
    }

    /** Powers the distributor up in its reset state (everything disabled, level-sensitive, routed to PE 0). */
    public synchronized void reset() {
        java.util.Arrays.fill(enabled, 0);
        java.util.Arrays.fill(latched, 0);
        java.util.Arrays.fill(active, 0);
        java.util.Arrays.fill(level, -1);
        java.util.Arrays.fill(group, 0);
        java.util.Arrays.fill(groupMod, 0);
        java.util.Arrays.fill(priority, 0);
        java.util.Arrays.fill(router, 0);
        java.util.Arrays.fill(target, 0);
        ctlr = 0;
    }

    public static boolean isSpi(int intid) {
        return intid >= FIRST_SPI && intid < LIMIT;
    }

    private static void check(int intid) {
        if (!isSpi(intid)) {
            throw new IllegalArgumentException("not an SPI of this distributor: " + intid);
        }
    }

    /** Notifies every PE: a change may have moved an SPI's delivery between PEs. */
    private void notifyAllPes() {
        for (int i = 0; i < gic.peCount(); i++) {
            gic.redistributor(i).changed();
        }
    }

    private void notifyTarget(int intid) {
        int t;
        synchronized (this) {
            t = target[intid - FIRST_SPI];
        }
        if (t >= 0) {
            gic.redistributor(t).changed();
        }
    }

    private interface Update {
        void apply(int word, int bit);
    }

    private void update(int intid, Update u) {
        check(intid);
        int n = intid - FIRST_SPI;
        synchronized (this) {
            u.apply(n >>> 5, 1 << (n & 31));
        }
        notifyTarget(intid);
    }

    /** Drives the input line of an SPI (a device's interrupt output). An edge-triggered SPI latches on a rise. */
    public void setLine(int intid, boolean high) {
        update(intid, (w, b) -> {
            boolean was = (lines[w] & b) != 0;
            if (was != high) {
                lines[w] = high ? lines[w] | b : lines[w] & ~b;
                if (high && (level[w] & b) == 0) {
                    latched[w] |= b;
                }
            }
        });
    }

    public void setPending(int intid, boolean on) {
        update(intid, (w, b) -> latched[w] = on ? latched[w] | b : latched[w] & ~b);
    }

    public void setEnabled(int intid, boolean on) {
        update(intid, (w, b) -> enabled[w] = on ? enabled[w] | b : enabled[w] & ~b);
    }

    public void setActive(int intid, boolean on) {
        update(intid, (w, b) -> active[w] = on ? active[w] | b : active[w] & ~b);
    }

    /** Pending to active (an acknowledge by the PE the SPI is routed to). */
    public void acknowledge(int intid) {
        update(intid, (w, b) -> {
            latched[w] &= ~b;
            active[w] |= b;
        });
    }

    public void deactivate(int intid) {
        setActive(intid, false);
    }

    public void setPriority(int intid, int prio) {
        check(intid);
        synchronized (this) {
            priority[intid - FIRST_SPI] = prio & Redistributor.PRIORITY_MASK;
        }
        notifyTarget(intid);
    }

    public synchronized int priority(int intid) {
        check(intid);
        return priority[intid - FIRST_SPI];
    }

    /** Sets GICD_IROUTER<n>: {@code Aff3.Aff2.Aff1.Aff0} of the target PE, or IRM = 1 for any PE. */
    public void setRouter(int intid, long value) {
        check(intid);
        synchronized (this) {
            int n = intid - FIRST_SPI;
            router[n] = value & (0xFF_0000_80FF_FFFFL);
            target[n] = resolve(router[n]);
        }
        notifyAllPes();
    }

    public synchronized long router(int intid) {
        check(intid);
        return router[intid - FIRST_SPI];
    }

    /** The PE an IROUTER value names: its affinity, or PE 0 for 1-of-N routing; -1 if no PE has that affinity. */
    private int resolve(long r) {
        if ((r & IROUTER_IRM) != 0) {
            return 0;
        }
        long aff = (r & 0xFF_FFFFL) | ((r >>> 32) & 0xFF) << 24;
        for (int i = 0; i < gic.peCount(); i++) {
            if (gic.redistributor(i).affinity() == aff) {
                return i;
            }
        }
        return -1;
    }

    public synchronized boolean isPending(int intid) {
        check(intid);
        int n = intid - FIRST_SPI;
        return (((latched[n >>> 5] | (lines[n >>> 5] & level[n >>> 5])) >>> (n & 31)) & 1) != 0;
    }

    public synchronized boolean isActive(int intid) {
        check(intid);
        int n = intid - FIRST_SPI;
        return ((active[n >>> 5] >>> (n & 31)) & 1) != 0;
    }

    public synchronized boolean isEnabled(int intid) {
        check(intid);
        int n = intid - FIRST_SPI;
        return ((enabled[n >>> 5] >>> (n & 31)) & 1) != 0;
    }

    /**
     * The highest-priority SPI routed to {@code pe} that is pending, enabled and not active, packed as
     * {@code priority << 8 | intid}, or {@link Redistributor#NONE}. Nothing is forwarded while the distributor's
     * Group 1 enables (GICD_CTLR.EnableGrp1NS/EnableGrp1A) are both clear.
     */
    public synchronized int highestPendingFor(int pe) {
        if ((ctlr & 3) == 0) {
            return Redistributor.NONE;
        }
        int best = Redistributor.NONE;
        for (int w = 0; w < WORDS; w++) {
            int cand = (latched[w] | (lines[w] & level[w])) & enabled[w] & ~active[w];
            while (cand != 0) {
                int b = Integer.numberOfTrailingZeros(cand);
                cand &= cand - 1;
                int n = (w << 5) + b;
                if (target[n] != pe) {
                    continue;
                }
                int p = priority[n];
                if (best == Redistributor.NONE || p < (best >>> 8)) {
                    best = (p << 8) | (n + FIRST_SPI);
                }
            }
        }
        return best;
    }

    // ---------------------------------------------------------------------------------------------------------
    // GICD_* registers (the MMIO frame), Non-secure view
    // ---------------------------------------------------------------------------------------------------------

    /** GICD_CTLR, Non-secure view: EnableGrp1 (bit 0), EnableGrp1A (bit 1), ARE_NS (bit 4, RAO), RWP reads 0. */
    public synchronized int ctlr() {
        return ctlr | (1 << 4);
    }

    public void setCtlr(int v) {
        synchronized (this) {
            ctlr = v & 3;
        }
        notifyAllPes();
    }

    /** A 32-bit register of one bit per INTID (IGROUPR, ISENABLER, ...), word {@code reg} (INTIDs 32*reg...). */
    synchronized int bits(int kind, int reg) {
        int w = reg - 1;
        if (w < 0 || w >= WORDS) {
            return 0;
        }
        switch (kind) {
            case GicRegs.GROUP: return group[w];
            case GicRegs.ENABLE: return enabled[w];
            case GicRegs.PENDING: return latched[w] | (lines[w] & level[w]);
            case GicRegs.ACTIVE: return active[w];
            case GicRegs.GROUPMOD: return groupMod[w];
            default: return 0;
        }
    }

    /** Writes a bit register: {@code set} for ISxxx / group (write value), {@code clear} for ICxxx. */
    void writeBits(int kind, int reg, int value, boolean set) {
        int w = reg - 1;
        if (w < 0 || w >= WORDS) {
            return;
        }
        synchronized (this) {
            switch (kind) {
                case GicRegs.GROUP: group[w] = value; break;
                case GicRegs.GROUPMOD: groupMod[w] = value; break;
                case GicRegs.ENABLE: enabled[w] = set ? enabled[w] | value : enabled[w] & ~value; break;
                case GicRegs.PENDING: latched[w] = set ? latched[w] | value : latched[w] & ~value; break;
                case GicRegs.ACTIVE: active[w] = set ? active[w] | value : active[w] & ~value; break;
                default: break;
            }
        }
        notifyAllPes();
    }

    /** GICD_ICFGR<reg>: two bits per INTID, bit 1 of each pair = edge-triggered. */
    synchronized int icfgr(int reg) {
        int v = 0;
        for (int i = 0; i < 16; i++) {
            int intid = reg * 16 + i;
            if (isSpi(intid)) {
                int n = intid - FIRST_SPI;
                if (((level[n >>> 5] >>> (n & 31)) & 1) == 0) {
                    v |= 2 << (2 * i);
                }
            }
        }
        return v;
    }

    void setIcfgr(int reg, int v) {
        synchronized (this) {
            for (int i = 0; i < 16; i++) {
                int intid = reg * 16 + i;
                if (isSpi(intid)) {
                    int n = intid - FIRST_SPI;
                    boolean edge = ((v >>> (2 * i + 1)) & 1) != 0;
                    level[n >>> 5] = edge ? level[n >>> 5] & ~(1 << (n & 31)) : level[n >>> 5] | (1 << (n & 31));
                }
            }
        }
        notifyAllPes();
    }
}
