package dev.cca.core.mem;

/**
 * A memory-mapped device. Offsets are relative to the start of the device's region. Accesses are 1, 2, 4 or 8
 * bytes, little-endian. A device that does not decode an access returns 0 for reads and ignores writes unless it
 * throws {@link BusErrorException}, which the CPU reports as an external abort.
 */
public interface MmioDevice {
    long read(long offset, int size);

    void write(long offset, int size, long value);

    String name();
}
