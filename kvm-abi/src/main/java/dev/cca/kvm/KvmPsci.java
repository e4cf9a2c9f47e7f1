package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.kvm.VmBackend.CONTINUE;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * KVM's PSCI, one implementation for both VM types, shaped like arch/arm64/kvm/psci.c: the calls are dispatched by
 * the PSCI version of the vCPU (KVM_REG_ARM_PSCI_VERSION: 0.1 without KVM_ARM_VCPU_PSCI_0_2, else 0.2, 1.0 or
 * 1.1), MPIDRs are checked against MPIDR_HWID_BITMASK, AFFINITY_INFO looks at every affinity level, and a system
 * event powers every vCPU off (kvm_prepare_system_event).
 *
 * <p>What differs per VM type is in {@link VmBackend}: where the calling vCPU's registers are
 * ({@link VmBackend#smcccRegs}), how a call that names another vCPU is completed ({@link VmBackend#psciComplete}:
 * nothing for a normal VM, RMI_PSCI_COMPLETE for a realm, as the v12 patches do in kvm_psci_vcpu_on() and
 * kvm_psci_vcpu_affinity_info()), and how a vCPU waits ({@link VmBackend#vcpuWfi}). A realm's RMM answers some calls
 * itself (PSCI_VERSION, PSCI_FEATURES, AFFINITY_INFO above level 0...) and forwards the others; an RSI_HOST_CALL
 * reaches this code with whatever function id the realm put in it.
 */
final class KvmPsci {
    /** KVM's own PSCI 0.1 function ids (KVM_PSCI_FN_BASE, include/uapi/asm/kvm.h): CPU_SUSPEND, CPU_OFF, CPU_ON, MIGRATE. */
    static final long KVM_PSCI_FN_BASE = 0x95C1_BA5EL;
    static final long KVM_PSCI_FN_CPU_OFF = KVM_PSCI_FN_BASE + 1, KVM_PSCI_FN_CPU_ON = KVM_PSCI_FN_BASE + 2;
    /** MPIDR_LEVEL_BITS: each affinity field is 8 bits (Aff3 is bits 32..39). */
    private static final int MPIDR_LEVEL_BITS = 8;

    private final KvmVm vm;

    KvmPsci(KvmVm vm) {
        this.vm = vm;
    }

    /**
     * kvm_psci_call() for vCPU {@code v} whose X0..X3 are in {@code x}: CONTINUE with the results in {@code x}, or
     * the KVM_RUN result with kvm_run filled (a system event, or -EINTR when a signal ended CPU_SUSPEND).
     */
    long call(Process p, Cpu pe, KvmVcpu v, long[] x) {
        long version = vm.firmware.psciVersion(v);
        if (version == VmFirmwareRegs.PSCI_1_1) {
            return call1x(p, pe, v, x, 1);
        }
        if (version == VmFirmwareRegs.PSCI_1_0) {
            return call1x(p, pe, v, x, 0);
        }
        if (version == VmFirmwareRegs.PSCI_0_2) {
            return call02(p, pe, v, x);
        }
        return call01(pe, v, x);
    }

    /** kvm_psci_1_x_call(). */
    private long call1x(Process p, Cpu pe, KvmVcpu v, long[] x, int minor) {
        long fn = x[0] & 0xFFFF_FFFFL;
        long val;
        if (fn == Psci.VERSION) {
            val = minor == 0 ? VmFirmwareRegs.PSCI_1_0 : VmFirmwareRegs.PSCI_1_1;
        } else if (fn == Psci.FEATURES) {
            val = feature(x[1] & 0xFFFF_FFFFL, minor);
        } else if ((fn == Psci.SYSTEM_SUSPEND_32 || fn == Psci.SYSTEM_SUSPEND_64) && vm.systemSuspend) {
            systemSuspend(v);
            return 0; // registers untouched: user space reads the SMCCC arguments
        } else if (fn == Psci.SYSTEM_SUSPEND_32 || fn == Psci.SYSTEM_SUSPEND_64) {
            val = Psci.NOT_SUPPORTED;
        } else if ((fn == Psci.SYSTEM_RESET2_32 || fn == Psci.SYSTEM_RESET2_64) && minor >= 1) {
            if (fn == Psci.SYSTEM_RESET2_32) {
                narrowTo32(x);
            }
            long resetType = x[1] & 0xFFFF_FFFFL;
            if (resetType <= Psci.RESET_TYPE_SYSTEM_WARM_RESET || resetType >= Psci.RESET_TYPE_VENDOR_START) {
                systemEvent(v, KVM_SYSTEM_EVENT_RESET, KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
                x[0] = Psci.INTERNAL_FAILURE; // if user space resumes the vCPU anyway
                return 0;
            }
            val = Psci.INVALID_PARAMETERS;
        } else {
            return call02(p, pe, v, x);
        }
        Hypercalls.setRetval(x, val);
        return CONTINUE;
    }

    /** PSCI_FEATURES in kvm_psci_1_x_call(): 0 for a function this PSCI implements, else NOT_SUPPORTED. */
    private long feature(long fn, int minor) {
        if (fn == Psci.VERSION || fn == Psci.CPU_SUSPEND_32 || fn == Psci.CPU_SUSPEND_64 || fn == Psci.CPU_OFF
                || fn == Psci.CPU_ON_32 || fn == Psci.CPU_ON_64 || fn == Psci.AFFINITY_INFO_32
                || fn == Psci.AFFINITY_INFO_64 || fn == Psci.MIGRATE_INFO_TYPE || fn == Psci.SYSTEM_OFF
                || fn == Psci.SYSTEM_RESET || fn == Psci.FEATURES || fn == Smccc.SMCCC_VERSION) {
            return Psci.SUCCESS; // CPU_SUSPEND: original power_state format, no OS-initiated mode
        }
        if (fn == Psci.SYSTEM_SUSPEND_32 || fn == Psci.SYSTEM_SUSPEND_64) {
            return vm.systemSuspend ? Psci.SUCCESS : Psci.NOT_SUPPORTED;
        }
        if (fn == Psci.SYSTEM_RESET2_32 || fn == Psci.SYSTEM_RESET2_64) {
            return minor >= 1 ? Psci.SUCCESS : Psci.NOT_SUPPORTED;
        }
        return Psci.NOT_SUPPORTED;
    }

    /** kvm_psci_0_2_call(). */
    private long call02(Process p, Cpu pe, KvmVcpu v, long[] x) {
        long fn = x[0] & 0xFFFF_FFFFL;
        long val;
        long ret = CONTINUE;
        if (fn == Psci.VERSION) {
            val = VmFirmwareRegs.PSCI_0_2;
        } else if (fn == Psci.CPU_SUSPEND_32 || fn == Psci.CPU_SUSPEND_64) {
            // kvm_psci_vcpu_suspend(): every power state is a standby, kvm_vcpu_wfi(); registers are preserved.
            val = Psci.SUCCESS;
            if (!vm.backend.vcpuWfi(p, pe, v)) {
                Hypercalls.setRetval(x, val);
                p.consumeSignal();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
        } else if (fn == Psci.CPU_OFF) {
            vcpuOff(v);
            val = Psci.SUCCESS;
        } else if (fn == Psci.CPU_ON_32 || fn == Psci.CPU_ON_64) {
            if (fn == Psci.CPU_ON_32) {
                narrowTo32(x);
            }
            val = vcpuOn(pe, v, x, VmFirmwareRegs.PSCI_0_2);
        } else if (fn == Psci.AFFINITY_INFO_32 || fn == Psci.AFFINITY_INFO_64) {
            if (fn == Psci.AFFINITY_INFO_32) {
                narrowTo32(x);
            }
            val = affinityInfo(pe, v, x);
        } else if (fn == Psci.MIGRATE_INFO_TYPE) {
            val = Psci.TOS_MP; // the Trusted OS is MP, or not present: no migration
        } else if (fn == Psci.SYSTEM_OFF || fn == Psci.SYSTEM_RESET) {
            systemEvent(v, fn == Psci.SYSTEM_OFF ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, 0);
            val = Psci.INTERNAL_FAILURE; // what the vCPU sees if user space resumes it after the event
            ret = 0;
        } else {
            val = Psci.NOT_SUPPORTED;
        }
        Hypercalls.setRetval(x, val);
        return ret;
    }

    /** kvm_psci_0_1_call(): KVM's own function ids, CPU_OFF and CPU_ON only. */
    private long call01(Cpu pe, KvmVcpu v, long[] x) {
        long fn = x[0] & 0xFFFF_FFFFL;
        long val;
        if (fn == KVM_PSCI_FN_CPU_OFF) {
            vcpuOff(v);
            val = Psci.SUCCESS;
        } else if (fn == KVM_PSCI_FN_CPU_ON) {
            val = vcpuOn(pe, v, x, VmFirmwareRegs.PSCI_0_1);
        } else {
            val = Psci.NOT_SUPPORTED;
        }
        Hypercalls.setRetval(x, val);
        return CONTINUE;
    }

    /** kvm_psci_narrow_to_32bit(): an SMC32 call's arguments are the low halves of X1..X3. */
    private static void narrowTo32(long[] x) {
        for (int i = 1; i < 4; i++) {
            x[i] &= 0xFFFF_FFFFL;
        }
    }

    /** kvm_psci_valid_affinity(). */
    private static boolean validAffinity(long affinity) {
        return (affinity & ~KvmVm.MPIDR_HWID_BITMASK) == 0;
    }

    /** psci_affinity_mask(): the MPIDR bits that name a node at {@code level} (0..3), or 0 for another level. */
    static long affinityMask(long level) {
        if (Long.compareUnsigned(level, 3) > 0) {
            return 0;
        }
        return KvmVm.MPIDR_HWID_BITMASK & ~((1L << (level * MPIDR_LEVEL_BITS)) - 1);
    }

    /** kvm_psci_vcpu_off(): the vCPU sleeps in KVM_RUN until CPU_ON (KVM_REQ_SLEEP). */
    private void vcpuOff(KvmVcpu v) {
        vm.backend.powerOff(v);
        vm.waits.wakeAll(); // a VM whose vCPUs are all idle or off lets time jump
    }

    /**
     * kvm_psci_vcpu_on(): the target must exist and be off; it then starts at X2 with X3 in its X0 when its thread
     * next runs it (KVM_REQ_VCPU_RESET). The call is completed with the target before the target can run, and with
     * SUCCESS (already on) or DENIED when it fails.
     */
    private long vcpuOn(Cpu pe, KvmVcpu source, long[] x, long version) {
        long cpuId = x[1];
        if (!validAffinity(cpuId)) {
            return Psci.INVALID_PARAMETERS;
        }
        KvmVcpu target = vm.vcpuByMpidr(cpuId);
        if (target == null) {
            return Psci.INVALID_PARAMETERS;
        }
        long ret;
        // The completion is made under the target's monitor, where its own CPU_OFF is handled (VmBackend.powerOff),
        // so that a realm's RMM has decided about the REC before the target's thread looks.
        synchronized (target) {
            if (target.mpState != KVM_MP_STATE_STOPPED) {
                ret = version != VmFirmwareRegs.PSCI_0_1 ? Psci.ALREADY_ON : Psci.INVALID_PARAMETERS;
                target.onWhileRunnable = true;
                vm.backend.psciComplete(pe, source, target, ret == Psci.ALREADY_ON ? Psci.SUCCESS : Psci.DENIED);
            } else {
                target.requestReset(x[2], x[3]);
                vm.backend.psciComplete(pe, source, target, Psci.SUCCESS);
                target.mpState = KVM_MP_STATE_RUNNABLE;
                ret = Psci.SUCCESS;
            }
        }
        if (ret == Psci.SUCCESS) {
            vm.kick(target.id); // kvm_vcpu_wake_up()
        }
        return ret;
    }

    /**
     * kvm_psci_vcpu_affinity_info(): ON if a vCPU of the node at the lowest affinity level is on, OFF if none is,
     * INVALID_PARAMETERS if no vCPU is in it. A call about one vCPU (level 0) is completed with that vCPU.
     */
    private long affinityInfo(Cpu pe, KvmVcpu v, long[] x) {
        long targetAffinity = x[1];
        long lowestLevel = x[2];
        if (!validAffinity(targetAffinity)) {
            return Psci.INVALID_PARAMETERS;
        }
        long mask = affinityMask(lowestLevel);
        if (mask == 0) {
            return Psci.INVALID_PARAMETERS;
        }
        targetAffinity &= mask;
        int matching = 0;
        boolean on = false;
        synchronized (vm) {
            for (KvmVcpu c : vm.vcpus.values()) {
                if ((c.mpidr & mask) == targetAffinity) {
                    matching++;
                    on |= c.mpState != KVM_MP_STATE_STOPPED;
                }
            }
        }
        if (matching == 0) {
            return Psci.INVALID_PARAMETERS;
        }
        KvmVcpu target = lowestLevel == 0 ? vm.vcpuByMpidr(targetAffinity) : null;
        if (target != null) {
            vm.backend.psciComplete(pe, v, target, Psci.SUCCESS);
        }
        return on ? Psci.AFFINITY_ON : Psci.AFFINITY_OFF;
    }

    /**
     * kvm_prepare_system_event(): every vCPU of the VM is powered off (they sleep in KVM_RUN from now on, the
     * running ones kicked out of their guest) and this one exits with KVM_EXIT_SYSTEM_EVENT.
     */
    private void systemEvent(KvmVcpu v, int type, long flags) {
        List<KvmVcpu> all;
        synchronized (vm) {
            all = new ArrayList<>(vm.vcpus.values());
        }
        for (KvmVcpu c : all) {
            c.mpState = KVM_MP_STATE_STOPPED;
        }
        for (KvmVcpu c : all) {
            if (c != v) {
                vm.kick(c.id); // out of the guest or the wait, to sleep in KVM_RUN (KVM_REQ_SLEEP)
            }
        }
        vm.waits.wakeAll();
        clearSystemEvent(v);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_TYPE, 4, type);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_NDATA, 4, 1);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_DATA, 8, flags);
        v.setExit(KVM_EXIT_SYSTEM_EVENT);
    }

    /** kvm_psci_system_suspend(): the VMM decides what a suspend means; the vCPUs keep their power state. */
    private static void systemSuspend(KvmVcpu v) {
        clearSystemEvent(v);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_TYPE, 4, KVM_SYSTEM_EVENT_SUSPEND);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_NDATA, 4, 1);
        v.setExit(KVM_EXIT_SYSTEM_EVENT);
    }

    /** memset(&run->system_event, 0, ...): type, ndata and the 16 data words. */
    private static void clearSystemEvent(KvmVcpu v) {
        for (int off = Structs.RUN_SYSTEM_EVENT_TYPE; off < Structs.RUN_SYSTEM_EVENT_DATA + 16 * 8; off += 8) {
            v.runWrite(off, 8, 0);
        }
    }
}
