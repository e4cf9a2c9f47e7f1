package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Ioctl;
import dev.cca.kvm.uapi.Structs;

import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A vCPU file descriptor (virt/kvm/kvm_main.c kvm_vcpu_ioctl, arch/arm64/kvm/arm.c kvm_arch_vcpu_ioctl) and the
 * vCPU's state as KVM keeps it. Requests arm64 KVM does not know are answered with EINVAL, as the kernel does.
 */
public final class KvmVcpu implements FileObject {
    /** Features this host cannot offer (system_supported_vcpu_features): no AArch32, SVE, PAuth or NV. */
    static final long UNSUPPORTED_FEATURES = (1L << KVM_ARM_VCPU_EL1_32BIT)
            | (1L << KVM_ARM_VCPU_SVE) | (1L << KVM_ARM_VCPU_PTRAUTH_ADDRESS) | (1L << KVM_ARM_VCPU_PTRAUTH_GENERIC)
            | (1L << KVM_ARM_VCPU_HAS_EL2) | (1L << KVM_ARM_VCPU_HAS_EL2_E2H0);
    /** KVM_VCPU_VALID_FEATURES: bits 0..9. Bit 9 is v12's leftover of KVM_ARM_VCPU_REC and is accepted. */
    static final long VALID_FEATURES = (1L << KVM_VCPU_MAX_FEATURES) - 1;

    final KvmVm vm;
    final int id;
    /** The kvm_run area: kvm_run itself and the coalesced-MMIO ring page. */
    final long[] runPages;
    /** MPIDR_EL1 affinity as KVM's reset_mpidr() computes it from the vCPU id (without the RES1 bit 31). */
    final long mpidr;

    boolean initialized;
    long features;
    final VcpuRegs regFile = new VcpuRegs();
    /** X0-X30 (KVM's copy). */
    final long[] regs = regFile.x;
    volatile int mpState = KVM_MP_STATE_RUNNABLE;
    /**
     * vcpu->arch.reset_state: the entry point and context id of a PSCI CPU_ON, applied by the VM type when the
     * vCPU next runs (KVM_REQ_VCPU_RESET). Written before the vCPU is made runnable.
     */
    volatile boolean resetPending;
    long resetPc, resetR0;
    /**
     * A CPU_ON for this vCPU was completed as "already on" while KVM still saw it runnable (guarded by this
     * vCPU's monitor). For a realm the RMM, which decides, may have taken the REC off just before (a CPU_OFF whose
     * exit this vCPU's thread had not handled yet) and so powered it on again: see {@link VmBackend#powerOff}.
     */
    boolean onWhileRunnable;
    /** A realm vCPU's CPU_OFF that the next REC_ENTER confirms or undoes ({@link VmBackend#powerOff}). */
    boolean offUnconfirmed;
    /** vcpu_has_run_once(): the first KVM_RUN (and, for a realm, activation) succeeded. */
    boolean hasRun;
    /** vcpu->mmio_needed: the last exit was a KVM_EXIT_MMIO that the next KVM_RUN completes. */
    boolean mmioNeeded;
    boolean mmioRead;
    int mmioLen;
    /** Pending abort injection requested with KVM_SET_VCPU_EVENTS (consumed by the run loop of the VM type). */
    boolean pendingExtDabt;
    boolean pendingSerror;


    // PMU (kvm_pmu): the overflow interrupt KVM_ARM_VCPU_PMU_V3_IRQ set, KVM_ARM_VCPU_PMU_V3_INIT done, and the
    // vCPU's PMU registers while it is not loaded on a PE (Pmu.save layout; a normal VM's PMU runs on the PE).
    int pmuIrq = -1;
    boolean pmuCreated;
    final long[] pmuState = new long[dev.cca.core.cpu.Pmu.CONTEXT_LENGTH];
    /** A realm vCPU: the last REC exit's pmu_ovf_status was ACTIVE. */
    boolean pmuOverflow;

    /** kvm_vcpu_has_pmu(). */
    boolean hasPmu() {
        return (features & (1L << KVM_ARM_VCPU_PMU_V3)) != 0;
    }

    private KvmVcpu(KvmVm vm, int id, long[] runPages) {
        this.vm = vm;
        this.id = id;
        this.runPages = runPages;
        this.mpidr = (id & 0x0F) | (((long) (id >> 4) & 0xFF) << 8) | (((long) (id >> 12) & 0xFF) << 16);
        regFile.reset(mpidr);
    }

    static KvmVcpu create(KvmVm vm, int id) {
        HostKernel k = vm.dev.kernel;
        long a = k.allocZeroedPage();
        long b = k.allocZeroedPage();
        if (a < 0 || b < 0) {
            return null;
        }
        return new KvmVcpu(vm, id, new long[] {a, b});
    }

    @Override
    public String name() {
        return "anon_inode:kvm-vcpu:" + id;
    }

    @Override
    public long[] mmapPages(long offset, long length) {
        if (offset != 0 || length > runPages.length * 4096L) {
            return null;
        }
        int n = (int) ((length + 4095) / 4096);
        long[] p = new long[n];
        System.arraycopy(runPages, 0, p, 0, n);
        return p;
    }

    @Override
    public void release() {
        vm.childReleased();
    }

    // ---- kvm_run accessors (the kernel writes its own page) ---------------------------------------------------

    private Cpu hostCpu() {
        return vm.dev.kernel.platform.machine.cpu(0);
    }

    long runRead(int off, int size) {
        return hostCpu().physRead(runPages[0] + off, size, Pas.NON_SECURE);
    }

    void runWrite(int off, int size, long v) {
        hostCpu().physWrite(runPages[0] + off, size, v, Pas.NON_SECURE);
    }

    int exitReason() {
        return (int) runRead(Structs.RUN_EXIT_REASON, 4);
    }

    /**
     * Sets kvm_run.exit_reason: the one place where every exit KVM reports to user space is produced. The exit's
     * payload is written by the caller; like Linux, the rest of the union keeps what an earlier exit left.
     */
    void setExit(int reason) {
        runWrite(Structs.RUN_EXIT_REASON, 4, reason);
    }

    // ---- ioctl dispatch ----------------------------------------------------------------------------------------

    @Override
    public long ioctl(Process p, long request, long arg) {
        if (Ioctl.type(request) != KVMIO) {
            return -Errno.EINVAL; // kvm_vcpu_ioctl: _IOC_TYPE(ioctl) != KVMIO
        }
        if (request == KVM_RUN) {
            return arg != 0 ? -Errno.EINVAL : run(p);
        }
        if (request == KVM_GET_MP_STATE) {
            return p.memory().copyToUser(arg, UserStruct.ofSize(Structs.MP_STATE_SIZE).put32(0, mpState).bytes()) ? 0
                    : -Errno.EFAULT;
        }
        if (request == KVM_SET_MP_STATE) {
            return setMpState(p, arg);
        }
        if (request == KVM_ARM_VCPU_INIT) {
            return vcpuInit(p, arg);
        }
        if (request == KVM_GET_ONE_REG || request == KVM_SET_ONE_REG) {
            if (!initialized) {
                return -Errno.ENOEXEC;
            }
            byte[] raw = p.memory().copyFromUser(arg, Structs.ONE_REG_SIZE);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            UserStruct s = new UserStruct(raw);
            return oneReg(p, s.u64(Structs.OR_ID), s.u64(Structs.OR_ADDR), request == KVM_SET_ONE_REG);
        }
        if (request == KVM_GET_REG_LIST) {
            return regList(p, arg);
        }
        if (request == KVM_GET_VCPU_EVENTS) {
            return p.memory().copyToUser(arg, new byte[Structs.VCPU_EVENTS_SIZE]) ? 0 : -Errno.EFAULT;
        }
        if (request == KVM_SET_VCPU_EVENTS) {
            return setVcpuEvents(p, arg);
        }
        if (request == KVM_ARM_VCPU_FINALIZE) {
            if (!initialized) {
                return -Errno.ENOEXEC;
            }
            if (p.memory().copyFromUser(arg, 4) == null) {
                return -Errno.EFAULT;
            }
            return -Errno.EINVAL; // KVM_ARM_VCPU_SVE needs an SVE vCPU; nothing else can be finalized
        }
        if (request == KVM_SET_DEVICE_ATTR || request == KVM_GET_DEVICE_ATTR || request == KVM_HAS_DEVICE_ATTR) {
            return vcpuAttr(p, arg, request);
        }
        if (request == KVM_ARM_VCPU_RMI_PSCI_COMPLETE) {
            return vm.backend.psciCompleteIoctl(p, this, arg);
        }
        return -Errno.EINVAL;
    }

    /** kvm_arch_vcpu_ioctl_set_mpstate(). */
    private long setMpState(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.MP_STATE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        long s = new UserStruct(raw).u32(0);
        if (s != KVM_MP_STATE_RUNNABLE && s != KVM_MP_STATE_STOPPED && s != KVM_MP_STATE_SUSPENDED) {
            return -Errno.EINVAL;
        }
        mpState = (int) s;
        return 0;
    }

    /** kvm_arch_vcpu_ioctl_vcpu_init / kvm_vcpu_set_target / kvm_vcpu_init_check_features. */
    private long vcpuInit(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.VCPU_INIT_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long f = s.u32(Structs.VI_FEATURES);
        // KVM_ARM_VCPU_POWER_OFF is ephemeral: it applies to this call and is not part of the feature set.
        boolean powerOff = (f & (1L << KVM_ARM_VCPU_POWER_OFF)) != 0;
        f &= ~(1L << KVM_ARM_VCPU_POWER_OFF);
        if (s.u32(Structs.VI_TARGET) != KVM_ARM_TARGET_GENERIC_V8) {
            return -Errno.EINVAL;
        }
        if ((f & ~VALID_FEATURES) != 0
                || !s.zero(Structs.VI_FEATURES + 4, Structs.VCPU_INIT_SIZE - Structs.VI_FEATURES - 4)) {
            return -Errno.ENOENT;
        }
        if ((f & UNSUPPORTED_FEATURES) != 0) {
            return -Errno.EINVAL; // includes EL1_32BIT, which v12 also refuses for realms
        }
        synchronized (vm) {
            if (vm.vcpuFeaturesConfigured && f != vm.vcpuFeatures) {
                return -Errno.EINVAL; // every vCPU of a VM has the same features
            }
            vm.vcpuFeatures = f;
            vm.vcpuFeaturesConfigured = true;
            features = f;
            initialized = true;
            regFile.reset(mpidr);
            mpState = powerOff ? KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE;
        }
        return 0;
    }

    // ---- ONE_REG ---------------------------------------------------------------------------------------------

    /** kvm_arm_get_reg / kvm_arm_set_reg with v12's realm restriction (patches 26, 39, 42). */
    private long oneReg(Process p, long regId, long addr, boolean set) {
        if (((regId & ~KVM_REG_SIZE_MASK) >>> 32) != (KVM_REG_ARM64 >>> 32)) {
            return -Errno.EINVAL;
        }
        long coproc = VcpuRegs.coproc(regId);
        int size = VcpuRegs.regSize(regId);
        if (set && !vm.backend.maySetReg(regId)) {
            return -Errno.EINVAL;
        }
        if (coproc == KVM_REG_ARM_CORE) {
            long off = regId & ~(KVM_REG_ARM64 | KVM_REG_SIZE_MASK | KVM_REG_ARM_CORE);
            if (size > 16) {
                return -Errno.EINVAL;
            }
            int expect = VcpuRegs.coreSize(off);
            if (expect < 0 || size != expect) {
                return -Errno.EINVAL;
            }
            if (!set) {
                return p.memory().copyToUser(addr, regFile.readCore(off, size)) ? 0 : -Errno.EFAULT;
            }
            byte[] v = p.memory().copyFromUser(addr, size);
            if (v == null) {
                return -Errno.EFAULT;
            }
            synchronized (vm) {
                return regFile.writeCore(off, size, v);
            }
        }
        if (coproc == KVM_REG_ARM_FW || coproc == KVM_REG_ARM_FW_FEAT_BMAP) {
            return set ? vm.firmware.set(this, p, regId, addr) : vm.firmware.get(this, p, regId, addr);
        }
        if (coproc == KVM_REG_ARM64_SVE) {
            return -Errno.ENOENT; // not an SVE vCPU
        }
        // System registers.
        if (regId == REG_PMCR_EL0) {
            return pmcrReg(p, addr, set);
        }
        if (regId == REG_ID_AA64DFR0_EL1) {
            return set ? vm.setIdAa64dfr0(p, addr) : putU64(p, addr, vm.idAa64dfr0());
        }
        Long v = regFile.sysregs.get(regId);
        if (v == null || size != 8) {
            return -Errno.ENOENT; // no such register, or (PMCR_EL0) hidden because there is no PMU
        }
        if (!set) {
            return putU64(p, addr, v);
        }
        byte[] b = p.memory().copyFromUser(addr, 8);
        if (b == null) {
            return -Errno.EFAULT;
        }
        synchronized (vm) {
            regFile.sysregs.put(regId, new UserStruct(b).u64(0));
        }
        return 0;
    }

    /**
     * PMCR_EL0 (get_pmcr/set_pmcr, reset_pmcr): hidden without a PMU (ENOENT). Reads give N =
     * kvm->arch.nr_pmu_counters, LC (RES1, no AArch32) and the vCPU's E, DP and LP. A write before the VM first
     * ran sets N for the whole VM if it is at most the host's; a larger N is ignored, as KVM does; of the other
     * bits, E, DP and LP are kept.
     */
    private long pmcrReg(Process p, long addr, boolean set) {
        if (!hasPmu()) {
            return -Errno.ENOENT;
        }
        if (!set) {
            long v;
            synchronized (vm) {
                v = pmuState[0] | dev.cca.core.cpu.Pmu.PMCR_LC | ((long) vm.nrPmuCounters << 11);
            }
            return putU64(p, addr, v);
        }
        byte[] b = p.memory().copyFromUser(addr, 8);
        if (b == null) {
            return -Errno.EFAULT;
        }
        long val = new UserStruct(b).u64(0);
        int n = (int) (val >>> 11) & 0x1F;
        synchronized (vm) {
            if (!vm.hasRanOnce && n <= dev.cca.core.cpu.Pmu.COUNTERS
                    && !vm.backend.idRegistersFixed()) {
                vm.nrPmuCounters = n;
            }
            pmuState[0] = val & (dev.cca.core.cpu.Pmu.PMCR_E | dev.cca.core.cpu.Pmu.PMCR_DP
                    | dev.cca.core.cpu.Pmu.PMCR_LP);
        }
        return 0;
    }

    static long putU64(Process p, long addr, long v) {
        return p.memory().copyToUser(addr, UserStruct.ofSize(8).put64(0, v).bytes()) ? 0 : -Errno.EFAULT;
    }

    private long regList(Process p, long arg) {
        if (!initialized) {
            return -Errno.ENOEXEC;
        }
        byte[] raw = p.memory().copyFromUser(arg, Structs.REG_LIST_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        long n = new UserStruct(raw).u64(Structs.RL_N);
        List<Long> ids = vm.backend.regIds(this);
        if (!p.memory().copyToUser(arg, UserStruct.ofSize(8).put64(0, ids.size()).bytes())) {
            return -Errno.EFAULT;
        }
        if (Long.compareUnsigned(n, ids.size()) < 0) {
            return -Errno.E2BIG;
        }
        UserStruct out = UserStruct.ofSize(8 * ids.size());
        for (int i = 0; i < ids.size(); i++) {
            out.put64(8 * i, ids.get(i));
        }
        return p.memory().copyToUser(arg + Structs.RL_REG, out.bytes()) ? 0 : -Errno.EFAULT;
    }

    // ---- vCPU events and attributes --------------------------------------------------------------------------

    /** kvm_arm_vcpu_set_events / __kvm_arm_vcpu_set_events with v12's realm rules (patch 30). */
    private long setVcpuEvents(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.VCPU_EVENTS_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct e = new UserStruct(raw);
        if (!e.zero(Structs.VE_RESERVED, Structs.VCPU_EVENTS_SIZE - Structs.VE_RESERVED)
                || !e.zero(Structs.VE_PAD, Structs.VE_SERROR_ESR - Structs.VE_PAD)) {
            return -Errno.EINVAL;
        }
        boolean serror = e.u8(Structs.VE_SERROR_PENDING) != 0;
        boolean hasEsr = e.u8(Structs.VE_SERROR_HAS_ESR) != 0;
        boolean extDabt = e.u8(Structs.VE_EXT_DABT_PENDING) != 0;
        boolean extIabt = e.u8(Structs.VE_EXT_IABT_PENDING) != 0;
        synchronized (vm) {
            return vm.backend.setVcpuEvents(this, serror, hasEsr, extDabt, extIabt);
        }
    }

    /** kvm_arm_vcpu_{set,get,has}_attr: the PMU group; the timer and PV time groups are not offered. */
    private long vcpuAttr(Process p, long arg, long request) {
        DeviceAttrRequest a = DeviceAttrRequest.parse(p, request, arg);
        if (a.error != 0) {
            return a.error;
        }
        if (a.group != KVM_ARM_VCPU_PMU_V3_CTRL) {
            return -Errno.ENXIO;
        }
        synchronized (vm) {
            if (a.set) {
                return pmuSetAttr(p, a.attr, a.addr);
            }
            if (a.get) {
                return pmuGetAttr(p, a.attr, a.addr);
            }
            // kvm_arm_pmu_v3_has_attr: IRQ and INIT (FILTER and SET_PMU are not offered).
            return (a.attr == KVM_ARM_VCPU_PMU_V3_IRQ || a.attr == KVM_ARM_VCPU_PMU_V3_INIT) && hasPmu() ? 0
                    : -Errno.ENXIO;
        }
    }

    /** kvm_arm_pmu_v3_set_attr() (arch/arm64/kvm/pmu-emul.c), under the VM's config lock. */
    private long pmuSetAttr(Process p, long attr, long addr) {
        if (!hasPmu()) {
            return -Errno.ENODEV;
        }
        if (pmuCreated) {
            return -Errno.EBUSY;
        }
        if (attr == KVM_ARM_VCPU_PMU_V3_IRQ) {
            if (vm.vgic == null) {
                return -Errno.EINVAL; // !irqchip_in_kernel
            }
            byte[] b = p.memory().copyFromUser(addr, 4);
            if (b == null) {
                return -Errno.EFAULT;
            }
            int irq = (int) new UserStruct(b).u32(0);
            boolean ppi = irq >= 16 && irq < 32, spi = irq >= 32 && irq < 1020;
            if (!(ppi || spi) || !pmuIrqValid(irq, ppi)) {
                return -Errno.EINVAL;
            }
            if (pmuIrq >= 0) {
                return -Errno.EBUSY;
            }
            pmuIrq = irq;
            return 0;
        }
        if (attr == KVM_ARM_VCPU_PMU_V3_INIT) {
            if (vm.vgic != null) {
                if (!vm.vgic.initialized) {
                    return -Errno.ENODEV; // the vGIC must be initialised before the PMU
                }
                if (pmuIrq < 0) {
                    return -Errno.ENXIO;
                }
                if (pmuIrq >= 32 && (vm.irqchip == null || pmuIrq >= vm.irqchip.nrIrqs)) {
                    return -Errno.EINVAL; // kvm_vgic_set_owner: no such SPI
                }
            }
            pmuCreated = true;
            return 0;
        }
        return -Errno.ENXIO;
    }

    /** pmu_irq_is_valid(): every vCPU uses the same PPI, or SPIs that differ. */
    private boolean pmuIrqValid(int irq, boolean ppi) {
        for (KvmVcpu o : vm.vcpus.values()) {
            if (o.pmuIrq < 0) {
                continue;
            }
            if (ppi ? o.pmuIrq != irq : o.pmuIrq == irq) {
                return false;
            }
        }
        return true;
    }

    /** kvm_arm_pmu_v3_get_attr(). */
    private long pmuGetAttr(Process p, long attr, long addr) {
        if (attr != KVM_ARM_VCPU_PMU_V3_IRQ) {
            return -Errno.ENXIO;
        }
        if (vm.vgic == null) {
            return -Errno.EINVAL;
        }
        if (!hasPmu()) {
            return -Errno.ENODEV;
        }
        if (pmuIrq < 0) {
            return -Errno.ENXIO;
        }
        return p.memory().copyToUser(addr, UserStruct.ofSize(4).put32(0, pmuIrq).bytes()) ? 0 : -Errno.EFAULT;
    }

    // ---- KVM_RUN ---------------------------------------------------------------------------------------------

    /** kvm_vcpu_ioctl(KVM_RUN) and kvm_arch_vcpu_ioctl_run(). */
    private long run(Process p) {
        if (!hasRun) {
            // kvm_arch_vcpu_run_pid_change() on the first run: it must succeed before the vCPU has run once.
            if (!initialized) {
                return -Errno.ENOEXEC;
            }
            if (hasPmu() && !pmuCreated) {
                return -Errno.EINVAL; // kvm_arm_pmu_v3_enable: KVM_ARM_VCPU_PMU_V3_INIT not done
            }
            long r = vm.backend.firstRun(this);
            if (r != 0) {
                return r;
            }
            hasRun = true;
            vm.hasRanOnce = true;
        }
        boolean wantsToRun = runRead(Structs.RUN_IMMEDIATE_EXIT, 1) == 0;
        if (exitReason() == KVM_EXIT_MMIO && mmioNeeded) {
            completeMmio();
        }
        if (!wantsToRun) {
            return -Errno.EINTR; // immediate_exit: exit_reason is left as it was
        }
        setExit(KVM_EXIT_UNKNOWN);
        runWrite(Structs.RUN_FLAGS, 2, 0);
        return vm.backend.run(p, this);
    }

    /** kvm_handle_mmio_return(): a read's data goes to the REC's X0 (realm); the access is then skipped. */
    private void completeMmio() {
        mmioNeeded = false;
        vm.backend.completeMmio(this);
    }

    /**
     * Sleeps while the vCPU is powered off or suspended (kvm_vcpu_sleep / kvm_vcpu_suspend); returns -EINTR with
     * KVM_EXIT_INTR if a signal arrives first, 0 once the vCPU may run.
     */
    long sleepWhileStopped(Process p) {
        while (mpState == KVM_MP_STATE_STOPPED || mpState == KVM_MP_STATE_SUSPENDED) {
            if (p.signalPending()) {
                p.consumeSignal();
                setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
        }
        return 0;
    }

    /** kvm_psci_vcpu_on(): asks for a reset to {@code pc} with {@code r0} in X0 before the vCPU next runs. */
    void requestReset(long pc, long r0) {
        resetPc = pc;
        resetR0 = r0;
        resetPending = true;
    }

    /** For tests: the state user space can observe, in a stable text form. */
    String abiState() {
        StringBuilder sb = new StringBuilder();
        sb.append(id).append(" init=").append(initialized).append(" features=").append(features).append(" mp=")
                .append(mpState).append(" ran=").append(hasRun).append(" regs=");
        for (long r : regs) {
            sb.append(Long.toHexString(r)).append(',');
        }
        sb.append(" sp=").append(regFile.sp).append(" pc=").append(Long.toHexString(regFile.pc)).append(" pstate=")
                .append(regFile.pstate).append(" sys=").append(regFile.sysregs).append(" ev=").append(pendingExtDabt)
                .append(pendingSerror);
        return sb.toString();
    }
}
