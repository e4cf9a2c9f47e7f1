package dev.cca.kvm.host;

import dev.cca.core.cpu.Smccc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test interface of the host kernel, like a kernel test module: it issues raw SMCs from Non-secure EL2 with
 * the registers a test gives, on a PE the kernel schedules for it, and hands out host pages to use as granules.
 * ABI regression tests (the {@code smc} steps of {@code cca abi-test}) use it to check the RMM's answers to RMI
 * calls that no ioctl would make, for example delegating a granule twice.
 *
 * <p>It is deliberately not reachable through a file descriptor: a VMM cannot use it, and nothing in the KVM
 * path depends on it. Raw calls can change RMM state behind KVM's back (delegate a page KVM later allocates);
 * tests that mix raw calls and ioctls must only hand the RMM pages they got from {@link #allocGranule()}.
 */
public final class RmiTestPort {
    private final HostKernel kernel;
    private final Set<Long> granules = ConcurrentHashMap.newKeySet();

    RmiTestPort(HostKernel kernel) {
        this.kernel = kernel;
    }

    /**
     * Executes {@code SMC #0} with X0 = {@code fid} and X1.. = {@code args} (at most 7) at Non-secure EL2 and
     * returns X0..X7 as the PE holds them when the call returns.
     */
    public long[] smc(long fid, long... args) {
        if (args.length > 7) {
            throw new IllegalArgumentException("an SMC passes at most 7 arguments in X1..X7, got " + args.length);
        }
        try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
            long[] out = new long[8];
            Smccc.callInto(lease.cpu, out, fid, args);
            return out;
        }
    }

    /**
     * Allocates a zeroed 4 KiB host page for a test to delegate, create objects in or pass as a parameter page.
     * Returns its physical address, or -1 if the host is out of memory. The page is never given back to the
     * allocator: a test cannot know whether the RMM still owns it.
     */
    public long allocGranule() {
        long pa = kernel.allocZeroedPage();
        if (pa >= 0) {
            granules.add(pa);
        }
        return pa;
    }

    /** Writes {@code value} at physical address {@code pa} of a page from {@link #allocGranule()} (NS PAS). */
    public void write64(long pa, long value) {
        checkOwned(pa);
        try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
            lease.cpu.physWrite(pa, 8, value, dev.cca.core.mem.Pas.NON_SECURE);
        }
    }

    /** Reads 8 bytes at {@code pa} of a page from {@link #allocGranule()} through the Non-secure PAS. */
    public long read64(long pa) {
        checkOwned(pa);
        try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
            return lease.cpu.physRead(pa, 8, dev.cca.core.mem.Pas.NON_SECURE);
        }
    }

    private void checkOwned(long pa) {
        if (!granules.contains(pa & ~0xFFFL) || (pa & 7) != 0) {
            throw new IllegalArgumentException(String.format(
                    "%#x is not an aligned address in a page this test port allocated", pa));
        }
    }
}
