package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Rmi;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A realm VM (KVM_VM_TYPE_ARM_REALM) as the v12 patches run it: the RMM owns the guest's state and stage-2
 * tables, and KVM reaches them only by RMI calls. The lifecycle and the RMI calls are {@link RealmHost}'s (rmi.c),
 * the REC entry and exits {@link RecExitHandler}'s (rmi-exit.c), the stage-2 faults {@link RealmMmu}'s (mmu.c);
 * this class gives the generic VM and vCPU code their realm answers (the kernel's kvm_is_realm() and
 * vcpu_is_rec() branches).
 */
final class RealmBackend implements VmBackend {
    final KvmVm vm;
    final RealmHost realm;

    RealmBackend(KvmVm vm) {
        this.vm = vm;
        this.realm = new RealmHost(vm);
    }

    // ---- the VM ----------------------------------------------------------------------------------------------

    @Override
    public boolean hasPrivateMem() {
        return true;
    }

    /** kvm_realm_ext_allowed(): the architecture capabilities a realm VM may see (v12 patches 08 and 32). */
    @Override
    public boolean capabilityAllowed(int cap) {
        switch (cap) {
            case KVM_CAP_IRQCHIP:
            case KVM_CAP_ARM_PSCI:
            case KVM_CAP_ARM_PSCI_0_2:
            case KVM_CAP_NR_VCPUS:
            case KVM_CAP_MAX_VCPUS:
            case KVM_CAP_MAX_VCPU_ID:
            case KVM_CAP_MSI_DEVID:
            case KVM_CAP_ARM_VM_IPA_SIZE:
            case KVM_CAP_ARM_PMU_V3:
            case KVM_CAP_ARM_PTRAUTH_ADDRESS:
            case KVM_CAP_ARM_PTRAUTH_GENERIC:
            case KVM_CAP_ARM_RMI:
                return true;
            case KVM_CAP_ARM_SVE:
                return false; // kvm_rmi_supports_sve(): this RMM reports no SVE
            default:
                return false;
        }
    }

    /** The realm's breakpoint and watchpoint counts come from the RMM (RMI_FEATURES register 0). */
    @Override
    public long sanitiseIdAa64dfr0(long v) {
        long f0 = vm.dev.kernel.rmiFeatures0();
        long bps = (f0 >>> 14) & 0x3F, wps = (f0 >>> 20) & 0x3F;
        long ctx = Math.min(bps, (v >>> KvmVm.DFR0_CTX_CMPS) & 0xF);
        v &= ~((0xFL << KvmVm.DFR0_BRPS) | (0xFL << KvmVm.DFR0_WRPS) | (0xFL << KvmVm.DFR0_CTX_CMPS));
        return v | ((bps & 0xF) << KvmVm.DFR0_BRPS) | ((wps & 0xF) << KvmVm.DFR0_WRPS)
                | (ctx << KvmVm.DFR0_CTX_CMPS);
    }

    /** The realm descriptor was created with the values (num_bps, num_wps): they can no longer change. */
    @Override
    public boolean idRegistersFixed() {
        return realm.isCreated();
    }

    @Override
    public long populate(Process p, long arg, boolean writeBack) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.RMI_POPULATE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        if (!writeBack) {
            return realm.populate(p, s);
        }
        long r = realm.populateProgress(p, s);
        // v13 always copies the (possibly advanced) struct back, also when the populate failed.
        if (!p.memory().copyToUser(arg, s.bytes())) {
            return -Errno.EFAULT;
        }
        return r;
    }

    /** Protected pages stay until their attribute changes; unprotected ones with the VM (as in v12). */
    @Override
    public void unmapRange(long gpa, long size) {
    }

    @Override
    public void attributesChanged(long start, long end, boolean nowPrivate) {
        realm.attributesChanged(start, end, nowPrivate);
    }

    @Override
    public void destroy() {
        realm.destroy();
    }

    @Override
    public String abiState() {
        return "realm " + realm.abiState() + '\n';
    }

    // ---- vCPUs -----------------------------------------------------------------------------------------------

    @Override
    public long firstRun(KvmVcpu v) {
        return realm.firstRun(v);
    }

    @Override
    public long run(Process p, KvmVcpu v) {
        return realm.exits.run(p, v);
    }

    @Override
    public void completeMmio(KvmVcpu v) {
        realm.exits.completeMmio(v);
    }

    @Override
    public void kick(int id) {
        realm.exits.kick(id);
    }

    /** validate_realm_set_reg(): X0-X30, PC, PMCR_EL0, ID_AA64DFR0_EL1 and SVE_VLS only. */
    @Override
    public boolean maySetReg(long regId) {
        if (VcpuRegs.coproc(regId) == KVM_REG_ARM_CORE) {
            long off = regId & ~(KVM_REG_ARM64 | KVM_REG_SIZE_MASK | KVM_REG_ARM_CORE);
            return off <= 60 || off == VcpuRegs.OFF_PC;
        }
        return regId == REG_PMCR_EL0 || regId == REG_ID_AA64DFR0_EL1 || regId == REG_SVE_VLS;
    }

    /** A realm sees the core registers and ID_AA64DFR0_EL1 (patches 43-44). */
    @Override
    public List<Long> regIds(KvmVcpu v) {
        List<Long> ids = new ArrayList<>(VcpuRegs.coreIds());
        ids.add(REG_ID_AA64DFR0_EL1);
        return ids;
    }

    /**
     * v12 patch 30: no SErrors into a realm; an external data abort only after an emulatable MMIO exit whose
     * completion set EMULATED_MMIO, turned into REC_ENTER_FLAG_INJECT_SEA.
     */
    @Override
    public long setVcpuEvents(KvmVcpu v, boolean serror, boolean hasEsr, boolean extDabt, boolean extIabt) {
        RealmRec rec = realm.rec(v);
        if (serror) {
            return -Errno.EINVAL; // user space cannot inject SErrors into a realm
        }
        if (extDabt) {
            if ((rec.enterFlags & Rmi.REC_ENTER_EMUL_MMIO) == 0) {
                return -Errno.EINVAL;
            }
            rec.enterFlags &= ~Rmi.REC_ENTER_EMUL_MMIO;
            rec.enterFlags |= Rmi.REC_ENTER_INJECT_SEA;
        }
        return 0;
    }

    /** One action, CONFIG_REALM (the hash algorithm or the RPV), before the realm descriptor exists. */
    @Override
    public long configureRealm(Process p, long action, long uaddr) {
        if (action != KVM_CAP_ARM_RMI_CONFIG_REALM) {
            return -Errno.EINVAL;
        }
        return realm.configure(p, uaddr);
    }

    /** kvm_arm_vcpu_rmi_psci_complete() on {@code v}, the vCPU that made the PSCI call. */
    @Override
    public long psciCompleteIoctl(Process p, KvmVcpu v, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.RMI_PSCI_COMPLETE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        KvmVcpu target = vm.vcpuByMpidr(s.u64(Structs.PC_TARGET_MPIDR));
        if (target == null) {
            return -Errno.EINVAL;
        }
        // psci_status is a __u32 passed unfiltered (zero-extended): the RMM decides what it accepts.
        try (PeScheduler.Lease lease = vm.dev.kernel.scheduler.lease(v.id)) {
            return realm.psciComplete(lease.cpu, v, target, s.u32(Structs.PC_PSCI_STATUS));
        }
    }

    // ---- SMCCC and PSCI: the REC's registers travel in rec_exit and rec_enter; the RMM completes -----------

    /** X0..X30 were copied from rec_exit.gprs; kvm_rec_pre_enter() copies them to rec_enter.gprs. */
    @Override
    public long[] smcccRegs(KvmVcpu v, Cpu pe) {
        return v.regs;
    }

    /** realm_psci_complete(): RMI_PSCI_COMPLETE(source REC, target REC, status). */
    @Override
    public long psciComplete(Cpu pe, KvmVcpu source, KvmVcpu target, long status) {
        return realm.psciComplete(pe, source, target, status);
    }

    @Override
    public void powerOff(KvmVcpu v) {
        synchronized (v) { // against KvmPsci's CPU_ON, which decides under the same monitor
            if (v.onWhileRunnable) {
                v.onWhileRunnable = false;
                v.offUnconfirmed = true;
            } else {
                v.mpState = KVM_MP_STATE_STOPPED;
            }
        }
    }

    @Override
    public boolean vcpuWfi(Process p, Cpu pe, KvmVcpu v) {
        return realm.exits.blockUntilWake(p, pe, v);
    }
}
