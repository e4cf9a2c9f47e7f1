package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Smccc;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;

import static dev.cca.kvm.RealmHost.CONTINUE;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * SMCCC calls from a guest (arch/arm64/kvm/hypercalls.c kvm_smccc_call_handler): the VM's SMCCC filter may deny a
 * call or forward it to user space as KVM_EXIT_HYPERCALL; SMCCC_VERSION and SMCCC_ARCH_FEATURES are answered here,
 * PSCI goes to {@link KvmPsci}.
 */
final class Hypercalls {
    private static final long SMCCC_ARCH_FEATURES = 0x8000_0001L;

    private final RealmHost realm;
    private final KvmVm vm;

    Hypercalls(RealmHost realm, KvmVm vm) {
        this.realm = realm;
        this.vm = vm;
    }

    // ---- SMCCC calls: PSCI and RSI_HOST_CALL -------------------------------------------------------------------

    /**
     * kvm_smccc_call_handler() for a REC's PSCI or HOST_CALL exit, with X0.. already copied into the vCPU: the SMCCC
     * filter (or the psci-user profile) may forward the call to user space as KVM_EXIT_HYPERCALL.
     */
    long smcccCall(Process p, Cpu pe, KvmVcpu v, long exitEsr) {
        long fid = v.regs[0] & 0xFFFF_FFFFL;
        int action = vm.smcccFilter.action(fid);
        if (vm.profile().psciAlwaysInUserSpace() && Psci.isPsci(fid) && v.lastRecExit == Rmi.EXIT_PSCI) {
            action = KVM_SMCCC_FILTER_FWD_TO_USER;
        }
        if (action == KVM_SMCCC_FILTER_HANDLE && !defaultAllowed(fid)) {
            action = KVM_SMCCC_FILTER_DENY;
        }
        if (action == KVM_SMCCC_FILTER_FWD_TO_USER) {
            hypercallExit(v, fid, exitEsr);
            return 0;
        }
        if (action == KVM_SMCCC_FILTER_DENY) {
            setRetval(v, Psci.NOT_SUPPORTED);
            return CONTINUE;
        }
        if (fid == Smccc.SMCCC_VERSION) {
            setRetval(v, 0x10001); // SMCCC 1.1
            return CONTINUE;
        }
        if (fid == SMCCC_ARCH_FEATURES) {
            setRetval(v, Psci.NOT_SUPPORTED); // no firmware workaround is needed on this host
            return CONTINUE;
        }
        return realm.psci.psciCall(p, pe, v);
    }

    /** kvm_smccc_default_allowed() (the firmware bitmaps allow nothing a realm could reach here). */
    private static boolean defaultAllowed(long fid) {
        if (fid == Smccc.SMCCC_VERSION || fid == SMCCC_ARCH_FEATURES) {
            return true;
        }
        return ((fid >>> 24) & 0x3F) == 4 && (fid & 0xFFFF) <= 0x1F; // PSCI: Standard Service calls 0x00-0x1F
    }

    /** kvm_prepare_hypercall_exit(): the flags come from the REC exit's ESR, as KVM reads it for a REC. */
    private static void hypercallExit(KvmVcpu v, long fid, long esr) {
        long flags = 0;
        int ec = Esr.ec(esr);
        if (ec == 0x13 || ec == Esr.EC_SMC64) {
            flags |= KVM_HYPERCALL_EXIT_SMC;
        }
        if ((esr & Esr.IL) == 0) {
            flags |= KVM_HYPERCALL_EXIT_16BIT;
        }
        v.setExit(KVM_EXIT_HYPERCALL);
        v.runWrite(Structs.RUN_HYPERCALL_NR, 8, fid);
        for (int i = 0; i < 6; i++) {
            v.runWrite(Structs.RUN_HYPERCALL_ARGS + 8 * i, 8, 0);
        }
        v.runWrite(Structs.RUN_HYPERCALL_RET, 8, 0);
        v.runWrite(Structs.RUN_HYPERCALL_FLAGS, 8, flags);
    }

    /** A signal ended a wait inside KVM_RUN. */
    static long interrupted(Process p, KvmVcpu v) {
        p.consumeSignal();
        v.setExit(KVM_EXIT_INTR);
        return -Errno.EINTR;
    }

    static void setRetval(KvmVcpu v, long x0) {
        v.regs[0] = x0;
        v.regs[1] = 0;
        v.regs[2] = 0;
        v.regs[3] = 0;
    }
}
