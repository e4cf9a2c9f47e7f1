package dev.cca.vmm.fdt;

import dev.cca.vmm.MemoryMap;

/**
 * The device tree of the guest platform ({@link MemoryMap}, laid out like QEMU's virt machine): memory, the
 * vCPUs with the PSCI enable method, PSCI 1.0 (conduit HVC for normal VMs, SMC for realms), the GICv3 with its
 * distributor, redistributors and maintenance interrupt, the architected timer, the PMU with its overflow PPI,
 * the PL011 UART with its clock,
 * and /chosen with the command line, stdout-path and the initrd.
 *
 * <p>Interrupt specifiers use the GICv3 binding: &lt;type number flags&gt;, type 0 SPI / 1 PPI, flags 4 level-high.
 */
public final class DeviceTree {
    private DeviceTree() {
    }

    public static final int PHANDLE_GIC = 1, PHANDLE_CLK = 2, PHANDLE_ITS = 3;
    private static final int SPI = 0, PPI = 1, LEVEL_HIGH = 4;
    /** The UART's clock: 24 MHz, as QEMU's apb-pclk. */
    public static final int UART_CLOCK_HZ = 24_000_000;

    /** What to describe. {@code initrdStart}/{@code initrdEnd} are 0 when there is no initrd. */
    public record Config(long ramBytes, int cpus, boolean realm, String bootargs, long initrdStart, long initrdEnd,
                         boolean pci, boolean its) {
        public Config(long ramBytes, int cpus, boolean realm, String bootargs, long initrdStart, long initrdEnd) {
            this(ramBytes, cpus, realm, bootargs, initrdStart, initrdEnd, false, false);
        }

        public Config(long ramBytes, int cpus, boolean realm, String bootargs, long initrdStart, long initrdEnd,
                      boolean pci) {
            this(ramBytes, cpus, realm, bootargs, initrdStart, initrdEnd, pci, false);
        }
    }

    public static byte[] build(Config c) {
        FdtWriter w = new FdtWriter();
        w.beginNode("");
        w.propStrings("compatible", "linux,dummy-virt");
        w.propStrings("model", c.realm() ? "cca realm VM (QEMU virt layout)" : "cca normal VM (QEMU virt layout)");
        w.propCells("#address-cells", 2);
        w.propCells("#size-cells", 2);
        w.propCells("interrupt-parent", PHANDLE_GIC);

        w.beginNode("chosen");
        if (c.bootargs() != null) {
            w.propStrings("bootargs", c.bootargs());
        }
        w.propStrings("stdout-path", String.format("/pl011@%x", MemoryMap.UART));
        if (c.initrdEnd() > c.initrdStart()) {
            w.propU64("linux,initrd-start", c.initrdStart());
            w.propU64("linux,initrd-end", c.initrdEnd());
        }
        w.endNode();

        w.beginNode(String.format("memory@%x", MemoryMap.RAM));
        w.propStrings("device_type", "memory");
        w.propU64("reg", MemoryMap.RAM, c.ramBytes());
        w.endNode();

        w.beginNode("cpus");
        w.propCells("#address-cells", 1);
        w.propCells("#size-cells", 0);
        for (int i = 0; i < c.cpus(); i++) {
            // reg is the MPIDR affinity KVM gives vCPU i (Aff0 = i % 16, Aff1 = i / 16).
            int mpidr = (i & 0xF) | ((i >> 4) & 0xFF) << 8;
            w.beginNode(String.format("cpu@%x", mpidr));
            w.propStrings("device_type", "cpu");
            w.propStrings("compatible", "arm,arm-v8");
            w.propCells("reg", mpidr);
            w.propStrings("enable-method", "psci");
            w.endNode();
        }
        w.endNode();

        w.beginNode("psci");
        w.propStrings("compatible", "arm,psci-1.0", "arm,psci-0.2");
        w.propStrings("method", c.realm() ? "smc" : "hvc");
        w.endNode();

        w.beginNode(String.format("intc@%x", MemoryMap.GIC_DIST));
        w.propStrings("compatible", "arm,gic-v3");
        w.propCells("#interrupt-cells", 3);
        w.propCells("#address-cells", 2);
        w.propCells("#size-cells", 2);
        w.prop("ranges");
        w.prop("interrupt-controller");
        w.propU64("reg", MemoryMap.GIC_DIST, MemoryMap.GIC_DIST_SIZE, MemoryMap.GIC_REDIST,
                MemoryMap.GIC_REDIST_STRIDE * c.cpus());
        w.propCells("interrupts", PPI, MemoryMap.PPI_GIC_MAINTENANCE - 16, LEVEL_HIGH);
        w.propCells("phandle", PHANDLE_GIC);
        if (c.its()) {
            // Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml: the ITS is a child node.
            w.beginNode(String.format("msi-controller@%x", MemoryMap.GIC_ITS));
            w.propStrings("compatible", "arm,gic-v3-its");
            w.prop("msi-controller");
            w.propCells("#msi-cells", 1);
            w.propU64("reg", MemoryMap.GIC_ITS, MemoryMap.GIC_ITS_SIZE);
            w.propCells("phandle", PHANDLE_ITS);
            w.endNode();
        }
        w.endNode();

        w.beginNode("timer");
        w.propStrings("compatible", "arm,armv8-timer", "arm,armv7-timer");
        // Secure physical (not implemented, never fires), non-secure physical, virtual, hypervisor physical.
        w.propCells("interrupts", PPI, 13, LEVEL_HIGH, PPI, 14, LEVEL_HIGH, PPI, 11, LEVEL_HIGH, PPI, 10, LEVEL_HIGH);
        w.prop("always-on");
        w.endNode();

        // The PMUv3 (Linux's arm,armv8-pmuv3 binding): its overflow interrupt, level-sensitive, on every vCPU.
        w.beginNode("pmu");
        w.propStrings("compatible", "arm,armv8-pmuv3");
        w.propCells("interrupts", PPI, MemoryMap.PPI_PMU - 16, LEVEL_HIGH);
        w.endNode();

        w.beginNode("apb-pclk");
        w.propStrings("compatible", "fixed-clock");
        w.propCells("#clock-cells", 0);
        w.propCells("clock-frequency", UART_CLOCK_HZ);
        w.propStrings("clock-output-names", "clk24mhz");
        w.propCells("phandle", PHANDLE_CLK);
        w.endNode();

        w.beginNode(String.format("pl011@%x", MemoryMap.UART));
        w.propStrings("compatible", "arm,pl011", "arm,primecell");
        w.propU64("reg", MemoryMap.UART, MemoryMap.UART_SIZE);
        w.propCells("interrupts", SPI, MemoryMap.SPI_UART - 32, LEVEL_HIGH);
        w.propStrings("clock-names", "uartclk", "apb_pclk");
        w.propCells("clocks", PHANDLE_CLK, PHANDLE_CLK);
        w.endNode();

        if (c.pci()) {
            pciHost(w, c.its());
        }

        w.endNode();
        return w.finish(0);
    }

    /** PCI address space codes in the first cell of a PCI address (IEEE 1275 PCI binding). */
    private static final int PCI_IO = 0x0100_0000, PCI_MEM32 = 0x0200_0000;

    /**
     * The PCIe host bridge (Documentation/devicetree/bindings/pci/host-generic-pci.yaml): ECAM, the I/O and
     * 32-bit memory windows (CPU address = PCI address for memory; I/O port 0 at the window's start), and an
     * interrupt-map with the standard INTx swizzle onto four SPIs. With an ITS, {@code msi-map} sends every
     * requester ID (bus << 8 | device << 3 | function) to the ITS as the same DeviceID, as QEMU virt does (Linux
     * then uses MSI-X); without one there is none and Linux uses INTx. No linux,pci-probe-only: the kernel assigns
     * the BARs itself.
     */
    private static void pciHost(FdtWriter w, boolean its) {
        w.beginNode(String.format("pcie@%x", MemoryMap.PCI_ECAM));
        w.propStrings("compatible", "pci-host-ecam-generic");
        w.propStrings("device_type", "pci");
        w.propCells("#address-cells", 3);
        w.propCells("#size-cells", 2);
        w.propCells("#interrupt-cells", 1);
        w.propU64("reg", MemoryMap.PCI_ECAM, MemoryMap.PCI_ECAM_SIZE);
        w.propCells("bus-range", 0, MemoryMap.PCI_BUSES - 1);
        w.propCells("linux,pci-domain", 0);
        w.prop("dma-coherent");
        w.propCells("ranges",
                PCI_IO, 0, 0, hi(MemoryMap.PCI_IO), lo(MemoryMap.PCI_IO), 0, (int) MemoryMap.PCI_IO_SIZE,
                PCI_MEM32, hi(MemoryMap.PCI_MMIO), lo(MemoryMap.PCI_MMIO), hi(MemoryMap.PCI_MMIO),
                lo(MemoryMap.PCI_MMIO), 0, (int) MemoryMap.PCI_MMIO_SIZE);
        int[] map = new int[4 * 4 * 10];
        int i = 0;
        for (int slot = 0; slot < 4; slot++) {
            for (int pin = 1; pin <= 4; pin++) {
                // child unit address (phys.hi with the device number, mid, lo), child pin, GIC, parent unit address
                // (#address-cells of the GIC: 2), and the GIC interrupt specifier.
                map[i++] = slot << 11;
                map[i++] = 0;
                map[i++] = 0;
                map[i++] = pin;
                map[i++] = PHANDLE_GIC;
                map[i++] = 0;
                map[i++] = 0;
                map[i++] = SPI;
                map[i++] = dev.cca.vmm.pci.PciHost.intxIntid(slot, pin) - 32;
                map[i++] = LEVEL_HIGH;
            }
        }
        w.propCells("interrupt-map", map);
        w.propCells("interrupt-map-mask", 3 << 11, 0, 0, 7);
        if (its) {
            w.propCells("msi-map", 0, PHANDLE_ITS, 0, 0x1_0000);
        }
        w.endNode();
    }

    private static int hi(long v) {
        return (int) (v >>> 32);
    }

    private static int lo(long v) {
        return (int) v;
    }
}
