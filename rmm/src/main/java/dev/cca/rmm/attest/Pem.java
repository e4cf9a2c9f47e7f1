package dev.cca.rmm.attest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * P-384 keys in PEM files, as OpenSSL writes them: "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC1, from
 * {@code openssl ecparam -genkey}) and "PUBLIC KEY" (X.509 SubjectPublicKeyInfo).
 */
public final class Pem {
    private Pem() {
    }

    /** A key file that cannot be used, with the reason. */
    public static final class KeyFileException extends IOException {
        private static final long serialVersionUID = 1L;

        public KeyFileException(Path file, String why) {
            super(file + ": " + why);
        }
    }

    private record Block(String type, byte[] der) {
    }

    private static Block read(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = s.indexOf("-----BEGIN ");
        if (begin < 0) {
            throw new KeyFileException(file, "no PEM block (-----BEGIN ...-----)");
        }
        int typeEnd = s.indexOf("-----", begin + 11);
        if (typeEnd < 0) {
            throw new KeyFileException(file, "malformed PEM header");
        }
        String type = s.substring(begin + 11, typeEnd);
        String endMarker = "-----END " + type + "-----";
        int end = s.indexOf(endMarker, typeEnd);
        if (end < 0) {
            throw new KeyFileException(file, "missing " + endMarker);
        }
        String body = s.substring(typeEnd + 5, end).replaceAll("\\s", "");
        try {
            return new Block(type, Base64.getDecoder().decode(body));
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(file, "bad base64 in the PEM body");
        }
    }

    /** Reads a P-384 private key (PKCS#8 or SEC1 PEM). */
    public static ECPrivateKey readPrivate(Path file) throws IOException {
        Block b = read(file);
        try {
            if (b.type.equals("PRIVATE KEY")) {
                PrivateKey k = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(b.der));
                return checkCurve(file, (ECPrivateKey) k);
            }
            if (b.type.equals("EC PRIVATE KEY")) {
                return P384.privateKey(sec1Scalar(file, b.der));
            }
        } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
            throw new KeyFileException(file, "not an EC private key: " + e.getMessage());
        }
        throw new KeyFileException(file, "expected a PRIVATE KEY or EC PRIVATE KEY block, found " + b.type);
    }

    /** Reads a P-384 public key ("PUBLIC KEY" PEM), or derives it from a private key file. */
    public static ECPublicKey readPublic(Path file) throws IOException {
        Block b = read(file);
        if (!b.type.equals("PUBLIC KEY")) {
            return P384.publicKey(readPrivate(file));
        }
        try {
            PublicKey k = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(b.der));
            ECPublicKey ec = (ECPublicKey) k;
            if (ec.getParams().getCurve().getField().getFieldSize() != 384) {
                throw new KeyFileException(file, "not a P-384 key");
            }
            return ec;
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new KeyFileException(file, "not an EC public key: " + e.getMessage());
        }
    }

    private static ECPrivateKey checkCurve(Path file, ECPrivateKey k) throws KeyFileException {
        if (k.getParams().getCurve().getField().getFieldSize() != 384) {
            throw new KeyFileException(file, "not a P-384 key (ES384 needs secp384r1)");
        }
        return k;
    }

    /**
     * The private scalar of a SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING key, ... } (RFC 5915).
     */
    private static byte[] sec1Scalar(Path file, byte[] der) throws KeyFileException {
        // 30 len 02 01 01 04 30 <48 bytes>: the lengths of a P-384 key are fixed.
        int i = 0;
        if (der.length < 8 || der[i++] != 0x30) {
            throw new KeyFileException(file, "SEC1 key is not a DER SEQUENCE");
        }
        int len = der[i++] & 0xFF;
        if (len == 0x81) {
            i++;
        } else if (len == 0x82) {
            i += 2;
        }
        if (der[i] != 0x02 || der[i + 1] != 0x01 || der[i + 2] != 0x01 || der[i + 3] != 0x04) {
            throw new KeyFileException(file, "SEC1 key: expected version 1 and an OCTET STRING");
        }
        int n = der[i + 4] & 0xFF;
        if (n != P384.SCALAR_BYTES || i + 5 + n > der.length) {
            throw new KeyFileException(file, "SEC1 key: a " + n + "-byte scalar is not a P-384 key");
        }
        return Arrays.copyOfRange(der, i + 5, i + 5 + n);
    }

    public static String privatePem(ECPrivateKey k) {
        return pem("PRIVATE KEY", k.getEncoded());
    }

    public static String publicPem(ECPublicKey k) {
        return pem("PUBLIC KEY", k.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }
}
