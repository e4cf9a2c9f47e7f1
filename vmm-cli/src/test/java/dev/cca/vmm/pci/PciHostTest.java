package dev.cca.vmm.pci;

import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.device.MmioBus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PciHostTest {
    private final boolean[] level = new boolean[64];
    private final MmioBus bus = new MmioBus();
    private final PciHost host = new PciHost(intid -> l -> level[intid] = l);

    /** A function with a 4 KiB memory BAR whose register 0 raises INTx when written non-zero. */
    private static final class Dev extends PciDevice {
        Dev() {
            super(0x1234, 0x5678, 0xFF0000, 2, 0x1234, 1, true);
            defineBar(0, new Bar(4096, false));
            defineBar(2, new Bar(256, true));
        }

        long last;

        @Override
        public String name() {
            return "test";
        }

        @Override
        protected long barRead(int bar, long off, int size) {
            return bar * 0x100 + off;
        }

        @Override
        protected void barWrite(int bar, long off, int size, long value) {
            last = value;
            setIntx(value != 0);
        }
    }

    private long cfg(int slot, int off, int size) {
        return bus.read(MemoryMap.PCI_ECAM + ((long) slot << 15) + off, size);
    }

    private void cfg(int slot, int off, int size, long v) {
        bus.write(MemoryMap.PCI_ECAM + ((long) slot << 15) + off, size, v);
    }

    @Test
    void ecamShowsPluggedFunctionsAndAbsentOnesReadAllOnes() {
        host.add(new Dev());
        host.register(bus);
        assertEquals(0x56781234L, cfg(0, 0, 4));
        assertEquals(0xFFFF_FFFFL, cfg(1, 0, 4));
        assertEquals(0xFFFFL, bus.read(MemoryMap.PCI_ECAM + (1L << 20), 2), "bus 1 is empty");
        assertEquals(0xFFFFL, bus.read(MemoryMap.PCI_ECAM + (1L << 12), 2), "function 1 is absent");
        assertEquals(0xFF0000L, cfg(0, 0x08, 4) >>> 8);
    }

    @Test
    void barSizingAndPlacementAreTheGuests() {
        Dev d = new Dev();
        host.add(d);
        host.register(bus);
        cfg(0, 0x10, 4, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_F000L, cfg(0, 0x10, 4), "a 4 KiB memory BAR");
        cfg(0, 0x18, 4, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_FF01L, cfg(0, 0x18, 4), "a 256-byte I/O BAR");
        assertEquals(0, cfg(0, 0x14, 4), "BAR1 is not implemented");
        cfg(0, 0x10, 4, 0x1000_2000L);
        cfg(0, 0x18, 4, 0x1000);
        assertEquals(0xFFFF_FFFFL, bus.read(0x1000_2004L, 4), "not decoded before the command register enables it");
        cfg(0, 0x04, 2, PciDevice.CMD_MEMORY | PciDevice.CMD_IO);
        assertEquals(4, bus.read(0x1000_2004L, 4));
        assertEquals(0x208, bus.read(MemoryMap.PCI_IO + 0x1008, 1), "I/O port 0x1008 is BAR2 + 8");
    }

    @Test
    void intxFollowsTheSwizzleAndTheDisableBit() {
        Dev a = new Dev();
        Dev b = new Dev();
        host.add(a);
        host.add(b);
        host.register(bus);
        cfg(1, 0x10, 4, 0x1000_0000L);
        cfg(1, 0x04, 2, PciDevice.CMD_MEMORY);
        bus.write(0x1000_0000L, 4, 1);
        assertTrue(level[MemoryMap.SPI_PCI_INTX + 1], "slot 1 INTA is the second SPI");
        assertNotEquals(0, cfg(1, 0x06, 2) & PciDevice.STATUS_INTX);
        cfg(1, 0x04, 2, PciDevice.CMD_MEMORY | PciDevice.CMD_INTX_DISABLE);
        assertFalse(level[MemoryMap.SPI_PCI_INTX + 1], "Interrupt Disable masks the pin");
        cfg(1, 0x04, 2, PciDevice.CMD_MEMORY);
        assertTrue(level[MemoryMap.SPI_PCI_INTX + 1]);
        bus.write(0x1000_0000L, 4, 0);
        assertFalse(level[MemoryMap.SPI_PCI_INTX + 1]);
        assertEquals(MemoryMap.SPI_PCI_INTX + 3, PciHost.intxIntid(2, 2), "slot 2 INTB");
    }
}
