package dev.cca.kvm.uapi;

/**
 * The KVM user ABI for arm64 with the v12 realm additions: request numbers (from {@link Ioctl}), capabilities,
 * exit reasons and flags, as in {@code include/uapi/linux/kvm.h} and {@code arch/arm64/include/uapi/asm/kvm.h}.
 */
public final class KvmUapi {
    private KvmUapi() {
    }

    public static final int KVMIO = 0xAE;

    // ---- system ioctls (/dev/kvm) --------------------------------------------------------------------------
    public static final long KVM_GET_API_VERSION = Ioctl.io(KVMIO, 0x00);
    public static final long KVM_CREATE_VM = Ioctl.io(KVMIO, 0x01);
    public static final long KVM_CHECK_EXTENSION = Ioctl.io(KVMIO, 0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = Ioctl.io(KVMIO, 0x04);

    // ---- VM ioctls -----------------------------------------------------------------------------------------
    public static final long KVM_CREATE_VCPU = Ioctl.io(KVMIO, 0x41);
    public static final long KVM_SET_USER_MEMORY_REGION = Ioctl.iow(KVMIO, 0x46, Structs.MEMORY_REGION_SIZE);
    public static final long KVM_SET_USER_MEMORY_REGION2 = Ioctl.iow(KVMIO, 0x49, Structs.MEMORY_REGION2_SIZE);
    public static final long KVM_ENABLE_CAP = Ioctl.iow(KVMIO, 0xa3, Structs.ENABLE_CAP_SIZE);
    public static final long KVM_ARM_PREFERRED_TARGET = Ioctl.ior(KVMIO, 0xaf, Structs.VCPU_INIT_SIZE);
    public static final long KVM_SET_MEMORY_ATTRIBUTES = Ioctl.iow(KVMIO, 0xd2, Structs.MEMORY_ATTRIBUTES_SIZE);
    public static final long KVM_CREATE_GUEST_MEMFD = Ioctl.iowr(KVMIO, 0xd4, Structs.CREATE_GUEST_MEMFD_SIZE);
    public static final long KVM_CREATE_DEVICE = Ioctl.iowr(KVMIO, 0xe0, Structs.CREATE_DEVICE_SIZE);
    /** v12: {@code _IOW(KVMIO, 0xd7, struct kvm_arm_rmi_populate)}; returns the bytes populated. */
    public static final long KVM_ARM_RMI_POPULATE = Ioctl.iow(KVMIO, 0xd7, Structs.RMI_POPULATE_SIZE);
    /** The v13 form adopted by the "populate-progress" profile: {@code _IOWR}, progress written back. */
    public static final long KVM_ARM_RMI_POPULATE_IOWR = Ioctl.iowr(KVMIO, 0xd7, Structs.RMI_POPULATE_SIZE);

    /** {@code _IOW(KVMIO, 0x61, struct kvm_irq_level)}: drive an interrupt line of the in-kernel vGIC. */
    public static final long KVM_IRQ_LINE = Ioctl.iow(KVMIO, 0x61, 8);
    /** kvm_irq_level.irq: type [27:24], vCPU index [23:16] (and [31:28]), number [15:0]. */
    public static final int KVM_ARM_IRQ_TYPE_SHIFT = 24, KVM_ARM_IRQ_VCPU_SHIFT = 16;
    public static final int KVM_ARM_IRQ_TYPE_CPU = 0, KVM_ARM_IRQ_TYPE_SPI = 1, KVM_ARM_IRQ_TYPE_PPI = 2;
    /** {@code _IOW(KVMIO, 0xa5, struct kvm_msi)}: an MSI write to the in-kernel ITS (1 delivered, 0 blocked). */
    public static final long KVM_SIGNAL_MSI = Ioctl.iow(KVMIO, 0xa5, Structs.MSI_SIZE);
    /** kvm_msi.flags: devid holds the DeviceID (required by an ITS, KVM_CAP_MSI_DEVID). */
    public static final int KVM_MSI_VALID_DEVID = 1;

    // ---- vCPU ioctls ---------------------------------------------------------------------------------------
    public static final long KVM_RUN = Ioctl.io(KVMIO, 0x80);
    public static final long KVM_GET_MP_STATE = Ioctl.ior(KVMIO, 0x98, Structs.MP_STATE_SIZE);
    public static final long KVM_SET_MP_STATE = Ioctl.iow(KVMIO, 0x99, Structs.MP_STATE_SIZE);
    public static final long KVM_GET_VCPU_EVENTS = Ioctl.ior(KVMIO, 0x9f, Structs.VCPU_EVENTS_SIZE);
    public static final long KVM_SET_VCPU_EVENTS = Ioctl.iow(KVMIO, 0xa0, Structs.VCPU_EVENTS_SIZE);
    public static final long KVM_GET_ONE_REG = Ioctl.iow(KVMIO, 0xab, Structs.ONE_REG_SIZE);
    public static final long KVM_SET_ONE_REG = Ioctl.iow(KVMIO, 0xac, Structs.ONE_REG_SIZE);
    public static final long KVM_ARM_VCPU_INIT = Ioctl.iow(KVMIO, 0xae, Structs.VCPU_INIT_SIZE);
    public static final long KVM_GET_REG_LIST = Ioctl.iowr(KVMIO, 0xb0, Structs.REG_LIST_SIZE);
    /** {@code _IOW(KVMIO, 0xc2, int)}. */
    public static final long KVM_ARM_VCPU_FINALIZE = Ioctl.iow(KVMIO, 0xc2, 4);
    public static final long KVM_ARM_VCPU_RMI_PSCI_COMPLETE = Ioctl.iow(KVMIO, 0xd6, Structs.RMI_PSCI_COMPLETE_SIZE);

    // ---- device ioctls -------------------------------------------------------------------------------------
    public static final long KVM_SET_DEVICE_ATTR = Ioctl.iow(KVMIO, 0xe1, Structs.DEVICE_ATTR_SIZE);
    public static final long KVM_GET_DEVICE_ATTR = Ioctl.iow(KVMIO, 0xe2, Structs.DEVICE_ATTR_SIZE);
    public static final long KVM_HAS_DEVICE_ATTR = Ioctl.iow(KVMIO, 0xe3, Structs.DEVICE_ATTR_SIZE);

    public static final int KVM_API_VERSION = 12;

    // ---- capabilities --------------------------------------------------------------------------------------
    public static final int KVM_CAP_IRQCHIP = 0, KVM_CAP_USER_MEMORY = 3, KVM_CAP_NR_VCPUS = 9,
            KVM_CAP_NR_MEMSLOTS = 10, KVM_CAP_MP_STATE = 14, KVM_CAP_COALESCED_MMIO = 15, KVM_CAP_SYNC_MMU = 16,
            KVM_CAP_DESTROY_MEMORY_REGION_WORKS = 21, KVM_CAP_SET_GUEST_DEBUG = 23,
            KVM_CAP_JOIN_MEMORY_REGIONS_WORKS = 30, KVM_CAP_IRQFD = 32, KVM_CAP_IOEVENTFD = 36,
            KVM_CAP_INTERNAL_ERROR_DATA = 40, KVM_CAP_VCPU_EVENTS = 41, KVM_CAP_MAX_VCPUS = 66,
            KVM_CAP_ONE_REG = 70, KVM_CAP_SIGNAL_MSI = 77, KVM_CAP_READONLY_MEM = 81, KVM_CAP_IRQFD_RESAMPLE = 82,
            KVM_CAP_ARM_PSCI = 87, KVM_CAP_ARM_SET_DEVICE_ADDR = 88, KVM_CAP_DEVICE_CTRL = 89,
            KVM_CAP_ARM_EL1_32BIT = 93, KVM_CAP_ENABLE_CAP_VM = 98, KVM_CAP_ARM_PSCI_0_2 = 102,
            KVM_CAP_CHECK_EXTENSION_VM = 105, KVM_CAP_GUEST_DEBUG_HW_BPS = 119, KVM_CAP_GUEST_DEBUG_HW_WPS = 120,
            KVM_CAP_IOEVENTFD_ANY_LENGTH = 122, KVM_CAP_ARM_PMU_V3 = 126, KVM_CAP_VCPU_ATTRIBUTES = 127,
            KVM_CAP_MAX_VCPU_ID = 128, KVM_CAP_MSI_DEVID = 131, KVM_CAP_IMMEDIATE_EXIT = 136,
            KVM_CAP_ARM_USER_IRQ = 144, KVM_CAP_ARM_INJECT_SERROR_ESR = 158, KVM_CAP_ARM_VM_IPA_SIZE = 165,
            KVM_CAP_ARM_SVE = 170, KVM_CAP_ARM_PTRAUTH_ADDRESS = 171, KVM_CAP_ARM_PTRAUTH_GENERIC = 172,
            KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 = 174, KVM_CAP_ARM_NISV_TO_USER = 177, KVM_CAP_ARM_INJECT_EXT_DABT = 178,
            KVM_CAP_HALT_POLL = 182, KVM_CAP_STEAL_TIME = 187, KVM_CAP_PTP_KVM = 198,
            KVM_CAP_BINARY_STATS_FD = 203, KVM_CAP_ARM_MTE = 205, KVM_CAP_SYSTEM_EVENT_DATA = 215,
            KVM_CAP_ARM_SYSTEM_SUSPEND = 216,
            KVM_CAP_USER_MEMORY2 = 231, KVM_CAP_MEMORY_FAULT_INFO = 232, KVM_CAP_MEMORY_ATTRIBUTES = 233,
            KVM_CAP_GUEST_MEMFD = 234, KVM_CAP_VM_TYPES = 235, KVM_CAP_ARM_RMI = 247;

    // ---- VM types ------------------------------------------------------------------------------------------
    public static final long KVM_VM_TYPE_ARM_IPA_SIZE_MASK = 0xFF;
    public static final int KVM_VM_TYPE_ARM_SHIFT = 8;
    public static final long KVM_VM_TYPE_ARM_MASK = 0xFL << KVM_VM_TYPE_ARM_SHIFT;
    public static final long KVM_VM_TYPE_ARM_NORMAL = 0;
    public static final long KVM_VM_TYPE_ARM_REALM = 1L << KVM_VM_TYPE_ARM_SHIFT;

    // ---- memory --------------------------------------------------------------------------------------------
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1, KVM_MEM_READONLY = 2, KVM_MEM_GUEST_MEMFD = 4;
    public static final long KVM_MEMORY_ATTRIBUTE_PRIVATE = 1L << 3;
    public static final int KVM_ARM_RMI_POPULATE_FLAGS_MEASURE = 1;

    // ---- realm configuration: the realm-config profile's extension (docs/abi.md), shaped like v8-v11's -------
    /** {@code KVM_ENABLE_CAP(KVM_CAP_ARM_RMI)} {@code args[0]}: configure the realm before it is created. */
    public static final long KVM_CAP_ARM_RMI_CONFIG_REALM = 0;
    /** {@code struct arm_rmi_config.cfg}: the personalization value, or the measurement hash algorithm. */
    public static final int ARM_RMI_CONFIG_RPV = 0, ARM_RMI_CONFIG_HASH_ALGO = 1;
    public static final int ARM_RMI_CONFIG_HASH_ALGO_SHA256 = 0, ARM_RMI_CONFIG_HASH_ALGO_SHA512 = 1;
    public static final int ARM_RMI_CONFIG_RPV_SIZE = 64;

    // ---- vCPU init features ----------------------------------------------------------------------------------
    public static final int KVM_ARM_TARGET_GENERIC_V8 = 5;
    /** KVM_VCPU_MAX_FEATURES in v12 (patch 45 raised it from 9 to 10). */
    public static final int KVM_VCPU_MAX_FEATURES = 10;
    public static final int KVM_ARM_VCPU_POWER_OFF = 0, KVM_ARM_VCPU_EL1_32BIT = 1, KVM_ARM_VCPU_PSCI_0_2 = 2,
            KVM_ARM_VCPU_PMU_V3 = 3, KVM_ARM_VCPU_SVE = 4, KVM_ARM_VCPU_PTRAUTH_ADDRESS = 5,
            KVM_ARM_VCPU_PTRAUTH_GENERIC = 6, KVM_ARM_VCPU_HAS_EL2 = 7, KVM_ARM_VCPU_HAS_EL2_E2H0 = 8;
    /** vCPU device-attribute group KVM_ARM_VCPU_PMU_V3_CTRL and its attributes (arch/arm64/include/uapi/asm/kvm.h). */
    public static final int KVM_ARM_VCPU_PMU_V3_CTRL = 0, KVM_ARM_VCPU_PMU_V3_IRQ = 0, KVM_ARM_VCPU_PMU_V3_INIT = 1,
            KVM_ARM_VCPU_PMU_V3_FILTER = 2, KVM_ARM_VCPU_PMU_V3_SET_PMU = 3;

    // ---- MP state --------------------------------------------------------------------------------------------
    public static final int KVM_MP_STATE_RUNNABLE = 0, KVM_MP_STATE_STOPPED = 5, KVM_MP_STATE_SUSPENDED = 10;

    // ---- devices ---------------------------------------------------------------------------------------------
    public static final int KVM_DEV_TYPE_ARM_VGIC_V2 = 5, KVM_DEV_TYPE_ARM_VGIC_V3 = 7,
            KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
    public static final int KVM_DEV_ARM_VGIC_GRP_ADDR = 0, KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3,
            KVM_DEV_ARM_VGIC_GRP_CTRL = 4;
    public static final int KVM_VGIC_V3_ADDR_TYPE_DIST = 2, KVM_VGIC_V3_ADDR_TYPE_REDIST = 3;
    /** The ITS's base address (KVM_DEV_ARM_VGIC_GRP_ADDR of a KVM_DEV_TYPE_ARM_VGIC_ITS device). */
    public static final int KVM_VGIC_ITS_ADDR_TYPE = 4;
    public static final int KVM_DEV_ARM_VGIC_CTRL_INIT = 0;
    public static final int KVM_CREATE_DEVICE_TEST = 1;

    // ---- VM device attributes: the SMCCC filter (Documentation/virt/kvm/devices/vm.rst) ---------------------
    public static final int KVM_ARM_VM_SMCCC_CTRL = 0;
    public static final int KVM_ARM_VM_SMCCC_FILTER = 0;
    public static final int KVM_SMCCC_FILTER_HANDLE = 0, KVM_SMCCC_FILTER_DENY = 1, KVM_SMCCC_FILTER_FWD_TO_USER = 2;

    // ---- vCPU finalize --------------------------------------------------------------------------------------
    public static final int KVM_ARM_VCPU_FINALIZE_SVE = KVM_ARM_VCPU_SVE;

    // ---- exit reasons ----------------------------------------------------------------------------------------
    public static final int KVM_EXIT_UNKNOWN = 0, KVM_EXIT_HYPERCALL = 3, KVM_EXIT_MMIO = 6,
            KVM_EXIT_SHUTDOWN = 8, KVM_EXIT_FAIL_ENTRY = 9, KVM_EXIT_INTR = 10, KVM_EXIT_INTERNAL_ERROR = 17,
            KVM_EXIT_SYSTEM_EVENT = 24, KVM_EXIT_ARM_NISV = 28, KVM_EXIT_MEMORY_FAULT = 39;
    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1, KVM_SYSTEM_EVENT_RESET = 2, KVM_SYSTEM_EVENT_CRASH = 3,
            KVM_SYSTEM_EVENT_WAKEUP = 4, KVM_SYSTEM_EVENT_SUSPEND = 5;
    /** system_event.data[0] of a KVM_SYSTEM_EVENT_RESET that came from PSCI SYSTEM_RESET2. */
    public static final long KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2 = 1L << 0;
    public static final long KVM_HYPERCALL_EXIT_SMC = 1L << 0, KVM_HYPERCALL_EXIT_16BIT = 1L << 1;
    public static final long KVM_MEMORY_EXIT_FLAG_PRIVATE = 1L << 3;

    // ---- ONE_REG ids -----------------------------------------------------------------------------------------
    public static final long KVM_REG_ARM64 = 0x6000_0000_0000_0000L;
    public static final long KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000L;
    public static final long KVM_REG_ARM_CORE = 0x0010L << 16;
    /** X0; Xn = X0 + 2n; SP = X0 + 62; PC = X0 + 64; PSTATE = X0 + 66 (offsets in 32-bit words of kvm_regs). */
    public static final long REG_X0 = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE;
    public static final long REG_SP = REG_X0 + 62;
    public static final long REG_PC = REG_X0 + 64;
    public static final long REG_PSTATE = REG_X0 + 66;
    public static final long KVM_REG_SIZE_MASK = 0x00F0_0000_0000_0000L;
    public static final long KVM_REG_SIZE_U32 = 0x0020_0000_0000_0000L;
    public static final long KVM_REG_SIZE_U128 = 0x0040_0000_0000_0000L;
    public static final long KVM_REG_ARM_COPROC_MASK = 0x0000_0000_0FFF_0000L;
    public static final long KVM_REG_ARM_FW = 0x0014L << 16;
    public static final long KVM_REG_ARM_FW_FEAT_BMAP = 0x0016L << 16;
    public static final long KVM_REG_ARM64_SYSREG = 0x0013L << 16;
    public static final long KVM_REG_ARM64_SVE = 0x0015L << 16;
    /** KVM_REG_ARM_PSCI_VERSION and the SMCCC workaround pseudo-registers (KVM_REG_ARM_FW_REG(n)). */
    public static final long REG_PSCI_VERSION = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW;
    public static final long REG_SMCCC_ARCH_WORKAROUND_1 = REG_PSCI_VERSION + 1;
    public static final long REG_SMCCC_ARCH_WORKAROUND_2 = REG_PSCI_VERSION + 2;
    public static final long REG_SMCCC_ARCH_WORKAROUND_3 = REG_PSCI_VERSION + 3;
    public static final long REG_STD_BMAP = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW_FEAT_BMAP;
    public static final long REG_STD_HYP_BMAP = REG_STD_BMAP + 1;
    public static final long REG_VENDOR_HYP_BMAP = REG_STD_BMAP + 2;

    /** ARM64_SYS_REG(op0, op1, CRn, CRm, op2): a system register's ONE_REG id. */
    public static long sysReg(int op0, int op1, int crn, int crm, int op2) {
        return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG
                | ((long) op0 << 14) | ((long) op1 << 11) | ((long) crn << 7) | ((long) crm << 3) | op2;
    }

    public static final long REG_MPIDR_EL1 = sysReg(3, 0, 0, 0, 5);
    public static final long REG_ID_AA64DFR0_EL1 = sysReg(3, 0, 0, 5, 0);
    public static final long REG_PMCR_EL0 = sysReg(3, 3, 9, 12, 0);
    /** KVM_REG_ARM64_SVE_VLS: KVM_REG_ARM64 | KVM_REG_ARM64_SVE | KVM_REG_SIZE_U512 | 0xffff. */
    public static final long REG_SVE_VLS = KVM_REG_ARM64 | 0x0060_0000_0000_0000L | KVM_REG_ARM64_SVE | 0xFFFF;

    /** The ONE_REG id of core register {@code x<n>} (n = 0..30). */
    public static long regX(int n) {
        return REG_X0 + 2L * n;
    }

    public static String exitName(int reason) {
        switch (reason) {
            case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
            case KVM_EXIT_HYPERCALL: return "KVM_EXIT_HYPERCALL";
            case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
            case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
            case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
            case KVM_EXIT_INTR: return "KVM_EXIT_INTR";
            case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
            case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
            case KVM_EXIT_ARM_NISV: return "KVM_EXIT_ARM_NISV";
            case KVM_EXIT_MEMORY_FAULT: return "KVM_EXIT_MEMORY_FAULT";
            default: return "exit reason " + reason;
        }
    }
}
