package dev.cca.rmm.smc;

import dev.cca.rmm.RmiCommand;

/**
 * RMI function identifiers (RMM v1.0, DEN0137; TF-RMM {@code smc-rmi.h}) and return-code packing. Every RMI is
 * an SMC64 fast call in the Standard Secure Service range: {@code 0xC4000000 | n}.
 */
public final class Rmi {
    private Rmi() {
    }

    public static final long VERSION = 0xC400_0150L;
    public static final long GRANULE_DELEGATE = 0xC400_0151L;
    public static final long GRANULE_UNDELEGATE = 0xC400_0152L;
    public static final long DATA_CREATE = 0xC400_0153L;
    public static final long DATA_CREATE_UNKNOWN = 0xC400_0154L;
    public static final long DATA_DESTROY = 0xC400_0155L;
    public static final long REALM_ACTIVATE = 0xC400_0157L;
    public static final long REALM_CREATE = 0xC400_0158L;
    public static final long REALM_DESTROY = 0xC400_0159L;
    public static final long REC_CREATE = 0xC400_015AL;
    public static final long REC_DESTROY = 0xC400_015BL;
    public static final long REC_ENTER = 0xC400_015CL;
    public static final long RTT_CREATE = 0xC400_015DL;
    public static final long RTT_DESTROY = 0xC400_015EL;
    public static final long RTT_MAP_UNPROTECTED = 0xC400_015FL;
    public static final long RTT_READ_ENTRY = 0xC400_0161L;
    public static final long RTT_UNMAP_UNPROTECTED = 0xC400_0162L;
    public static final long PSCI_COMPLETE = 0xC400_0164L;
    public static final long FEATURES = 0xC400_0165L;
    public static final long RTT_FOLD = 0xC400_0166L;
    public static final long REC_AUX_COUNT = 0xC400_0167L;
    public static final long RTT_INIT_RIPAS = 0xC400_0168L;
    public static final long RTT_SET_RIPAS = 0xC400_0169L;

    /** First and last FIDs of the RMI range (v1.0 uses 0x150..0x169 within it). */
    public static final long RANGE_FIRST = 0xC400_0150L;
    public static final long RANGE_LAST = 0xC400_018FL;

    /** Version encoding (major &lt;&lt; 16) | minor. */
    public static final long ABI_1_0 = 0x10000L;

    /** The command name of an RMI FID (SVE hint bit ignored), or null: read from {@link RmiCommand}'s table. */
    public static String name(long fid) {
        RmiCommand c = RmiCommand.of(fid);
        return c == null ? null : c.specName();
    }

    public static boolean inRange(long fid) {
        long f = fid & 0xFFFF_FFFFL & ~(1L << 16);
        return f >= RANGE_FIRST && f <= RANGE_LAST;
    }

    // ---- return codes (status | index << 8) -----------------------------------------------------------------
    public static final int SUCCESS = 0;
    public static final int ERROR_INPUT = 1;
    public static final int ERROR_REALM = 2;
    public static final int ERROR_REC = 3;
    public static final int ERROR_RTT = 4;

    public static long pack(int status, int index) {
        return (status & 0xFF) | ((long) (index & 0xFF) << 8);
    }

    public static int status(long x0) {
        return (int) (x0 & 0xFF);
    }

    public static int index(long x0) {
        return (int) ((x0 >>> 8) & 0xFF);
    }

    public static String statusName(int status) {
        switch (status) {
            case SUCCESS: return "RMI_SUCCESS";
            case ERROR_INPUT: return "RMI_ERROR_INPUT";
            case ERROR_REALM: return "RMI_ERROR_REALM";
            case ERROR_REC: return "RMI_ERROR_REC";
            case ERROR_RTT: return "RMI_ERROR_RTT";
            default: return "RMI status " + status;
        }
    }

    /** "RMI_ERROR_RTT(2)" style rendering of an X0 return value. */
    public static String describe(long x0) {
        int s = status(x0);
        int i = index(x0);
        if (x0 == -1L) {
            return "SMC_UNKNOWN";
        }
        return s == SUCCESS || (i == 0 && s != ERROR_RTT && s != ERROR_REALM) ? statusName(s)
                : statusName(s) + "(" + i + ")";
    }

    // ---- enums of the interface ------------------------------------------------------------------------------
    public static final int RIPAS_EMPTY = 0, RIPAS_RAM = 1, RIPAS_DESTROYED = 2;
    public static final int RTT_STATE_UNASSIGNED = 0, RTT_STATE_ASSIGNED = 1, RTT_STATE_TABLE = 2;
    public static final long DATA_NO_MEASURE_CONTENT = 0, DATA_MEASURE_CONTENT = 1;
    public static final int HASH_SHA_256 = 0, HASH_SHA_512 = 1;
    public static final int EXIT_SYNC = 0, EXIT_IRQ = 1, EXIT_FIQ = 2, EXIT_PSCI = 3, EXIT_RIPAS_CHANGE = 4,
            EXIT_HOST_CALL = 5, EXIT_SERROR = 6;
    public static final long REC_ENTER_EMUL_MMIO = 1L << 0, REC_ENTER_INJECT_SEA = 1L << 1,
            REC_ENTER_TRAP_WFI = 1L << 2, REC_ENTER_TRAP_WFE = 1L << 3, REC_ENTER_RIPAS_RESPONSE = 1L << 4;
    public static final long REC_PARAMS_RUNNABLE = 1L << 0;
    public static final long REALM_FLAG_LPA2 = 1L << 0, REALM_FLAG_SVE = 1L << 1, REALM_FLAG_PMU = 1L << 2;
}
