package dev.cca.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.initramfs.Initramfs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's unmodified kernel as a realm: boots to /init and powers off on 1 and 4 vCPUs without oops, lockup or
 * stall reports; its busybox shell is typed at through standard input; busybox computes the same SHA-256 of itself
 * as in a normal VM; and the realm gets an attestation token through configfs-tsm (the arm-cca-guest driver) that
 * verifies against the run's platform key, carries the challenge it wrote and the run's RIM. Runs only with
 * -Plinux-boot.
 */
@Tag("linux")
class LinuxRealmTest {
    /** What must never appear on a healthy boot's console. */
    static final Pattern TROUBLE = Pattern.compile(
            "Oops|hard LOCKUP|soft lockup|self-detected stall|BUG:|Kernel panic|Internal error|WARNING: CPU");

    @ParameterizedTest(name = "{0} vCPU(s)")
    @ValueSource(ints = {1, 4})
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void realmBootsToInitAndPowersOff(int cpus) throws Exception {
        Path cache = LinuxBootTest.prepare();
        CliRunner r = CliRunner.run("run", "--realm", "--kernel", cache.resolve("vmlinuz").toString(),
                "--initrd", cache.resolve("initramfs.cpio").toString(), "--params", "console=ttyAMA0",
                "--mem", "512", "--cpus", Integer.toString(cpus), "--timeout", "50m");
        Path log = cache.resolve("last-realm-boot-" + cpus + ".log");
        Files.writeString(log, r.out() + "\n--- stderr ---\n" + r.err());
        assertTrue(r.out().contains(Initramfs.MARKER), "no /init marker; console in " + log);
        assertTrue(r.out().contains(Initramfs.DONE), "/init finished; console in " + log);
        assertEquals(0, r.exit(), "powered off cleanly: " + r.err());
        assertTrue(r.err().contains("RIM (SHA-256): "), "a realm: " + r.err());
        String console = r.out().replace("\r", "");
        assertEquals(cpus, Pattern.compile("(?m)^processor\t: \\d+$").matcher(console).results().count(),
                "/proc/cpuinfo lists every vCPU; console in " + log);
        Matcher trouble = TROUBLE.matcher(console);
        assertFalse(trouble.find(), () -> "'" + trouble.group() + "' on the console; see " + log);
        assertFalse(console.contains("insmod arm_cca_guest failed"), "arm-cca-guest binds in a realm; see " + log);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void realmShellRunsTypedCommandsAndAttestsThroughConfigfsTsm(@TempDir Path dir) throws Exception {
        Path cache = LinuxBootTest.prepare();
        Path keys = dir.resolve("keys");
        byte[] challenge = new byte[64];
        new SecureRandom().nextBytes(challenge);
        String hex = HexFormat.of().formatHex(challenge);
        String tokenHex;
        String err;
        try (CcaSubprocess cca = LinuxShellTest.shell(cache, "--realm", "--attestation-keys", keys.toString())) {
            LinuxShellTest.command(cca, "echo $((6*7))", "^42$");
            Matcher sum = LinuxShellTest.command(cca, "sha256sum /bin/busybox", "^([0-9a-f]{64})  /bin/busybox$");
            assertEquals(LinuxShellTest.sha256(cache.resolve("busybox")), sum.group(1),
                    "the same SHA-256 as the host's, and so as the normal VM's (LinuxShellTest)");
            Matcher token = LinuxShellTest.command(cca, "cca-attest " + hex,
                    "^" + Initramfs.TOKEN_BEGIN + "\n([0-9a-f\n]+)" + Initramfs.TOKEN_END + "$");
            tokenHex = token.group(1).replace("\n", "");
            LinuxShellTest.exitAndCheckStreams(cca);
            err = cca.err();
        }
        Path tokenFile = dir.resolve("token.cbor");
        Files.write(tokenFile, HexFormat.of().parseHex(tokenHex));

        CliRunner v = CliRunner.run("token", "verify", tokenFile.toString(), "--platform-key",
                keys.resolve(PlatformAttestation.CPAK_PUBLIC_FILE).toString());
        assertEquals(0, v.exit(), v.out() + v.err());
        assertTrue(v.out().contains("realm token signature:    OK"), v.out());
        assertTrue(v.out().contains("platform-realm binding:   OK"), v.out());
        assertTrue(v.out().contains("platform token signature: OK"), v.out());

        CliRunner show = CliRunner.run("token", "show", tokenFile.toString());
        assertEquals(0, show.exit(), show.err());
        JsonNode claims = new ObjectMapper().readTree(show.out()).path("realm-token").path("claims");
        assertEquals(hex, claims.path("challenge").asText(), "the realm challenge is what the guest wrote");
        Matcher rim = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]{64})").matcher(err);
        assertTrue(rim.find(), err);
        assertEquals(rim.group(1), claims.path("initial-measurement").asText(), "the token's RIM is the run's");
    }
}
