package dev.cca.kvm;

import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

/**
 * Running a normal (non-realm) VM: KVM's own stage-2 tables, the guest at Non-secure EL1, and in-kernel
 * emulation of the vGIC, the timers and PSCI. Not implemented on this host yet: KVM_RUN on a normal VM fails
 * with EOPNOTSUPP.
 */
final class NormalVmHost {
    private final KvmVm vm;

    NormalVmHost(KvmVm vm) {
        this.vm = vm;
    }

    long run(Process p, KvmVcpu v) {
        return -Errno.EOPNOTSUPP;
    }
}
