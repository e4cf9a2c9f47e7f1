package dev.cca.rmm.granule;

import java.util.Arrays;

/**
 * The RMM's granule table: one state and one reference count per 4 KB granule of the delegable physical range
 * (TF-RMM keeps the same array in its own memory). Reference counts: an RD counts its RECs, an RTT counts its
 * child tables and protected ASSIGNED entries, a REC is 1 while it runs.
 */
public final class Granules {
    public static final int SHIFT = 12;
    public static final long SIZE = 1L << SHIFT;

    private final long base;
    private final long size;
    private final byte[] state;
    private final int[] refcount;

    /** Tracks [base, base+size) — the platform's delegable memory. */
    public Granules(long base, long size) {
        if ((base & (SIZE - 1)) != 0 || (size & (SIZE - 1)) != 0) {
            throw new IllegalArgumentException("granule range must be 4 KB aligned");
        }
        this.base = base;
        this.size = size;
        int n = Math.toIntExact(size >>> SHIFT);
        state = new byte[n];
        refcount = new int[n];
    }

    public long base() {
        return base;
    }

    public long end() {
        return base + size;
    }

    /** find_granule(): the address is 4 KB aligned and inside the delegable range. */
    public boolean valid(long pa) {
        return (pa & (SIZE - 1)) == 0 && Long.compareUnsigned(pa - base, size) < 0;
    }

    private int index(long pa) {
        if (!valid(pa)) {
            throw new IllegalArgumentException(String.format("%#x is not a delegable granule", pa));
        }
        return (int) ((pa - base) >>> SHIFT);
    }

    public GranuleState state(long pa) {
        return GranuleState.values()[state[index(pa)]];
    }

    /** State of a granule that may be outside the tracked range (then NS). */
    public GranuleState stateOrNs(long pa) {
        long g = pa & ~(SIZE - 1);
        return valid(g) ? state(g) : GranuleState.NS;
    }

    public void setState(long pa, GranuleState s) {
        state[index(pa)] = (byte) s.ordinal();
    }

    public int refcount(long pa) {
        return refcount[index(pa)];
    }

    public void setRefcount(long pa, int n) {
        refcount[index(pa)] = n;
    }

    public void addRef(long pa, int delta) {
        refcount[index(pa)] += delta;
    }

    /** Number of granules in each state, indexed by ordinal. */
    public long[] census() {
        long[] c = new long[GranuleState.values().length];
        for (byte b : state) {
            c[b]++;
        }
        return c;
    }

    /** Calls {@code visitor} for every granule not in state NS. */
    public void forEachDelegated(java.util.function.BiConsumer<Long, GranuleState> visitor) {
        GranuleState[] v = GranuleState.values();
        for (int i = 0; i < state.length; i++) {
            if (state[i] != 0) {
                visitor.accept(base + ((long) i << SHIFT), v[state[i]]);
            }
        }
    }

    public void clear() {
        Arrays.fill(state, (byte) 0);
        Arrays.fill(refcount, 0);
    }
}
