package dev.cca.rmm;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.el3.PowerControl;
import dev.cca.rmm.smc.Psci;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PSCI for the Non-secure world at EL3 (cca run --host-image): what TF-A answers a bare-metal NS-EL2 image. */
class NsPsciTest {
    private final HostPlatform platform = new HostPlatform(4, 64L << 20, Machine.Topology.FVP);
    private final CcaFirmware fw = CcaFirmware.install(platform);
    private final List<String> events = new ArrayList<>();
    private final Cpu pe0 = platform.machine.cpu(0);

    NsPsciTest() {
        fw.monitor.enablePsci(new PowerControl() {
            @Override
            public void powerOn(int pe) {
                events.add("on " + pe);
            }

            @Override
            public void powerOff(int pe) {
                events.add("off " + pe);
            }

            @Override
            public void systemOff() {
                events.add("system off");
            }

            @Override
            public void systemReset() {
                events.add("system reset");
            }
        }, 0);
    }

    private long call(Cpu c, long fid, long... args) {
        return Smccc.call(c, fid, args)[0];
    }

    @Test
    void versionAndFeatures() {
        assertEquals(Psci.VERSION_1_1, call(pe0, Psci.VERSION));
        assertEquals(0, call(pe0, Psci.FEATURES, Psci.CPU_ON_64));
        assertEquals(0, call(pe0, Psci.FEATURES, Psci.SYSTEM_RESET));
        assertEquals(Psci.NOT_SUPPORTED, call(pe0, Psci.FEATURES, Psci.CPU_SUSPEND_64));
        assertEquals(0, call(pe0, 0x8000_0001L, 0x8000_0001L), "SMCCC_ARCH_FEATURES(ARCH_FEATURES)");
        assertEquals(Psci.NOT_SUPPORTED, call(pe0, 0x8000_0001L, 0x8000_8000L), "no ARCH_WORKAROUND_1");
        assertEquals(Psci.NOT_SUPPORTED, call(pe0, Psci.CPU_SUSPEND_64));
    }

    @Test
    void cpuOnPowersTheTargetByMpidrAndItStartsAtTheEntryWithTheContextId() {
        long mpidr2 = platform.machine.cpu(2).sr[SysRegs.MPIDR_EL1] & 0xFF_FFFF; // 0x200: core 2
        assertEquals(0x200, mpidr2);
        assertEquals(Psci.AFFINITY_OFF, call(pe0, Psci.AFFINITY_INFO_64, mpidr2, 0));
        long entry = HostPlatform.DRAM_BASE + 0x1000;
        assertEquals(Psci.SUCCESS, call(pe0, Psci.CPU_ON_64, mpidr2, entry, 0xC0FFEE));
        assertEquals(List.of("on 2"), events);
        assertEquals(2, call(pe0, Psci.AFFINITY_INFO_64, mpidr2, 0), "ON_PENDING until it boots");
        assertEquals(Psci.ON_PENDING, call(pe0, Psci.CPU_ON_64, mpidr2, entry, 0));
        Cpu pe2 = platform.machine.cpu(2);
        fw.monitor.warmBoot(pe2);
        assertEquals(entry, pe2.pc);
        assertEquals(0xC0FFEE, pe2.x[0]);
        assertEquals(2, pe2.el);
        assertEquals(0x3C0, pe2.daif, "interrupts masked");
        assertEquals(0, pe2.sr[SysRegs.SCTLR_EL2] & 1, "MMU off");
        assertEquals(Psci.AFFINITY_ON, call(pe0, Psci.AFFINITY_INFO_64, mpidr2, 0));
        assertEquals(Psci.ALREADY_ON, call(pe0, Psci.CPU_ON_64, mpidr2, entry, 0));
        call(pe2, Psci.CPU_OFF);
        assertEquals(List.of("on 2", "off 2"), events);
        assertEquals(Psci.AFFINITY_OFF, call(pe0, Psci.AFFINITY_INFO_64, mpidr2, 0));
    }

    @Test
    void cpuOnRejectsUnknownPesAndEntriesOutsideMemory() {
        assertEquals(Psci.INVALID_PARAMETERS, call(pe0, Psci.CPU_ON_64, 0x7_0000, HostPlatform.DRAM_BASE, 0));
        assertEquals(Psci.INVALID_ADDRESS, call(pe0, Psci.CPU_ON_64, 0x100, 0x1000, 0));
        assertEquals(Psci.INVALID_ADDRESS, call(pe0, Psci.CPU_ON_64, 0x100, HostPlatform.DRAM_BASE + 2, 0));
        assertEquals(Psci.INVALID_PARAMETERS, call(pe0, Psci.AFFINITY_INFO_64, 0x100, 1), "only level 0");
    }

    @Test
    void systemOffAndResetGoToThePowerController() {
        call(pe0, Psci.SYSTEM_RESET);
        call(pe0, Psci.SYSTEM_OFF);
        assertEquals(List.of("system reset", "system off"), events);
    }
}
