package dev.cca.vmm.virtio;

import dev.cca.vmm.device.GuestMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * A split virtqueue (virtio 1.x, 2.7): the descriptor table, the driver's available ring and the device's used
 * ring, at guest physical addresses the driver chose. {@link #next} takes the next available chain and checks it
 * completely before the device sees it: the head and every {@code next} index inside the table, at most one
 * indirect table per chain and no nesting, no loop (a chain is at most as long as its table), readable buffers
 * before writable ones, and every buffer inside guest memory. A chain that breaks any rule throws
 * {@link VirtioException}: the transport then marks the device DEVICE_NEEDS_RESET.
 */
public final class Virtqueue {
    public static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    /** VIRTQ_AVAIL_F_NO_INTERRUPT: the driver does not want an interrupt for used buffers. */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** The longest total length of one chain the device accepts (a guard against lengths that wrap). */
    public static final long MAX_CHAIN_BYTES = 1L << 30;

    private final GuestMemory mem;
    private final int maxSize;
    private int size;
    private boolean enabled;
    private long desc, driver, device;
    private int lastAvail;
    private int usedIdx;

    public Virtqueue(GuestMemory mem, int maxSize) {
        this.mem = mem;
        this.maxSize = maxSize;
        this.size = maxSize;
    }

    /** One buffer of a chain: guest address, length, and whether the device writes it. */
    public record Buffer(long addr, int len, boolean write) {
    }

    /** A checked descriptor chain: its head index and its buffers, readable ones first. */
    public static final class Chain {
        public final int head;
        public final List<Buffer> buffers;

        Chain(int head, List<Buffer> buffers) {
            this.head = head;
            this.buffers = buffers;
        }

        public long readableBytes() {
            return buffers.stream().filter(b -> !b.write()).mapToLong(Buffer::len).sum();
        }

        public long writableBytes() {
            return buffers.stream().filter(Buffer::write).mapToLong(Buffer::len).sum();
        }
    }

    public void reset() {
        size = maxSize;
        enabled = false;
        desc = driver = device = 0;
        lastAvail = 0;
        usedIdx = 0;
    }

    public int maxSize() {
        return maxSize;
    }

    public int size() {
        return size;
    }

    /** queue_size: the driver may choose a smaller power of two before it enables the queue. */
    public void setSize(int s) {
        if (!enabled) {
            size = s;
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public void enable() {
        enabled = true;
    }

    public long desc() {
        return desc;
    }

    public long driver() {
        return driver;
    }

    public long device() {
        return device;
    }

    public void setDesc(long a) {
        if (!enabled) {
            desc = a;
        }
    }

    public void setDriver(long a) {
        if (!enabled) {
            driver = a;
        }
    }

    public void setDevice(long a) {
        if (!enabled) {
            device = a;
        }
    }

    /** Whether the queue's parameters make sense: a power-of-two size within the maximum, aligned rings. */
    public boolean valid() {
        return size > 0 && size <= maxSize && Integer.bitCount(size) == 1 && (desc & 15) == 0
                && (driver & 1) == 0 && (device & 3) == 0;
    }

    /** The next available chain, or null if the driver has made none available. */
    public Chain next() {
        if (!enabled) {
            return null;
        }
        if (!valid()) {
            throw new VirtioException(String.format("queue enabled with size %d (maximum %d) or misaligned rings",
                    size, maxSize));
        }
        int availIdx = (int) mem.read(driver + 2, 2);
        if (availIdx == lastAvail) {
            return null;
        }
        if (((availIdx - lastAvail) & 0xFFFF) > size) {
            throw new VirtioException(String.format("available index moved by %d in a queue of %d",
                    (availIdx - lastAvail) & 0xFFFF, size));
        }
        int head = (int) mem.read(driver + 4 + 2L * (lastAvail % size), 2);
        lastAvail = (lastAvail + 1) & 0xFFFF;
        return new Chain(head, walk(head));
    }

    private List<Buffer> walk(int head) {
        List<Buffer> out = new ArrayList<>();
        long table = desc;
        int tableSize = size;
        int i = head;
        int seen = 0;
        boolean indirect = false;
        boolean sawWrite = false;
        long total = 0;
        while (true) {
            if (i < 0 || i >= tableSize) {
                throw new VirtioException(String.format("descriptor index %d outside a table of %d", i, tableSize));
            }
            if (++seen > tableSize) {
                throw new VirtioException("descriptor chain loops (longer than its table of " + tableSize + ")");
            }
            long d = table + 16L * i;
            long addr = mem.read(d, 8);
            long len = mem.read(d + 8, 4);
            int flags = (int) mem.read(d + 12, 2);
            int next = (int) mem.read(d + 14, 2);
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (indirect) {
                    throw new VirtioException("an indirect table inside an indirect table");
                }
                if ((flags & DESC_F_NEXT) != 0) {
                    throw new VirtioException("an indirect descriptor with F_NEXT");
                }
                if (len == 0 || len % 16 != 0 || len / 16 > 0xFFFF) {
                    throw new VirtioException("indirect table of " + len + " bytes");
                }
                checkRange(addr, len);
                indirect = true;
                table = addr;
                tableSize = (int) (len / 16);
                i = 0;
                seen = 0;
                continue;
            }
            boolean write = (flags & DESC_F_WRITE) != 0;
            if (!write && sawWrite) {
                throw new VirtioException("a device-readable buffer after a device-writable one");
            }
            sawWrite |= write;
            checkRange(addr, len);
            total += len;
            if (total > MAX_CHAIN_BYTES) {
                throw new VirtioException("chain longer than " + MAX_CHAIN_BYTES + " bytes");
            }
            out.add(new Buffer(addr, (int) len, write));
            if ((flags & DESC_F_NEXT) == 0) {
                return out;
            }
            i = next;
        }
    }

    /** Checks that [addr, addr + len) is guest memory the device may use (reading its first and last byte). */
    private void checkRange(long addr, long len) {
        if (len == 0) {
            return;
        }
        if (addr + len < addr) {
            throw new VirtioException(String.format("buffer %#x+%#x wraps around", addr, len));
        }
        try {
            mem.read(addr, 1);
            mem.read(addr + len - 1, 1);
        } catch (GuestMemory.GuestMemoryException e) {
            throw new VirtioException(e.getMessage());
        }
    }

    /** Returns a chain to the driver with {@code written} bytes written; true if the driver wants an interrupt. */
    public boolean push(Chain c, int written) {
        long e = device + 4 + 8L * (usedIdx % size);
        mem.write(e, 4, c.head);
        mem.write(e + 4, 4, written);
        usedIdx = (usedIdx + 1) & 0xFFFF;
        mem.write(device + 2, 2, usedIdx);
        return (mem.read(driver, 2) & AVAIL_F_NO_INTERRUPT) == 0;
    }

    // ---- chain I/O ------------------------------------------------------------------------------------------

    /** Reads up to {@code dst.length} bytes of the chain's readable buffers, from byte {@code from}; returns n. */
    public int read(Chain c, long from, byte[] dst, int off, int len) {
        int done = 0;
        long pos = 0;
        for (Buffer b : c.buffers) {
            if (b.write() || done == len) {
                continue;
            }
            long end = pos + b.len();
            if (from + done < end) {
                long inBuf = from + done - pos;
                int n = (int) Math.min(len - done, b.len() - inBuf);
                mem.read(b.addr() + inBuf, dst, off + done, n);
                done += n;
            }
            pos = end;
        }
        return done;
    }

    /** Writes into the chain's writable buffers from byte {@code from} of them; returns the bytes written. */
    public int write(Chain c, long from, byte[] src, int off, int len) {
        int done = 0;
        long pos = 0;
        for (Buffer b : c.buffers) {
            if (!b.write() || done == len) {
                continue;
            }
            long end = pos + b.len();
            if (from + done < end) {
                long inBuf = from + done - pos;
                int n = (int) Math.min(len - done, b.len() - inBuf);
                mem.write(b.addr() + inBuf, src, off + done, n);
                done += n;
            }
            pos = end;
        }
        return done;
    }
}
