package dev.cca.vmm.virtio;

import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.pci.PciDevice;
import dev.cca.vmm.pci.PciHost;

import static dev.cca.vmm.virtio.VirtioPciDevice.*;

/**
 * A virtio-pci driver for tests, as Linux's virtio_pci_modern does it: BAR0 placed at the start of the PCI memory
 * window through ECAM, features negotiated, queues laid out in guest RAM at fixed addresses (queue q's
 * descriptor table at {@code QUEUES + q * 0x4000}, available ring 0x1000 after it, used ring 0x2000 after it),
 * DRIVER_OK. Requests are written as raw descriptors so that tests can also write broken ones.
 */
final class Driver {
    static final long RAM = MemoryMap.RAM;
    static final long QUEUES = RAM + 0x10000;
    static final long DATA = RAM + 0x100000;
    final ByteRam mem;
    final VirtioPciDevice dev;
    final long bar = MemoryMap.PCI_MMIO;
    final int[] intx = new int[64];
    final boolean[] level = new boolean[64];
    final int[] availIdx = new int[4];
    final int[] sizes = new int[4];
    final dev.cca.vmm.device.MmioBus bus = new dev.cca.vmm.device.MmioBus();
    /** With MSI-X: BAR1 (table and PBA), and the messages sent: {address, data, requester ID}. */
    final long msixBar = MemoryMap.PCI_MMIO + 0x10000;
    final java.util.List<long[]> msis = new java.util.ArrayList<>();

    Driver(VirtioDevice d, ByteRam mem, boolean realm) {
        this(d, mem, realm, false);
    }

    Driver(VirtioDevice d, ByteRam mem, boolean realm, boolean msix) {
        this.mem = mem;
        this.dev = new VirtioPciDevice(d, mem, realm, msix);
        java.util.function.IntFunction<dev.cca.vmm.device.IrqLine> lines = intid -> lvl -> {
            level[intid] = lvl;
            if (lvl) {
                intx[intid]++;
            }
        };
        PciHost host = msix ? new PciHost(lines, (a, v, rid) -> msis.add(new long[] {a, v, rid}))
                : new PciHost(lines);
        host.add(dev);
        host.register(bus);
        // BAR0 at the start of the memory window, memory decoding and bus mastering on.
        if (msix) {
            cfgWrite(PciDevice.BAR0 + 4, 4, msixBar);
        }
        cfgWrite(PciDevice.BAR0, 4, bar);
        cfgWrite(PciDevice.COMMAND, 2, PciDevice.CMD_MEMORY | PciDevice.CMD_MASTER);
    }

    long cfgRead(int off, int size) {
        return bus.read(MemoryMap.PCI_ECAM + off, size);
    }

    void cfgWrite(int off, int size, long v) {
        bus.write(MemoryMap.PCI_ECAM + off, size, v);
    }

    long common(int off, int size) {
        return bus.read(bar + COMMON_OFF + off, size);
    }

    void common(int off, int size, long v) {
        bus.write(bar + COMMON_OFF + off, size, v);
    }

    /** The usual initialisation; returns false if the device refused FEATURES_OK. */
    boolean init(long features, int queueSize) {
        common(DEVICE_STATUS, 1, 0);
        common(DEVICE_STATUS, 1, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        common(GFSELECT, 4, 0);
        common(GF, 4, features & 0xFFFF_FFFFL);
        common(GFSELECT, 4, 1);
        common(GF, 4, features >>> 32);
        common(DEVICE_STATUS, 1, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        if ((common(DEVICE_STATUS, 1) & STATUS_FEATURES_OK) == 0) {
            return false;
        }
        int n = (int) common(NUM_QUEUES, 2);
        for (int q = 0; q < n; q++) {
            common(Q_SELECT, 2, q);
            int max = (int) common(Q_SIZE, 2);
            int size = Math.min(max, queueSize);
            sizes[q] = size;
            common(Q_SIZE, 2, size);
            long base = QUEUES + q * 0x4000L;
            common(Q_DESC, 4, base);
            common(Q_DESC + 4, 4, 0);
            common(Q_DRIVER, 4, base + 0x1000);
            common(Q_DRIVER + 4, 4, 0);
            common(Q_DEVICE, 4, base + 0x2000);
            common(Q_DEVICE + 4, 4, 0);
            common(Q_ENABLE, 2, 1);
        }
        common(DEVICE_STATUS, 1, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
        return true;
    }

    long offered() {
        common(DFSELECT, 4, 0);
        long lo = common(DF, 4);
        common(DFSELECT, 4, 1);
        return lo | common(DF, 4) << 32;
    }

    void desc(int q, int i, long addr, int len, int flags, int next) {
        long d = QUEUES + q * 0x4000L + 16L * i;
        mem.write(d, 8, addr);
        mem.write(d + 8, 4, len);
        mem.write(d + 12, 2, flags);
        mem.write(d + 14, 2, next);
    }

    /** Makes chain {@code head} available on queue q and notifies. */
    void kick(int q, int head) {
        long avail = QUEUES + q * 0x4000L + 0x1000;
        mem.write(avail + 4 + 2L * (availIdx[q] % sizes[q]), 2, head);
        availIdx[q] = (availIdx[q] + 1) & 0xFFFF;
        mem.write(avail + 2, 2, availIdx[q]);
        bus.write(bar + NOTIFY_OFF + (long) NOTIFY_MULTIPLIER * q, 2, q);
    }

    int usedIdx(int q) {
        return (int) mem.read(QUEUES + q * 0x4000L + 0x2000 + 2, 2);
    }

    /** The used ring's element {@code i}: {id, len}. */
    long[] used(int q, int i) {
        long e = QUEUES + q * 0x4000L + 0x2000 + 4 + 8L * (i % sizes[q]);
        return new long[] {mem.read(e, 4), mem.read(e + 4, 4)};
    }

    int status() {
        return (int) common(DEVICE_STATUS, 1);
    }

    int isr() {
        return (int) bus.read(bar + ISR_OFF, 1);
    }
}
