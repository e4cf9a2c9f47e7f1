package dev.cca.rmm.attest;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * The COSE structures of the CCA tokens (RFC 9052): COSE_Sign1 with ES384 and the EC2 COSE_Key of the realm
 * attestation key. Signatures use the JDK's SunEC ("SHA384withECDSAinP1363Format" gives COSE's r || s form).
 */
public final class Cose {
    private Cose() {
    }

    public static final int TAG_SIGN1 = 18;
    public static final int ALG_ES384 = -35;
    /** COSE header label 1 (alg) and key parameters (RFC 9053 7.1). */
    public static final int HDR_ALG = 1;
    public static final int KEY_KTY = 1, KEY_CRV = -1, KEY_X = -2, KEY_Y = -3;
    public static final int KTY_EC2 = 2, CRV_P384 = 2;
    public static final int ES384_SIGNATURE_BYTES = 96;
    static final String JCA_ES384 = "SHA384withECDSAinP1363Format";

    /** The protected header of every token: {1: -35}. */
    public static byte[] protectedEs384() {
        return new Cbor().map(1).integer(HDR_ALG).integer(ALG_ES384).toByteArray();
    }

    /** Sig_structure = ["Signature1", body_protected, external_aad = h'', payload] (RFC 9052 4.4). */
    public static byte[] sigStructure(byte[] protectedHeader, byte[] payload) {
        return new Cbor().array(4).text("Signature1").bytes(protectedHeader).bytes(new byte[0]).bytes(payload)
                .toByteArray();
    }

    /** A tagged COSE_Sign1 [protected, {}, payload, signature] over {@code payload}, signed with {@code key}. */
    public static byte[] sign1(byte[] payload, ECPrivateKey key) {
        byte[] prot = protectedEs384();
        byte[] sig = sign(sigStructure(prot, payload), key);
        return new Cbor().tag(TAG_SIGN1).array(4).bytes(prot).map(0).bytes(payload).bytes(sig).toByteArray();
    }

    public static byte[] sign(byte[] toBeSigned, ECPrivateKey key) {
        try {
            Signature s = Signature.getInstance(JCA_ES384);
            s.initSign(key);
            s.update(toBeSigned);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ES384 signing failed", e);
        }
    }

    public static boolean verify(byte[] toBeSigned, byte[] rawSignature, ECPublicKey key) {
        try {
            Signature s = Signature.getInstance(JCA_ES384);
            s.initVerify(key);
            s.update(toBeSigned);
            return s.verify(rawSignature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The EC2 COSE_Key {1: 2, -1: 2, -2: x, -3: y} of a P-384 public key, in t_cose's order. */
    public static byte[] coseKey(ECPublicKey k) {
        byte[] x = P384.fixed(k.getW().getAffineX(), P384.SCALAR_BYTES);
        byte[] y = P384.fixed(k.getW().getAffineY(), P384.SCALAR_BYTES);
        return new Cbor().map(4).integer(KEY_KTY).integer(KTY_EC2).integer(KEY_CRV).integer(CRV_P384)
                .integer(KEY_X).bytes(x).integer(KEY_Y).bytes(y).toByteArray();
    }

    /** The public key of coordinates {@code x}, {@code y} (48 bytes each). */
    public static ECPublicKey p384(byte[] x, byte[] y) {
        return P384.publicKey(new BigInteger(1, x), new BigInteger(1, y));
    }
}
