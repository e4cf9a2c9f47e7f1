package dev.cca.vmm.pci;

import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.device.MmioBus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** pci-testdev driven as kvm-unit-tests' lib/pci-testdev.c drives it (pci_testdev_one for each test). */
class PciTestDevTest {
    private final MmioBus bus = new MmioBus();

    private int runAll(long base, List<String> names) {
        int i = 0;
        while (true) {
            bus.write(base, 1, i);
            if (bus.read(base + 12, 4) != 0) {
                break;
            }
            int width = (int) bus.read(base + 1, 1);
            if (width != 1 && width != 2 && width != 4) {
                break;
            }
            long sig = bus.read(base + 8, 4);
            long off = bus.read(base + 4, 4);
            for (int w = 0; w < 16; w++) {
                bus.write(base + off, width, sig);
            }
            long count = bus.read(base + 12, 4);
            if (count != 0 && count != 16) {
                break;
            }
            StringBuilder name = new StringBuilder();
            for (int c = 0; ; c++) {
                int ch = (int) bus.read(base + 16 + c, 1);
                if (ch == 0) {
                    break;
                }
                name.append((char) ch);
            }
            names.add(name.toString());
            i++;
        }
        return i;
    }

    @Test
    void kvmUnitTestsSequencePassesEveryMmioAndPortioTest() {
        PciHost host = new PciHost(intid -> l -> { });
        host.add(new PciTestDev());
        host.register(bus);
        long ecam = MemoryMap.PCI_ECAM;
        assertEquals(0x00051b36L, bus.read(ecam, 4));
        bus.write(ecam + 0x10, 4, 0x1000_0000L);
        bus.write(ecam + 0x14, 4, 0x100);
        bus.write(ecam + 0x04, 2, PciDevice.CMD_MEMORY | PciDevice.CMD_IO);
        List<String> names = new ArrayList<>();
        int n = runAll(0x1000_0000L, names) + runAll(MemoryMap.PCI_IO + 0x100, names);
        assertEquals(6, n);
        assertEquals(List.of("mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd",
                "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd"), names);
    }
}
