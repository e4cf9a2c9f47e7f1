package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Smccc;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;

import static dev.cca.kvm.VmBackend.CONTINUE;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * SMCCC calls from a guest, for both VM types (arch/arm64/kvm/hypercalls.c kvm_smccc_call_handler): the VM's SMCCC
 * filter (KVM_ARM_VM_SMCCC_FILTER) may deny a call or forward it to user space as KVM_EXIT_HYPERCALL;
 * SMCCC_VERSION and SMCCC_ARCH_FEATURES are answered here, everything else goes to {@link KvmPsci}. A normal VM
 * makes its calls by HVC or trapped SMC; a realm's reach KVM as RMI_EXIT_PSCI (the PSCI calls the RMM forwards) or
 * RMI_EXIT_HOST_CALL (RSI_HOST_CALL). The arguments and results are in {@link VmBackend#smcccRegs}.
 */
final class Hypercalls {
    static final long SMCCC_ARCH_FEATURES = 0x8000_0001L;

    private final KvmVm vm;

    Hypercalls(KvmVm vm) {
        this.vm = vm;
    }

    /**
     * kvm_smccc_call_handler(): {@code esr} is the syndrome of the call (ESR_EL2 of the HVC or SMC; a REC exit's
     * ESR); {@code psciToUser} forwards PSCI calls whatever the filter says (the psci-user profile). Returns
     * CONTINUE, or the KVM_RUN result with kvm_run filled.
     */
    long call(Process p, Cpu pe, KvmVcpu v, long esr, boolean psciToUser) {
        long[] x = vm.backend.smcccRegs(v, pe);
        long fid = x[0] & 0xFFFF_FFFFL;
        int action = vm.smcccFilter.action(fid);
        if (psciToUser && Psci.isPsci(fid)) {
            action = KVM_SMCCC_FILTER_FWD_TO_USER;
        }
        if (action == KVM_SMCCC_FILTER_HANDLE && !defaultAllowed(fid)) {
            action = KVM_SMCCC_FILTER_DENY;
        }
        if (action == KVM_SMCCC_FILTER_FWD_TO_USER) {
            hypercallExit(v, fid, esr);
            return 0;
        }
        if (action == KVM_SMCCC_FILTER_DENY) {
            setRetval(x, Psci.NOT_SUPPORTED);
            return CONTINUE;
        }
        if (fid == Smccc.SMCCC_VERSION) {
            setRetval(x, 0x10001); // SMCCC 1.1
            return CONTINUE;
        }
        if (fid == SMCCC_ARCH_FEATURES) {
            setRetval(x, Psci.NOT_SUPPORTED); // no firmware workaround is needed on this host
            return CONTINUE;
        }
        return vm.psci.call(p, pe, v, x);
    }

    /**
     * kvm_smccc_default_allowed(): SMCCC_VERSION, SMCCC_ARCH_FEATURES, PSCI 0.2+ (Standard Service calls
     * 0x00-0x1F) and KVM's PSCI 0.1 function ids (the firmware bitmaps' services are not offered).
     */
    private static boolean defaultAllowed(long fid) {
        if (fid == Smccc.SMCCC_VERSION || fid == SMCCC_ARCH_FEATURES) {
            return true;
        }
        if (fid >= KvmPsci.KVM_PSCI_FN_BASE && fid <= KvmPsci.KVM_PSCI_FN_BASE + 3) {
            return true;
        }
        return ((fid >>> 24) & 0x3F) == 4 && (fid & 0xFFFF) <= 0x1F;
    }

    /** kvm_prepare_hypercall_exit(): the flags come from the call's syndrome. */
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

    /** smccc_set_retval(): X0 = {@code a0}, X1..X3 = 0. */
    static void setRetval(long[] x, long a0) {
        x[0] = a0;
        x[1] = 0;
        x[2] = 0;
        x[3] = 0;
    }
}
