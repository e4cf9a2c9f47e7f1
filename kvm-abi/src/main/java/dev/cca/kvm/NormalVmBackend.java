package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysReg;
import dev.cca.core.cpu.SysRegTraps;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.TlbOp;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * Running a normal (non-realm) VM, as KVM does on an arm64 host (arch/arm64/kvm): KVM's own stage-2 tables
 * ({@link Stage2}), the guest at Non-secure EL1 entered by exception return from EL2 with KVM's HCR_EL2
 * configuration, and the handling of every exit: stage-2 faults (memory mapped on demand, the in-kernel vGIC
 * emulated, other addresses to the VMM as KVM_EXIT_MMIO), PSCI 1.1 and SMCCC over HVC (and trapped SMC), WFI
 * (the vCPU thread blocks until an interrupt or its timer deadline, docs/time.md), WFE (a yield), trapped SGI
 * generation, and physical interrupts (the timers' PPIs, hardware-mapped into the guest's list registers; kicks).
 *
 * <p>Each KVM_RUN leases a PE (preferring the one with the vCPU's index), loads the vCPU's context into it, runs
 * and saves the context back on the way out, like kvm_arch_vcpu_load/put.
 */
final class NormalVmBackend implements VmBackend {
    private static final Logger LOG = LoggerFactory.getLogger(NormalVmBackend.class);
    private static final long PAGE = 4096;
    /** HCR_EL2 of a running guest (KVM's HCR_GUEST_FLAGS, restricted to what this PE implements). */
    static final long HCR_GUEST = SysRegs.HCR_VM | SysRegs.HCR_SWIO | SysRegs.HCR_FMO | SysRegs.HCR_IMO
            | SysRegs.HCR_AMO | SysRegs.HCR_TSC | SysRegs.HCR_TWI | SysRegs.HCR_TWE | SysRegs.HCR_RW
            | SysRegTraps.HCR_TID3;
    /** MDCR_EL2 fields of the PMU partition and traps, which KVM sets per vCPU (kvm_arm_setup_mdcr_el2). */
    private static final long MDCR_PMU = Pmu.MDCR_HPMN_MASK | Pmu.MDCR_TPMCR | Pmu.MDCR_TPM | Pmu.MDCR_HPME
            | Pmu.MDCR_HPMD | Pmu.MDCR_HCCD | Pmu.MDCR_HLP;
    /** The PMU state of a PE with no vCPU loaded: nothing enabled. */
    private static final long[] PMU_OFF = new long[Pmu.CONTEXT_LENGTH];
    /** CNTHCTL_EL2: EL1PCTEN | EL1PCEN, the guest uses the physical counter and timer directly. */
    private static final long CNTHCTL_GUEST = 3;
    /** PSTATE of a vCPU started by PSCI CPU_ON: EL1h, DAIF masked. */
    private static final long PSTATE_EL1H_MASKED = 0x3C5;


    /** KVM's copy of a vCPU's system register context while it is not loaded on a PE. */
    static final class Vcpu {
        final KvmVcpu kv;
        final long[] el1 = new long[SysRegs.EL1_CONTEXT.length];
        final long[] timer = new long[GenericTimer.EL1_TIMER_CONTEXT.length];
        final long[] ich = new long[GicCpuInterface.ICH_CONTEXT.length];
        /** The guest's SIMD&FP registers V0-V31 (FPCR/FPSR are in el1), as KVM's fpsimd save area. */
        final long[] fpsimd = new long[64];
        long spEl1;
        boolean started;
        // MMIO access handed to the VMM, completed on the next KVM_RUN.
        boolean mmioPending, mmioRead, mmioSse, mmioSf;
        int mmioRt, mmioLen;
        /** Where the vCPU runs and whether it waits (shared with the VM's other vCPUs). */
        final VcpuWait.Slot slot;
        /** The PE this vCPU last ran on (for keeping its TLB entries, as KVM's last_vcpu_ran). */
        Cpu lastPe;

        Vcpu(KvmVcpu kv, VcpuWait.Slot slot) {
            this.kv = kv;
            this.slot = slot;
            el1[indexOf(SysRegs.EL1_CONTEXT, SysRegs.SCTLR_EL1)] = SCTLR_EL1_RESET;
        }
    }

    static final long SCTLR_EL1_RESET = 0x30D0_0800L;

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        throw new IllegalArgumentException("slot " + v);
    }

    private final KvmVm vm;
    private final HostKernel kernel;
    private final Map<Integer, Vcpu> vcpus = new ConcurrentHashMap<>();
    private final Object idleLock = new Object();
    /** Per PE index: the vCPU of this VM that last ran there (KVM's mmu->last_vcpu_ran). */
    private final Vcpu[] lastVcpuOn = new Vcpu[256];
    private Stage2 stage2;
    private int vmid = -1;
    private long cntvoff;

    NormalVmBackend(KvmVm vm) {
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    // =========================================================================================================
    // Configuration hooks
    // =========================================================================================================

    // =========================================================================================================
    // The VM type's answers to the generic code
    // =========================================================================================================

    @Override
    public boolean hasPrivateMem() {
        return false;
    }

    @Override
    public boolean capabilityAllowed(int cap) {
        return true;
    }

    @Override
    public long sanitiseIdAa64dfr0(long host) {
        return host;
    }

    @Override
    public boolean idRegistersFixed() {
        return false;
    }

    /** v12 answers EPERM; v13's form (the populate-progress profile) answers ENXIO. */
    @Override
    public long populate(Process p, long arg, boolean writeBack) {
        return writeBack ? -Errno.ENXIO : -Errno.EPERM;
    }

    @Override
    public void attributesChanged(long start, long end, boolean nowPrivate) {
        // No private memory: nothing is mapped by attribute.
    }

    @Override
    public String abiState() {
        return "";
    }

    @Override
    public long firstRun(KvmVcpu v) {
        return 0;
    }

    /** The MMIO access is completed in the vCPU's own state when it next runs ({@link #run}). */
    @Override
    public void completeMmio(KvmVcpu v) {
    }

    @Override
    public boolean maySetReg(long regId) {
        return true;
    }

    @Override
    public List<Long> regIds(KvmVcpu v) {
        List<Long> ids = new ArrayList<>(VcpuRegs.coreIds());
        ids.addAll(VmFirmwareRegs.ids());
        ids.addAll(VcpuRegs.sysregIds());
        if (v.hasPmu()) {
            ids.add(REG_PMCR_EL0);
        }
        ids.add(REG_ID_AA64DFR0_EL1);
        return ids;
    }

    /** KVM_SET_VCPU_EVENTS: an SError (without syndrome: no RAS) or an external abort to inject. */
    @Override
    public long setVcpuEvents(KvmVcpu v, boolean serror, boolean hasEsr, boolean extDabt, boolean extIabt) {
        if (extDabt && extIabt) {
            return -Errno.EINVAL;
        }
        if (serror && hasEsr) {
            return -Errno.EINVAL; // no RAS extension: an SError syndrome cannot be given
        }
        v.pendingSerror |= serror;
        v.pendingExtDabt |= extDabt || extIabt;
        return 0;
    }

    /** Not a realm. */
    @Override
    public long configureRealm(Process p, long action, long uaddr) {
        return -Errno.EINVAL;
    }

    /** !vcpu_is_rec(vcpu). */
    @Override
    public long psciCompleteIoctl(Process p, KvmVcpu v, long arg) {
        return -Errno.EPERM;
    }

    /** A memslot went away or became read-only: drop its stage-2 mappings. */
    @Override
    public synchronized void unmapRange(long gpa, long size) {
        if (stage2 != null) {
            stage2.unmap(gpa, gpa + size);
            // TLBI VMALLS12E1IS: every PE drops its EL1&0 entries before it next touches memory; each TLB is
            // only touched by its own PE's thread.
            kernel.platform.machine.cpu(0).coherenceDomain()
                    .broadcastFromOutside(new TlbOp(TlbOp.EL10, TlbOp.ALL, 0, 0));
        }
    }

    /** VM teardown: frees the stage-2 tables and the VMID. */
    @Override
    public synchronized void destroy() {
        if (stage2 != null) {
            stage2.free();
            stage2 = null;
        }
        if (vmid >= 0) {
            synchronized (kernel.vmids) {
                kernel.vmids.clear(vmid);
            }
            vmid = -1;
        }
    }

    private synchronized long ensureStage2() {
        if (stage2 != null) {
            return 0;
        }
        synchronized (kernel.vmids) {
            int v = kernel.vmids.nextClearBit(1);
            if (v >= 256) {
                return -Errno.EBUSY;
            }
            kernel.vmids.set(v);
            vmid = v;
        }
        Stage2 s = new Stage2(kernel, vm.ipaBits);
        if (!s.valid()) {
            return -Errno.ENOMEM;
        }
        stage2 = s;
        // The guest's virtual counter starts at 0 when its first vCPU first runs (kvm_timer_init_vm).
        cntvoff = kernel.platform.machine.counter.highWater();
        return 0;
    }

    // =========================================================================================================
    // KVM_RUN
    // =========================================================================================================

    private Vcpu state(KvmVcpu v) {
        return vcpus.computeIfAbsent(v.id, k -> new Vcpu(v, vm.waits.slot(v.id)));
    }

    @Override
    public long run(Process p, KvmVcpu v) {
        // A powered-off vCPU sleeps here until PSCI CPU_ON (or a signal) before it is loaded on a PE.
        while (v.mpState == KVM_MP_STATE_STOPPED) {
            if (p.signalPending()) {
                p.consumeSignal();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
        }
        Vgic vgic = vm.irqchip;
        if (vgic == null) {
            LOG.warn("KVM_RUN on a normal VM without an initialised in-kernel GICv3 (KVM_CREATE_DEVICE + CTRL_INIT)");
            return -Errno.ENODEV;
        }
        long r = ensureStage2();
        if (r < 0) {
            return r;
        }
        Vcpu s = state(v);
        if (s.mmioPending) {
            completeMmio(v, s);
        }
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            Cpu pe = lease.cpu;
            Thread self = Thread.currentThread();
            HostInterrupts.init(pe);
            s.slot.thread = self;
            load(pe, v, s);
            kernel.enterGuest(self, pe);
            try {
                return runLoop(p, pe, v, s, vgic);
            } finally {
                kernel.leaveGuest(self);
                put(pe, v, s);
            }
        }
    }

    private long runLoop(Process p, Cpu pe, KvmVcpu v, Vcpu s, Vgic vgic) {
        while (true) {
            if (p.signalPending()) {
                p.consumeSignal();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            if (v.mpState == KVM_MP_STATE_STOPPED) {
                if (!waitForPowerOn(p, pe, v, s)) {
                    v.setExit(KVM_EXIT_INTR);
                    return -Errno.EINTR;
                }
                continue;
            }
            if (v.resetPending) {
                // A CPU_ON came between this vCPU's CPU_OFF and here: start over at its entry point.
                put(pe, v, s);
                load(pe, v, s);
            }
            HostInterrupts.acknowledge(pe);
            updateTimers(pe, v, vgic);
            boolean pmuLine = updatePmu(pe, v, vgic);
            vgic.flush(v.id, pe);
            for (int ppi : HostInterrupts.TIMER_PPIS) {
                HostInterrupts.setTimerActive(pe, ppi, pe.timer.lineAsserted(ppi) || vgic.isActive(v.id, ppi));
            }
            HostInterrupts.setTimerActive(pe, Pmu.PPI, pmuLine || (v.pmuIrq >= 0 && vgic.isActiveAny(v.id, v.pmuIrq)));
            pe.eret();
            Cpu.StopReason stop = pe.runUntil(2, SecurityState.NON_SECURE);
            pe.setIrqSource(HostKernel.IRQ_KICK, false);
            vgic.sync(v.id, pe);
            pe.gic.updateVirtual();
            if (stop == Cpu.StopReason.EXCEPTION_LOOP || stop == Cpu.StopReason.INTERNAL_ERROR) {
                // The guest cannot make progress (or the emulator failed): end the run with the PE's report.
                // The report stays with the PE (Cpu.stopReport) for the tools that show it (cca run's summary).
                LOG.debug("vCPU {} stopped: {}", v.id, pe.stopReport(), pe.internalErrorCause());
                kernel.scheduler.retire(pe); // it stopped inside the guest: nothing may run on it any more
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
            }
            if (stop != Cpu.StopReason.ARRIVED) {
                LOG.warn("vCPU {} stopped unexpectedly: {}", v.id, stop);
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            long res = handleExit(p, pe, v, s);
            if (res != CONTINUE) {
                return res;
            }
        }
    }

    /**
     * kvm_timer_update_irq() for the guest's EL1 timers, loaded on {@code pe}: their outputs are the levels of the
     * hardware-mapped PPIs (level-sensitive: a disabled, masked or not yet expired timer's interrupt is not
     * pending).
     */
    private static void updateTimers(Cpu pe, KvmVcpu v, Vgic vgic) {
        for (int ppi : HostInterrupts.TIMER_PPIS) {
            vgic.setTimerLevel(v.id, ppi, pe.timer.lineAsserted(ppi), true);
        }
    }

    /**
     * kvm_pmu_update_state() for the vCPU's PMU, loaded on {@code pe}: the overflow interrupt's level (PMOVSSET and
     * PMINTENSET and the enables) drives the interrupt KVM_ARM_VCPU_PMU_V3_IRQ named. Returns the level.
     */
    private static boolean updatePmu(Cpu pe, KvmVcpu v, Vgic vgic) {
        if (!v.hasPmu() || v.pmuIrq < 0) {
            return false;
        }
        boolean level = pe.pmu.irqAsserted();
        vgic.setPmuLevel(v.id, v.pmuIrq, level);
        return level;
    }

    // ---- context switch --------------------------------------------------------------------------------------

    private void load(Cpu pe, KvmVcpu v, Vcpu s) {
        long[] sr = pe.sr;
        if (v.resetPending) {
            resetForCpuOn(v, s);
        }
        System.arraycopy(v.regs, 0, pe.x, 0, 31);
        System.arraycopy(s.fpsimd, 0, pe.v, 0, 64);
        pe.spEl[0] = v.regFile.sp;
        pe.spEl[1] = s.spEl1;
        copyIn(sr, SysRegs.EL1_CONTEXT, s.el1);
        copyIn(sr, GenericTimer.EL1_TIMER_CONTEXT, s.timer);
        copyIn(sr, GicCpuInterface.ICH_CONTEXT, s.ich);
        sr[SysRegs.ELR_EL2] = v.regFile.pc;
        sr[SysRegs.SPSR_EL2] = v.regFile.pstate;
        sr[SysRegs.HCR_EL2] = HCR_GUEST;
        sr[SysRegs.VTTBR_EL2] = stage2.root | ((long) vmid << 48);
        sr[SysRegs.VTCR_EL2] = stage2.vtcr();
        sr[SysRegs.VMPIDR_EL2] = 0x8000_0000L | v.mpidr;
        sr[SysRegs.VPIDR_EL2] = sr[SysRegs.MIDR_EL1]; // as KVM: the guest's MIDR_EL1 is the host's
        sr[SysRegs.CNTVOFF_EL2] = cntvoff;
        sr[SysRegs.CNTHCTL_EL2] = CNTHCTL_GUEST;
        // The vCPU's PMU runs on the PE: its first nr_pmu_counters counters are the guest's (MDCR_EL2.HPMN); a
        // vCPU without a PMU has every PMU register access trapped (MDCR_EL2.TPM, TPMCR) and gets UNDEFINED.
        long mdcr = v.hasPmu() ? vm.nrPmuCounters : Pmu.MDCR_TPM | Pmu.MDCR_TPMCR;
        sr[SysRegs.MDCR_EL2] = (sr[SysRegs.MDCR_EL2] & ~MDCR_PMU) | mdcr;
        pe.pmu.restore(v.hasPmu() ? v.pmuState : PMU_OFF, 0);
        // As KVM (kvm_arch_vcpu_load): the TLB is flushed when another vCPU, or this one elsewhere, ran on this PE
        // since; otherwise its entries (VMID-tagged on hardware) are still this vCPU's and stay.
        if (s.lastPe == pe && lastVcpuOn[pe.index] == s) {
            pe.revalidateTranslation();
        } else {
            pe.onTranslationRegimeChange();
        }
        s.lastPe = pe;
        lastVcpuOn[pe.index] = s;
        // Time does not stand still while the vCPU was away: catch up with the machine (docs/time.md).
        pe.timer.advanceTo(kernel.platform.machine.counter.highWater());
        pe.timer.update();
        s.slot.loadedOn = pe;
    }

    private void put(Cpu pe, KvmVcpu v, Vcpu s) {
        long[] sr = pe.sr;
        s.slot.loadedOn = null;
        System.arraycopy(pe.x, 0, v.regs, 0, 31);
        System.arraycopy(pe.v, 0, s.fpsimd, 0, 64);
        v.regFile.sp = pe.spEl[0];
        s.spEl1 = pe.spEl[1];
        copyOut(sr, SysRegs.EL1_CONTEXT, s.el1);
        copyOut(sr, GenericTimer.EL1_TIMER_CONTEXT, s.timer);
        copyOut(sr, GicCpuInterface.ICH_CONTEXT, s.ich);
        v.regFile.pc = sr[SysRegs.ELR_EL2];
        v.regFile.pstate = sr[SysRegs.SPSR_EL2];
        if (v.hasPmu()) {
            pe.pmu.save(v.pmuState, 0);
        }
        // The host's own PMU configuration: every counter for EL2, nothing counting.
        sr[SysRegs.MDCR_EL2] = (sr[SysRegs.MDCR_EL2] & ~MDCR_PMU) | Pmu.COUNTERS;
        pe.pmu.restore(PMU_OFF, 0);
        HostInterrupts.releaseTimers(pe);
        // The host does not run the guest's timers while the vCPU is out: park them.
        sr[GenericTimer.CNTP_CTL_EL0] = 0;
        sr[GenericTimer.CNTV_CTL_EL0] = 0;
        sr[GicCpuInterface.ICH_HCR_EL2] = 0;
        pe.timer.update();
        pe.gic.updateVirtual();
        kernel.platform.machine.counter.publish(pe.timer.localCount());
    }

    private static void copyIn(long[] sr, int[] slots, long[] from) {
        for (int i = 0; i < slots.length; i++) {
            sr[slots[i]] = from[i];
        }
    }

    private static void copyOut(long[] sr, int[] slots, long[] to) {
        for (int i = 0; i < slots.length; i++) {
            to[i] = sr[slots[i]];
        }
    }

    /**
     * kvm_reset_vcpu() after PSCI CPU_ON: the vCPU starts at the entry point with the context id in X0, MMU off,
     * EL1h (DEN0022 6.4).
     */
    private void resetForCpuOn(KvmVcpu v, Vcpu s) {
        v.resetPending = false;
        java.util.Arrays.fill(v.regs, 0);
        v.regs[0] = v.resetR0;
        v.regFile.pc = v.resetPc;
        v.regFile.pstate = PSTATE_EL1H_MASKED;
        v.regFile.sp = 0;
        s.spEl1 = 0;
        java.util.Arrays.fill(s.el1, 0);
        s.el1[indexOf(SysRegs.EL1_CONTEXT, SysRegs.SCTLR_EL1)] = SCTLR_EL1_RESET;
        java.util.Arrays.fill(s.timer, 0);
        java.util.Arrays.fill(s.ich, 0);
        java.util.Arrays.fill(s.fpsimd, 0);
        java.util.Arrays.fill(v.pmuState, 0); // kvm_pmu_vcpu_reset: counters stopped, PMCR_EL0 reset
    }

    // =========================================================================================================
    // Exits
    // =========================================================================================================

    private long handleExit(Process p, Cpu pe, KvmVcpu v, Vcpu s) {
        int kind = pe.lastExceptionKind();
        if (kind == 1 || kind == 2) {
            return CONTINUE; // a physical interrupt: acknowledged at the top of the loop
        }
        long[] sr = pe.sr;
        long esr = sr[SysRegs.ESR_EL2];
        if (kind == 3) {
            v.setExit(KVM_EXIT_INTERNAL_ERROR);
            return 0;
        }
        switch (Esr.ec(esr)) {
            case Esr.EC_HVC64:
                return vm.hypercalls.call(p, pe, v, esr, false);
            case Esr.EC_SMC64:
                GuestExceptions.skipInstruction(sr); // a trapped SMC returns to itself
                return vm.hypercalls.call(p, pe, v, esr, false);
            case Esr.EC_WFX:
                GuestExceptions.skipInstruction(sr);
                if ((esr & 1) != 0) {
                    Thread.yield(); // WFE: give another vCPU thread the host CPU
                    return CONTINUE;
                }
                if (!blockUntilWake(p, pe, v, s)) {
                    p.consumeSignal();
                    v.setExit(KVM_EXIT_INTR);
                    return -Errno.EINTR;
                }
                return CONTINUE;
            case Esr.EC_DABT_LOWER:
            case Esr.EC_IABT_LOWER:
                return guestAbort(p, pe, v, s, esr);
            case Esr.EC_SYSREG:
                return sysregTrap(pe, v, esr);
            default:
                injectUndefined(pe);
                return CONTINUE;
        }
    }

    /** kvm_handle_guest_abort: map memslot pages, emulate the vGIC, hand other MMIO to the VMM. */
    private long guestAbort(Process p, Cpu pe, KvmVcpu v, Vcpu s, long esr) {
        long[] sr = pe.sr;
        long ipa = ((sr[SysRegs.HPFAR_EL2] >>> 4) << 12) | (sr[SysRegs.FAR_EL2] & 0xFFF);
        int iss = Esr.iss(esr);
        boolean fetch = Esr.ec(esr) == Esr.EC_IABT_LOWER;
        boolean s1ptw = (iss & Esr.S1PTW) != 0;
        boolean write = !fetch && !s1ptw && (iss & Esr.WNR) != 0;
        Memslot slot = vm.findSlot(ipa);
        if (slot != null && slot.gmem == null) {
            boolean readOnly = (slot.flags & KVM_MEM_READONLY) != 0;
            if (!(write && readOnly)) {
                long uva = slot.userspaceAddr + (ipa - slot.gpa);
                int prot = readOnly ? UserMemory.PROT_READ : UserMemory.PROT_READ | UserMemory.PROT_WRITE;
                long pa = p.memory().userPagePa(uva & ~(PAGE - 1), prot);
                if (pa < 0) {
                    LOG.warn(String.format("memslot %d: no user memory at %#x for guest page %#x", slot.id, uva, ipa));
                    return -Errno.EFAULT;
                }
                synchronized (this) {
                    if (!stage2.map(ipa & ~(PAGE - 1), pa, !readOnly)) {
                        return -Errno.ENOMEM;
                    }
                }
                return CONTINUE; // the access is retried
            }
        }
        if (fetch) {
            injectAbort(pe, true, sr[SysRegs.FAR_EL2]); // instruction fetch outside memory: external abort
            return CONTINUE;
        }
        if ((iss & Esr.ISV) == 0) {
            LOG.warn(String.format("data abort at IPA %#x with no valid syndrome (PC %#x): cannot emulate", ipa,
                    sr[SysRegs.ELR_EL2]));
            return -Errno.ENOSYS;
        }
        int len = 1 << ((iss >>> Esr.SAS_SHIFT) & 3);
        int rt = (iss >>> Esr.SRT_SHIFT) & 31;
        boolean sse = (iss & Esr.SSE) != 0;
        boolean sf = (iss & Esr.SF) != 0;
        IoBus.Device dev = vm.ioBus.find(ipa, len);
        if (dev != null) {
            // An in-kernel device (kvm_io_bus, the vGIC): handled without an exit.
            if (write) {
                long val = rt == 31 ? 0 : pe.x[rt];
                dev.write(v, ipa, len, len == 8 ? val : val & ((1L << (8 * len)) - 1));
            } else {
                setLoadResult(pe.x, rt, dev.read(v, ipa, len), len, sse, sf);
            }
            GuestExceptions.skipInstruction(sr);
            return CONTINUE;
        }
        long data = 0;
        if (write) {
            long val = rt == 31 ? 0 : pe.x[rt];
            data = len == 8 ? val : val & ((1L << (8 * len)) - 1);
        }
        v.setExit(KVM_EXIT_MMIO);
        v.runWrite(Structs.RUN_MMIO_PHYS_ADDR, 8, ipa);
        v.runWrite(Structs.RUN_MMIO_DATA, 8, data);
        v.runWrite(Structs.RUN_MMIO_LEN, 4, len);
        v.runWrite(Structs.RUN_MMIO_IS_WRITE, 1, write ? 1 : 0);
        s.mmioPending = true;
        s.mmioRead = !write;
        s.mmioRt = rt;
        s.mmioLen = len;
        s.mmioSse = sse;
        s.mmioSf = sf;
        return 0;
    }

    /** PSTATE.SS in an SPSR. */
    private static final long SPSR_SS = 1L << 21;

    /**
     * kvm_incr_pc/kvm_skip_instr: the guest's PC steps over the instruction KVM emulated, and the software step
     * state machine advances (SPSR_EL2.SS cleared), so a guest stepping that instruction takes its step exception
     * on return, before the next one.
     */
    /** kvm_handle_mmio_return: the VMM's data goes to the load's register and the PC steps over the access. */
    private void completeMmio(KvmVcpu v, Vcpu s) {
        if (s.mmioRead) {
            setLoadResult(v.regs, s.mmioRt, v.runRead(Structs.RUN_MMIO_DATA, 8), s.mmioLen, s.mmioSse, s.mmioSf);
        }
        v.regFile.pc += 4;
        v.regFile.pstate &= ~SPSR_SS; // kvm_skip_instr: the emulated instruction completes a software step
        s.mmioPending = false;
    }

    private static void setLoadResult(long[] regs, int rt, long data, int len, boolean sse, boolean sf) {
        if (rt == 31 || rt >= regs.length) {
            return;
        }
        int bits = 8 * len;
        long val = bits == 64 ? data : data & ((1L << bits) - 1);
        if (sse && bits < 64) {
            val = (val << (64 - bits)) >> (64 - bits);
        }
        if (!sf) {
            val &= 0xFFFF_FFFFL;
        }
        regs[rt] = val;
    }

    /**
     * Trapped system register accesses: MSR ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (the vGIC sends the
     * SGIs) and reads of the ID registers (HCR_EL2.TID3); anything else (a PMU register of a vCPU without a PMU)
     * is UNDEFINED.
     */
    private long sysregTrap(Cpu pe, KvmVcpu v, long esr) {
        int iss = Esr.iss(esr);
        int rt = (iss >>> 5) & 31;
        if (Vgic.isSgiWrite(iss)) {
            vm.irqchip.sendSgi(v.id, rt == 31 ? 0 : pe.x[rt]);
            GuestExceptions.skipInstruction(pe.sr);
            return CONTINUE;
        }
        int op0 = (iss >>> 20) & 3, op2 = (iss >>> 17) & 7, op1 = (iss >>> 14) & 7, crn = (iss >>> 10) & 15;
        int crm = (iss >>> 1) & 15;
        boolean read = (iss & 1) != 0;
        if (read && op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7) {
            // HCR_EL2.TID3: the ID registers as KVM sanitises them (kvm_arm_read_id_reg): the PE's values, with
            // ID_AA64DFR0_EL1 the VM's (PMUVer 0 without a PMU; BRPs/WRPs as the VMM lowered them).
            long value = crm == 5 && op2 == 0 ? vm.idAa64dfr0()
                    : pe.readSysReg(SysRegs.byEncoding(SysReg.encode(op0, op1, crn, crm, op2)));
            if (rt != 31) {
                pe.x[rt] = value;
            }
            GuestExceptions.skipInstruction(pe.sr);
            return CONTINUE;
        }
        injectUndefined(pe);
        return CONTINUE;
    }

    // ---- exception injection -------------------------------------------------------------------------------

    private static void injectUndefined(Cpu pe) {
        GuestExceptions.injectUndefined(pe);
    }

    private static void injectAbort(Cpu pe, boolean fetch, long far) {
        GuestExceptions.injectAbort(pe, fetch, Esr.FSC_SEA, far);
    }

    // =========================================================================================================
    // Blocking: WFI, powered-off vCPUs, kicks
    // =========================================================================================================

    /**
     * kvm_vcpu_kick() for vCPU {@code id}: a physical SGI to the PE it runs its guest on, so that it exits and
     * flushes its list registers again, and a wake-up if it waits.
     */
    @Override
    public void kick(int id) {
        Vcpu s = vcpus.get(id);
        if (s == null || s.slot.thread == Thread.currentThread()) {
            return; // it flushes its list registers before it next enters the guest anyway
        }
        Cpu pe = s.slot.loadedOn;
        if (pe != null) {
            kernel.platform.machine.gic.sendSgi(pe.index, HostInterrupts.KICK_SGI);
        }
        synchronized (idleLock) {
            idleLock.notifyAll(); // a powered-off vCPU waiting for CPU_ON
        }
        vm.waits.wakeAll();
    }

    // =========================================================================================================
    // SMCCC and PSCI: the calling vCPU's registers are live on its PE; nothing to complete
    // =========================================================================================================

    @Override
    public long[] smcccRegs(KvmVcpu v, Cpu pe) {
        return pe.x;
    }

    @Override
    public long psciComplete(Cpu pe, KvmVcpu source, KvmVcpu target, long status) {
        return 0;
    }

    @Override
    public void powerOff(KvmVcpu v) {
        v.mpState = KVM_MP_STATE_STOPPED; // KVM is where a normal VM's power state lives
    }

    @Override
    public boolean vcpuWfi(Process p, Cpu pe, KvmVcpu v) {
        return blockUntilWake(p, pe, v, state(v));
    }

    /**
     * WFI: blocks the vCPU thread until it has an interrupt to take, its timer fires, or a signal arrives
     * (returns false).
     */
    private boolean blockUntilWake(Process p, Cpu pe, KvmVcpu v, Vcpu s) {
        Vgic vgic = vm.irqchip;
        return vm.waits.block(p, pe, v.id, pe.timer.nextDeadline(), () -> {
            HostInterrupts.acknowledge(pe);
            return vgic.hasPending(v.id) || pe.timer.lineAsserted(GenericTimer.PPI_VIRT)
                    || pe.timer.lineAsserted(GenericTimer.PPI_PHYS);
        });
    }

    /** A vCPU after PSCI CPU_OFF waits for CPU_ON (or a signal: returns false). */
    private boolean waitForPowerOn(Process p, Cpu pe, KvmVcpu v, Vcpu s) {
        synchronized (idleLock) {
            while (v.mpState == KVM_MP_STATE_STOPPED) {
                if (p.signalPending()) {
                    p.consumeSignal();
                    return false;
                }
                try {
                    idleLock.wait(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        // Reload with the CPU_ON entry state.
        put(pe, v, s);
        load(pe, v, s);
        return true;
    }
}
