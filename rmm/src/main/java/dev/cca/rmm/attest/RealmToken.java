package dev.cca.rmm.attest;

/**
 * The realm token's claims and the CCA token envelope (RMM spec A7.2; TF-RMM lib/attestation
 * attestation_token.c, claim keys from attestation_defs_priv.h). Claims are written in TF-RMM's order.
 */
public final class RealmToken {
    private RealmToken() {
    }

    public static final int CLAIM_CHALLENGE = 10;
    public static final int CLAIM_PERSONALIZATION_VALUE = 44235;
    public static final int CLAIM_HASH_ALGO_ID = 44236;
    public static final int CLAIM_PUB_KEY = 44237;
    public static final int CLAIM_INITIAL_MEASUREMENT = 44238;
    public static final int CLAIM_EXTENSIBLE_MEASUREMENTS = 44239;
    public static final int CLAIM_PUB_KEY_HASH_ALGO_ID = 44240;
    public static final int CLAIM_PROFILE = 265;
    public static final String PROFILE = "tag:arm.com,2023:realm#1.0.0";

    /** CBOR tag of the CCA token collection and its two members. */
    public static final int TAG_CCA_TOKEN = 399;
    public static final int CCA_PLATFORM_TOKEN = 44234;
    public static final int CCA_REALM_DELEGATED_TOKEN = 44241;

    public static final int CHALLENGE_BYTES = 64;

    public static String hashAlgoName(int hashAlgo) {
        return hashAlgo == 1 ? "sha-512" : "sha-256";
    }

    /**
     * The realm claims map: challenge, personalization value, the RAK as a COSE_Key, the realm's hash algorithm,
     * the RAK hash algorithm, the profile, the RIM and the four REMs (each {@code hashLength} bytes).
     */
    public static byte[] claims(byte[] challenge, byte[] rpv, byte[] rakCoseKey, int hashAlgo,
                                byte[][] measurements, int hashLength) {
        Cbor c = new Cbor().map(8)
                .integer(CLAIM_CHALLENGE).bytes(challenge)
                .integer(CLAIM_PERSONALIZATION_VALUE).bytes(rpv)
                .integer(CLAIM_PUB_KEY).bytes(rakCoseKey)
                .integer(CLAIM_HASH_ALGO_ID).text(hashAlgoName(hashAlgo))
                .integer(CLAIM_PUB_KEY_HASH_ALGO_ID).text("sha-256")
                .integer(CLAIM_PROFILE).text(PROFILE)
                .integer(CLAIM_INITIAL_MEASUREMENT).bytes(prefix(measurements[0], hashLength))
                .integer(CLAIM_EXTENSIBLE_MEASUREMENTS).array(measurements.length - 1);
        for (int i = 1; i < measurements.length; i++) {
            c.bytes(prefix(measurements[i], hashLength));
        }
        return c.toByteArray();
    }

    private static byte[] prefix(byte[] b, int n) {
        return java.util.Arrays.copyOf(b, n);
    }

    /** The CCA token: tag 399 {44234: platform token, 44241: realm token}. */
    public static byte[] ccaToken(byte[] platformToken, byte[] realmToken) {
        return new Cbor().tag(TAG_CCA_TOKEN).map(2)
                .integer(CCA_PLATFORM_TOKEN).bytes(platformToken)
                .integer(CCA_REALM_DELEGATED_TOKEN).bytes(realmToken)
                .toByteArray();
    }
}
