package dev.cca.kvm;

import java.util.Map;
import java.util.TreeMap;

/** A set of disjoint half-open address ranges (memory attributes per guest physical range). */
final class RangeSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    synchronized void add(long start, long end) {
        remove(start, end);
        Map.Entry<Long, Long> lo = ranges.floorEntry(start);
        if (lo != null && lo.getValue() >= start) {
            start = lo.getKey();
            ranges.remove(lo.getKey());
        }
        Map.Entry<Long, Long> hi = ranges.ceilingEntry(start);
        if (hi != null && hi.getKey() <= end) {
            end = Math.max(end, hi.getValue());
            ranges.remove(hi.getKey());
        }
        ranges.put(start, end);
    }

    synchronized void remove(long start, long end) {
        Map.Entry<Long, Long> e = ranges.lowerEntry(end);
        while (e != null && e.getValue() > start) {
            ranges.remove(e.getKey());
            if (e.getKey() < start) {
                ranges.put(e.getKey(), start);
            }
            if (e.getValue() > end) {
                ranges.put(end, e.getValue());
            }
            e = ranges.lowerEntry(end);
            if (e != null && e.getValue() <= start) {
                break;
            }
        }
    }

    synchronized boolean contains(long addr) {
        Map.Entry<Long, Long> e = ranges.floorEntry(addr);
        return e != null && addr < e.getValue();
    }

    /** True if every address of [start, end) is in the set. */
    synchronized boolean containsAll(long start, long end) {
        Map.Entry<Long, Long> e = ranges.floorEntry(start);
        return e != null && e.getValue() >= end;
    }
}
