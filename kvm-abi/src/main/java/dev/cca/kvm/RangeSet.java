package dev.cca.kvm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of disjoint, non-adjacent half-open ranges of non-negative longs (guest frame numbers, file offsets).
 * Callers keep values below 2^63 so that signed order is the natural order.
 */
final class RangeSet {
    /** start -> end (exclusive). */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    synchronized void add(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> lo = ranges.floorEntry(start);
        if (lo != null && lo.getValue() >= start) {
            start = lo.getKey();
            end = Math.max(end, lo.getValue());
        }
        Map.Entry<Long, Long> e = ranges.ceilingEntry(start);
        while (e != null && e.getKey() <= end) {
            end = Math.max(end, e.getValue());
            ranges.remove(e.getKey());
            e = ranges.ceilingEntry(start);
        }
        ranges.put(start, end);
    }

    synchronized void remove(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> lo = ranges.lowerEntry(start);
        if (lo != null && lo.getValue() > start) {
            ranges.put(lo.getKey(), start);
            if (lo.getValue() > end) {
                ranges.put(end, lo.getValue());
                return;
            }
        }
        Map.Entry<Long, Long> e = ranges.ceilingEntry(start);
        while (e != null && e.getKey() < end) {
            ranges.remove(e.getKey());
            if (e.getValue() > end) {
                ranges.put(end, e.getValue());
                break;
            }
            e = ranges.ceilingEntry(start);
        }
    }

    synchronized boolean contains(long v) {
        Map.Entry<Long, Long> e = ranges.floorEntry(v);
        return e != null && v < e.getValue();
    }

    /** True if every value of [start, end) is in the set. */
    synchronized boolean containsAll(long start, long end) {
        if (start >= end) {
            return true;
        }
        Map.Entry<Long, Long> e = ranges.floorEntry(start);
        return e != null && e.getValue() >= end;
    }

    /** True if some value of [start, end) is in the set. */
    synchronized boolean intersects(long start, long end) {
        if (start >= end) {
            return false;
        }
        Map.Entry<Long, Long> e = ranges.lowerEntry(end);
        return e != null && e.getValue() > start;
    }

    synchronized boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** The ranges as {start, end} pairs, in order. */
    synchronized List<long[]> ranges() {
        List<long[]> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : ranges.entrySet()) {
            out.add(new long[] {e.getKey(), e.getValue()});
        }
        return out;
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (Map.Entry<Long, Long> e : ranges.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(String.format("%#x-%#x", e.getKey(), e.getValue()));
        }
        return sb.append(']').toString();
    }
}
