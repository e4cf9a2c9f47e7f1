package dev.cca.vmm.virtio;

import dev.cca.vmm.device.GuestMemory;

import java.util.BitSet;

/** Guest RAM for device tests: a byte array at a base address; with {@code realm}, only pages marked shared. */
final class ByteRam implements GuestMemory {
    final long base;
    final byte[] ram;
    final BitSet shared;

    ByteRam(long base, int size, BitSet shared) {
        this.base = base;
        this.ram = new byte[size];
        this.shared = shared;
    }

    private int at(long gpa, int len) {
        long off = gpa - base;
        if (len < 0 || off < 0 || off > ram.length || ram.length - off < len) {
            throw new GuestMemoryException(String.format("%#x+%#x is outside guest RAM", gpa, len));
        }
        if (shared != null && len > 0) {
            for (long p = off >>> 12; p <= (off + len - 1) >>> 12; p++) {
                if (!shared.get((int) p)) {
                    throw new GuestMemoryException(String.format("%#x is not shared", gpa));
                }
            }
        }
        return (int) off;
    }

    @Override
    public void read(long gpa, byte[] dst, int off, int len) {
        System.arraycopy(ram, at(gpa, len), dst, off, len);
    }

    @Override
    public void write(long gpa, byte[] src, int off, int len) {
        System.arraycopy(src, off, ram, at(gpa, len), len);
    }
}
