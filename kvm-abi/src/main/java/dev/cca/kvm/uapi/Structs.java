package dev.cca.kvm.uapi;

/**
 * Sizes and field offsets of the C structures of the KVM ABI (little-endian arm64, as gcc lays them out).
 * The values are asserted against the gcc-measured layouts in tests.
 */
public final class Structs {
    private Structs() {
    }

    /** struct kvm_userspace_memory_region (the legacy form of region2: its first 32 bytes). */
    public static final int MEMORY_REGION_SIZE = 32;

    /** struct kvm_userspace_memory_region2. */
    public static final int MEMORY_REGION2_SIZE = 160;
    public static final int MR2_SLOT = 0, MR2_FLAGS = 4, MR2_GUEST_PHYS_ADDR = 8, MR2_MEMORY_SIZE = 16,
            MR2_USERSPACE_ADDR = 24, MR2_GUEST_MEMFD_OFFSET = 32, MR2_GUEST_MEMFD = 40, MR2_PAD1 = 44, MR2_PAD2 = 48;

    /** struct kvm_create_guest_memfd. */
    public static final int CREATE_GUEST_MEMFD_SIZE = 64;
    public static final int CGM_SIZE = 0, CGM_FLAGS = 8, CGM_RESERVED = 16;

    /** struct kvm_memory_attributes. */
    public static final int MEMORY_ATTRIBUTES_SIZE = 32;
    public static final int MA_ADDRESS = 0, MA_SIZE = 8, MA_ATTRIBUTES = 16, MA_FLAGS = 24;

    /** struct kvm_arm_rmi_populate (v12). */
    public static final int RMI_POPULATE_SIZE = 32;
    public static final int POP_BASE = 0, POP_SIZE = 8, POP_SOURCE_UADDR = 16, POP_FLAGS = 24, POP_RESERVED = 28;

    /** struct kvm_arm_rmi_psci_complete (v12). */
    public static final int RMI_PSCI_COMPLETE_SIZE = 24;
    public static final int PC_TARGET_MPIDR = 0, PC_PSCI_STATUS = 8, PC_PADDING = 12;

    /**
     * struct arm_rmi_config (the realm-config profile; v8-v10's struct arm_rme_config): {@code __u32 cfg}, then a
     * union of {@code __u8 rpv[64]}, {@code __u32 hash_algo} and {@code __u8 reserved[256]}.
     */
    public static final int RMI_CONFIG_SIZE = 260;
    public static final int RC_CFG = 0, RC_RPV = 4, RC_HASH_ALGO = 4;

    /** struct kvm_vcpu_init. */
    public static final int VCPU_INIT_SIZE = 32;
    public static final int VI_TARGET = 0, VI_FEATURES = 4;

    /** struct kvm_one_reg. */
    public static final int ONE_REG_SIZE = 16;
    public static final int OR_ID = 0, OR_ADDR = 8;

    /** struct kvm_enable_cap. */
    public static final int ENABLE_CAP_SIZE = 104;
    public static final int EC_CAP = 0, EC_FLAGS = 4, EC_ARGS = 8;

    /** struct kvm_create_device. */
    public static final int CREATE_DEVICE_SIZE = 12;
    public static final int CD_TYPE = 0, CD_FD = 4, CD_FLAGS = 8;

    /** struct kvm_device_attr. */
    public static final int DEVICE_ATTR_SIZE = 24;
    public static final int DA_FLAGS = 0, DA_GROUP = 4, DA_ATTR = 8, DA_ADDR = 16;

    /** struct kvm_msi. */
    public static final int MSI_SIZE = 32;
    public static final int MSI_ADDRESS_LO = 0, MSI_ADDRESS_HI = 4, MSI_DATA = 8, MSI_FLAGS = 12, MSI_DEVID = 16,
            MSI_PAD = 20;

    /** struct kvm_mp_state. */
    public static final int MP_STATE_SIZE = 4;
    public static final int MPS_MP_STATE = 0;

    /** struct kvm_vcpu_events (arm64). */
    public static final int VCPU_EVENTS_SIZE = 64;
    public static final int VE_SERROR_PENDING = 0, VE_SERROR_HAS_ESR = 1, VE_EXT_DABT_PENDING = 2,
            VE_EXT_IABT_PENDING = 3, VE_PAD = 4, VE_SERROR_ESR = 8, VE_RESERVED = 16;

    /** struct kvm_reg_list: {@code __u64 n; __u64 reg[];}. */
    public static final int REG_LIST_SIZE = 8;
    public static final int RL_N = 0, RL_REG = 8;

    /** struct kvm_smccc_filter (KVM_ARM_VM_SMCCC_FILTER). */
    public static final int SMCCC_FILTER_SIZE = 24;
    public static final int SF_BASE = 0, SF_NR_FUNCTIONS = 4, SF_ACTION = 8, SF_PAD = 9;

    /** sizeof(struct kvm_run) on arm64 (the union ends with a 2 KiB padding area for kvm_sync_regs). */
    public static final int RUN_SIZE = 2352;

    /** struct kvm_run (the part arm64 uses; the mmap'ed area is larger). */
    public static final int RUN_REQUEST_INTERRUPT_WINDOW = 0, RUN_IMMEDIATE_EXIT = 1, RUN_EXIT_REASON = 8,
            RUN_READY_FOR_INTERRUPT_INJECTION = 12, RUN_IF_FLAG = 13, RUN_FLAGS = 14, RUN_CR8 = 16,
            RUN_APIC_BASE = 24, RUN_UNION = 32;
    public static final int RUN_MMIO_PHYS_ADDR = 32, RUN_MMIO_DATA = 40, RUN_MMIO_LEN = 48, RUN_MMIO_IS_WRITE = 52;
    public static final int RUN_ARM_NISV_ESR_ISS = 32, RUN_ARM_NISV_FAULT_IPA = 40;
    public static final int RUN_HYPERCALL_NR = 32, RUN_HYPERCALL_ARGS = 40, RUN_HYPERCALL_RET = 88,
            RUN_HYPERCALL_FLAGS = 96;
    public static final int RUN_SYSTEM_EVENT_TYPE = 32, RUN_SYSTEM_EVENT_NDATA = 36, RUN_SYSTEM_EVENT_DATA = 40;
    public static final int RUN_MEMORY_FAULT_FLAGS = 32, RUN_MEMORY_FAULT_GPA = 40, RUN_MEMORY_FAULT_SIZE = 48;
    public static final int RUN_INTERNAL_SUBERROR = 32, RUN_INTERNAL_NDATA = 36, RUN_INTERNAL_DATA = 40;
    public static final int RUN_FAIL_ENTRY_REASON = 32, RUN_FAIL_ENTRY_CPU = 40;
    public static final int RUN_KVM_VALID_REGS = 288, RUN_KVM_DIRTY_REGS = 296, RUN_S = 304;
}
