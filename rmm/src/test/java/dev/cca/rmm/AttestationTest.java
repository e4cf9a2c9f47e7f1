package dev.cca.rmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.cca.rmm.attest.RealmToken;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.rmm.rsi.Attestation;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A realm asks for an attestation token with RSI_ATTESTATION_TOKEN_INIT/CONTINUE; the token it receives is
 * decoded with Jackson's CBOR reader and its two COSE_Sign1 signatures are checked with the JDK's ECDSA, over
 * Sig_structures encoded by Jackson: nothing of the RMM's own encoder is trusted.
 */
class AttestationTest {
    static final long BUF = RecExitsTest.DATA;
    static final long[] CHALLENGE = {0x0101010101010101L, 2, 3, 4, 5, 6, 7, 0x0808080808080808L};

    /** Asks for a token in {@code chunk}-byte pieces; X20/X21 = INIT's X0/X1, X22 = last X0, X19 = length. */
    static Asm tokenProgram(int chunk) {
        Asm p = new Asm();
        for (int i = 0; i < 8; i++) {
            p.mov(1 + i, CHALLENGE[i]);
        }
        p.mov(0, Rsi.ATTESTATION_TOKEN_INIT).smc().movReg(20, 0).movReg(21, 1).mov(19, 0);
        int loop = p.here();
        p.mov(0, Rsi.ATTESTATION_TOKEN_CONTINUE).mov(1, BUF).movReg(2, 19).mov(3, chunk).smc()
                .add(19, 19, 1).movReg(22, 0).sub(9, 0, (int) Rsi.INCOMPLETE).cbz(9, loop);
        return p.call(Psci.SYSTEM_OFF);
    }

    /** Runs the realm to completion and returns the token it wrote to BUF. */
    static byte[] runToken(RecExitsTest.Fixture f, long dataPa, int chunk) {
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        while (f.exit(dev.cca.rmm.rec.RecRun.EXIT_REASON) == Rmi.EXIT_IRQ) {
            assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        }
        assertEquals(Rmi.EXIT_PSCI, f.exit(dev.cca.rmm.rec.RecRun.EXIT_REASON));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Rsi.SUCCESS, g[20], "TOKEN_INIT");
        assertEquals(Attestation.TOKEN_BUFFER, g[21], "the size bound");
        assertEquals(Rsi.SUCCESS, g[22], "the last CONTINUE");
        byte[] token = new byte[(int) g[19]];
        f.h.platform.machine.memory.readBytes(dataPa, token, 0, token.length);
        return token;
    }

    static final class Fixture2 {
        final RecExitsTest.Fixture f;
        final long dataPa;

        Fixture2(int chunk) {
            f = new RecExitsTest.Fixture(tokenProgram(chunk), new Asm().hang());
            dataPa = f.h.inspector().walk(f.realm.rd, BUF).get(1).descriptor() & 0xFFFF_FFFF_F000L;
        }
    }

    private static final CBORMapper MAPPER = new CBORMapper();

    /** The tags on the first item of {@code cbor}, read with Jackson's parser. */
    private static int firstTag(byte[] cbor) throws IOException {
        try (CBORParser p = new CBORFactory().createParser(cbor)) {
            p.nextToken();
            return p.getCurrentTag();
        }
    }

    /** Sig_structure ["Signature1", protected, h'', payload], encoded by Jackson. */
    private static byte[] sigStructure(byte[] prot, byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(out)) {
            g.writeStartArray(null, 4);
            g.writeString("Signature1");
            g.writeBinary(prot);
            g.writeBinary(new byte[0]);
            g.writeBinary(payload);
            g.writeEndArray();
        }
        return out.toByteArray();
    }

    private static boolean verifyEs384(byte[] tbs, byte[] rs, PublicKey key) throws GeneralSecurityException {
        // The JDK's plain DER ECDSA: convert COSE's r || s to an ASN.1 SEQUENCE of two INTEGERs.
        byte[] r = new BigInteger(1, Arrays.copyOfRange(rs, 0, 48)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(rs, 48, 96)).toByteArray();
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        int len = 2 + r.length + 2 + s.length;
        der.write(0x30);
        if (len > 127) {
            der.write(0x81);
        }
        der.write(len);
        der.write(2);
        der.write(r.length);
        der.writeBytes(r);
        der.write(2);
        der.write(s.length);
        der.writeBytes(s);
        Signature v = Signature.getInstance("SHA384withECDSA");
        v.initVerify(key);
        v.update(tbs);
        return v.verify(der.toByteArray());
    }

    private static ECPublicKey p384(byte[] x, byte[] y) throws GeneralSecurityException {
        java.security.AlgorithmParameters ap = java.security.AlgorithmParameters.getInstance("EC");
        ap.init(new java.security.spec.ECGenParameterSpec("secp384r1"));
        var spec = ap.getParameterSpec(java.security.spec.ECParameterSpec.class);
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(
                new ECPublicKeySpec(new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
    }

    /** A COSE_Sign1 as Jackson reads it: checks tag 18 and alg ES384; returns [protected, payload, signature]. */
    private static byte[][] sign1(byte[] cose) throws IOException {
        assertEquals(18, firstTag(cose), "COSE_Sign1 tag");
        JsonNode a = MAPPER.readTree(cose);
        assertTrue(a.isArray() && a.size() == 4);
        byte[] prot = a.get(0).binaryValue();
        assertEquals(-35, MAPPER.readTree(prot).get("1").asInt(), "alg ES384");
        assertEquals(0, a.get(1).size(), "no unprotected headers");
        byte[] sig = a.get(3).binaryValue();
        assertEquals(96, sig.length);
        return new byte[][] {prot, a.get(2).binaryValue(), sig};
    }

    @Test
    void theDerivedPublicKeyIsTheGeneratorsAndThePlatformKeysAreAPair() throws GeneralSecurityException {
        java.security.KeyPair pair = dev.cca.rmm.attest.P384.generate();
        ECPublicKey derived = dev.cca.rmm.attest.P384.publicKey((java.security.interfaces.ECPrivateKey) pair.getPrivate());
        assertEquals(((ECPublicKey) pair.getPublic()).getW(), derived.getW());
        PlatformAttestation keys = PlatformAttestation.generated();
        Signature s = Signature.getInstance("SHA384withECDSA");
        s.initSign(keys.platformKey());
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(keys.platformPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig), "the platform public key verifies the platform key's signature");
    }

    @Test
    void tokenFromARunningRealmDecodesWithJacksonAndItsSignaturesVerifyWithTheJdk() throws Exception {
        Fixture2 x = new Fixture2(256);
        byte[] token = runToken(x.f, x.dataPa, 256);
        assertEquals(399, firstTag(token), "CCA token collection tag");
        JsonNode cca = MAPPER.readTree(token);
        assertEquals(2, cca.size());
        byte[] platform = cca.get("44234").binaryValue();
        byte[] realm = cca.get("44241").binaryValue();

        // Realm token: claims and signature with the key it carries
        byte[][] rt = sign1(realm);
        JsonNode claims = MAPPER.readTree(rt[1]);
        byte[] challenge = claims.get("10").binaryValue();
        assertEquals(64, challenge.length);
        assertEquals(0x01, challenge[0]);
        assertEquals(0x08, challenge[63], "X8's top byte ends the challenge");
        assertArrayEquals(new byte[64], claims.get("44235").binaryValue(), "personalization value (zero here)");
        assertEquals("sha-256", claims.get("44236").asText());
        assertEquals("sha-256", claims.get("44240").asText());
        assertEquals(RealmToken.PROFILE, claims.get("265").asText());
        RmmInspector.RealmInfo info = x.f.h.inspector().realm(x.f.realm.rd);
        assertEquals(info.rim(), HexFormat.of().formatHex(claims.get("44238").binaryValue()));
        assertEquals(4, claims.get("44239").size());
        byte[] coseKey = claims.get("44237").binaryValue();
        JsonNode key = MAPPER.readTree(coseKey);
        assertEquals(2, key.get("1").asInt(), "kty EC2");
        assertEquals(2, key.get("-1").asInt(), "crv P-384");
        ECPublicKey rak = p384(key.get("-2").binaryValue(), key.get("-3").binaryValue());
        assertTrue(verifyEs384(sigStructure(rt[0], rt[1]), rt[2], rak), "realm token signature");

        // Platform token: signed by the platform key; its challenge is the hash of the RAK's COSE_Key
        byte[][] pt = sign1(platform);
        JsonNode pclaims = MAPPER.readTree(pt[1]);
        assertEquals(PlatformAttestation.PROFILE, pclaims.get("265").asText());
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(coseKey), pclaims.get("10").binaryValue(),
                "the platform token binds the realm attestation key");
        ECPublicKey cpak = x.f.h.fw.monitor.attestation().platformPublicKey();
        assertTrue(verifyEs384(sigStructure(pt[0], pt[1]), pt[2], cpak), "platform token signature");
        assertTrue(pclaims.get("2399").size() >= 1, "software components");
        assertEquals(PlatformAttestation.LIFECYCLE_SECURED, pclaims.get("2395").asInt());

        // A flipped bit in the realm claims breaks the signature
        byte[] tampered = rt[1].clone();
        tampered[10] ^= 1;
        assertTrue(!verifyEs384(sigStructure(rt[0], tampered), rt[2], rak));
    }

    @Test
    void tokenIsHandedOutInPiecesOfTheRequestedSize() {
        Fixture2 small = new Fixture2(100);
        byte[] a = runToken(small.f, small.dataPa, 100);
        Fixture2 big = new Fixture2(4096);
        byte[] b = runToken(big.f, big.dataPa, 4096);
        assertEquals(a.length, b.length, "the same token size whatever the piece size");
        assertTrue(a.length > 600 && a.length <= 4096, "token length " + a.length);
    }

    @Test
    void continueWithoutInitIsAStateErrorAndBadArgumentsAreInputErrors() {
        Asm p = new Asm()
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, BUF, 0, 64).movReg(20, 0)
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, BUF + 8, 0, 64).movReg(21, 0) // addr_align
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, BUF, 4096, 0).movReg(22, 0) // offset_bound
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, BUF, 8, -1L).movReg(23, 0) // size_overflow
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, BUF, 8, 4096).movReg(24, 0) // size_bound
                .call(Rsi.ATTESTATION_TOKEN_CONTINUE, 1L << 32, 0, 64).movReg(25, 0) // addr_bound
                .call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Rsi.ERROR_STATE, g[20]);
        for (int i = 21; i <= 25; i++) {
            assertEquals(Rsi.ERROR_INPUT, g[i], "X" + i);
        }
    }

    @Test
    void pendingInterruptDuringSigningExitsToTheHostAndTheRealmRetries() {
        Fixture2 x = new Fixture2(4096);
        // The host's tick fires while the RMM signs: raise an IRQ when the first CONTINUE reaches the RMM.
        boolean[] raised = {false};
        x.f.h.fw.rmm.addObserver(new RmmObserver() {
            @Override
            public void rsiCall(dev.cca.core.cpu.Cpu cpu, long recPa, long fid, long[] args) {
                if (fid == Rsi.ATTESTATION_TOKEN_CONTINUE && !raised[0]) {
                    raised[0] = true;
                    cpu.setIrqSource(2, true);
                }
            }
        });
        assertEquals(Rmi.SUCCESS, x.f.h.enter(x.f.rec0, x.f.run));
        assertEquals(Rmi.EXIT_IRQ, x.f.exit(dev.cca.rmm.rec.RecRun.EXIT_REASON));
        assertEquals(Rsi.INCOMPLETE, x.f.h.recGprs(x.f.rec0)[0], "the realm is told to call CONTINUE again");
        x.f.h.cpu.setIrqSource(2, false);
        byte[] token = runToken(x.f, x.dataPa, 4096);
        assertEquals(399, uncheckedTag(token));
    }

    private static int uncheckedTag(byte[] b) {
        try {
            return firstTag(b);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
