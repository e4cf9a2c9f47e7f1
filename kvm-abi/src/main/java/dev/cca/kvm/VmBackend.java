package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.kvm.host.Process;

import java.util.List;

/**
 * The VM type, fixed at KVM_CREATE_VM (kvm_arch_init_vm): a normal VM, which KVM runs itself with its own stage-2
 * tables, or a realm, which the RMM runs for KVM through RMI calls. Everything the generic VM and vCPU code
 * ({@link KvmVm}, {@link KvmVcpu}, {@link Hypercalls}, {@link KvmPsci}) does differently for the two types is a
 * method here; the generic code never asks which type it has.
 */
sealed interface VmBackend permits NormalVmBackend, RealmBackend {
    /** The result of an exit handler that re-enters the guest rather than returning to user space. */
    long CONTINUE = Long.MIN_VALUE;

    static VmBackend create(KvmVm vm, boolean realm) {
        return realm ? new RealmBackend(vm) : new NormalVmBackend(vm);
    }

    // ---- the VM ----------------------------------------------------------------------------------------------

    /** kvm_arch_has_private_mem(): guest_memfd memslots and KVM_MEMORY_ATTRIBUTE_PRIVATE are available. */
    boolean hasPrivateMem();

    /** kvm_vm_ioctl_check_extension(): whether an architecture capability is reported at all (v12's realm filter). */
    boolean capabilityAllowed(int cap);

    /** read_sanitised_id_aa64dfr0_el1() from the host's sanitised value: what the VM's vCPUs may be offered. */
    long sanitiseIdAa64dfr0(long host);

    /** True once the VM-wide ID registers are fixed by the VM type itself (a realm's descriptor exists). */
    boolean idRegistersFixed();

    /** KVM_ARM_RMI_POPULATE with the struct at {@code arg}: the ioctl's result. */
    long populate(Process p, long arg, boolean writeBack);

    /** A memslot went away or became read-only: mappings of [gpa, gpa + size) that KVM made go. */
    void unmapRange(long gpa, long size);

    /** kvm_arch_post_set_memory_attributes() after [start, end) became private or shared. */
    void attributesChanged(long start, long end, boolean nowPrivate);

    /** The last reference to the VM went (kvm_arch_destroy_vm). */
    void destroy();

    /** The type's own state as user space can observe it, for {@link KvmVm#abiState()} ("" if none). */
    String abiState();

    // ---- vCPUs -----------------------------------------------------------------------------------------------

    /** kvm_arch_vcpu_run_pid_change() on a vCPU's first KVM_RUN: 0 or a negative errno. */
    long firstRun(KvmVcpu v);

    /** KVM_RUN after the generic checks: runs until an exit to user space; the ioctl's result. */
    long run(Process p, KvmVcpu v);

    /** kvm_handle_mmio_return() when KVM_RUN follows a KVM_EXIT_MMIO (the VMM's data is in kvm_run). */
    void completeMmio(KvmVcpu v);

    /**
     * kvm_vcpu_kick(): vCPU {@code id} leaves its guest (or its wait) soon, to see a new interrupt, a request or
     * a power state change.
     */
    void kick(int id);

    /** KVM_SET_ONE_REG may write {@code regId} (validate_realm_set_reg for a realm). */
    boolean maySetReg(long regId);

    /** The register ids KVM_GET_REG_LIST reports. */
    List<Long> regIds(KvmVcpu v);

    /** __kvm_arm_vcpu_set_events() after the generic checks on the struct: 0 or a negative errno. */
    long setVcpuEvents(KvmVcpu v, boolean serror, boolean hasEsr, boolean extDabt, boolean extIabt);

    /** KVM_ARM_VCPU_RMI_PSCI_COMPLETE on {@code v} with the struct at {@code arg}. */
    long psciCompleteIoctl(Process p, KvmVcpu v, long arg);

    /**
     * KVM_ENABLE_CAP(KVM_CAP_ARM_RMI) under the realm-config profile (v8-v10's kvm_realm_enable_cap): action
     * {@code action} with the struct at {@code uaddr}; called with the VM lock held.
     */
    long configureRealm(Process p, long action, long uaddr);

    // ---- SMCCC and PSCI: how a call reads its arguments and completes -----------------------------------------

    /**
     * The array holding the calling vCPU's X0..X30 while KVM handles its SMCCC call: where the arguments are read
     * and the results written (a normal VM's registers are live on the PE; a REC's were copied from its exit and
     * go back in rec_enter).
     */
    long[] smcccRegs(KvmVcpu v, Cpu pe);

    /**
     * Completes a PSCI call of {@code source} that names {@code target} (CPU_ON, AFFINITY_INFO) with
     * {@code status}: nothing for a normal VM; RMI_PSCI_COMPLETE for a realm, whose RMM emulates PSCI and needs
     * the target REC. 0 or -EINVAL (realm_psci_complete).
     */
    long psciComplete(Cpu pe, KvmVcpu source, KvmVcpu target, long status);

    /**
     * kvm_psci_vcpu_off() for {@code v}'s own CPU_OFF: KVM_MP_STATE_STOPPED, except for a realm vCPU that a CPU_ON
     * found runnable meanwhile ({@link KvmVcpu#onWhileRunnable}), whose next REC_ENTER tells whether the RMM powered
     * it on again (it runs) or not (RMI_ERROR_REC, rec_runnable: then this is called again, and stops it unless
     * another CPU_ON came meanwhile).
     */
    void powerOff(KvmVcpu v);

    /** kvm_vcpu_wfi() for the calling vCPU (PSCI CPU_SUSPEND): false if a signal ended the wait. */
    boolean vcpuWfi(Process p, Cpu pe, KvmVcpu v);
}
