package dev.cca.vmm.device;

import dev.cca.core.mem.MmioDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The VMM's device registry (kvmtool's kvm__register_mmio): each device claims a guest physical range, and an
 * MMIO exit is dispatched to the device whose range holds the address, with the offset into that range. Ranges
 * never overlap. Accesses nobody claims read as zero and are logged once per address.
 */
public final class MmioBus {
    private static final Logger LOG = LoggerFactory.getLogger(MmioBus.class);

    /** One claimed range. */
    public record Mapping(long base, long size, MmioDevice device) {
        boolean contains(long addr) {
            return Long.compareUnsigned(addr - base, size) < 0;
        }
    }

    private volatile Mapping[] mappings = new Mapping[0];
    private final java.util.Set<Long> reported = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Claims [base, base + size) for {@code device}; throws if it overlaps a range already claimed. */
    public synchronized void register(long base, long size, MmioDevice device) {
        if (size <= 0) {
            throw new IllegalArgumentException(device.name() + ": empty range");
        }
        for (Mapping m : mappings) {
            if (Long.compareUnsigned(base, m.base + m.size) < 0 && Long.compareUnsigned(m.base, base + size) < 0) {
                throw new IllegalArgumentException(String.format("%s at %#x+%#x overlaps %s at %#x+%#x",
                        device.name(), base, size, m.device.name(), m.base, m.size));
            }
        }
        List<Mapping> l = new ArrayList<>(List.of(mappings));
        l.add(new Mapping(base, size, device));
        l.sort((a, b) -> Long.compareUnsigned(a.base, b.base));
        mappings = l.toArray(new Mapping[0]);
    }

    /** The claimed ranges in address order. */
    public List<Mapping> mappings() {
        return Collections.unmodifiableList(List.of(mappings));
    }

    private Mapping find(long addr) {
        Mapping[] ms = mappings;
        int lo = 0, hi = ms.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Mapping m = ms[mid];
            if (Long.compareUnsigned(addr, m.base) < 0) {
                hi = mid - 1;
            } else if (m.contains(addr)) {
                return m;
            } else {
                lo = mid + 1;
            }
        }
        return null;
    }

    /** A guest read of {@code size} bytes at {@code addr}: the device's value, or 0 if nothing claims it. */
    public long read(long addr, int size) {
        Mapping m = find(addr);
        if (m == null) {
            unclaimed("read", addr, size);
            return 0;
        }
        return m.device.read(addr - m.base, size);
    }

    /** A guest write; dropped (and logged) if nothing claims the address. */
    public void write(long addr, int size, long value) {
        Mapping m = find(addr);
        if (m == null) {
            unclaimed("write", addr, size);
            return;
        }
        m.device.write(addr - m.base, size, value);
    }

    private void unclaimed(String what, long addr, int size) {
        if (reported.size() < 64 && reported.add(addr)) {
            LOG.warn("unhandled MMIO {} of {} bytes at {}", what, size, String.format("%#x", addr));
        }
    }
}
