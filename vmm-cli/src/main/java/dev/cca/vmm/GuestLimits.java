package dev.cca.vmm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.vmm.image.LoadedImage;

/**
 * The limits of a guest configuration, checked in one place so that {@code cca measure} refuses exactly the
 * configurations {@code cca run} refuses (and predicts a RIM only for guests that can boot).
 */
final class GuestLimits {
    static final int MAX_CPUS = 64;
    /** The host's own memory beside the guest's RAM: kernel, page tables, the RMM's granules. */
    static final long HOST_OVERHEAD = 256L << 20;

    private GuestLimits() {
    }

    /** --cpus and --mem as given. */
    static void check(long mem, int cpus) throws RunCommand.UsageError {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new RunCommand.UsageError("--cpus must be between 1 and " + MAX_CPUS + ", was " + cpus);
        }
        if (mem < (1L << 20) || (mem & 0xFFFFF) != 0) {
            throw new RunCommand.UsageError("--mem must be a whole number of MiB, at least 1 MiB");
        }
    }

    /** The host DRAM a run of this guest boots with; refuses a guest whose host the GPT cannot describe. */
    static long hostDram(long mem, int cpus, LoadedImage image) throws RunCommand.UsageError {
        long dram = mem + HOST_OVERHEAD + image.segments().stream().mapToLong(LoadedImage.Segment::memSize).sum();
        dram = (dram + (1L << 20) - 1) & ~((1L << 20) - 1);
        long max = CcaHost.maxDramBytes(cpus);
        if (dram > max) {
            throw new RunCommand.UsageError(String.format("--mem %d MiB: the guest with its boot files needs a host "
                    + "with %d MiB of DRAM, more than the %d MiB the host's granule protection table can describe",
                    mem >> 20, dram >> 20, max >> 20));
        }
        return dram;
    }
}
