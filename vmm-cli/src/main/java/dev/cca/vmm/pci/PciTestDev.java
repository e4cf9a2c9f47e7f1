package dev.cca.vmm.pci;

import java.nio.charset.StandardCharsets;

/**
 * QEMU's pci-testdev (vendor 0x1b36, device 0x0005; hw/misc/pci-testdev.c), the device kvm-unit-tests' pci test
 * checks: BAR0 is 4 KiB of memory and BAR1 256 bytes of I/O. Writing a test number to offset 0 of a BAR selects
 * that BAR's test; the test's header then reads back at offset 0 (test, width, offset, data, count, name), and
 * every write of {@code width} bytes of {@code data} (any data for the wildcard test) at {@code offset} counts.
 * This VMM has no ioeventfd, so the "eventfd" tests count their writes like the plain one (QEMU's guest code
 * accepts either 0 or every write counted).
 */
public final class PciTestDev extends PciDevice {
    private static final String[] TESTS = {"no-eventfd", "wildcard-eventfd", "datamatch-eventfd"};
    private static final int MEM_SIZE = 2048, IO_SIZE = 128;
    private static final int DATAMATCH = 0xFA, NOMATCH = 0xCE;

    /** The selected test: index into type * 3 + test, or -1. */
    private int current = -1;
    private final byte[][] headers = new byte[6][];

    public PciTestDev() {
        super(0x1b36, 0x0005, 0xFF0000, 0, 0x1af4, 0x1100, false);
        defineBar(0, new Bar(MEM_SIZE * 2, false));
        defineBar(1, new Bar(IO_SIZE * 2, true));
        for (int i = 0; i < 6; i++) {
            boolean mem = i < 3;
            String name = (mem ? "mmio-" : "portio-") + TESTS[i % 3];
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            byte[] h = new byte[16 + n.length + 1];
            h[0] = (byte) i;
            h[1] = 1; // width
            int offset = (mem ? MEM_SIZE : IO_SIZE) + i;
            h[4] = (byte) offset;
            h[5] = (byte) (offset >>> 8);
            h[8] = (byte) (i % 3 == 1 ? NOMATCH : DATAMATCH);
            System.arraycopy(n, 0, h, 16, n.length);
            headers[i] = h;
        }
    }

    @Override
    public String name() {
        return "pci-testdev";
    }

    @Override
    protected synchronized long barRead(int bar, long off, int size) {
        if (current < 0) {
            return 0;
        }
        byte[] h = headers[current];
        long v = 0;
        // QEMU implements the BAR with byte accesses: a wider read is made of byte reads, each within the header.
        for (int i = size - 1; i >= 0; i--) {
            long a = off + i;
            int b = a + 1 < h.length ? h[(int) a] & 0xFF : 0;
            v = (v << 8) | b;
        }
        return v;
    }

    @Override
    protected synchronized void barWrite(int bar, long off, int size, long value) {
        int type = bar == 0 ? 0 : 1;
        // Split into byte writes, as QEMU does for a device whose accesses are at most one byte wide.
        for (int i = 0; i < size; i++) {
            writeByte(type, off + i, (int) (value >>> (8 * i)) & 0xFF);
        }
    }

    private void writeByte(int type, long off, int b) {
        if (off == 0) {
            if (current >= 0) {
                count(current, 0);
            }
            current = -1;
            if (b < TESTS.length) {
                current = type * TESTS.length + b;
                count(current, 0);
            }
            return;
        }
        if (current < 0) {
            return;
        }
        byte[] h = headers[current];
        int offset = (h[4] & 0xFF) | (h[5] & 0xFF) << 8;
        if (off != offset) {
            return;
        }
        boolean matchData = current % 3 != 1;
        if (matchData && b != (h[8] & 0xFF)) {
            return;
        }
        int c = (int) readCount(current);
        count(current, c + 1);
    }

    private long readCount(int t) {
        byte[] h = headers[t];
        return (h[12] & 0xFF) | (h[13] & 0xFF) << 8 | (h[14] & 0xFF) << 16 | (long) (h[15] & 0xFF) << 24;
    }

    private void count(int t, int c) {
        byte[] h = headers[t];
        h[12] = (byte) c;
        h[13] = (byte) (c >>> 8);
        h[14] = (byte) (c >>> 16);
        h[15] = (byte) (c >>> 24);
    }
}
