package dev.cca.vmm;

import dev.cca.vmm.initramfs.Initramfs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A busybox shell on Debian's kernel, typed at through cca run's standard input (a pipe), as a user or a script
 * would: commands run, their output comes back, and standard output carries the guest's console and nothing
 * else. Runs only with -Plinux-boot.
 */
@Tag("linux")
class LinuxShellTest {
    static final long BOOT_SECONDS = 50 * 60;

    /** A run of the initramfs with cca.shell, waiting at the shell. */
    static CcaSubprocess shell(Path cache, String... extra) throws Exception {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run",
                "--kernel", cache.resolve("vmlinuz").toString(), "--initrd", cache.resolve("initramfs.cpio").toString(),
                "--params", "console=ttyAMA0 cca.shell", "--mem", "512", "--timeout", "50m"));
        args.addAll(java.util.List.of(extra));
        CcaSubprocess cca = new CcaSubprocess(args.toArray(new String[0]));
        cca.await("^" + java.util.regex.Pattern.quote(Initramfs.SHELL) + "$", 0, BOOT_SECONDS);
        return cca;
    }

    /** Types a command and returns the first match of {@code expect} in what follows. */
    static Matcher command(CcaSubprocess cca, String line, String expect) throws Exception {
        int from = cca.out().length();
        cca.type(line + "\n");
        return cca.await(expect, from, 600);
    }

    /** `exit` ends the shell, /init powers off: exit status 0, and the two streams hold what they should. */
    static void exitAndCheckStreams(CcaSubprocess cca) throws Exception {
        cca.type("exit\n");
        assertEquals(0, cca.waitFor(600), cca.err());
        String out = cca.out();
        assertTrue(out.startsWith("[    0.000000] Booting Linux on physical CPU"),
                "standard output starts with the kernel's first console line:\n" + CcaSubprocess.tail(out));
        assertTrue(out.contains(Initramfs.DONE), "/init went on after the shell");
        for (String own : new String[] {"cca run summary", "ended:", "instructions:", "wall time:", "cca:"}) {
            assertFalse(out.contains(own), "'" + own + "' on standard output, which is the guest's console only");
        }
        Matcher log = java.util.regex.Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (ERROR|WARN|INFO|DEBUG) ")
                .matcher(out);
        assertFalse(log.find(), "a log line of cca's on standard output");
        assertTrue(cca.err().contains("--- cca run summary ---") && cca.err().contains(
                "ended:        guest powered off"), "the summary is on standard error: " + cca.err());
    }

    static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void normalVmShellRunsTypedCommandsAndComputesBusyboxsSha256() throws Exception {
        Path cache = LinuxBootTest.prepare();
        try (CcaSubprocess cca = shell(cache)) {
            command(cca, "echo $((6*7))", "^42$");
            Matcher sum = command(cca, "sha256sum /bin/busybox", "^([0-9a-f]{64})  /bin/busybox$");
            assertEquals(sha256(cache.resolve("busybox")), sum.group(1), "the guest's sha256 of its busybox");
            command(cca, "grep -c ^processor /proc/cpuinfo", "^1$");
            exitAndCheckStreams(cca);
        }
    }
}
