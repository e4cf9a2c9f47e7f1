package dev.cca.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cca.rmm.attest.Cose;
import dev.cca.rmm.attest.P384;
import dev.cca.rmm.attest.Pem;
import dev.cca.rmm.attest.RealmToken;
import dev.cca.rmm.el3.PlatformAttestation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `cca token show` and `cca token verify` on tokens made the way the EL3 model and the RMM make them. */
class TokenCommandTest {
    @TempDir
    Path dir;

    /** A CCA token as the platform hands it to a realm, for a 64-byte challenge of 0x5A. */
    static byte[] token(PlatformAttestation pa) throws Exception {
        byte[] coseKey = Cose.coseKey(P384.publicKey(pa.realmAttestationKey()));
        byte[] plat = pa.platformToken(MessageDigest.getInstance("SHA-256").digest(coseKey));
        byte[][] m = new byte[5][64];
        m[0][0] = 0x11;
        byte[] challenge = new byte[64];
        java.util.Arrays.fill(challenge, (byte) 0x5A);
        byte[] claims = RealmToken.claims(challenge, new byte[64], coseKey, 0, m, 32);
        return RealmToken.ccaToken(plat, Cose.sign1(claims, pa.realmAttestationKey()));
    }

    @Test
    void showPrintsNamedClaimsAsJson() throws Exception {
        Path f = dir.resolve("token.cbor");
        Files.write(f, token(PlatformAttestation.generated()));
        CliRunner r = CliRunner.run("token", "show", f.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode realm = j.get("realm-token").get("claims");
        assertEquals("5a".repeat(64), realm.get("challenge").asText());
        assertEquals("11" + "00".repeat(31), realm.get("initial-measurement").asText());
        assertEquals(4, realm.get("extensible-measurements").size());
        assertEquals("P-384", realm.get("public-key").get("crv").asText());
        assertEquals("sha-256", realm.get("hash-algo-id").asText());
        assertEquals(RealmToken.PROFILE, realm.get("profile").asText());
        JsonNode plat = j.get("platform-token").get("claims");
        assertEquals(PlatformAttestation.PROFILE, plat.get("profile").asText());
        assertEquals("0x3000 (secured)", plat.get("lifecycle").asText());
        assertEquals("RMM", plat.get("sw-components").get(1).get("measurement-type").asText());
        assertEquals("ES384", j.get("platform-token").get("alg").asText());
    }

    @Test
    void verifyChecksBothSignaturesAndTheBinding() throws Exception {
        PlatformAttestation pa = PlatformAttestation.generated();
        Path f = dir.resolve("token.cbor");
        Files.write(f, token(pa));
        Path pub = dir.resolve("platform.pub.pem");
        Files.writeString(pub, Pem.publicPem(pa.platformPublicKey()));
        Path priv = dir.resolve("platform.pem");
        Files.writeString(priv, Pem.privatePem(pa.platformKey()));

        CliRunner noKey = CliRunner.run("token", "verify", f.toString());
        assertEquals(1, noKey.exit(), "a platform signature not checked is not a verified token: " + noKey.out());
        assertTrue(noKey.out().contains("realm token signature:    OK"), noKey.out());
        assertTrue(noKey.out().contains("platform-realm binding:   OK"), noKey.out());
        assertTrue(noKey.out().contains("platform token signature: NOT CHECKED"), noKey.out());
        assertTrue(noKey.out().contains("token NOT verified: the platform signature was not checked"), noKey.out());

        CliRunner skip = CliRunner.run("token", "verify", f.toString(), "--no-platform-check");
        assertEquals(0, skip.exit(), skip.out() + skip.err());
        assertTrue(skip.out().contains("token verified (without the platform signature)"), skip.out());
        CliRunner both = CliRunner.run("token", "verify", f.toString(), "--no-platform-check", "--platform-key",
                pub.toString());
        assertEquals(2, both.exit(), both.err());

        for (Path key : new Path[] {pub, priv}) {
            CliRunner r = CliRunner.run("token", "verify", f.toString(), "--platform-key", key.toString());
            assertEquals(0, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("platform token signature: OK"), r.out());
        }

        Path other = dir.resolve("other.pem");
        Files.writeString(other, Pem.publicPem(PlatformAttestation.generated().platformPublicKey()));
        CliRunner wrong = CliRunner.run("token", "verify", f.toString(), "--platform-key", other.toString());
        assertEquals(1, wrong.exit());
        assertTrue(wrong.out().contains("platform token signature: FAILED"), wrong.out());
    }

    @Test
    void tokensFromDifferentPlatformsAreNotBound() throws Exception {
        byte[] a = token(PlatformAttestation.generated());
        byte[] b = token(PlatformAttestation.generated());
        // Splice b's realm token into a's collection: the realm signature holds, the binding does not.
        JsonNode ja = new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper().readTree(a);
        JsonNode jb = new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper().readTree(b);
        byte[] spliced = RealmToken.ccaToken(ja.get("44234").binaryValue(), jb.get("44241").binaryValue());
        Path f = dir.resolve("spliced.cbor");
        Files.write(f, spliced);
        CliRunner r = CliRunner.run("token", "verify", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("realm token signature:    OK"), r.out());
        assertTrue(r.out().contains("platform-realm binding:   FAILED"), r.out());
    }

    @Test
    void tamperedRealmClaimsFailTheSignature() throws Exception {
        byte[] t = token(PlatformAttestation.generated());
        // Flip one byte of the challenge (64 bytes of 0x5A inside the realm claims).
        String hex = java.util.HexFormat.of().formatHex(t);
        int at = hex.indexOf("5a".repeat(64)) / 2;
        t[at + 10] ^= 1;
        Path f = dir.resolve("t.cbor");
        Files.write(f, t);
        CliRunner r = CliRunner.run("token", "verify", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("realm token signature:    FAILED"), r.out());
    }

    @Test
    void trailingBytesAfterTheTokenAreRefused() throws Exception {
        PlatformAttestation pa = PlatformAttestation.generated();
        byte[] t = token(pa);
        Path f = dir.resolve("trailing.cbor");
        Files.write(f, java.util.Arrays.copyOf(t, t.length + 1));
        CliRunner r = CliRunner.run("token", "verify", f.toString(), "--no-platform-check");
        assertEquals(1, r.exit(), r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("trailing"), r.err());
    }

    /**
     * The acceptance of --measurement-algo and --realm-pv: the embedded guest's token, written by cca run
     * --token-out, carries the RPV, "sha-512", the 64-byte RIM the summary shows and the --challenge, and verifies
     * with the platform key of --attestation-keys.
     */
    @Test
    void tokenFromRunCarriesTheChallengeRpvAndSha512AndVerifies() throws Exception {
        Path keys = dir.resolve("keys");
        Path out = dir.resolve("t.cbor");
        String challenge = "c0ffee".repeat(21) + "00";
        CliRunner run = CliRunner.run("run", "--measurement-algo", "sha512", "--realm-pv", MeasureCommandTest.RPV,
                "--challenge", challenge, "--token-out", out.toString(), "--attestation-keys", keys.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("Attestation token: "), run.out());
        java.util.regex.Matcher rim = java.util.regex.Pattern.compile("RIM \\(SHA-512\\): ([0-9a-f]{128})")
                .matcher(run.err());
        assertTrue(rim.find(), run.err());
        assertTrue(run.err().contains("bytes from the realm, written to " + out), run.err());

        CliRunner show = CliRunner.run("token", "show", out.toString());
        assertEquals(0, show.exit(), show.err());
        JsonNode realm = new ObjectMapper().readTree(show.out()).get("realm-token").get("claims");
        assertEquals(MeasureCommandTest.RPV, realm.get("personalization-value").asText());
        assertEquals("sha-512", realm.get("hash-algo-id").asText());
        assertEquals(rim.group(1), realm.get("initial-measurement").asText());
        assertEquals(challenge, realm.get("challenge").asText());

        CliRunner v = CliRunner.run("token", "verify", out.toString(), "--platform-key",
                keys.resolve(PlatformAttestation.CPAK_PUBLIC_FILE).toString());
        assertEquals(0, v.exit(), v.out() + v.err());
        assertTrue(v.out().contains("token verified"), v.out());
    }

    @Test
    void eachRunGetsAFreshRandomChallengeUnlessOneIsGiven() throws Exception {
        Path a = dir.resolve("a.cbor");
        Path b = dir.resolve("b.cbor");
        assertEquals(0, CliRunner.run("run", "--token-out", a.toString()).exit());
        assertEquals(0, CliRunner.run("run", "--token-out", b.toString()).exit());
        ObjectMapper m = new ObjectMapper();
        String ca = m.readTree(CliRunner.run("token", "show", a.toString()).out()).get("realm-token").get("claims")
                .get("challenge").asText();
        String cb = m.readTree(CliRunner.run("token", "show", b.toString()).out()).get("realm-token").get("claims")
                .get("challenge").asText();
        assertEquals(128, ca.length());
        assertTrue(!ca.equals(cb), "random challenges differ");
        CliRunner bad = CliRunner.run("run", "--challenge", "xyz");
        assertEquals(2, bad.exit(), bad.err());
        CliRunner none = CliRunner.run("run", "--realm", "-k", RunCommandTest.HELLO.toString(), "--token-out",
                dir.resolve("none/x.cbor").toString());
        assertEquals(1, none.exit(), "an unwritable --token-out fails the run: " + none.err());
        assertTrue(none.err().contains("--token-out"), none.err());
    }

    @Test
    void malformedFilesAreOneLineErrorsNamingTheProblem() throws Exception {
        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        Path garbage = dir.resolve("garbage");
        Files.write(garbage, new byte[] {(byte) 0xFF, 0x12, 0x34});
        Path sign1 = dir.resolve("sign1");
        Files.write(sign1, Cose.sign1(new byte[] {(byte) 0xA0}, PlatformAttestation.generated().platformKey()));
        Path truncated = dir.resolve("truncated");
        byte[] t = token(PlatformAttestation.generated());
        Files.write(truncated, java.util.Arrays.copyOf(t, t.length / 2));
        String[][] cases = {
            {empty.toString(), "empty"},
            {garbage.toString(), "CBOR"},
            {sign1.toString(), "tag 18"},
            {truncated.toString(), "CBOR"},
            {dir.resolve("missing").toString(), "no such file"},
        };
        for (String[] c : cases) {
            for (String sub : new String[] {"show", "verify"}) {
                CliRunner r = CliRunner.run("token", sub, c[0]);
                assertEquals(1, r.exit(), sub + " " + c[0]);
                String err = r.err().strip();
                assertEquals(1, err.lines().count(), err);
                assertTrue(err.contains(c[1]), err + " should mention " + c[1]);
            }
        }
    }

    @Test
    void runCreatesAttestationKeysOnceThenReusesThemAndRejectsBadKeyFiles() throws Exception {
        Path keys = dir.resolve("keys");
        CliRunner first = CliRunner.run("run", "--attestation-keys", keys.toString());
        assertEquals(0, first.exit(), first.err());
        Path pub = keys.resolve(PlatformAttestation.CPAK_PUBLIC_FILE);
        String created = Files.readString(pub);
        PlatformAttestation loaded = PlatformAttestation.fromDirectory(keys);
        assertEquals(created, Pem.publicPem(loaded.platformPublicKey()), "the same keys come back from the files");
        // A token made with the loaded keys verifies against the public key file the first run wrote.
        Path f = dir.resolve("token.cbor");
        Files.write(f, token(loaded));
        CliRunner v = CliRunner.run("token", "verify", f.toString(), "--platform-key", pub.toString());
        assertEquals(0, v.exit(), v.out() + v.err());

        Files.writeString(keys.resolve(PlatformAttestation.RAK_FILE), "not a key\n");
        CliRunner bad = CliRunner.run("run", "--attestation-keys", keys.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains(PlatformAttestation.RAK_FILE) && bad.err().contains("PEM"), bad.err());
    }
}
