package dev.cca.rmm.attest;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;

/**
 * NIST P-384 (secp384r1) keys as the RMM-EL3 interface passes them: a private key is a raw 48-byte big-endian
 * scalar (RMM_GET_REALM_ATTEST_KEY). The RMM derives the public key itself, as TF-RMM does with PSA; the JDK
 * offers no public way to do that, so {@link #publicKey} multiplies the base point here (Jacobian coordinates,
 * once per boot, not on any hot path).
 */
public final class P384 {
    private P384() {
    }

    public static final int SCALAR_BYTES = 48;
    public static final ECParameterSpec PARAMS;
    private static final BigInteger P;
    private static final BigInteger A;

    static {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp384r1"));
            PARAMS = ap.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks secp384r1", e);
        }
        P = ((ECFieldFp) PARAMS.getCurve().getField()).getP();
        A = PARAMS.getCurve().getA();
    }

    /** A fresh key pair from the JDK's SunEC provider. */
    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp384r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The 48-byte big-endian scalar of a private key. */
    public static byte[] rawPrivate(ECPrivateKey k) {
        return fixed(k.getS(), SCALAR_BYTES);
    }

    public static ECPrivateKey privateKey(byte[] raw) {
        BigInteger s = new BigInteger(1, raw);
        if (s.signum() == 0 || s.compareTo(PARAMS.getOrder()) >= 0) {
            throw new IllegalArgumentException("not a P-384 private scalar");
        }
        try {
            return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(s, PARAMS));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECPublicKey publicKey(BigInteger x, BigInteger y) {
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), PARAMS));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a point on P-384: " + e.getMessage(), e);
        }
    }

    /** The public key d·G of a private key. */
    public static ECPublicKey publicKey(ECPrivateKey k) {
        ECPoint g = PARAMS.getGenerator();
        BigInteger[] q = multiply(k.getS(), g.getAffineX(), g.getAffineY());
        return publicKey(q[0], q[1]);
    }

    /** Big-endian unsigned encoding of {@code v} in exactly {@code len} bytes. */
    public static byte[] fixed(BigInteger v, int len) {
        byte[] b = v.toByteArray();
        byte[] r = new byte[len];
        int n = Math.min(b.length, len);
        System.arraycopy(b, b.length - n, r, len - n, n);
        return r;
    }

    // ---- point arithmetic in Jacobian coordinates (X/Z^2, Y/Z^3); Z = 0 is the point at infinity --------------

    private static BigInteger[] multiply(BigInteger k, BigInteger x, BigInteger y) {
        BigInteger[] r = {BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
        BigInteger[] base = {x, y, BigInteger.ONE};
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = twice(r);
            if (k.testBit(i)) {
                r = add(r, base);
            }
        }
        BigInteger zi = r[2].modInverse(P);
        BigInteger zi2 = zi.multiply(zi).mod(P);
        return new BigInteger[] {r[0].multiply(zi2).mod(P), r[1].multiply(zi2).multiply(zi).mod(P)};
    }

    private static BigInteger[] twice(BigInteger[] p) {
        if (p[2].signum() == 0 || p[1].signum() == 0) {
            return new BigInteger[] {BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
        }
        BigInteger y2 = p[1].multiply(p[1]).mod(P);
        BigInteger s = p[0].multiply(y2).shiftLeft(2).mod(P);
        BigInteger z2 = p[2].multiply(p[2]).mod(P);
        BigInteger m = p[0].multiply(p[0]).multiply(BigInteger.valueOf(3)).add(A.multiply(z2).multiply(z2)).mod(P);
        BigInteger x = m.multiply(m).subtract(s.shiftLeft(1)).mod(P);
        BigInteger y = m.multiply(s.subtract(x)).subtract(y2.multiply(y2).shiftLeft(3)).mod(P);
        BigInteger z = p[1].multiply(p[2]).shiftLeft(1).mod(P);
        return new BigInteger[] {x, y, z};
    }

    private static BigInteger[] add(BigInteger[] p, BigInteger[] q) {
        if (p[2].signum() == 0) {
            return q;
        }
        if (q[2].signum() == 0) {
            return p;
        }
        BigInteger pz2 = p[2].multiply(p[2]).mod(P);
        BigInteger qz2 = q[2].multiply(q[2]).mod(P);
        BigInteger u1 = p[0].multiply(qz2).mod(P);
        BigInteger u2 = q[0].multiply(pz2).mod(P);
        BigInteger s1 = p[1].multiply(qz2).multiply(q[2]).mod(P);
        BigInteger s2 = q[1].multiply(pz2).multiply(p[2]).mod(P);
        if (u1.equals(u2)) {
            return s1.equals(s2) ? twice(p) : new BigInteger[] {BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
        }
        BigInteger h = u2.subtract(u1).mod(P);
        BigInteger r = s2.subtract(s1).mod(P);
        BigInteger h2 = h.multiply(h).mod(P);
        BigInteger h3 = h2.multiply(h).mod(P);
        BigInteger u1h2 = u1.multiply(h2).mod(P);
        BigInteger x = r.multiply(r).subtract(h3).subtract(u1h2.shiftLeft(1)).mod(P);
        BigInteger y = r.multiply(u1h2.subtract(x)).subtract(s1.multiply(h3)).mod(P);
        BigInteger z = h.multiply(p[2]).multiply(q[2]).mod(P);
        return new BigInteger[] {x, y, z};
    }
}
