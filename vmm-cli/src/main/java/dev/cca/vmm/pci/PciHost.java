package dev.cca.vmm.pci;

import dev.cca.core.mem.MmioDevice;
import dev.cca.vmm.MemoryMap;
import dev.cca.vmm.device.IrqLine;
import dev.cca.vmm.device.MmioBus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A PCIe host bridge as Linux's {@code pci-host-ecam-generic} driver sees it: ECAM configuration space for bus 0
 * (one function per slot, slots in the order devices are added), a 32-bit memory window and an I/O window in
 * which the guest places the BARs itself (Linux assigns them at boot, kvm-unit-tests' pci_probe does its own),
 * and INTA-D of each slot swizzled onto four SPIs (QEMU virt's interrupt-map). Absent functions read as all
 * ones, as a master abort does.
 */
public final class PciHost {
    public static final int MAX_SLOTS = 32;

    private final List<PciDevice> devices = new ArrayList<>();
    private final IrqLine[] intx = new IrqLine[4];
    private final boolean[] intxLevel = new boolean[4];
    private final MsiSink msi;

    /**
     * Where the functions' MSI writes go: the message's address and data, with the requester ID of the function
     * that sent it (bus &lt;&lt; 8 | device &lt;&lt; 3 | function), which the device tree's msi-map makes the
     * ITS DeviceID. The VMM sends it with KVM_SIGNAL_MSI.
     */
    @FunctionalInterface
    public interface MsiSink {
        void send(long address, int data, int requesterId);

        /** No MSI controller: messages go nowhere (the functions have no MSI-X capability then). */
        MsiSink NONE = (a, d, r) -> { };
    }

    /** {@code lines.apply(intid)}: the interrupt line of an SPI, by INTID. No MSI controller. */
    public PciHost(IntFunction<IrqLine> lines) {
        this(lines, null);
    }

    /** With {@code msi} non-null the guest has an MSI controller (an ITS) that the functions' MSI-X reaches. */
    public PciHost(IntFunction<IrqLine> lines, MsiSink msi) {
        for (int i = 0; i < 4; i++) {
            intx[i] = lines.apply(MemoryMap.SPI_PCI_INTX + i);
        }
        this.msi = msi;
    }

    /** Whether functions should offer MSI-X (there is an MSI controller to reach). */
    public boolean hasMsi() {
        return msi != null;
    }

    void sendMsi(PciDevice from, long address, int data) {
        if (msi != null) {
            msi.send(address, data, from.slot() << 3);
        }
    }

    /** Plugs {@code d} into the next free slot of bus 0; returns the slot. */
    public synchronized int add(PciDevice d) {
        if (devices.size() == MAX_SLOTS) {
            throw new IllegalStateException("bus 0 is full (" + MAX_SLOTS + " slots)");
        }
        int slot = devices.size();
        devices.add(d);
        d.plug(this, slot);
        return slot;
    }

    public synchronized List<PciDevice> devices() {
        return Collections.unmodifiableList(new ArrayList<>(devices));
    }

    /** Claims the ECAM, memory and I/O windows of {@link MemoryMap} on {@code bus}. */
    public void register(MmioBus bus) {
        bus.register(MemoryMap.PCI_ECAM, MemoryMap.PCI_ECAM_SIZE, ecam);
        bus.register(MemoryMap.PCI_MMIO, MemoryMap.PCI_MMIO_SIZE, new Window(false));
        bus.register(MemoryMap.PCI_IO, MemoryMap.PCI_IO_SIZE, new Window(true));
    }

    /** The INTID that pin {@code pin} (1 = INTA) of {@code slot} raises: the standard swizzle over four SPIs. */
    public static int intxIntid(int slot, int pin) {
        return MemoryMap.SPI_PCI_INTX + (slot + pin - 1) % 4;
    }

    private PciDevice function(long ecamOffset) {
        int bus = (int) (ecamOffset >>> 20);
        int slot = (int) (ecamOffset >>> 15) & 31;
        int fn = (int) (ecamOffset >>> 12) & 7;
        if (bus != 0 || fn != 0) {
            return null;
        }
        synchronized (this) {
            return slot < devices.size() ? devices.get(slot) : null;
        }
    }

    /** ECAM: offset = bus << 20 | device << 15 | function << 12 | register. */
    private final MmioDevice ecam = new MmioDevice() {
        @Override
        public long read(long offset, int size) {
            PciDevice d = function(offset);
            if (d == null) {
                return size >= 8 ? -1L : (1L << (8 * size)) - 1;
            }
            int reg = (int) offset & 0xFFF;
            if (size > 4) { // two dwords, as a 64-bit access to ECAM is split by the bridge
                return d.readConfig(reg, 4) | d.readConfig(reg + 4, 4) << 32;
            }
            return d.readConfig(reg, Math.min(size, 0x1000 - reg));
        }

        @Override
        public void write(long offset, int size, long value) {
            PciDevice d = function(offset);
            if (d != null) {
                int reg = (int) offset & 0xFFF;
                d.writeConfig(reg, Math.min(size, 0x1000 - reg), value);
            }
        }

        @Override
        public String name() {
            return "pci-ecam";
        }
    };

    /** The memory or I/O window: each access goes to the BAR that decodes it, or reads as all ones. */
    private final class Window implements MmioDevice {
        private final boolean io;

        Window(boolean io) {
            this.io = io;
        }

        private record BarHit(PciDevice device, int bar, long offset) { }

        /** The PCI address of a window offset: memory BARs hold CPU addresses, I/O BARs port numbers. */
        private long pciAddress(long offset) {
            return io ? offset : MemoryMap.PCI_MMIO + offset;
        }

        /** The BAR of this window's kind that holds {@code size} bytes at {@code offset}, or null. */
        private BarHit find(long offset, int size) {
            long addr = pciAddress(offset);
            for (PciDevice d : devices()) {
                for (int i = 0; i < 6; i++) {
                    PciDevice.Bar bar = d.bar(i);
                    if (bar != null && bar.io() == io) {
                        long base = d.barBase(i);
                        if (base >= 0 && addr >= base && addr + size <= base + bar.size()) {
                            return new BarHit(d, i, addr - base);
                        }
                    }
                }
            }
            return null;
        }

        @Override
        public long read(long offset, int size) {
            BarHit h = find(offset, size);
            if (h != null) {
                return h.device().barRead(h.bar(), h.offset(), size);
            }
            return size >= 8 ? -1L : (1L << (8 * size)) - 1;
        }

        @Override
        public void write(long offset, int size, long value) {
            BarHit h = find(offset, size);
            if (h != null) {
                h.device().barWrite(h.bar(), h.offset(), size, value);
            }
        }

        @Override
        public String name() {
            return io ? "pci-io" : "pci-mmio";
        }
    }

    /** A function's pin changed: the SPI is the OR of every pin swizzled onto it. */
    synchronized void intxChanged(PciDevice changed) {
        boolean[] level = new boolean[4];
        for (PciDevice d : devices) {
            if (d.interruptPin() != 0 && d.intxAsserted()) {
                level[intxIntid(d.slot(), d.interruptPin()) - MemoryMap.SPI_PCI_INTX] = true;
            }
        }
        for (int i = 0; i < 4; i++) {
            if (level[i] != intxLevel[i]) {
                intxLevel[i] = level[i];
                intx[i].set(level[i]);
            }
        }
    }
}
