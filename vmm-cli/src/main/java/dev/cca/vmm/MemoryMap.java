package dev.cca.vmm;

/**
 * The guest physical memory map, laid out like QEMU's virt machine so that images built for it run unchanged.
 * Realms see every device at its unprotected alias: IPA | 1 &lt;&lt; (IPA width - 1).
 *
 * <pre>
 *   0x0800_0000  64 KiB    GICv3 distributor
 *   0x080A_0000  128 KiB/vCPU  GICv3 redistributors
 *   0x0900_0000  4 KiB     PL011 UART
 *   0x4000_0000  --mem     RAM
 * </pre>
 */
public final class MemoryMap {
    private MemoryMap() {
    }

    public static final long GIC_DIST = 0x0800_0000L;
    public static final long GIC_REDIST = 0x080A_0000L;
    public static final long UART = 0x0900_0000L;
    public static final long UART_SIZE = 0x1000;
    public static final long RAM = 0x4000_0000L;

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
