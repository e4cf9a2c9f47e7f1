package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.SysReg;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.gic.Gic;
import dev.cca.core.gic.Redistributor;

/**
 * The host kernel's side of the physical GIC on a PE that runs guests, for both VM types: what the host's GIC driver
 * and KVM configure (SGIs, the maintenance and timer PPIs, EOImode 1), the acknowledgement of the physical
 * interrupts that ended a guest run (a kick is done once taken; a timer or PMU PPI stays active while its virtual
 * interrupt is in flight, as kvm_arch_timer_handler leaves it), and the physical active state of the timer PPIs on
 * entry (kvm_timer_vcpu_load_gic: active while the guest's timer is asserted or its virtual interrupt active, so it
 * does not fire again on the host).
 */
final class HostInterrupts {
    /** Physical SGI a host PE uses to kick another PE out of its guest (a reschedule IPI). */
    static final int KICK_SGI = 0;
    /** The EL1 timers whose PPIs reach guests. */
    static final int[] TIMER_PPIS = {GenericTimer.PPI_VIRT, GenericTimer.PPI_PHYS};
    /**
     * The PPIs of a guest's PE-level devices: the EL1 timers and the PMU's overflow interrupt. Each is left
     * active after the host takes it, and is active on entry while the device's output is high or its virtual
     * interrupt is active, so it fires again only for a new event.
     */
    static final int[] GUEST_PPIS = {GenericTimer.PPI_VIRT, GenericTimer.PPI_PHYS, Pmu.PPI};

    private static final SysReg ICC_IAR1 = SysRegs.byName("ICC_IAR1_EL1");
    private static final SysReg ICC_EOIR1 = SysRegs.byName("ICC_EOIR1_EL1");
    private static final SysReg ICC_DIR = SysRegs.byName("ICC_DIR_EL1");
    private static final SysReg ICC_PMR = SysRegs.byName("ICC_PMR_EL1");
    private static final SysReg ICC_CTLR = SysRegs.byName("ICC_CTLR_EL1");
    private static final SysReg ICC_IGRPEN1 = SysRegs.byName("ICC_IGRPEN1_EL1");

    private HostInterrupts() {
    }

    /** What the host's GIC driver and KVM configure on every PE: SGIs and the PPIs KVM uses, EOImode 1. */
    static void init(Cpu pe) {
        Redistributor r = pe.gic.redistributor();
        if (r == null || r.isEnabled(KICK_SGI)) {
            return;
        }
        for (int ppi : new int[] {KICK_SGI, Gic.PPI_MAINTENANCE, GenericTimer.PPI_HYP_PHYS, GenericTimer.PPI_VIRT,
            GenericTimer.PPI_PHYS, Pmu.PPI}) {
            r.setPriority(ppi, 0xA0);
            r.setEnabled(ppi, true);
        }
        pe.writeSysReg(ICC_PMR, 0xF8);
        pe.writeSysReg(ICC_CTLR, 2); // EOImode 1: priority drop and deactivation are separate (for HW LRs)
        pe.writeSysReg(ICC_IGRPEN1, 1);
    }

    /**
     * Acknowledges the PE's pending physical interrupts: kicks and maintenance interrupts are done at once; a
     * guest timer's PPI is left active (the guest's timer level is what KVM injects).
     */
    static void acknowledge(Cpu pe) {
        for (int n = 0; n < 64 && pe.irqPending(); n++) {
            int intid = (int) pe.readSysReg(ICC_IAR1);
            if (intid == GicCpuInterface.SPURIOUS) {
                return;
            }
            pe.writeSysReg(ICC_EOIR1, intid); // priority drop
            if (intid != GenericTimer.PPI_VIRT && intid != GenericTimer.PPI_PHYS && intid != Pmu.PPI) {
                pe.writeSysReg(ICC_DIR, intid);
            }
        }
    }

    /** kvm_timer_vcpu_load_gic(): the timer PPI is physically active while its level is high or its vIRQ active. */
    static void setTimerActive(Cpu pe, int ppi, boolean active) {
        Redistributor r = pe.gic.redistributor();
        if (r != null) {
            r.setActive(ppi, active);
        }
    }

    /** The guest's timers and PMU no longer run on the PE (kvm_timer_vcpu_put): their PPIs are not left active. */
    static void releaseTimers(Cpu pe) {
        for (int ppi : GUEST_PPIS) {
            setTimerActive(pe, ppi, false);
        }
    }
}
