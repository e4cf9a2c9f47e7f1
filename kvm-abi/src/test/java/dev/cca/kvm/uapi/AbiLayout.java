package dev.cca.kvm.uapi;

import java.util.ArrayList;
import java.util.List;

/**
 * The ABI facts the tests pin: each C expression (as a C compiler for arm64 evaluates it against the uapi
 * headers), the number the research measured with gcc, and the Java constant the model uses. The same table
 * feeds {@link StructLayoutTest} (numbers stated here) and {@link GccLayoutTest} (numbers recomputed by gcc).
 */
final class AbiLayout {
    private AbiLayout() {
    }

    /** One fact: {@code cExpr} must equal {@code stated}, and the model's constant must equal it too. */
    record Fact(String name, String cExpr, long stated, long model) {
    }

    static final List<Fact> FACTS = new ArrayList<>();

    private static void fact(String name, String cExpr, long stated, long model) {
        FACTS.add(new Fact(name, cExpr, stated, model));
    }

    private static void size(String struct, long stated, long model) {
        fact("sizeof " + struct, "sizeof(struct " + struct + ")", stated, model);
    }

    private static void off(String struct, String field, long stated, long model) {
        fact(struct + "." + field, "offsetof(struct " + struct + ", " + field + ")", stated, model);
    }

    private static void req(String name, long stated, long model) {
        fact(name, name, stated, model);
    }

    static {
        // v12 additions (patch 06/46).
        size("kvm_arm_rmi_populate", 32, Structs.RMI_POPULATE_SIZE);
        off("kvm_arm_rmi_populate", "base", 0, Structs.POP_BASE);
        off("kvm_arm_rmi_populate", "size", 8, Structs.POP_SIZE);
        off("kvm_arm_rmi_populate", "source_uaddr", 16, Structs.POP_SOURCE_UADDR);
        off("kvm_arm_rmi_populate", "flags", 24, Structs.POP_FLAGS);
        off("kvm_arm_rmi_populate", "reserved", 28, Structs.POP_RESERVED);
        // The realm-config profile's extension: v8-v10's struct arm_rme_config, renamed as v11 renamed RME.
        size("arm_rmi_config", 260, Structs.RMI_CONFIG_SIZE);
        off("arm_rmi_config", "cfg", 0, Structs.RC_CFG);
        off("arm_rmi_config", "rpv", 4, Structs.RC_RPV);
        off("arm_rmi_config", "hash_algo", 4, Structs.RC_HASH_ALGO);
        size("kvm_arm_rmi_psci_complete", 24, Structs.RMI_PSCI_COMPLETE_SIZE);
        off("kvm_arm_rmi_psci_complete", "target_mpidr", 0, Structs.PC_TARGET_MPIDR);
        off("kvm_arm_rmi_psci_complete", "psci_status", 8, Structs.PC_PSCI_STATUS);
        off("kvm_arm_rmi_psci_complete", "padding", 12, Structs.PC_PADDING);

        // Memory.
        size("kvm_userspace_memory_region", 32, Structs.MEMORY_REGION_SIZE);
        size("kvm_userspace_memory_region2", 160, Structs.MEMORY_REGION2_SIZE);
        off("kvm_userspace_memory_region2", "slot", 0, Structs.MR2_SLOT);
        off("kvm_userspace_memory_region2", "flags", 4, Structs.MR2_FLAGS);
        off("kvm_userspace_memory_region2", "guest_phys_addr", 8, Structs.MR2_GUEST_PHYS_ADDR);
        off("kvm_userspace_memory_region2", "memory_size", 16, Structs.MR2_MEMORY_SIZE);
        off("kvm_userspace_memory_region2", "userspace_addr", 24, Structs.MR2_USERSPACE_ADDR);
        off("kvm_userspace_memory_region2", "guest_memfd_offset", 32, Structs.MR2_GUEST_MEMFD_OFFSET);
        off("kvm_userspace_memory_region2", "guest_memfd", 40, Structs.MR2_GUEST_MEMFD);
        off("kvm_userspace_memory_region2", "pad1", 44, Structs.MR2_PAD1);
        off("kvm_userspace_memory_region2", "pad2", 48, Structs.MR2_PAD2);
        size("kvm_create_guest_memfd", 64, Structs.CREATE_GUEST_MEMFD_SIZE);
        off("kvm_create_guest_memfd", "size", 0, Structs.CGM_SIZE);
        off("kvm_create_guest_memfd", "flags", 8, Structs.CGM_FLAGS);
        off("kvm_create_guest_memfd", "reserved", 16, Structs.CGM_RESERVED);
        size("kvm_memory_attributes", 32, Structs.MEMORY_ATTRIBUTES_SIZE);
        off("kvm_memory_attributes", "address", 0, Structs.MA_ADDRESS);
        off("kvm_memory_attributes", "size", 8, Structs.MA_SIZE);
        off("kvm_memory_attributes", "attributes", 16, Structs.MA_ATTRIBUTES);
        off("kvm_memory_attributes", "flags", 24, Structs.MA_FLAGS);

        // vCPU.
        size("kvm_vcpu_init", 32, Structs.VCPU_INIT_SIZE);
        off("kvm_vcpu_init", "target", 0, Structs.VI_TARGET);
        off("kvm_vcpu_init", "features", 4, Structs.VI_FEATURES);
        size("kvm_one_reg", 16, Structs.ONE_REG_SIZE);
        off("kvm_one_reg", "id", 0, Structs.OR_ID);
        off("kvm_one_reg", "addr", 8, Structs.OR_ADDR);
        size("kvm_mp_state", 4, Structs.MP_STATE_SIZE);
        size("kvm_vcpu_events", 64, Structs.VCPU_EVENTS_SIZE);
        off("kvm_vcpu_events", "exception.serror_pending", 0, Structs.VE_SERROR_PENDING);
        off("kvm_vcpu_events", "exception.serror_has_esr", 1, Structs.VE_SERROR_HAS_ESR);
        off("kvm_vcpu_events", "exception.ext_dabt_pending", 2, Structs.VE_EXT_DABT_PENDING);
        off("kvm_vcpu_events", "exception.serror_esr", 8, Structs.VE_SERROR_ESR);
        off("kvm_vcpu_events", "reserved", 16, Structs.VE_RESERVED);
        size("kvm_reg_list", 8, Structs.REG_LIST_SIZE);
        off("kvm_reg_list", "reg", 8, Structs.RL_REG);
        size("kvm_enable_cap", 104, Structs.ENABLE_CAP_SIZE);
        off("kvm_enable_cap", "cap", 0, Structs.EC_CAP);
        off("kvm_enable_cap", "flags", 4, Structs.EC_FLAGS);
        off("kvm_enable_cap", "args", 8, Structs.EC_ARGS);

        // Devices and the SMCCC filter.
        size("kvm_create_device", 12, Structs.CREATE_DEVICE_SIZE);
        off("kvm_create_device", "type", 0, Structs.CD_TYPE);
        off("kvm_create_device", "fd", 4, Structs.CD_FD);
        off("kvm_create_device", "flags", 8, Structs.CD_FLAGS);
        size("kvm_device_attr", 24, Structs.DEVICE_ATTR_SIZE);
        off("kvm_device_attr", "flags", 0, Structs.DA_FLAGS);
        off("kvm_device_attr", "group", 4, Structs.DA_GROUP);
        off("kvm_device_attr", "attr", 8, Structs.DA_ATTR);
        off("kvm_device_attr", "addr", 16, Structs.DA_ADDR);
        size("kvm_msi", 32, Structs.MSI_SIZE);
        off("kvm_msi", "address_lo", 0, Structs.MSI_ADDRESS_LO);
        off("kvm_msi", "address_hi", 4, Structs.MSI_ADDRESS_HI);
        off("kvm_msi", "data", 8, Structs.MSI_DATA);
        off("kvm_msi", "flags", 12, Structs.MSI_FLAGS);
        off("kvm_msi", "devid", 16, Structs.MSI_DEVID);
        off("kvm_msi", "pad", 20, Structs.MSI_PAD);
        size("kvm_smccc_filter", 24, Structs.SMCCC_FILTER_SIZE);
        off("kvm_smccc_filter", "base", 0, Structs.SF_BASE);
        off("kvm_smccc_filter", "nr_functions", 4, Structs.SF_NR_FUNCTIONS);
        off("kvm_smccc_filter", "action", 8, Structs.SF_ACTION);
        off("kvm_smccc_filter", "pad", 9, Structs.SF_PAD);

        // struct kvm_run (arm64).
        size("kvm_run", 2352, Structs.RUN_SIZE);
        off("kvm_run", "immediate_exit", 1, Structs.RUN_IMMEDIATE_EXIT);
        off("kvm_run", "exit_reason", 8, Structs.RUN_EXIT_REASON);
        off("kvm_run", "flags", 14, Structs.RUN_FLAGS);
        off("kvm_run", "mmio.phys_addr", 32, Structs.RUN_MMIO_PHYS_ADDR);
        off("kvm_run", "mmio.data", 40, Structs.RUN_MMIO_DATA);
        off("kvm_run", "mmio.len", 48, Structs.RUN_MMIO_LEN);
        off("kvm_run", "mmio.is_write", 52, Structs.RUN_MMIO_IS_WRITE);
        off("kvm_run", "hypercall.nr", 32, Structs.RUN_HYPERCALL_NR);
        off("kvm_run", "hypercall.args", 40, Structs.RUN_HYPERCALL_ARGS);
        off("kvm_run", "hypercall.ret", 88, Structs.RUN_HYPERCALL_RET);
        // hypercall.flags shares its place with the older longmode field: name it by position.
        fact("kvm_run.hypercall.flags", "offsetof(struct kvm_run, hypercall.ret) + sizeof(__u64)", 96,
                Structs.RUN_HYPERCALL_FLAGS);
        off("kvm_run", "system_event.type", 32, Structs.RUN_SYSTEM_EVENT_TYPE);
        off("kvm_run", "system_event.ndata", 36, Structs.RUN_SYSTEM_EVENT_NDATA);
        off("kvm_run", "system_event.data", 40, Structs.RUN_SYSTEM_EVENT_DATA);
        off("kvm_run", "arm_nisv.esr_iss", 32, Structs.RUN_ARM_NISV_ESR_ISS);
        off("kvm_run", "arm_nisv.fault_ipa", 40, Structs.RUN_ARM_NISV_FAULT_IPA);
        off("kvm_run", "internal.suberror", 32, Structs.RUN_INTERNAL_SUBERROR);
        off("kvm_run", "fail_entry.cpu", 40, Structs.RUN_FAIL_ENTRY_CPU);
        off("kvm_run", "kvm_valid_regs", 288, Structs.RUN_KVM_VALID_REGS);
        off("kvm_run", "s", 304, Structs.RUN_S);
        // memory_fault (Linux 6.8) is checked through a view struct laid over the union (see GccLayoutTest).
        fact("kvm_run.memory_fault.flags", "offsetof(struct kvm_run, mmio) + offsetof(struct memory_fault_view, flags)",
                32, Structs.RUN_MEMORY_FAULT_FLAGS);
        fact("kvm_run.memory_fault.gpa", "offsetof(struct kvm_run, mmio) + offsetof(struct memory_fault_view, gpa)",
                40, Structs.RUN_MEMORY_FAULT_GPA);
        fact("kvm_run.memory_fault.size", "offsetof(struct kvm_run, mmio) + offsetof(struct memory_fault_view, size)",
                48, Structs.RUN_MEMORY_FAULT_SIZE);

        // Request numbers (the research file's table).
        req("KVM_GET_API_VERSION", 0xAE00, KvmUapi.KVM_GET_API_VERSION);
        req("KVM_CREATE_VM", 0xAE01, KvmUapi.KVM_CREATE_VM);
        req("KVM_CHECK_EXTENSION", 0xAE03, KvmUapi.KVM_CHECK_EXTENSION);
        req("KVM_GET_VCPU_MMAP_SIZE", 0xAE04, KvmUapi.KVM_GET_VCPU_MMAP_SIZE);
        req("KVM_CREATE_VCPU", 0xAE41, KvmUapi.KVM_CREATE_VCPU);
        req("KVM_SET_USER_MEMORY_REGION", 0x4020AE46L, KvmUapi.KVM_SET_USER_MEMORY_REGION);
        req("KVM_SET_USER_MEMORY_REGION2", 0x40A0AE49L, KvmUapi.KVM_SET_USER_MEMORY_REGION2);
        req("KVM_RUN", 0xAE80, KvmUapi.KVM_RUN);
        req("KVM_GET_MP_STATE", 0x8004AE98L, KvmUapi.KVM_GET_MP_STATE);
        req("KVM_SET_MP_STATE", 0x4004AE99L, KvmUapi.KVM_SET_MP_STATE);
        req("KVM_GET_VCPU_EVENTS", 0x8040AE9FL, KvmUapi.KVM_GET_VCPU_EVENTS);
        req("KVM_SET_VCPU_EVENTS", 0x4040AEA0L, KvmUapi.KVM_SET_VCPU_EVENTS);
        req("KVM_ENABLE_CAP", 0x4068AEA3L, KvmUapi.KVM_ENABLE_CAP);
        req("KVM_GET_ONE_REG", 0x4010AEABL, KvmUapi.KVM_GET_ONE_REG);
        req("KVM_SET_ONE_REG", 0x4010AEACL, KvmUapi.KVM_SET_ONE_REG);
        req("KVM_ARM_VCPU_INIT", 0x4020AEAEL, KvmUapi.KVM_ARM_VCPU_INIT);
        req("KVM_ARM_PREFERRED_TARGET", 0x8020AEAFL, KvmUapi.KVM_ARM_PREFERRED_TARGET);
        req("KVM_GET_REG_LIST", 0xC008AEB0L, KvmUapi.KVM_GET_REG_LIST);
        req("KVM_ARM_VCPU_FINALIZE", 0x4004AEC2L, KvmUapi.KVM_ARM_VCPU_FINALIZE);
        req("KVM_SET_MEMORY_ATTRIBUTES", 0x4020AED2L, KvmUapi.KVM_SET_MEMORY_ATTRIBUTES);
        req("KVM_CREATE_GUEST_MEMFD", 0xC040AED4L, KvmUapi.KVM_CREATE_GUEST_MEMFD);
        req("KVM_ARM_VCPU_RMI_PSCI_COMPLETE", 0x4018AED6L, KvmUapi.KVM_ARM_VCPU_RMI_PSCI_COMPLETE);
        req("KVM_ARM_RMI_POPULATE", 0x4020AED7L, KvmUapi.KVM_ARM_RMI_POPULATE);
        req("KVM_ARM_RMI_POPULATE_IOWR", 0xC020AED7L, KvmUapi.KVM_ARM_RMI_POPULATE_IOWR);
        req("KVM_CREATE_DEVICE", 0xC00CAEE0L, KvmUapi.KVM_CREATE_DEVICE);
        req("KVM_SIGNAL_MSI", 0x4020AEA5L, KvmUapi.KVM_SIGNAL_MSI);
        req("KVM_SET_DEVICE_ATTR", 0x4018AEE1L, KvmUapi.KVM_SET_DEVICE_ATTR);
        req("KVM_GET_DEVICE_ATTR", 0x4018AEE2L, KvmUapi.KVM_GET_DEVICE_ATTR);
        req("KVM_HAS_DEVICE_ATTR", 0x4018AEE3L, KvmUapi.KVM_HAS_DEVICE_ATTR);

        // Constants and ONE_REG ids.
        fact("KVM_CAP_ARM_RMI", "KVM_CAP_ARM_RMI", 247, KvmUapi.KVM_CAP_ARM_RMI);
        fact("KVM_VM_TYPE_ARM_REALM", "KVM_VM_TYPE_ARM_REALM", 0x100, KvmUapi.KVM_VM_TYPE_ARM_REALM);
        fact("KVM_EXIT_MEMORY_FAULT", "KVM_EXIT_MEMORY_FAULT", 39, KvmUapi.KVM_EXIT_MEMORY_FAULT);
        fact("KVM_MEMORY_EXIT_FLAG_PRIVATE", "KVM_MEMORY_EXIT_FLAG_PRIVATE", 8, KvmUapi.KVM_MEMORY_EXIT_FLAG_PRIVATE);
        fact("pc id", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pc)",
                0x6030000000100040L, KvmUapi.REG_PC);
        fact("x30 id", "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.regs[30])",
                0x603000000010003CL, KvmUapi.regX(30));
        fact("sp_el1 offset", "KVM_REG_ARM_CORE_REG(sp_el1)", 0x44, 68);
        fact("vregs offset", "KVM_REG_ARM_CORE_REG(fp_regs.vregs[0])", 0x54, 84);
        fact("fpsr offset", "KVM_REG_ARM_CORE_REG(fp_regs.fpsr)", 212, 212);
        fact("ID_AA64DFR0_EL1 id", "ARM64_SYS_REG(3, 0, 0, 5, 0)", 0x603000000013C028L, KvmUapi.REG_ID_AA64DFR0_EL1);
        fact("PMCR_EL0 id", "ARM64_SYS_REG(3, 3, 9, 12, 0)", 0x603000000013DCE0L, KvmUapi.REG_PMCR_EL0);
        fact("SVE_VLS id", "KVM_REG_ARM64_SVE_VLS", 0x606000000015FFFFL, KvmUapi.REG_SVE_VLS);
        fact("PSCI_VERSION id", "KVM_REG_ARM_PSCI_VERSION", 0x6030000000140000L, KvmUapi.REG_PSCI_VERSION);
    }
}
