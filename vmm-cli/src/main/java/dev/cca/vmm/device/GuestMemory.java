package dev.cca.vmm.device;

/**
 * Guest physical memory as a device doing DMA sees it. Every access is checked: an address outside guest RAM,
 * or (for a realm) in memory the realm has not shared with the host, throws {@link GuestMemoryException}, which a
 * device turns into its error status or a reset. Multi-byte values are little-endian.
 */
public interface GuestMemory {
    void read(long gpa, byte[] dst, int off, int len);

    void write(long gpa, byte[] src, int off, int len);

    default long read(long gpa, int size) {
        byte[] b = new byte[size];
        read(gpa, b, 0, size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    default void write(long gpa, int size, long value) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        write(gpa, b, 0, size);
    }

    /** Thrown for an access the device may not make; the message names the address. */
    final class GuestMemoryException extends RuntimeException {
        public GuestMemoryException(String message) {
            super(message);
        }
    }
}
