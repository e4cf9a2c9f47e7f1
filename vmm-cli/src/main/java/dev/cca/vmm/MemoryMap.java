package dev.cca.vmm;

/**
 * The guest physical memory map, laid out like QEMU's virt machine so that images built for it run unchanged.
 * Realms see every device at its unprotected alias: IPA | 1 &lt;&lt; (IPA width - 1).
 *
 * <pre>
 *   0x0800_0000  64 KiB    GICv3 distributor
 *   0x080A_0000  128 KiB/vCPU  GICv3 redistributors
 *   0x0900_0000  4 KiB     PL011 UART (SPI 1 = INTID 33)
 *   0x4000_0000  --mem     RAM: the kernel at its load address, the initrd below the device tree,
 *                          the device tree in the last 2 MiB
 * </pre>
 */
public final class MemoryMap {
    private MemoryMap() {
    }

    public static final long GIC_DIST = 0x0800_0000L;
    public static final long GIC_DIST_SIZE = 0x1_0000L;
    public static final long GIC_REDIST = 0x080A_0000L;
    /** Each vCPU's redistributor: RD_base and SGI_base frames, 64 KiB each. */
    public static final long GIC_REDIST_STRIDE = 0x2_0000L;
    public static final long UART = 0x0900_0000L;
    public static final long UART_SIZE = 0x1000;
    public static final long RAM = 0x4000_0000L;

    // Interrupts (GIC INTIDs), as on QEMU virt.
    /** The PL011's SPI (QEMU virt: SPI 1). */
    public static final int SPI_UART = 33;
    /** The GIC virtual CPU interface maintenance interrupt (PPI 9). */
    public static final int PPI_GIC_MAINTENANCE = 25;
    /** Architected timer PPIs: EL2 physical 26, EL1 virtual 27, EL1 secure physical 29, EL1 physical 30. */
    public static final int PPI_TIMER_HYP = 26, PPI_TIMER_VIRT = 27, PPI_TIMER_SEC = 29, PPI_TIMER_PHYS = 30;
    /** The device tree sits in the last 2 MiB of RAM (or the last 64 KiB of a RAM smaller than 4 MiB). */
    public static final long DTB_MAX_SIZE = 2L << 20;

    /** The IPA width a VM with {@code ramBytes} of RAM needs (kvmtool: max(32, fls(top)); realms add one bit). */
    public static int ipaBits(long ramBytes, boolean realm) {
        long top = RAM + ramBytes - 1;
        int bits = Math.max(32, 64 - Long.numberOfLeadingZeros(top));
        return realm ? bits + 1 : bits;
    }

    public static String describe() {
        return String.format("  %#012x  GICv3 distributor%n  %#012x  GICv3 redistributors%n"
                + "  %#012x  PL011 UART%n  %#012x  RAM%n", GIC_DIST, GIC_REDIST, UART, RAM);
    }
}
