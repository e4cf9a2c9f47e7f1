package dev.cca.kvm.host;

import dev.cca.core.platform.HostPlatform;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.rmm.CcaFirmware;
import dev.cca.rmm.el3.PlatformAttestation;

import java.util.function.BiConsumer;

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

    /** The most DRAM a host with {@code cpus} PEs can have: what the GPT in Root memory can describe. */
    public static long maxDramBytes(int cpus) {
        return dev.cca.rmm.el3.Monitor.maxDramBytes(cpus);
    }

    /**
     * Boots a host with {@code cpus} PEs and {@code dramBytes} of DRAM (allocated lazily, so a generous size
     * costs nothing until used).
     */
    public static CcaHost boot(int cpus, long dramBytes) {
        return boot(cpus, dramBytes, PlatformAttestation.generated());
    }

    /** Boots a host whose kernel implements the given variant of the realm user ABI (cca abi-test --profile). */
    public static CcaHost boot(int cpus, long dramBytes, AbiProfile profile) {
        return boot(cpus, dramBytes, PlatformAttestation.generated(), profile, (p, fw) -> { });
    }

    /** As {@link #boot(int, long)}, with the platform's attestation keys given (cca run --attestation-keys). */
    public static CcaHost boot(int cpus, long dramBytes, PlatformAttestation attestation) {
        return boot(cpus, dramBytes, attestation, (p, fw) -> { });
    }

    /**
     * As {@link #boot(int, long, PlatformAttestation)}, calling {@code beforeKernel} once the firmware is installed
     * and before the host kernel boots (and makes its first RMI calls), so that traces and debuggers see every call.
     */
    public static CcaHost boot(int cpus, long dramBytes, PlatformAttestation attestation,
                               BiConsumer<HostPlatform, CcaFirmware> beforeKernel) {
        return boot(cpus, dramBytes, attestation, AbiProfile.V12, beforeKernel);
    }

    /** The general form: attestation keys, the kernel's ABI profile and a hook before the kernel boots. */
    public static CcaHost boot(int cpus, long dramBytes, PlatformAttestation attestation, AbiProfile profile,
                               BiConsumer<HostPlatform, CcaFirmware> beforeKernel) {
        HostPlatform p = new HostPlatform(cpus, dramBytes);
        CcaFirmware fw = CcaFirmware.install(p, attestation);
        beforeKernel.accept(p, fw);
        HostKernel k = HostKernel.boot(p, profile);
        return new CcaHost(p, fw, k);
    }
}
