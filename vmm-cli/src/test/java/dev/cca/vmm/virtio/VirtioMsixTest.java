package dev.cca.vmm.virtio;

import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.pci.MsiX;
import dev.cca.vmm.pci.PciDevice;
import org.junit.jupiter.api.Test;

import static dev.cca.vmm.virtio.VirtioPciDevice.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MSI-X of a virtio-pci function, driven as Linux's virtio_pci (vp_find_vqs_msix) and the PCI core drive it:
 * the capability found in the list, the table in BAR1 programmed, MSI-X enabled, vectors chosen for the queue and
 * for configuration changes; a used buffer then sends that vector's message with the function's requester ID.
 */
class VirtioMsixTest {
    static final long DOORBELL = MemoryMap.GIC_ITS_TRANSLATER;

    static int msixCap(Driver d) {
        for (int at = (int) d.cfgRead(PciDevice.CAPABILITIES, 1); at != 0; at = (int) d.cfgRead(at + 1, 1)) {
            if (d.cfgRead(at, 1) == MsiX.CAP_ID) {
                return at;
            }
        }
        return -1;
    }

    /** An rng request on queue 0: one 16-byte writable buffer. */
    static void request(Driver d, int head) {
        d.desc(0, head, Driver.DATA, 16, 2, 0);
        d.kick(0, head);
    }

    Driver rng() {
        Driver d = new Driver(new VirtioRng(), new ByteRam(Driver.RAM, 4 << 20, null), false, true);
        assertTrue(d.init(F_VERSION_1, 8));
        return d;
    }

    @Test
    void capabilityDescribesOneVectorPerQueuePlusConfigInBar1() {
        Driver d = rng();
        int cap = msixCap(d);
        assertTrue(cap > 0, "an MSI-X capability in the list");
        assertEquals(1, d.cfgRead(cap + 2, 2) & 0x7FF, "table size - 1: one queue and the configuration vector");
        assertEquals(1, d.cfgRead(cap + 4, 4), "table in BAR1 at 0");
        assertEquals(PBA_OFF | 1, d.cfgRead(cap + 8, 4), "PBA in BAR1 at 0x800");
        assertEquals(1, d.bus.read(d.msixBar + 12, 4) & 1, "vectors are masked at reset");
        Driver plain = new Driver(new VirtioRng(), new ByteRam(Driver.RAM, 4 << 20, null), false);
        assertEquals(-1, msixCap(plain), "no MSI-X without an MSI controller");
    }

    @Test
    void usedBufferSendsTheQueuesVectorInsteadOfIntx() {
        Driver d = rng();
        int cap = msixCap(d);
        d.cfgWrite(cap + 2, 2, MsiX.CTRL_ENABLE | MsiX.CTRL_FUNCTION_MASK);
        for (int v = 0; v < 2; v++) {
            d.bus.write(d.msixBar + 16L * v, 4, DOORBELL);
            d.bus.write(d.msixBar + 16L * v + 4, 4, 0);
            d.bus.write(d.msixBar + 16L * v + 8, 4, 40 + v);
            d.bus.write(d.msixBar + 16L * v + 12, 4, 0);
        }
        d.cfgWrite(cap + 2, 2, MsiX.CTRL_ENABLE);
        d.common(MSIX_CONFIG, 2, 1);
        d.common(Q_SELECT, 2, 0);
        d.common(Q_MSIX_VECTOR, 2, 0);
        assertEquals(1, d.common(MSIX_CONFIG, 2));
        assertEquals(0, d.common(Q_MSIX_VECTOR, 2));
        d.common(Q_MSIX_VECTOR, 2, 7);
        assertEquals(NO_VECTOR, d.common(Q_MSIX_VECTOR, 2), "a vector the function lacks reads back NO_VECTOR");
        d.common(Q_MSIX_VECTOR, 2, 0);
        request(d, 0);
        assertEquals(1, d.msis.size());
        assertEquals(DOORBELL, d.msis.get(0)[0]);
        assertEquals(40, d.msis.get(0)[1], "queue 0's vector data");
        assertEquals(d.dev.slot() << 3, d.msis.get(0)[2], "the requester ID: bus 0, the slot, function 0");
        assertEquals(0, d.isr(), "no ISR with MSI-X");
        for (int n : d.intx) {
            assertEquals(0, n, "no INTx with MSI-X");
        }
    }

    @Test
    void maskedVectorIsHeldPendingUntilUnmasked() {
        Driver d = rng();
        int cap = msixCap(d);
        d.bus.write(d.msixBar, 4, DOORBELL);
        d.bus.write(d.msixBar + 8, 4, 33);
        d.cfgWrite(cap + 2, 2, MsiX.CTRL_ENABLE);
        d.common(Q_SELECT, 2, 0);
        d.common(Q_MSIX_VECTOR, 2, 0);
        request(d, 0); // vector 0 still masked
        assertEquals(0, d.msis.size());
        assertEquals(1, d.bus.read(d.msixBar + PBA_OFF, 8), "pending bit 0");
        d.bus.write(d.msixBar + 12, 4, 0); // unmask
        assertEquals(1, d.msis.size());
        assertEquals(33, d.msis.get(0)[1]);
        assertEquals(0, d.bus.read(d.msixBar + PBA_OFF, 8));
    }

    @Test
    void noVectorMeansNoNotificationAndDisablingReturnsToIntx() {
        Driver d = rng();
        int cap = msixCap(d);
        d.bus.write(d.msixBar + 12, 4, 0);
        d.cfgWrite(cap + 2, 2, MsiX.CTRL_ENABLE);
        request(d, 0); // queue vector left at NO_VECTOR
        assertEquals(0, d.msis.size());
        d.cfgWrite(cap + 2, 2, 0);
        request(d, 1);
        assertEquals(ISR_QUEUE, d.isr() & ISR_QUEUE, "INTx and the ISR again once MSI-X is disabled");
    }

    @Test
    void noMsiWithoutBusMastering() {
        Driver d = rng();
        int cap = msixCap(d);
        d.bus.write(d.msixBar + 8, 4, 5);
        d.bus.write(d.msixBar + 12, 4, 0);
        d.cfgWrite(cap + 2, 2, MsiX.CTRL_ENABLE);
        d.common(Q_SELECT, 2, 0);
        d.common(Q_MSIX_VECTOR, 2, 0);
        d.cfgWrite(PciDevice.COMMAND, 2, PciDevice.CMD_MEMORY);
        request(d, 0);
        assertEquals(0, d.msis.size());
    }
}
