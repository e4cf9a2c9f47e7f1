package dev.cca.rmm.el3;

import dev.cca.rmm.attest.Cbor;
import dev.cca.rmm.attest.Cose;
import dev.cca.rmm.attest.P384;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * The platform's attestation, as EL3 and the platform security processor (RSE) provide it to the RMM: the Realm
 * Attestation Key (RAK) and the CCA platform token, signed with the platform attestation key (CPAK). The claims
 * follow the CCA platform token profile ("tag:arm.com,2023:cca_platform#1.0.0") as in TF-RMM's sample token.
 * Both keys are P-384; by default they are generated for each run.
 */
public final class PlatformAttestation {
    public static final String PROFILE = "tag:arm.com,2023:cca_platform#1.0.0";
    public static final int CLAIM_PROFILE = 265, CLAIM_CHALLENGE = 10, CLAIM_IMPLEMENTATION_ID = 2396,
            CLAIM_INSTANCE_ID = 256, CLAIM_CONFIG = 2401, CLAIM_LIFECYCLE = 2395, CLAIM_HASH_ALGO = 2402,
            CLAIM_VERIFICATION_SERVICE = 2400, CLAIM_SW_COMPONENTS = 2399;
    public static final int SW_TYPE = 1, SW_MEASUREMENT = 2, SW_VERSION = 4, SW_SIGNER_ID = 5, SW_HASH_ALGO = 6;
    /** PSA lifecycle "secured" (0x3000..0x30FF). */
    public static final int LIFECYCLE_SECURED = 0x3000;
    public static final String VERIFICATION_SERVICE = "https://veraison.example/.well-known/veraison/verification";

    private final ECPrivateKey rak;
    private final ECPrivateKey cpak;
    private final ECPublicKey cpakPublic;

    public PlatformAttestation(ECPrivateKey rak, ECPrivateKey cpak) {
        this(rak, cpak, P384.publicKey(cpak));
    }

    private PlatformAttestation(ECPrivateKey rak, ECPrivateKey cpak, ECPublicKey cpakPublic) {
        this.rak = rak;
        this.cpak = cpak;
        this.cpakPublic = cpakPublic;
    }

    /** Fresh keys for this run (the generator's public key is kept: deriving it again costs start-up). */
    public static PlatformAttestation generated() {
        KeyPair r = P384.generate();
        KeyPair c = P384.generate();
        return new PlatformAttestation((ECPrivateKey) r.getPrivate(), (ECPrivateKey) c.getPrivate(),
                (ECPublicKey) c.getPublic());
    }

    /** File names in an attestation key directory ({@link #fromDirectory}). */
    public static final String RAK_FILE = "realm-attestation-key.pem", CPAK_FILE = "platform-attestation-key.pem",
            CPAK_PUBLIC_FILE = "platform-attestation-key.pub.pem";

    /**
     * Keys kept in {@code dir} across runs: the RAK and the platform key as PKCS#8 PEM (SEC1 "EC PRIVATE KEY"
     * from openssl is accepted too). If the directory holds neither, fresh keys are generated and written there,
     * with the platform's public key for {@code cca token verify --platform-key}.
     */
    public static PlatformAttestation fromDirectory(java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path rak = dir.resolve(RAK_FILE);
        java.nio.file.Path cpak = dir.resolve(CPAK_FILE);
        boolean hasRak = java.nio.file.Files.exists(rak);
        boolean hasCpak = java.nio.file.Files.exists(cpak);
        if (hasRak && hasCpak) {
            return new PlatformAttestation(dev.cca.rmm.attest.Pem.readPrivate(rak),
                    dev.cca.rmm.attest.Pem.readPrivate(cpak));
        }
        if (hasRak || hasCpak) {
            throw new dev.cca.rmm.attest.Pem.KeyFileException(hasRak ? cpak : rak,
                    "missing (the directory must hold both keys, or neither to create them)");
        }
        PlatformAttestation a = generated();
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(rak, dev.cca.rmm.attest.Pem.privatePem(a.rak));
        java.nio.file.Files.writeString(cpak, dev.cca.rmm.attest.Pem.privatePem(a.cpak));
        java.nio.file.Files.writeString(dir.resolve(CPAK_PUBLIC_FILE), dev.cca.rmm.attest.Pem.publicPem(a.cpakPublic));
        return a;
    }

    /** The RAK private key in the raw form RMM_GET_REALM_ATTEST_KEY hands out. */
    byte[] rakRaw() {
        return P384.rawPrivate(rak);
    }

    public ECPublicKey platformPublicKey() {
        return cpakPublic;
    }

    public ECPrivateKey platformKey() {
        return cpak;
    }

    public ECPrivateKey realmAttestationKey() {
        return rak;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String s) {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The platform token for {@code challenge} (the hash of the RAK public key the RMM sends, which binds the
     * realm token to this platform token).
     */
    public byte[] platformToken(byte[] challenge) {
        byte[] instanceId = new byte[33];
        instanceId[0] = 0x01; // UEID type RAND: the hash of the platform's public key
        System.arraycopy(sha256(Cose.coseKey(cpakPublic)), 0, instanceId, 1, 32);
        String[][] components = {
            {"BL31", "cca-emulator EL3 monitor model", "1.0.0"},
            {"RMM", "cca-emulator RMM model, RMM v1.0 (DEN0137 1.0-rel0)", "1.0.0"},
        };
        Cbor c = new Cbor().map(9)
                .integer(CLAIM_PROFILE).text(PROFILE)
                .integer(CLAIM_CHALLENGE).bytes(challenge)
                .integer(CLAIM_IMPLEMENTATION_ID).bytes(sha256("dev.cca emulator platform"))
                .integer(CLAIM_INSTANCE_ID).bytes(instanceId)
                .integer(CLAIM_CONFIG).bytes("GPT PPS=40 PGS=4K L0GPTSZ=30".getBytes(StandardCharsets.US_ASCII))
                .integer(CLAIM_LIFECYCLE).integer(LIFECYCLE_SECURED)
                .integer(CLAIM_HASH_ALGO).text("sha-256")
                .integer(CLAIM_VERIFICATION_SERVICE).text(VERIFICATION_SERVICE)
                .integer(CLAIM_SW_COMPONENTS).array(components.length);
        for (String[] sw : components) {
            // The measurement of a firmware model is the hash of its identity: the model has no image to hash.
            c.map(5).integer(SW_TYPE).text(sw[0])
                    .integer(SW_MEASUREMENT).bytes(sha256(sw[1]))
                    .integer(SW_VERSION).text(sw[2])
                    .integer(SW_SIGNER_ID).bytes(sha256("dev.cca firmware signer"))
                    .integer(SW_HASH_ALGO).text("sha-256");
        }
        return Cose.sign1(c.toByteArray(), cpak);
    }
}
