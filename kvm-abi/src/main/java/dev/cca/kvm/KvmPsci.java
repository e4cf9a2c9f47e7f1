package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;

import static dev.cca.kvm.RealmHost.CONTINUE;
import static dev.cca.kvm.uapi.KvmUapi.*;

/** PSCI for a guest (arch/arm64/kvm/psci.c kvm_psci_call). */
final class KvmPsci {

    private final RealmHost realm;
    private final KvmVm vm;
    private final HostKernel kernel;

    KvmPsci(RealmHost realm, KvmVm vm) {
        this.realm = realm;
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    /** kvm_psci_call() for a PSCI 1.x vCPU (a REC always has KVM_ARM_VCPU_PSCI_0_2). */
    long psciCall(Process p, Cpu pe, KvmVcpu v) {
        long fn = v.regs[0] & 0xFFFF_FFFFL;
        long version = vm.firmware.psciVersion(v);
        int minor = (int) (version & 0xFFFF);
        boolean v1x = version >= VmFirmwareRegs.PSCI_1_0;
        if (v1x && fn == Psci.VERSION) {
            Hypercalls.setRetval(v, version);
            return CONTINUE;
        }
        if (v1x && fn == Psci.FEATURES) {
            long arg = v.regs[1] & 0xFFFF_FFFFL;
            long val = Psci.NOT_SUPPORTED;
            if (arg == Psci.VERSION || arg == Psci.CPU_SUSPEND_32 || arg == Psci.CPU_SUSPEND_64 || arg == Psci.CPU_OFF
                    || arg == Psci.CPU_ON_32 || arg == Psci.CPU_ON_64 || arg == Psci.AFFINITY_INFO_32
                    || arg == Psci.AFFINITY_INFO_64 || arg == 0x8400_0006L || arg == Psci.SYSTEM_OFF
                    || arg == Psci.SYSTEM_RESET || arg == Psci.FEATURES || arg == Smccc.SMCCC_VERSION) {
                val = Psci.SUCCESS;
            } else if ((arg == 0x8400_000EL || arg == 0xC400_000EL) && vm.systemSuspend) {
                val = Psci.SUCCESS;
            } else if ((arg == 0x8400_0012L || arg == 0xC400_0012L) && minor >= 1) {
                val = Psci.SUCCESS;
            }
            Hypercalls.setRetval(v, val);
            return CONTINUE;
        }
        if (v1x && (fn == 0x8400_000EL || fn == 0xC400_000EL)) { // SYSTEM_SUSPEND
            if (vm.systemSuspend) {
                systemEvent(v, KVM_SYSTEM_EVENT_SUSPEND, false);
                return 0; // registers untouched: user space reads the SMCCC arguments
            }
            Hypercalls.setRetval(v, Psci.NOT_SUPPORTED);
            return CONTINUE;
        }
        if (fn == Psci.VERSION) {
            Hypercalls.setRetval(v, VmFirmwareRegs.PSCI_0_2);
            return CONTINUE;
        }
        if (fn == Psci.CPU_SUSPEND_32 || fn == Psci.CPU_SUSPEND_64) {
            Hypercalls.setRetval(v, Psci.SUCCESS); // kvm_psci_vcpu_suspend(): a standby, kvm_vcpu_wfi()
            return realm.exits.blockUntilWake(p, pe, v) ? CONTINUE : Hypercalls.interrupted(p, v);
        }
        if (fn == Psci.CPU_OFF) {
            v.mpState = KVM_MP_STATE_STOPPED;
            Hypercalls.setRetval(v, Psci.SUCCESS);
            vm.waits.wakeAll();
            return CONTINUE;
        }
        if (fn == Psci.CPU_ON_32 || fn == Psci.CPU_ON_64) {
            Hypercalls.setRetval(v, cpuOn(pe, v, fn == Psci.CPU_ON_32));
            return CONTINUE;
        }
        if (fn == Psci.AFFINITY_INFO_32 || fn == Psci.AFFINITY_INFO_64) {
            Hypercalls.setRetval(v, affinityInfo(pe, v));
            return CONTINUE;
        }
        if (fn == 0x8400_0006L) { // MIGRATE_INFO_TYPE
            Hypercalls.setRetval(v, 2); // PSCI_0_2_TOS_MP: no trusted OS to migrate
            return CONTINUE;
        }
        if (fn == Psci.SYSTEM_OFF || fn == Psci.SYSTEM_RESET) {
            systemEvent(v, fn == Psci.SYSTEM_OFF ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, true);
            Hypercalls.setRetval(v, Psci.INTERNAL_FAILURE);
            return 0;
        }
        Hypercalls.setRetval(v, Psci.NOT_SUPPORTED);
        return CONTINUE;
    }

    /**
     * kvm_prepare_system_event(): every vCPU of the VM is powered off (they sleep in KVM_RUN from now on) and this
     * one exits with KVM_EXIT_SYSTEM_EVENT.
     */
    private void systemEvent(KvmVcpu v, int type, boolean stopAll) {
        if (stopAll) {
            for (KvmVcpu c : vm.vcpus.values()) {
                c.mpState = KVM_MP_STATE_STOPPED;
                if (c != v && c.runningThread != null) {
                    kernel.kickGuest(c.runningThread);
                }
            }
        }
        v.setExit(KVM_EXIT_SYSTEM_EVENT);
        for (int off = Structs.RUN_SYSTEM_EVENT_TYPE; off < Structs.RUN_SYSTEM_EVENT_DATA + 16 * 8; off += 8) {
            v.runWrite(off, 8, 0);
        }
        v.runWrite(Structs.RUN_SYSTEM_EVENT_TYPE, 4, type);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_NDATA, 4, 1);
    }

    /** kvm_psci_vcpu_on() with v12's RMI_PSCI_COMPLETE calls (patch 27). */
    private long cpuOn(Cpu pe, KvmVcpu source, boolean smc32) {
        long cpuId = smc32 ? source.regs[1] & 0xFFFF_FFFFL : source.regs[1];
        if ((cpuId & ~KvmVm.MPIDR_HWID_BITMASK) != 0) {
            return Psci.INVALID_PARAMETERS;
        }
        KvmVcpu target = vm.vcpuByMpidr(cpuId);
        if (target == null) {
            return Psci.INVALID_PARAMETERS;
        }
        long ret;
        synchronized (target) {
            if (target.mpState != KVM_MP_STATE_STOPPED) {
                ret = Psci.ALREADY_ON;
            } else {
                // The reset state (entry point, context id) is the RMM's business for a REC; KVM's copy follows.
                target.regFile.pc = smc32 ? source.regs[2] & 0xFFFF_FFFFL : source.regs[2];
                target.regs[0] = smc32 ? source.regs[3] & 0xFFFF_FFFFL : source.regs[3];
                realm.psciComplete(pe, source, target, Psci.SUCCESS);
                target.mpState = KVM_MP_STATE_RUNNABLE;
                vm.waits.wakeAll();
                return Psci.SUCCESS;
            }
        }
        realm.psciComplete(pe, source, target, ret == Psci.ALREADY_ON ? Psci.SUCCESS : Psci.DENIED);
        return ret;
    }

    /** kvm_psci_vcpu_affinity_info(), realm branch. */
    private long affinityInfo(Cpu pe, KvmVcpu v) {
        long lowest = v.regs[2];
        if (lowest != 0) {
            return Psci.INVALID_PARAMETERS; // the RMM supports only affinity level 0
        }
        KvmVcpu target = vm.vcpuByMpidr(v.regs[1] & KvmVm.MPIDR_HWID_BITMASK);
        if (target == null) {
            return Psci.INVALID_PARAMETERS;
        }
        realm.psciComplete(pe, v, target, Psci.SUCCESS);
        return Psci.SUCCESS;
    }

}
