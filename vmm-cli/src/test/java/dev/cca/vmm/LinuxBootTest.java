package dev.cca.vmm;

import dev.cca.vmm.initramfs.Initramfs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boots Debian's arm64 kernel with a busybox initramfs as a normal VM through cca run: /init runs, prints its
 * marker and the output of its commands, and powers off. Runs only with -Plinux-boot; fetches the kernel with
 * src-test-images/linux/fetch.sh and is skipped with the reason when that is impossible.
 */
@Tag("linux")
class LinuxBootTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    static Path prepare() throws Exception {
        Path cache = Path.of(System.getProperty("cca.linux.cache", REPO.resolve("build-cache/linux").toString()));
        if (!Files.exists(cache.resolve("vmlinuz")) || !Files.exists(cache.resolve("initramfs.cpio"))) {
            Process p = new ProcessBuilder("sh", REPO.resolve("src-test-images/linux/fetch.sh").toString(),
                    cache.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = p.waitFor(15, TimeUnit.MINUTES);
            Assumptions.assumeTrue(done && p.exitValue() == 0,
                    "could not fetch Debian's kernel with src-test-images/linux/fetch.sh:\n" + log);
        }
        return cache;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void debianKernelBootsToInitRunsItsCommandsAndPowersOff() throws Exception {
        Path cache = prepare();
        CliRunner r = CliRunner.run("run", "--kernel", cache.resolve("vmlinuz").toString(),
                "--initrd", cache.resolve("initramfs.cpio").toString(), "--params", "console=ttyAMA0",
                "--mem", "512", "--timeout", "50m");
        Files.writeString(cache.resolve("last-boot.log"), r.out() + "\n--- stderr ---\n" + r.err());
        assertTrue(r.out().contains(Initramfs.MARKER), "no /init marker; console in " + cache.resolve("last-boot.log"));
        assertTrue(r.out().contains("Linux (none) "), "uname -a ran");
        assertTrue(r.out().contains("processor\t: 0"), "cat /proc/cpuinfo ran");
        assertTrue(r.out().contains(Initramfs.DONE), "/init finished");
        assertEquals(0, r.exit(), "powered off cleanly: " + r.err());
    }
}
