package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.el3.Monitor;
import dev.cca.rmm.el3.PlatformAttestation;

/**
 * The firmware of a CCA platform: the EL3 monitor and the RMM, installed on every PE and booted as TF-A would
 * boot them. After {@link #install} every PE is at Non-secure EL2, where the host runs.
 */
public final class CcaFirmware {
    public final Monitor monitor;
    public final Rmm rmm;
    private final HostPlatform platform;

    private CcaFirmware(HostPlatform platform, Monitor monitor, Rmm rmm) {
        this.platform = platform;
        this.monitor = monitor;
        this.rmm = rmm;
    }

    public static CcaFirmware install(HostPlatform platform) {
        return install(platform, PlatformAttestation.generated());
    }

    /** Installs the firmware with the given attestation keys (the platform's CPAK and RAK). */
    public static CcaFirmware install(HostPlatform platform, PlatformAttestation attestation) {
        Cpu c0 = platform.machine.cpu(0);
        Features f = Features.forPe(c0.sr[SysRegs.ID_AA64DFR0_EL1], c0.sr[SysRegs.ID_AA64MMFR0_EL1]);
        Rmm rmm = new Rmm(platform.machine.cpuCount(), HostPlatform.DRAM_BASE, platform.dramSize, f);
        Monitor monitor = new Monitor(platform, Rmm.RMM_PC, attestation);
        for (int i = 0; i < platform.machine.cpuCount(); i++) {
            Cpu cpu = platform.machine.cpu(i);
            cpu.setFirmware(2, SecurityState.REALM, rmm);
            monitor.boot(cpu);
        }
        return new CcaFirmware(platform, monitor, rmm);
    }

    /** A read-only view of the RMM's state, using PE {@code cpu}'s view of memory. */
    public RmmInspector inspector(int cpu) {
        return rmm.inspector(platform.machine.cpu(cpu));
    }
}
