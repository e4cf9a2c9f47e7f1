package dev.cca.core.platform;

import dev.cca.core.Machine;
import dev.cca.core.mem.Page;
import dev.cca.core.mem.PhysicalMemory;

/**
 * The physical platform the host runs on: where DRAM is, and the Root memory that only EL3 uses (it holds the
 * GPT). Laid out like Arm's FVP Base: DRAM at 0x8000_0000, trusted memory below it.
 *
 * <pre>
 *   0x0600_0000  16 MiB   Root memory (EL3 data, the GPT)
 *   0x8000_0000  dramSize DRAM (Non-secure at boot; the RMM delegates granules from here)
 * </pre>
 *
 * A platform that runs a Non-secure image of its own (cca run --host-image) also maps {@link FvpDevices}.
 */
public final class HostPlatform {
    public static final long ROOT_BASE = 0x0600_0000L;
    public static final long ROOT_SIZE = 16L << 20;
    public static final long DRAM_BASE = 0x8000_0000L;
    /** Protected physical address size the GPT covers (GPCCR_EL3.PPS = 40 bits). */
    public static final int PPS_BITS = 40;

    public final Machine machine;
    public final long dramSize;
    public final PhysicalMemory.RamRegion dram;
    public final PhysicalMemory.RamRegion root;

    public HostPlatform(int cpus, long dramSize) {
        this(cpus, dramSize, Machine.Topology.FLAT);
    }

    /** A platform whose PEs' MPIDRs follow {@code topology} (FVP's for images built for the FVP). */
    public HostPlatform(int cpus, long dramSize, Machine.Topology topology) {
        if (dramSize <= 0 || (dramSize & (Page.SIZE - 1)) != 0) {
            throw new IllegalArgumentException("DRAM size must be a positive multiple of 4 KiB");
        }
        if (DRAM_BASE + dramSize > (1L << PPS_BITS)) {
            throw new IllegalArgumentException("DRAM larger than the protected physical address space");
        }
        this.machine = new Machine(cpus, topology);
        this.dramSize = dramSize;
        this.root = machine.memory.addRam(ROOT_BASE, ROOT_SIZE, "root");
        this.dram = machine.memory.addRam(DRAM_BASE, dramSize, "dram");
    }

    public long dramEnd() {
        return DRAM_BASE + dramSize;
    }
}
