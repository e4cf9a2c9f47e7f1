package dev.cca.rmm.smc;

/** The RMM-EL3 interface (TF-RMM {@code rmm_el3_ifc.h}, interface version 0.3). */
public final class RmmEl3 {
    private RmmEl3() {
    }

    public static final long REQ_COMPLETE = 0xC400_018FL;
    public static final long GTSI_DELEGATE = 0xC400_01B0L;
    public static final long GTSI_UNDELEGATE = 0xC400_01B1L;
    public static final long GET_REALM_ATTEST_KEY = 0xC400_01B2L;
    public static final long GET_PLAT_TOKEN = 0xC400_01B3L;
    public static final long EL3_FEATURES = 0xC400_01B4L;
    public static final long BOOT_COMPLETE = 0xC400_01CFL;

    public static final long E_RMM_OK = 0, E_RMM_UNK = -1, E_RMM_BAD_ADDR = -2, E_RMM_BAD_PAS = -3,
            E_RMM_NOMEM = -4, E_RMM_INVAL = -5, E_RMM_AGAIN = -6;
    /** RMM_GET_REALM_ATTEST_KEY curve: ECC SECP384R1. */
    public static final long ATTEST_KEY_CURVE_ECC_SECP384R1 = 0;
    /** Interface version 0.3 = (major &lt;&lt; 16) | minor. */
    public static final long IFACE_VERSION = 0x3L;
}
