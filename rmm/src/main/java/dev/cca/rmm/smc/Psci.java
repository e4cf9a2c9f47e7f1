package dev.cca.rmm.smc;

/** PSCI 1.1 function identifiers and return codes (Arm DEN0022). */
public final class Psci {
    private Psci() {
    }

    public static final long VERSION = 0x8400_0000L;
    public static final long CPU_SUSPEND_32 = 0x8400_0001L, CPU_SUSPEND_64 = 0xC400_0001L;
    public static final long CPU_OFF = 0x8400_0002L;
    public static final long CPU_ON_32 = 0x8400_0003L, CPU_ON_64 = 0xC400_0003L;
    public static final long AFFINITY_INFO_32 = 0x8400_0004L, AFFINITY_INFO_64 = 0xC400_0004L;
    public static final long MIGRATE_INFO_TYPE = 0x8400_0006L;
    public static final long SYSTEM_OFF = 0x8400_0008L;
    public static final long SYSTEM_RESET = 0x8400_0009L;
    public static final long FEATURES = 0x8400_000AL;
    public static final long SYSTEM_SUSPEND_32 = 0x8400_000EL, SYSTEM_SUSPEND_64 = 0xC400_000EL;
    public static final long SYSTEM_RESET2_32 = 0x8400_0012L, SYSTEM_RESET2_64 = 0xC400_0012L;

    public static final long SUCCESS = 0, NOT_SUPPORTED = -1, INVALID_PARAMETERS = -2, DENIED = -3,
            ALREADY_ON = -4, ON_PENDING = -5, INTERNAL_FAILURE = -6, NOT_PRESENT = -7, DISABLED = -8,
            INVALID_ADDRESS = -9;
    public static final long VERSION_0_2 = 0x2L, VERSION_1_0 = 0x10000L, VERSION_1_1 = 0x10001L;
    /** MIGRATE_INFO_TYPE: a Trusted OS that is MP (or none), which needs no migration. */
    public static final long TOS_MP = 2;
    /** SYSTEM_RESET2 reset types: architectural (bit 31 clear; only SYSTEM_WARM_RESET, 0, is defined) and vendor. */
    public static final long RESET_TYPE_SYSTEM_WARM_RESET = 0, RESET_TYPE_VENDOR_START = 0x8000_0000L;
    /** AFFINITY_INFO results. */
    public static final long AFFINITY_ON = 0, AFFINITY_OFF = 1;

    /** True for a PSCI function identifier (SMC32 0x840000xx or SMC64 0xC40000xx, function 0x00..0x1F). */
    public static boolean isPsci(long fid) {
        long f = fid & 0xFFFF_FFFFL;
        return (f & ~0x1FL) == 0x8400_0000L || (f & ~0x1FL) == 0xC400_0000L;
    }

    public static String name(long fid) {
        switch ((int) (fid & 0x1F)) {
            case 0x0: return "PSCI_VERSION";
            case 0x1: return "PSCI_CPU_SUSPEND";
            case 0x2: return "PSCI_CPU_OFF";
            case 0x3: return "PSCI_CPU_ON";
            case 0x4: return "PSCI_AFFINITY_INFO";
            case 0x8: return "PSCI_SYSTEM_OFF";
            case 0x9: return "PSCI_SYSTEM_RESET";
            case 0xA: return "PSCI_FEATURES";
            default: return String.format("PSCI function %#x", fid & 0x1F);
        }
    }
}
