package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.Smccc;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Rmi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.cca.kvm.VmBackend.CONTINUE;
import static dev.cca.kvm.RealmHost.readNs;
import static dev.cca.kvm.RealmHost.rmi;
import static dev.cca.kvm.RealmHost.writeNs;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A realm vCPU's KVM_RUN as the v12 patches run it (arch/arm64/kvm/rmi-exit.c, and kvm_rec_pre_enter /
 * kvm_rec_enter of rmi.c): the list registers flushed into rec_enter and synced back from rec_exit around every
 * RMI_REC_ENTER, the timers' levels taken from the exit, and each REC exit handled (handle_rec_exit): IRQs, WFI/WFE,
 * forwarded SGIs, data aborts (to {@link RealmMmu}), PSCI and host calls (to {@link Hypercalls}), RIPAS changes.
 */
final class RecExitHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RecExitHandler.class);
    /** Instructions a REC runs before the host tick forces an exit (the host timer interrupt). */
    static final long TICK_INSTRUCTIONS = 4_000_000;

    private final RealmHost realm;
    private final KvmVm vm;
    private final HostKernel kernel;

    RecExitHandler(RealmHost realm, KvmVm vm) {
        this.realm = realm;
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    // ---- KVM_RUN ---------------------------------------------------------------------------------------------

    /** kvm_handle_mmio_return() for a REC: a read's data goes to rec_enter.gprs[0]; the RMM skips the access. */
    void completeMmio(KvmVcpu v) {
        RealmRec rec = realm.rec(v);
        if (v.mmioRead) {
            long data = v.runRead(Structs.RUN_MMIO_DATA, 8);
            if (v.mmioLen < 8) {
                data &= (1L << (8 * v.mmioLen)) - 1;
            }
            // No sign extension: the RMM does not report ESR_EL2.SSE; a 32-bit register (SF == 0) is zero-extended.
            try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
                writeNs(lease.cpu, rec.run + RecRun.ENTER_GPRS, data);
            }
        }
        rec.enterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
    }

    long run(Process p, KvmVcpu v) {
        Thread self = Thread.currentThread();
        VcpuWait.Slot slot = vm.waits.slot(v.id);
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            Cpu pe = lease.cpu;
            HostInterrupts.init(pe);
            slot.thread = self;
            slot.loadedOn = pe;
            // Time does not stand still while the vCPU was away: catch up with the machine (docs/time.md).
            pe.timer.advanceTo(kernel.platform.machine.counter.highWater());
            try {
                return runLoop(p, pe, v, self);
            } finally {
                slot.loadedOn = null;
                HostInterrupts.releaseTimers(pe);
                kernel.platform.machine.counter.publish(pe.timer.localCount());
            }
        }
    }

    private long runLoop(Process p, Cpu pe, KvmVcpu v, Thread self) {
        RealmRec rec = realm.rec(v);
        Vgic vgic = vm.irqchip;
        while (true) {
            // xfer_to_guest_mode_handle_work(): a pending signal ends KVM_RUN.
            if (p.signalPending()) {
                p.consumeSignal();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            // check_vcpu_requests(): KVM_REQ_SLEEP for a powered-off vCPU (CPU_OFF, SYSTEM_OFF, POWER_OFF).
            long s = v.sleepWhileStopped(p);
            if (s != 0) {
                return s;
            }
            if (v.resetPending) {
                // KVM_REQ_VCPU_RESET after PSCI CPU_ON: the RMM reset the REC itself; KVM's copy follows.
                v.resetPending = false;
                v.regFile.pc = v.resetPc;
                v.regs[0] = v.resetR0;
            }
            long pre = preEnter(pe, v);
            if (pre != CONTINUE) {
                return pre;
            }
            // In guest mode before the list registers are flushed: a kick from now on makes the REC exit.
            kernel.enterGuest(self, pe);
            HostInterrupts.acknowledge(pe);
            flushToRec(pe, v, vgic);
            // As Linux: WFI and WFE exit to the host, so that an idle vCPU's thread sleeps (kvm_vcpu_block).
            writeNs(pe, rec.run + RecRun.ENTER_FLAGS,
                    rec.enterFlags | Rmi.REC_ENTER_TRAP_WFI | Rmi.REC_ENTER_TRAP_WFE);
            long[] r;
            try {
                pe.setIrqCountdown(TICK_INSTRUCTIONS);
                r = rmi(pe, Rmi.REC_ENTER, rec.pa, rec.run);
            } catch (Smccc.CallInterruptedException e) {
                // The emulated PE stopped inside the realm (an exception loop, an emulator failure): it has no
                // way back to the host. The report stays with the PE (Cpu.stopReport) for tools.
                LOG.debug("REC_ENTER on vCPU {} did not return: {}", v.id, e.getMessage());
                kernel.scheduler.retire(pe);
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
            } finally {
                pe.setIrqCountdown(Long.MAX_VALUE);
                pe.setIrqSource(HostKernel.IRQ_KICK, false);
                kernel.leaveGuest(self);
            }
            if (v.offUnconfirmed) {
                v.offUnconfirmed = false;
                if (Rmi.status(r[0]) == Rmi.ERROR_REC) {
                    // rec_runnable: the REC is off. The CPU_OFF stands, unless a CPU_ON came since this entry
                    // (then the RMM powered the REC on, and the next entry looks again).
                    vm.backend.powerOff(v);
                    vm.waits.wakeAll();
                    continue;
                }
            }
            if (r[0] == Rmi.SUCCESS) {
                syncFromRec(pe, v, vgic);
            }
            long result = handleExit(p, pe, v, r[0]);
            if (result != CONTINUE) {
                return result;
            }
        }
    }

    /**
     * kvm_vgic_flush_hwstate() for a REC: the vCPU's pending and active interrupts go into rec_enter.gicv3_lrs
     * (never hardware-mapped: the RMM refuses LR.HW), the underflow request into gicv3_hcr. The timer PPIs are
     * kept physically active while their level is high or their virtual interrupt active, so that the realm's
     * timer does not fire again on the host for an interrupt already in flight.
     */
    private void flushToRec(Cpu pe, KvmVcpu v, Vgic vgic) {
        RealmRec rec = realm.rec(v);
        long hcr = vgic.flush(v.id, rec.lrs, false);
        writeNs(pe, rec.run + RecRun.ENTER_GICV3_HCR, hcr);
        for (int i = 0; i < RecRun.GICV3_LRS; i++) {
            writeNs(pe, rec.run + RecRun.ENTER_GICV3_LRS + 8L * i, i < rec.lrs.length ? rec.lrs[i] : 0);
        }
        for (int ppi : HostInterrupts.TIMER_PPIS) {
            HostInterrupts.setTimerActive(pe, ppi, vgic.isAsserted(v.id, ppi) || vgic.isActive(v.id, ppi));
        }
        // The PMU's PPI likewise, while the REC's overflow is reported active or its virtual interrupt is.
        HostInterrupts.setTimerActive(pe, Pmu.PPI,
                v.pmuIrq >= 0 && (v.pmuOverflow || vgic.isActiveAny(v.id, v.pmuIrq)));
    }

    /**
     * kvm_vgic_sync_hwstate() and update_arch_timer_irq_lines() after a REC exit: the list registers as the
     * realm left them (acknowledged interrupts active, deactivated ones retired), ICH_VMCR_EL2, the timers'
     * levels from the CTL/CVAL the RMM reported, and the PMU interrupt's level from pmu_ovf_status.
     */
    private void syncFromRec(Cpu pe, KvmVcpu v, Vgic vgic) {
        RealmRec rec = realm.rec(v);
        for (int i = 0; i < rec.lrs.length; i++) {
            rec.lrs[i] = readNs(pe, rec.run + RecRun.EXIT_GICV3_LRS + 8L * i);
        }
        vgic.sync(v.id, rec.lrs);
        vgic.setVmcr(v.id, readNs(pe, rec.run + RecRun.EXIT_GICV3_VMCR));
        rec.timers[0] = readNs(pe, rec.run + RecRun.EXIT_CNTP_CTL);
        rec.timers[1] = readNs(pe, rec.run + RecRun.EXIT_CNTP_CVAL);
        rec.timers[2] = readNs(pe, rec.run + RecRun.EXIT_CNTV_CTL);
        rec.timers[3] = readNs(pe, rec.run + RecRun.EXIT_CNTV_CVAL);
        updateTimerLevels(v, vgic, -1);
        // kvm_pmu_update_state() for a REC: the level of the PMU interrupt is the exit's pmu_ovf_status.
        v.pmuOverflow = readNs(pe, rec.run + RecRun.EXIT_PMU_OVF_STATUS) == Rmi.PMU_OVERFLOW_ACTIVE;
        if (v.hasPmu() && v.pmuIrq >= 0) {
            vgic.setPmuLevel(v.id, v.pmuIrq, v.pmuOverflow);
        }
    }

    /**
     * kvm_realm_timers_update(): each timer's PPI level is ENABLE and not IMASK and ISTATUS, from the exit's CTL;
     * with {@code now} >= 0 (the vCPU waited), ISTATUS is recomputed from CVAL at that count.
     */
    private void updateTimerLevels(KvmVcpu v, Vgic vgic, long now) {
        RealmRec rec = realm.rec(v);
        for (int t = 0; t < 2; t++) {
            int ppi = t == 0 ? GenericTimer.PPI_PHYS : GenericTimer.PPI_VIRT;
            long ctl = rec.timers[2 * t];
            boolean fired = now >= 0 ? Long.compareUnsigned(now, rec.timers[2 * t + 1]) >= 0
                    : (ctl & GenericTimer.CTL_ISTATUS) != 0;
            boolean level = (ctl & (GenericTimer.CTL_ENABLE | GenericTimer.CTL_IMASK)) == GenericTimer.CTL_ENABLE
                    && fired;
            vgic.setTimerLevel(v.id, ppi, level, false);
        }
    }

    /** The physical count at which the REC's next enabled, unmasked timer fires (kvm_timer_earliest_exp). */
    private long timerDeadline(KvmVcpu v) {
        RealmRec rec = realm.rec(v);
        long d = Long.MAX_VALUE;
        for (int t = 0; t < 2; t++) {
            long ctl = rec.timers[2 * t];
            if ((ctl & (GenericTimer.CTL_ENABLE | GenericTimer.CTL_IMASK)) == GenericTimer.CTL_ENABLE) {
                long cval = rec.timers[2 * t + 1];
                d = Math.min(d, cval < 0 ? Long.MAX_VALUE : cval); // the realm's virtual offset is 0
            }
        }
        return d;
    }

    /**
     * kvm_vcpu_wfi() for a REC: blocks until an interrupt is pending for the vCPU or its timer deadline passes
     * (then the timer's level is raised). False if a signal ended the wait.
     */
    boolean blockUntilWake(Process p, Cpu pe, KvmVcpu v) {
        Vgic vgic = vm.irqchip;
        boolean woke = vm.waits.block(p, pe, v.id, timerDeadline(v), () -> vgic.hasPending(v.id));
        updateTimerLevels(v, vgic, pe.timer.localCount());
        return woke;
    }

    /**
     * kvm_vcpu_kick() for a realm vCPU: a physical SGI to the PE running its REC forces the REC to exit
     * (RMI_EXIT_IRQ), so that its list registers are flushed again; a vCPU waiting in WFI is woken.
     */
    void kick(int id) {
        VcpuWait.Slot slot = vm.waits.slot(id);
        if (slot.thread == Thread.currentThread()) {
            return; // it flushes its list registers before it next enters the REC anyway
        }
        Cpu pe = slot.loadedOn;
        if (pe != null) {
            kernel.platform.machine.gic.sendSgi(pe.index, HostInterrupts.KICK_SGI);
        }
        vm.waits.wakeAll();
    }

    /** kvm_rec_pre_enter(). */
    private long preEnter(Cpu pe, KvmVcpu v) {
        RealmRec rec = realm.rec(v);
        if (realm.state != RealmHost.State.ACTIVE) {
            return -Errno.EINVAL;
        }
        if (rec.lastExit == Rmi.EXIT_HOST_CALL || rec.lastExit == Rmi.EXIT_PSCI) {
            for (int i = 0; i < 31; i++) {
                writeNs(pe, rec.run + RecRun.ENTER_GPRS + 8L * i, v.regs[i]);
            }
        } else if (rec.lastExit == Rmi.EXIT_RIPAS_CHANGE) {
            completeRipasChange(pe, v);
        }
        return CONTINUE;
    }

    /** kvm_complete_ripas_change(): commit the RIPAS change the realm asked for, now that the VMM ran it again. */
    private void completeRipasChange(Cpu pe, KvmVcpu v) {
        RealmRec rec = realm.rec(v);
        long base = readNs(pe, rec.run + RecRun.EXIT_RIPAS_BASE);
        long top = readNs(pe, rec.run + RecRun.EXIT_RIPAS_TOP);
        int ripas = (int) (readNs(pe, rec.run + RecRun.EXIT_RIPAS_VALUE) & 0xFF);
        while (Long.compareUnsigned(base, top) < 0) {
            long reached;
            synchronized (vm) {
                reached = realm.ripasChange(pe, v, base, top, false);
                if (reached > base && ripas == Rmi.RIPAS_EMPTY) {
                    realm.unmapPrivate(pe, base, reached);
                }
            }
            if (reached < 0 || reached == base) {
                LOG.warn(String.format("unable to satisfy RIPAS_CHANGE for %#x - %#x, ripas %d", base, top, ripas));
                break;
            }
            base = reached;
        }
        // Record progress so that a repeated pre-enter (an exit to user space before REC_ENTER) does not redo it.
        writeNs(pe, rec.run + RecRun.EXIT_RIPAS_BASE, base);
    }

    long readExit(Cpu pe, KvmVcpu v, int off) {
        return readNs(pe, realm.rec(v).run + off);
    }

    /** handle_rec_exit(): CONTINUE to re-enter, else the KVM_RUN result with kvm_run filled. */
    private long handleExit(Process p, Cpu pe, KvmVcpu v, long status) {
        RealmRec rec = realm.rec(v);
        if (Rmi.status(status) == Rmi.ERROR_REALM && Rmi.index(status) == 1) {
            v.setExit(KVM_EXIT_SHUTDOWN); // the realm is SYSTEM_OFF: a PSCI shutdown raced with this vCPU
            return 0;
        }
        if (status != Rmi.SUCCESS) {
            LOG.warn("RMI_REC_ENTER failed: " + Rmi.describe(status));
            return -Errno.ENXIO;
        }
        int reason = (int) (readExit(pe, v, RecRun.EXIT_REASON) & 0xFF);
        rec.lastExit = reason;
        rec.enterFlags = 0; // reset the emulation flags for the next run of the REC
        switch (reason) {
            case Rmi.EXIT_SYNC:
                return handleSync(p, pe, v);
            case Rmi.EXIT_IRQ:
            case Rmi.EXIT_FIQ:
                return CONTINUE;
            case Rmi.EXIT_PSCI:
            case Rmi.EXIT_HOST_CALL:
                for (int i = 0; i < 31; i++) {
                    v.regs[i] = readExit(pe, v, RecRun.EXIT_GPRS + 8 * i);
                }
                // kvm_smccc_call_handler(); the psci-user profile forwards every PSCI call the RMM reports.
                return vm.hypercalls.call(p, pe, v, readExit(pe, v, RecRun.EXIT_ESR),
                        reason == Rmi.EXIT_PSCI && vm.profile().psciAlwaysInUserSpace());
            case Rmi.EXIT_RIPAS_CHANGE:
                return ripasChangeExit(pe, v);
            default:
                LOG.warn("unsupported REC exit reason " + reason);
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
        }
    }

    /** rec_exit_ripas_change(). */
    private long ripasChangeExit(Cpu pe, KvmVcpu v) {
        long base = readExit(pe, v, RecRun.EXIT_RIPAS_BASE);
        long top = readExit(pe, v, RecRun.EXIT_RIPAS_TOP);
        int ripas = (int) (readExit(pe, v, RecRun.EXIT_RIPAS_VALUE) & 0xFF);
        long shared = vm.sharedBit();
        if ((base & shared) != 0 || ((top - 1) & shared) != 0) {
            LOG.warn(String.format("invalid RIPAS_CHANGE for %#x - %#x, ripas %d", base, top, ripas));
            realm.rec(v).enterFlags = Rmi.REC_ENTER_RIPAS_RESPONSE; // reject it on the next entry
            return -Errno.EINVAL;
        }
        RealmMmu.memoryFaultExit(v, base, top - base, ripas == Rmi.RIPAS_RAM);
        return -Errno.EFAULT; // KVM_EXIT_MEMORY_FAULT comes with -EFAULT (api.rst)
    }

    // ---- stage-2 faults --------------------------------------------------------------------------------------

    private long handleSync(Process p, Cpu pe, KvmVcpu v) {
        long esr = readExit(pe, v, RecRun.EXIT_ESR);
        switch (Esr.ec(esr)) {
            case Esr.EC_DABT_LOWER:
                return realm.mmu.guestAbort(p, pe, v, esr);
            case Esr.EC_IABT_LOWER:
                LOG.warn(String.format("unhandled instruction abort from the realm (ESR %#x)", esr));
                return -Errno.ENXIO;
            case Esr.EC_WFX:
                // kvm_handle_wfx(): the RMM stepped over the instruction. WFE yields; WFI sleeps until woken.
                if ((esr & 1) != 0) {
                    Thread.yield();
                    return CONTINUE;
                }
                if (!blockUntilWake(p, pe, v)) {
                    p.consumeSignal();
                    v.setExit(KVM_EXIT_INTR);
                    return -Errno.EINTR;
                }
                return CONTINUE;
            case Esr.EC_SYSREG:
                return sysregExit(pe, v, esr);
            default:
                LOG.warn(String.format("unhandled exit reason from the realm (ESR %#x)", esr));
                return -Errno.ENXIO;
        }
    }

    /**
     * rec_exit_sys_reg(): the RMM forwards the realm's writes to ICC_SGI1R_EL1 (and ASGI1R, SGI0R) with the value
     * in gprs[0]; the vGIC sends the SGIs. The RMM has stepped over the instruction.
     */
    private long sysregExit(Cpu pe, KvmVcpu v, long esr) {
        int iss = Esr.iss(esr);
        if (Vgic.isSgiWrite(iss)) {
            vm.irqchip.sendSgi(v.id, readExit(pe, v, RecRun.EXIT_GPRS));
            return CONTINUE;
        }
        LOG.warn(String.format("unhandled system register exit from the realm (ESR %#x)", esr));
        return -Errno.ENXIO;
    }
}
