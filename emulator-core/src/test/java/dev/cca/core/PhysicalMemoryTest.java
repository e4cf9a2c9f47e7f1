package dev.cca.core;

import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Zeroing RAM clears what was written, across pages, and leaves pages never touched unallocated. */
class PhysicalMemoryTest {
    private static final long RAM = 0x4000_0000L;

    @Test
    void zeroClearsWrittenBytesAcrossPagesAndAllocatesNothing() {
        PhysicalMemory mem = new PhysicalMemory(40);
        PhysicalMemory.RamRegion ram = mem.addRam(RAM, 1 << 20, "ram");
        mem.write(RAM + 0x0FF8, 8, -1L);
        mem.write(RAM + 0x1000, 8, -1L);
        mem.write(RAM + 0x3000, 8, 0x1234);
        mem.zero(RAM + 0x0FFC, 0x2000); // the last 4 bytes of page 0, page 1, and page 2 (never touched)
        assertEquals(0xFFFF_FFFFL, mem.read(RAM + 0x0FF8, 4), "bytes before the range stay");
        assertEquals(0, mem.read(RAM + 0x0FFC, 4));
        assertEquals(0, mem.read(RAM + 0x1000, 8));
        assertNull(ram.pageIfPresent(RAM + 0x2000), "an untouched page is not allocated by zeroing it");
        assertNotNull(ram.pageIfPresent(RAM + 0x3000));
        assertEquals(0x1234, mem.read(RAM + 0x3000, 8), "bytes after the range stay");
        assertEquals(3, ram.residentPages());
        assertThrows(BusErrorException.class, () -> mem.zero(RAM + (1 << 20) - 8, 16));
    }
}
