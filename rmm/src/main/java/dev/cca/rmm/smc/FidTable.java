package dev.cca.rmm.smc;

import java.util.function.ToLongFunction;

/**
 * The commands of one range of SMC function identifiers, indexed by function number: the lookup the RMI and RSI
 * command tables share. The SVE hint (bit 16) and bits [63:32] of a function identifier are ignored.
 */
public final class FidTable<T> {
    private final long first;
    private final Object[] rows;

    public FidTable(long first, long last, T[] commands, ToLongFunction<T> fid) {
        this.first = first;
        this.rows = new Object[(int) (last - first + 1)];
        for (T c : commands) {
            rows[(int) (fid.applyAsLong(c) - first)] = c;
        }
    }

    /** The command of {@code fid}, or null. */
    @SuppressWarnings("unchecked")
    public T get(long fid) {
        long f = (fid & 0xFFFF_FFFFL & ~(1L << 16)) - first;
        return f >= 0 && f < rows.length ? (T) rows[(int) f] : null;
    }
}
