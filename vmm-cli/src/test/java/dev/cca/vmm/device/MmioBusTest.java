package dev.cca.vmm.device;

import dev.cca.core.mem.MmioDevice;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MmioBusTest {
    private static MmioDevice echo(String name) {
        return new MmioDevice() {
            long written = -1;

            @Override
            public long read(long offset, int size) {
                return offset == 0x100 ? written : offset;
            }

            @Override
            public void write(long offset, int size, long value) {
                written = value;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    @Test
    void accessesGoToTheDeviceWhoseRangeHoldsTheAddressWithTheOffset() {
        MmioBus bus = new MmioBus();
        bus.register(0x9000_0000L, 0x1000, echo("b"));
        bus.register(0x0800_0000L, 0x1000, echo("a"));
        assertEquals(0x10, bus.read(0x0800_0010L, 4));
        assertEquals(0xFFF, bus.read(0x9000_0FFFL, 1));
        bus.write(0x9000_0000L, 4, 42);
        assertEquals(42, bus.read(0x9000_0100L, 4));
        assertEquals(-1, bus.read(0x0800_0100L, 4), "the other device did not see the write");
        assertEquals(0, bus.read(0x0800_1000L, 4), "unclaimed addresses read as zero");
    }

    @Test
    void overlappingRangesAreRefused() {
        MmioBus bus = new MmioBus();
        bus.register(0x1000, 0x1000, echo("a"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.register(0x1800, 0x1000, echo("b")));
        assertTrue(e.getMessage().contains("overlaps a"), e.getMessage());
    }
}
