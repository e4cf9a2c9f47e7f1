package dev.cca.kvm.host;

import dev.cca.core.platform.HostPlatform;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.rmm.CcaFirmware;

/**
 * A booted CCA host: the platform, its firmware (EL3 monitor and RMM) and the host kernel running at Non-secure
 * EL2. Tools start processes on it; a VMM in such a process reaches KVM through file descriptors only.
 */
public final class CcaHost {
    public final HostPlatform platform;
    public final CcaFirmware firmware;
    public final HostKernel kernel;

    private CcaHost(HostPlatform platform, CcaFirmware firmware, HostKernel kernel) {
        this.platform = platform;
        this.firmware = firmware;
        this.kernel = kernel;
    }

    /**
     * Boots a host with {@code cpus} PEs and {@code dramBytes} of DRAM (allocated lazily, so a generous size
     * costs nothing until used).
     */
    public static CcaHost boot(int cpus, long dramBytes) {
        return boot(cpus, dramBytes, AbiProfile.V12);
    }

    /** Boots a host whose kernel implements the given variant of the realm user ABI. */
    public static CcaHost boot(int cpus, long dramBytes, AbiProfile profile) {
        HostPlatform p = new HostPlatform(cpus, dramBytes);
        CcaFirmware fw = CcaFirmware.install(p);
        HostKernel k = HostKernel.boot(p, profile);
        return new CcaHost(p, fw, k);
    }
}
