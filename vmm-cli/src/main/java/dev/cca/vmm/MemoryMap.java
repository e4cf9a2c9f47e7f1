package dev.cca.vmm;

import java.util.List;
import java.util.Locale;

/**
 * The guest physical memory map, laid out like QEMU's virt machine so that images built for it run unchanged.
 * Realms see every device at its unprotected alias: IPA | 1 &lt;&lt; (IPA width - 1). {@link #REGIONS} declares
 * every region once; {@code cca run --help}, docs/platform.md and the device tree are built from these constants.
 *
 * <pre>
 *   0x0800_0000  64 KiB        GICv3 distributor
 *   0x0808_0000  128 KiB       GICv3 ITS (--irqchip gicv3-its): control frame, translation frame
 *   0x080A_0000  128 KiB/vCPU  GICv3 redistributors
 *   0x0900_0000  4 KiB         PL011 UART (SPI 1 = INTID 33)
 *   0x1000_0000  ~751 MiB      PCI memory window (32-bit BARs, assigned by the guest)
 *   0x3EFF_0000  64 KiB        PCI I/O window (I/O BARs, PCI port 0 at its start)
 *   0x3F00_0000  16 MiB        PCIe ECAM configuration space (buses 0-15), INTA-D = SPIs 3-6 (INTID 35-38)
 *   0x4000_0000  --mem         RAM: the kernel at its load address, the initrd below the device tree,
 *                              the device tree in the last 2 MiB
 * </pre>
 */
public final class MemoryMap {
    private MemoryMap() {
    }

    public static final long GIC_DIST = 0x0800_0000L;
    public static final long GIC_DIST_SIZE = 0x1_0000L;
    /** The ITS (QEMU virt's VIRT_GIC_ITS): ITS_base and the translation frame with GITS_TRANSLATER. */
    public static final long GIC_ITS = 0x0808_0000L;
    public static final long GIC_ITS_SIZE = 0x2_0000L;
    /** The MSI doorbell: GITS_TRANSLATER, at offset 0x40 of the translation frame. */
    public static final long GIC_ITS_TRANSLATER = GIC_ITS + 0x1_0040L;
    public static final long GIC_REDIST = 0x080A_0000L;
    /** Each vCPU's redistributor: RD_base and SGI_base frames, 64 KiB each. */
    public static final long GIC_REDIST_STRIDE = 0x2_0000L;
    public static final long UART = 0x0900_0000L;
    public static final long UART_SIZE = 0x1000;
    /** The PCI memory window: 32-bit non-prefetchable BARs live here, at CPU address = PCI address. */
    public static final long PCI_MMIO = 0x1000_0000L;
    public static final long PCI_MMIO_SIZE = 0x2EFF_0000L;
    /** The PCI I/O window: PCI I/O port p is at CPU address PCI_IO + p. */
    public static final long PCI_IO = 0x3EFF_0000L;
    public static final long PCI_IO_SIZE = 0x1_0000L;
    /** ECAM: 1 MiB per bus (32 devices x 8 functions x 4 KiB), 16 buses. */
    public static final long PCI_ECAM = 0x3F00_0000L;
    public static final long PCI_ECAM_SIZE = 0x100_0000L;
    public static final int PCI_BUSES = (int) (PCI_ECAM_SIZE >> 20);
    public static final long RAM = 0x4000_0000L;

    // Interrupts (GIC INTIDs), as on QEMU virt.
    /** The PL011's SPI (QEMU virt: SPI 1). */
    public static final int SPI_UART = 33;
    /** PCI INTA..INTD of slot 0 (QEMU virt: SPIs 3-6); slot s pin p uses SPI_PCI_INTX + (s + p) % 4. */
    public static final int SPI_PCI_INTX = 35;
    /** The GIC virtual CPU interface maintenance interrupt (PPI 9). */
    public static final int PPI_GIC_MAINTENANCE = 25;
    /** The PMU overflow interrupt (INTID 23, PPI 7 in the device tree), as QEMU virt and kvmtool. */
    public static final int PPI_PMU = 23;
    /** Architected timer PPIs: EL2 physical 26, EL1 virtual 27, EL1 secure physical 29, EL1 physical 30. */
    public static final int PPI_TIMER_HYP = 26, PPI_TIMER_VIRT = 27, PPI_TIMER_SEC = 29, PPI_TIMER_PHYS = 30;
    /** The device tree sits in the last 2 MiB of RAM (or the last 64 KiB of a RAM smaller than 4 MiB). */
    public static final long DTB_MAX_SIZE = 2L << 20;

    /** One region of the map; {@code size} 0 means "depends on the configuration" (said in {@code sizeText}). */
    public record Region(long base, long size, String sizeText, String what) {
    }

    /** Every region of the guest's physical address space, in address order. */
    public static final List<Region> REGIONS = List.of(
            new Region(GIC_DIST, GIC_DIST_SIZE, "64 KiB", "GICv3 distributor"),
            new Region(GIC_ITS, GIC_ITS_SIZE, "128 KiB", "GICv3 ITS (--irqchip gicv3-its)"),
            new Region(GIC_REDIST, 0, "128 KiB per vCPU", "GICv3 redistributors"),
            new Region(UART, UART_SIZE, "4 KiB", "PL011 UART, INTID 33"),
            new Region(PCI_MMIO, PCI_MMIO_SIZE, "751 MiB", "PCI memory window (BARs)"),
            new Region(PCI_IO, PCI_IO_SIZE, "64 KiB", "PCI I/O window"),
            new Region(PCI_ECAM, PCI_ECAM_SIZE, "16 MiB", "PCIe ECAM, INTA-D = INTID 35-38"),
            new Region(RAM, 0, "--mem", "RAM"));

    /** The IPA width a VM with {@code ramBytes} of RAM needs (kvmtool: max(32, fls(top)); realms add one bit). */
    public static int ipaBits(long ramBytes, boolean realm) {
        long top = RAM + ramBytes - 1;
        int bits = Math.max(32, 64 - Long.numberOfLeadingZeros(top));
        return realm ? bits + 1 : bits;
    }

    /** The map as help text: one line per region. */
    public static String describe() {
        StringBuilder b = new StringBuilder();
        for (Region r : REGIONS) {
            b.append(String.format(Locale.ROOT, "  %#012x  %-17s %s%n", r.base(), r.sizeText(), r.what()));
        }
        return b.toString();
    }
}
