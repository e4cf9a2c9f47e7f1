package dev.cca.vmm.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * A CCA attestation token read with Jackson's CBOR parser (independently of the RMM's encoder): the tag-399
 * collection of a platform token and a realm token, each a COSE_Sign1 (RMM spec A7.2, the CCA token profiles).
 */
public final class CcaToken {
    public static final int TAG_CCA = 399, TAG_SIGN1 = 18;
    public static final String PLATFORM_KEY = "44234", REALM_KEY = "44241";
    private static final CBORMapper MAPPER = new CBORMapper();
    private static final CBORFactory FACTORY = new CBORFactory();
    private static final HexFormat HEX = HexFormat.of();

    /** A token that cannot be decoded, with what is wrong with it. */
    public static final class FormatException extends Exception {
        private static final long serialVersionUID = 1L;

        public FormatException(String message) {
            super(message);
        }
    }

    /** One COSE_Sign1: its protected header, claims payload and r || s signature. */
    public record Sign1(boolean tagged, byte[] protectedHeader, JsonNode protectedMap, byte[] payload, JsonNode claims,
                        byte[] signature) {
        /** The Sig_structure the signature covers, encoded by Jackson (RFC 9052 4.4). */
        public byte[] toBeSigned() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (CBORGenerator g = FACTORY.createGenerator(out)) {
                g.writeStartArray(null, 4);
                g.writeString("Signature1");
                g.writeBinary(protectedHeader);
                g.writeBinary(new byte[0]);
                g.writeBinary(payload);
                g.writeEndArray();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return out.toByteArray();
        }

        public int alg() {
            JsonNode a = protectedMap.get("1");
            return a == null ? 0 : a.asInt();
        }
    }

    public final Sign1 platform;
    public final Sign1 realm;

    private CcaToken(Sign1 platform, Sign1 realm) {
        this.platform = platform;
        this.realm = realm;
    }

    private static int tagOf(byte[] cbor) throws IOException {
        try (CBORParser p = FACTORY.createParser(cbor)) {
            if (p.nextToken() == null) {
                return -2;
            }
            return p.getCurrentTag();
        }
    }

    private static JsonNode tree(byte[] cbor, String what) throws FormatException {
        wellFormed(cbor, what);
        try {
            JsonNode n = MAPPER.readTree(cbor);
            if (n == null || n.isMissingNode()) {
                throw new FormatException(what + " is empty");
            }
            return n;
        } catch (IOException e) {
            throw new FormatException(what + " is not well-formed CBOR: " + firstLine(e.getMessage()));
        }
    }

    /** One CBOR item and nothing after it, within CborCheck's bounds of nesting and tags. */
    private static void wellFormed(byte[] cbor, String what) throws FormatException {
        if (cbor.length == 0) {
            throw new FormatException(what + " is empty");
        }
        int end;
        try {
            end = CborCheck.itemEnd(cbor);
        } catch (FormatException e) {
            throw new FormatException(what + ": " + e.getMessage());
        }
        if (end != cbor.length) {
            throw new FormatException(String.format("%s: %d bytes follow the CBOR item that ends at byte %d",
                    what, cbor.length - end, end));
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    public static CcaToken parse(byte[] bytes) throws FormatException {
        if (bytes.length == 0) {
            throw new FormatException("the file is empty");
        }
        wellFormed(bytes, "the token");
        int tag;
        try {
            tag = tagOf(bytes);
        } catch (IOException e) {
            throw new FormatException("not well-formed CBOR: " + firstLine(e.getMessage()));
        }
        if (tag != TAG_CCA) {
            throw new FormatException("not a CCA token: the top-level item " + (tag < 0 ? "has no CBOR tag"
                    : "has CBOR tag " + tag) + ", expected tag " + TAG_CCA + " (the CCA token collection)");
        }
        JsonNode top = tree(bytes, "the token");
        if (!top.isObject()) {
            throw new FormatException("the CCA token collection is not a map");
        }
        return new CcaToken(member(top, PLATFORM_KEY, "platform token"), member(top, REALM_KEY, "realm token"));
    }

    private static Sign1 member(JsonNode top, String key, String what) throws FormatException {
        JsonNode n = top.get(key);
        if (n == null) {
            throw new FormatException("the collection has no " + what + " (key " + key + ")");
        }
        if (!n.isBinary()) {
            throw new FormatException("the " + what + " (key " + key + ") is not a byte string");
        }
        try {
            return sign1(n.binaryValue(), what);
        } catch (IOException e) {
            throw new FormatException("the " + what + ": " + firstLine(e.getMessage()));
        }
    }

    private static Sign1 sign1(byte[] b, String what) throws FormatException, IOException {
        int tag = tagOf(b);
        if (tag >= 0 && tag != TAG_SIGN1) {
            throw new FormatException("the " + what + " has CBOR tag " + tag + ", expected " + TAG_SIGN1
                    + " (COSE_Sign1)");
        }
        JsonNode a = tree(b, "the " + what);
        if (!a.isArray() || a.size() != 4) {
            throw new FormatException("the " + what + " is not a COSE_Sign1 (an array of 4)");
        }
        if (!a.get(0).isBinary() || !a.get(1).isObject() || !a.get(2).isBinary() || !a.get(3).isBinary()) {
            throw new FormatException("the " + what + " is not a COSE_Sign1 [bstr, map, bstr, bstr]");
        }
        byte[] prot = a.get(0).binaryValue();
        JsonNode protMap = prot.length == 0 ? JsonNodeFactory.instance.objectNode()
                : tree(prot, "the " + what + "'s protected header");
        byte[] payload = a.get(2).binaryValue();
        JsonNode claims = tree(payload, "the " + what + "'s claims");
        if (!claims.isObject()) {
            throw new FormatException("the " + what + "'s claims are not a map");
        }
        return new Sign1(tag == TAG_SIGN1, prot, protMap, payload, claims, a.get(3).binaryValue());
    }

    // ---- readable JSON -------------------------------------------------------------------------------------------

    private static final Map<String, String> REALM_CLAIMS = Map.of("10", "challenge",
            "44235", "personalization-value", "44236", "hash-algo-id", "44237", "public-key",
            "44238", "initial-measurement", "44239", "extensible-measurements",
            "44240", "public-key-hash-algo-id", "265", "profile");
    private static final Map<String, String> PLATFORM_CLAIMS = Map.of("265", "profile", "10", "challenge",
            "2396", "implementation-id", "256", "instance-id", "2401", "config", "2395", "lifecycle",
            "2402", "hash-algo-id", "2400", "verification-service", "2399", "sw-components");
    private static final Map<String, String> SW_COMPONENT = Map.of("1", "measurement-type",
            "2", "measurement-value", "4", "version", "5", "signer-id", "6", "hash-algo-id");

    /** The token as readable JSON: named claims, byte strings in hex, the realm key as a decoded COSE_Key. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("cbor-tag", TAG_CCA);
        root.set("platform-token", sign1Json(platform, PLATFORM_CLAIMS));
        root.set("realm-token", sign1Json(realm, REALM_CLAIMS));
        return root;
    }

    private ObjectNode sign1Json(Sign1 s, Map<String, String> names) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("cose", s.tagged() ? "COSE_Sign1 (tag 18)" : "COSE_Sign1 (untagged)");
        o.put("alg", s.alg() == -35 ? "ES384" : String.valueOf(s.alg()));
        ObjectNode claims = o.putObject("claims");
        for (Iterator<Map.Entry<String, JsonNode>> it = s.claims().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = names.getOrDefault(e.getKey(), e.getKey());
            JsonNode v = e.getValue();
            if (name.equals("public-key") && v.isBinary()) {
                claims.set(name, coseKeyJson(v));
            } else if (name.equals("sw-components") && v.isArray()) {
                ArrayNode arr = claims.putArray(name);
                for (JsonNode c : v) {
                    arr.add(renamed(c, SW_COMPONENT));
                }
            } else if (name.equals("lifecycle") && v.canConvertToInt()) {
                claims.put(name, String.format("0x%04x (%s)", v.asInt(), lifecycle(v.asInt())));
            } else {
                claims.set(name, readable(v));
            }
        }
        o.put("signature", HEX.formatHex(s.signature()));
        return o;
    }

    private static String lifecycle(int v) {
        switch (v >>> 12) {
            case 0x1: return "assembly and test";
            case 0x2: return "PSA RoT provisioning";
            case 0x3: return "secured";
            case 0x4: return "non-PSA RoT debug";
            case 0x5: return "recoverable PSA RoT debug";
            case 0x6: return "decommissioned";
            default: return "unknown";
        }
    }

    private static JsonNode coseKeyJson(JsonNode v) {
        ObjectNode k = JsonNodeFactory.instance.objectNode();
        try {
            JsonNode m = MAPPER.readTree(v.binaryValue());
            k.put("kty", m.path("1").asInt() == 2 ? "EC2" : m.path("1").asText());
            k.put("crv", m.path("-1").asInt() == 2 ? "P-384" : m.path("-1").asText());
            k.set("x", readable(m.path("-2")));
            k.set("y", readable(m.path("-3")));
            k.put("cose-key", HEX.formatHex(v.binaryValue()));
        } catch (IOException e) {
            k.put("error", "not a COSE_Key: " + firstLine(e.getMessage()));
        }
        return k;
    }

    private static JsonNode renamed(JsonNode n, Map<String, String> names) {
        if (!n.isObject()) {
            return readable(n);
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            o.set(names.getOrDefault(e.getKey(), e.getKey()), readable(e.getValue()));
        }
        return o;
    }

    private static JsonNode readable(JsonNode n) {
        try {
            if (n.isBinary()) {
                return JsonNodeFactory.instance.textNode(HEX.formatHex(n.binaryValue()));
            }
        } catch (IOException e) {
            return n;
        }
        if (n.isArray()) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            n.forEach(c -> a.add(readable(c)));
            return a;
        }
        if (n.isObject()) {
            return renamed(n, Map.of());
        }
        return n;
    }

    // ---- verification --------------------------------------------------------------------------------------------

    /** The realm attestation key the realm token carries (claim 44237, an EC2 P-384 COSE_Key). */
    public ECPublicKey realmPublicKey() throws FormatException {
        JsonNode k = realm.claims().get("44237");
        if (k == null || !k.isBinary()) {
            throw new FormatException("the realm token has no public key claim (44237)");
        }
        try {
            JsonNode m = MAPPER.readTree(k.binaryValue());
            if (m.path("1").asInt() != 2 || m.path("-1").asInt() != 2) {
                throw new FormatException("the realm public key is not an EC2 P-384 COSE_Key");
            }
            return p384(m.path("-2").binaryValue(), m.path("-3").binaryValue());
        } catch (IOException e) {
            throw new FormatException("the realm public key claim is not a COSE_Key: " + firstLine(e.getMessage()));
        }
    }

    static ECPublicKey p384(byte[] x, byte[] y) throws FormatException {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp384r1"));
            ECParameterSpec spec = ap.getParameterSpec(ECParameterSpec.class);
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(
                    new ECPublicKeySpec(new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
        } catch (GeneralSecurityException | NullPointerException e) {
            throw new FormatException("the realm public key is not a point on P-384");
        }
    }

    /** Verifies an ES384 COSE_Sign1 with the JDK's ECDSA. */
    public static boolean verify(Sign1 s, ECPublicKey key) {
        if (s.alg() != -35 || s.signature().length != 96) {
            return false;
        }
        try {
            Signature v = Signature.getInstance("SHA384withECDSAinP1363Format");
            v.initVerify(key);
            v.update(s.toBeSigned());
            return v.verify(s.signature());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The binding: the platform token's challenge is the hash (with the realm token's public-key-hash algorithm)
     * of the realm public key claim's bytes.
     */
    public boolean bound() throws FormatException {
        JsonNode k = realm.claims().get("44237");
        JsonNode algo = realm.claims().get("44240");
        JsonNode ch = platform.claims().get("10");
        if (k == null || ch == null || !ch.isBinary()) {
            throw new FormatException("the binding claims are missing (realm 44237, platform 10)");
        }
        String name = algo == null ? "sha-256" : algo.asText();
        String jca = switch (name) {
            case "sha-256" -> "SHA-256";
            case "sha-384" -> "SHA-384";
            case "sha-512" -> "SHA-512";
            default -> throw new FormatException("unknown public key hash algorithm '" + name + "'");
        };
        try {
            byte[] h = MessageDigest.getInstance(jca).digest(k.binaryValue());
            return MessageDigest.isEqual(h, ch.binaryValue());
        } catch (GeneralSecurityException | IOException e) {
            throw new FormatException("cannot hash the realm public key: " + e.getMessage());
        }
    }
}
