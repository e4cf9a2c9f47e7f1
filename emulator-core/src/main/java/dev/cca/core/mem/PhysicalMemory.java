package dev.cca.core.mem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The physical address map: RAM regions backed by lazily allocated 4 KiB {@link Page}s, and MMIO devices.
 *
 * <p>Accessors here are raw bus accesses: they perform no granule protection check. The CPU checks the GPT when
 * it fills its TLB; firmware models go through {@code Cpu.phys*} which checks on every access.
 */
public final class PhysicalMemory {

    /** A contiguous range of the physical map. */
    public abstract static class Region {
        public final long base;
        public final long size;
        public final String name;

        Region(long base, long size, String name) {
            this.base = base;
            this.size = size;
            this.name = name;
        }

        public final boolean contains(long pa) {
            return Long.compareUnsigned(pa - base, size) < 0;
        }

        public final long end() {
            return base + size;
        }
    }

    public static final class RamRegion extends Region {
        private final Page[] pages;

        RamRegion(long base, long size, String name) {
            super(base, size, name);
            if ((base & Page.MASK) != 0 || (size & Page.MASK) != 0 || size <= 0) {
                throw new IllegalArgumentException("RAM region must be page aligned: " + name);
            }
            long n = size >>> Page.SHIFT;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("RAM region too large: " + name);
            }
            pages = new Page[(int) n];
        }

        /** The page holding {@code pa}, allocated (zero-filled) on first use. */
        public Page page(long pa) {
            int i = (int) ((pa - base) >>> Page.SHIFT);
            Page p = pages[i];
            if (p == null) {
                p = allocate(i);
            }
            return p;
        }

        /** The page holding {@code pa} if it was ever touched, else null (reads as zero). */
        public Page pageIfPresent(long pa) {
            return pages[(int) ((pa - base) >>> Page.SHIFT)];
        }

        private synchronized Page allocate(int i) {
            Page p = pages[i];
            if (p == null) {
                p = new Page(base + ((long) i << Page.SHIFT));
                pages[i] = p;
            }
            return p;
        }

        /** Number of pages that have been touched (a measure of host memory use). */
        public int residentPages() {
            int n = 0;
            for (Page p : pages) {
                if (p != null) {
                    n++;
                }
            }
            return n;
        }
    }

    public static final class MmioRegion extends Region {
        public final MmioDevice device;

        MmioRegion(long base, long size, MmioDevice device) {
            super(base, size, device.name());
            this.device = device;
        }
    }

    private Region[] regions = new Region[0];
    private final int paBits;

    /** @param paBits implemented physical address size (ID_AA64MMFR0_EL1.PARange). */
    public PhysicalMemory(int paBits) {
        this.paBits = paBits;
    }

    public int paBits() {
        return paBits;
    }

    public synchronized RamRegion addRam(long base, long size, String name) {
        RamRegion r = new RamRegion(base, size, name);
        add(r);
        return r;
    }

    public synchronized MmioRegion addDevice(long base, long size, MmioDevice device) {
        MmioRegion r = new MmioRegion(base, size, device);
        add(r);
        return r;
    }

    private void add(Region r) {
        for (Region o : regions) {
            if (r.base < o.end() && o.base < r.end()) {
                throw new IllegalArgumentException(String.format("region %s [%#x..%#x) overlaps %s [%#x..%#x)",
                        r.name, r.base, r.end(), o.name, o.base, o.end()));
            }
        }
        List<Region> l = new ArrayList<>(Arrays.asList(regions));
        l.add(r);
        l.sort(Comparator.comparingLong(x -> x.base));
        regions = l.toArray(new Region[0]);
    }

    public List<Region> regions() {
        return List.of(regions);
    }

    /** The region containing pa, or null. */
    public Region find(long pa) {
        Region[] rs = regions;
        int lo = 0, hi = rs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Region r = rs[mid];
            if (Long.compareUnsigned(pa, r.base) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(pa, r.end()) >= 0) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    /** The RAM page holding pa, or null if pa is not RAM. */
    public Page ramPage(long pa) {
        Region r = find(pa);
        return r instanceof RamRegion ? ((RamRegion) r).page(pa) : null;
    }

    /** A raw read of 1, 2, 4 or 8 bytes. Must not cross a page; throws BusErrorException where nothing answers. */
    public long read(long pa, int size) {
        Region r = find(pa);
        if (r instanceof RamRegion) {
            Page p = ((RamRegion) r).pageIfPresent(pa);
            return p == null ? 0 : Bytes.get(p.data, (int) (pa & Page.MASK), size);
        }
        if (r instanceof MmioRegion) {
            return ((MmioRegion) r).device.read(pa - r.base, size);
        }
        throw new BusErrorException(pa, String.format("no memory or device at PA %#x", pa));
    }

    /** A raw write of 1, 2, 4 or 8 bytes. Must not cross a page. */
    public void write(long pa, int size, long value) {
        Region r = find(pa);
        if (r instanceof RamRegion) {
            Page p = ((RamRegion) r).page(pa);
            int off = (int) (pa & Page.MASK);
            Bytes.put(p.data, off, size, value);
            p.invalidateCode(off, size);
            return;
        }
        if (r instanceof MmioRegion) {
            ((MmioRegion) r).device.write(pa - r.base, size, value);
            return;
        }
        throw new BusErrorException(pa, String.format("no memory or device at PA %#x", pa));
    }

    /** Raw bulk read (RAM only). */
    public void readBytes(long pa, byte[] dst, int off, int len) {
        while (len > 0) {
            Region r = find(pa);
            if (!(r instanceof RamRegion)) {
                throw new BusErrorException(pa, String.format("no RAM at PA %#x", pa));
            }
            int po = (int) (pa & Page.MASK);
            int n = Math.min(len, Page.SIZE - po);
            Page p = ((RamRegion) r).pageIfPresent(pa);
            if (p == null) {
                Arrays.fill(dst, off, off + n, (byte) 0);
            } else {
                System.arraycopy(p.data, po, dst, off, n);
            }
            pa += n;
            off += n;
            len -= n;
        }
    }

    /** Raw bulk write (RAM only). */
    public void writeBytes(long pa, byte[] src, int off, int len) {
        while (len > 0) {
            Region r = find(pa);
            if (!(r instanceof RamRegion)) {
                throw new BusErrorException(pa, String.format("no RAM at PA %#x", pa));
            }
            int po = (int) (pa & Page.MASK);
            int n = Math.min(len, Page.SIZE - po);
            Page p = ((RamRegion) r).page(pa);
            System.arraycopy(src, off, p.data, po, n);
            p.invalidateCode(po, n);
            pa += n;
            off += n;
            len -= n;
        }
    }

    /** Raw fill of a RAM range with zeros (RAM only; pages never written stay unallocated). */
    public void zero(long pa, long len) {
        while (len > 0) {
            Region r = find(pa);
            if (!(r instanceof RamRegion)) {
                throw new BusErrorException(pa, String.format("no RAM at PA %#x", pa));
            }
            int po = (int) (pa & Page.MASK);
            int n = (int) Math.min(len, Page.SIZE - po);
            Page p = ((RamRegion) r).pageIfPresent(pa);
            if (p != null) { // a page never touched reads as zero already: it stays unallocated
                Arrays.fill(p.data, po, po + n, (byte) 0);
                p.invalidateCode(po, n);
            }
            pa += n;
            len -= n;
        }
    }
}
