package dev.cca.rmm.smc;

import dev.cca.rmm.rsi.RsiCommand;

/** RSI function identifiers and return codes (RMM v1.0; Linux {@code rsi_smc.h}, TF-RMM {@code smc-rsi.h}). */
public final class Rsi {
    private Rsi() {
    }

    public static final long VERSION = 0xC400_0190L;
    public static final long FEATURES = 0xC400_0191L;
    public static final long MEASUREMENT_READ = 0xC400_0192L;
    public static final long MEASUREMENT_EXTEND = 0xC400_0193L;
    public static final long ATTESTATION_TOKEN_INIT = 0xC400_0194L;
    public static final long ATTESTATION_TOKEN_CONTINUE = 0xC400_0195L;
    public static final long REALM_CONFIG = 0xC400_0196L;
    public static final long IPA_STATE_SET = 0xC400_0197L;
    public static final long IPA_STATE_GET = 0xC400_0198L;
    public static final long HOST_CALL = 0xC400_0199L;

    public static final long SUCCESS = 0, ERROR_INPUT = 1, ERROR_STATE = 2, INCOMPLETE = 3, ERROR_UNKNOWN = 4;
    public static final long ABI_1_0 = 0x10000L;
    /** RsiResponse: the host's answer to a RIPAS change, reported in X2 when IPA_STATE_SET completes. */
    public static final long ACCEPT = 0, REJECT = 1;
    /** RsiRipasChangeDestroyed (IPA_STATE_SET X4). */
    public static final long NO_CHANGE_DESTROYED = 0, CHANGE_DESTROYED = 1;

    /** The command name of an RSI FID (SVE hint bit ignored), or null: read from {@link RsiCommand}'s table. */
    public static String name(long fid) {
        RsiCommand c = RsiCommand.of(fid);
        return c == null ? null : c.specName();
    }

    public static String statusName(long x0) {
        switch ((int) x0) {
            case 0: return "RSI_SUCCESS";
            case 1: return "RSI_ERROR_INPUT";
            case 2: return "RSI_ERROR_STATE";
            case 3: return "RSI_INCOMPLETE";
            case 4: return "RSI_ERROR_UNKNOWN";
            default: return "RSI status " + x0;
        }
    }
}
