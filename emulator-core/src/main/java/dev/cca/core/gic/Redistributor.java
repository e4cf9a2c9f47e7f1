package dev.cca.core.gic;

/**
 * The physical GICv3 state of one PE's private interrupts (INTIDs 0-31: SGIs 0-15, PPIs 16-31), as its
 * redistributor holds it: enable, pending, active, priority and edge/level configuration, and the input lines of
 * the level-sensitive PPIs (the generic timers, the virtual CPU interface's maintenance interrupt). The SPIs that
 * the {@link Distributor} routes to this PE take part in {@link #highestPending}, {@link #acknowledge} and
 * {@link #deactivate}.
 *
 * <p>All physical interrupts are Non-secure Group 1 (the host's group). State may be changed from any thread
 * (another PE sends an SGI); every change notifies the listener, which is the PE's CPU interface recomputing its
 * IRQ output. Priorities keep the five most significant bits, as ICC_CTLR_EL1.PRIbits advertises.
 */
public final class Redistributor {
    /** Value returned by {@link #highestPending} when nothing is pending and enabled. */
    public static final int NONE = -1;
    public static final int PRIORITY_MASK = 0xF8;

    public final int pe;
    /** The PE's affinity as GICR_TYPER reports it: Aff3 << 24 | Aff2 << 16 | Aff1 << 8 | Aff0. */
    private final long affinity;
    private final Distributor distributor;
    private int enabled;
    /** GICR_WAKER.ProcessorSleep (bit 1); ChildrenAsleep (bit 2) follows it. */
    private int waker = 1 << 1;
    private int group;
    private int groupMod;
    /** Latched pending state (SGIs, edge PPIs, software set-pending). */
    private int latched;
    /** Input line levels of level-sensitive interrupts. */
    private int lines;
    private int active;
    /** Bit set: the interrupt is level-sensitive (GICR_ICFGR1). SGIs are always edge. */
    private int level;
    private final int[] priority = new int[32];
    private volatile Runnable listener = () -> { };

    Redistributor(int pe, long mpidr, Distributor distributor) {
        this.pe = pe;
        this.affinity = (mpidr & 0xFF_FFFFL) | ((mpidr >>> 32) & 0xFF) << 24;
        this.distributor = distributor;
        reset();
    }

    /** The reset state: nothing enabled, pending or active; the timers' and maintenance PPIs level-sensitive. */
    public void reset() {
        synchronized (this) {
            enabled = 0;
            latched = 0;
            active = 0;
            java.util.Arrays.fill(priority, 0);
            // PPIs driven by the architected timers and the GIC maintenance interrupt are level-sensitive.
            level = (1 << 25) | (1 << 26) | (1 << 27) | (1 << 28) | (1 << 29) | (1 << 30);
            waker = 1 << 1;
            group = 0;
            groupMod = 0;
        }
        listener.run();
    }

    /** Affinity of this redistributor's PE (GICR_TYPER[63:32]). */
    public long affinity() {
        return affinity;
    }

    /** Something this PE's interrupt output depends on changed (an SPI routed here, the distributor). */
    void changed() {
        listener.run();
    }

    synchronized int waker() {
        int sleep = waker & 2;
        return sleep | (sleep << 1);
    }

    synchronized void setWaker(int v) {
        waker = v & 2;
    }

    /** GICR_ICFGR1: bit 1 of each pair = edge-triggered, for PPIs 16-31. */
    synchronized int icfgr1() {
        int v = 0;
        for (int i = 0; i < 16; i++) {
            if (((level >>> (16 + i)) & 1) == 0) {
                v |= 2 << (2 * i);
            }
        }
        return v;
    }

    void setIcfgr1(int v) {
        synchronized (this) {
            for (int i = 0; i < 16; i++) {
                boolean edge = ((v >>> (2 * i + 1)) & 1) != 0;
                level = edge ? level & ~(1 << (16 + i)) : level | (1 << (16 + i));
            }
        }
        listener.run();
    }

    /** A one-bit-per-INTID register of the SGI_base frame (GICR_IGROUPR0, ISENABLER0, ...). */
    synchronized int bits(int kind) {
        switch (kind) {
            case GicRegs.GROUP: return group;
            case GicRegs.ENABLE: return enabled;
            case GicRegs.PENDING: return pendingBits();
            case GicRegs.ACTIVE: return active;
            case GicRegs.GROUPMOD: return groupMod;
            default: return 0;
        }
    }

    void writeBits(int kind, int value, boolean set) {
        synchronized (this) {
            switch (kind) {
                case GicRegs.GROUP: group = value; break;
                case GicRegs.GROUPMOD: groupMod = value; break;
                case GicRegs.ENABLE: enabled = set ? enabled | value : enabled & ~value; break;
                case GicRegs.PENDING: latched = set ? latched | value : latched & ~value; break;
                case GicRegs.ACTIVE: active = set ? active | value : active & ~value; break;
                default: break;
            }
        }
        listener.run();
    }

    /** Called after every state change (from whichever thread made it). */
    public void setListener(Runnable r) {
        listener = r == null ? () -> { } : r;
    }

    private static void check(int intid) {
        if (intid < 0 || intid > 31) {
            throw new IllegalArgumentException("not a private interrupt: " + intid);
        }
    }

    /** Drives the input line of a level-sensitive PPI (or pulses an edge-triggered one on a rising edge). */
    public void setLine(int intid, boolean high) {
        check(intid);
        int bit = 1 << intid;
        synchronized (this) {
            boolean was = (lines & bit) != 0;
            if (was == high) {
                return;
            }
            lines = high ? lines | bit : lines & ~bit;
            if (high && (level & bit) == 0) {
                latched |= bit;
            }
        }
        listener.run();
    }

    public synchronized boolean line(int intid) {
        check(intid);
        return (lines & (1 << intid)) != 0;
    }

    /** Makes an interrupt pending (an SGI arriving, GICR_ISPENDR0). */
    public void setPending(int intid) {
        check(intid);
        synchronized (this) {
            latched |= 1 << intid;
        }
        listener.run();
    }

    public void clearPending(int intid) {
        check(intid);
        synchronized (this) {
            latched &= ~(1 << intid);
        }
        listener.run();
    }

    public void setEnabled(int intid, boolean on) {
        check(intid);
        synchronized (this) {
            enabled = on ? enabled | (1 << intid) : enabled & ~(1 << intid);
        }
        listener.run();
    }

    public void setPriority(int intid, int prio) {
        check(intid);
        synchronized (this) {
            priority[intid] = prio & PRIORITY_MASK;
        }
        listener.run();
    }

    public synchronized int priority(int intid) {
        check(intid);
        return priority[intid];
    }

    public synchronized boolean isPending(int intid) {
        check(intid);
        return ((pendingBits() >>> intid) & 1) != 0;
    }

    public synchronized boolean isActive(int intid) {
        check(intid);
        return ((active >>> intid) & 1) != 0;
    }

    public synchronized boolean isEnabled(int intid) {
        check(intid);
        return ((enabled >>> intid) & 1) != 0;
    }

    /** Sets or clears the active state (GICR_ISACTIVER0/ICACTIVER0, or irq_set_irqchip_state in a host). */
    public void setActive(int intid, boolean on) {
        check(intid);
        synchronized (this) {
            active = on ? active | (1 << intid) : active & ~(1 << intid);
        }
        listener.run();
    }

    private int pendingBits() {
        return latched | (lines & level);
    }

    /**
     * The highest-priority interrupt that is pending, enabled and not active, packed as
     * {@code priority << 8 | intid}, or {@link #NONE}. Ties go to the lowest INTID.
     */
    public synchronized int highestPending() {
        int cand = pendingBits() & enabled & ~active;
        int best = NONE;
        while (cand != 0) {
            int i = Integer.numberOfTrailingZeros(cand);
            cand &= cand - 1;
            int p = priority[i];
            if (best == NONE || p < (best >>> 8)) {
                best = (p << 8) | i;
            }
        }
        if (distributor != null) {
            int spi = distributor.highestPendingFor(pe);
            if (spi != NONE && (best == NONE || (spi >>> 8) < (best >>> 8))) {
                best = spi;
            }
        }
        return best;
    }

    /** Acknowledges {@code intid} (pending to active, as a read of ICC_IAR1_EL1 does). */
    public void acknowledge(int intid) {
        if (Distributor.isSpi(intid)) {
            distributor.acknowledge(intid);
            return;
        }
        check(intid);
        synchronized (this) {
            latched &= ~(1 << intid);
            active |= 1 << intid;
        }
        listener.run();
    }

    /** Deactivates {@code intid} (ICC_EOIR1_EL1 with EOImode 0, ICC_DIR_EL1, or a hardware-mapped virtual EOI). */
    public void deactivate(int intid) {
        if (Distributor.isSpi(intid)) {
            distributor.deactivate(intid);
            return;
        }
        check(intid);
        synchronized (this) {
            active &= ~(1 << intid);
        }
        listener.run();
    }
}
