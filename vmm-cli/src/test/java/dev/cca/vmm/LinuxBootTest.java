package dev.cca.vmm;

import dev.cca.vmm.initramfs.Initramfs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boots Debian's arm64 kernel with a busybox initramfs as a normal VM and as a realm through cca run: /init runs,
 * prints its marker and the output of its commands, and powers off. Runs only with -Plinux-boot; fetches the kernel with
 * src-test-images/linux/fetch.sh and is skipped with the reason when that is impossible.
 */
@Tag("linux")
class LinuxBootTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    /**
     * The kernel cache (vmlinuz, busybox, modules/VERSION, fetched with fetch.sh if missing) with a fresh
     * initramfs.cpio built in this JVM: busybox, the default /init, configfs, tsm_report and arm-cca-guest.
     */
    static Path prepare() throws Exception {
        Path cache = fetched(cacheDir("cca.linux.cache", "CCA_LINUX_CACHE", "build-cache/linux"), "cloud-arm64");
        synchronized (LinuxBootTest.class) {
            if (!initramfsBuilt) {
                // Rebuilt once per JVM (an older cache may hold one without modules), written atomically.
                Path tmp = cache.resolve("initramfs.cpio.tmp" + ProcessHandle.current().pid());
                CliRunner r = CliRunner.run("initramfs", "--busybox", cache.resolve("busybox").toString(),
                        "--modules", modules(cache).toString(), "-o", tmp.toString());
                assertEquals(0, r.exit(), "cca initramfs: " + r.err());
                Files.move(tmp, cache.resolve("initramfs.cpio"), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                initramfsBuilt = true;
            }
        }
        return cache;
    }

    private static boolean initramfsBuilt;

    /** The cache directory a system property, else an environment variable, else REPO/fallback names. */
    static Path cacheDir(String property, String env, String fallback) {
        String e = System.getenv(env);
        return Path.of(System.getProperty(property, e != null ? e : REPO.resolve(fallback).toString()))
                .toAbsolutePath();
    }

    /**
     * cache with Debian's kernel of the given flavour (cloud-arm64, or arm64 for the generic kernel), its module
     * tree and busybox, fetched with fetch.sh (without its initramfs) when missing; skips the test with the reason
     * when that is impossible.
     */
    static Path fetched(Path cache, String flavour) throws Exception {
        if (!Files.exists(cache.resolve("vmlinuz")) || !Files.exists(cache.resolve("busybox"))
                || modules(cache) == null) {
            ProcessBuilder pb = new ProcessBuilder("sh", REPO.resolve("src-test-images/linux/fetch.sh").toString(),
                    cache.toString()).redirectErrorStream(true);
            pb.environment().put("CCA_FETCH_NO_INITRAMFS", "1"); // built by the caller, in this JVM
            pb.environment().put("CCA_LINUX_FLAVOUR", flavour);
            String log;
            boolean done;
            try {
                Process p = pb.start();
                log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                done = p.waitFor(15, TimeUnit.MINUTES) && p.exitValue() == 0;
            } catch (java.io.IOException e) {
                log = e.toString();
                done = false;
            }
            Assumptions.assumeTrue(done && modules(cache) != null,
                    "could not fetch Debian's " + flavour + " kernel with src-test-images/linux/fetch.sh:\n" + log);
        }
        return cache;
    }

    /** cache/modules/VERSION, the kernel's module tree, or null if fetch.sh has not unpacked it. */
    static Path modules(Path cache) throws IOException {
        Path v = cache.resolve("kernel-version");
        if (!Files.isRegularFile(v)) {
            return null;
        }
        Path m = cache.resolve("modules").resolve(Files.readString(v).trim());
        return Files.isDirectory(m.resolve("kernel")) ? m : null;
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
        assertEquals(documentedHwcaps(), cpuinfoFeatures(r.out()),
                "/proc/cpuinfo's Features line vs the \"Linux hwcaps\" line of docs/cpu-features.md");
        assertTrue(r.out().contains(PMU_PROBED), "Linux's PMU driver probed the vCPU's PMUv3; console in "
                + cache.resolve("last-boot.log"));
    }

    /** What Linux's arm_pmuv3 driver prints when it found the 6 event counters and the cycle counter. */
    static final String PMU_PROBED = "hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 (0,8000003f) counters available";

    /**
     * The same kernel and initramfs in a realm, on 1 and 4 vCPUs: the in-kernel vGIC at the unprotected alias,
     * timer and IPIs through the RMM, /init runs and the realm powers off; every vCPU is up and the console has no
     * oops, lockup or RCU stall report.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void debianKernelBootsInARealmOnOneAndFourVcpus() throws Exception {
        Path cache = prepare();
        for (int cpus : new int[] {1, 4}) {
            CliRunner r = CliRunner.run("run", "--realm", "--kernel", cache.resolve("vmlinuz").toString(),
                    "--initrd", cache.resolve("initramfs.cpio").toString(), "--params", "console=ttyAMA0",
                    "--mem", "512", "--cpus", Integer.toString(cpus), "--timeout", "50m");
            Path log = cache.resolve("last-realm-boot-" + cpus + ".log");
            Files.writeString(log, r.out() + "\n--- stderr ---\n" + r.err());
            String out = r.out();
            assertTrue(out.contains(Initramfs.MARKER), "no /init marker; console in " + log);
            assertTrue(out.contains(Initramfs.DONE), "/init finished; console in " + log);
            assertEquals(0, r.exit(), "the realm powered off cleanly: " + r.err());
            for (int i = 0; i < cpus; i++) {
                assertTrue(out.contains("processor\t: " + i), "CPU " + i + " in /proc/cpuinfo; console in " + log);
            }
            assertTrue(out.contains(PMU_PROBED), "the realm's PMU (RMM pmu_ena) probed; console in " + log);
            for (String bad : new String[] {"Oops", "hard LOCKUP", "self-detected stall", "no distributor"}) {
                assertTrue(!out.contains(bad), "\"" + bad + "\" on the console; console in " + log);
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void benchTimesTheBootToInitAndToPowerOffAsNormalVmAndRealm() throws Exception {
        Path cache = prepare();
        CliRunner r = CliRunner.run("bench", "--only", "linux", "--no-qemu", "--kernel",
                cache.resolve("vmlinuz").toString(), "--initrd", cache.resolve("initramfs.cpio").toString(),
                "--timeout", "50m");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*\n  cca \\(normal VM, --engine (interp|jit)\\) +[0-9.]+ s +[0-9.]+ s .*G guest instructions.*"),
                r.out());
        assertTrue(r.out().matches("(?s).*\n  cca \\(realm, --engine (interp|jit)\\) +[0-9.]+ s +[0-9.]+ s .*G guest instructions.*"),
                r.out());
        assertTrue(r.out().matches("(?s).*\n  boot to /init, realm / normal VM \\(--engine (interp|jit)\\): [0-9.]+x\n.*"), r.out());
    }

    /** The hwcaps docs/cpu-features.md says Linux sees (its machine-checked "Linux hwcaps: `...`" line). */
    static List<String> documentedHwcaps() throws IOException {
        Path doc = REPO.resolve("docs/cpu-features.md");
        Matcher m = Pattern.compile("(?m)^Linux hwcaps: `([a-z0-9 ]+)`$").matcher(Files.readString(doc));
        assertTrue(m.find(), doc + " has no \"Linux hwcaps: `...`\" line");
        return List.of(m.group(1).trim().split(" +"));
    }

    /** The Features line of the first processor in the guest's /proc/cpuinfo, as printed on the console. */
    static List<String> cpuinfoFeatures(String console) {
        Matcher m = Pattern.compile("(?m)^Features\\s*: ?(.*?)\\s*$").matcher(console.replace("\r", ""));
        assertTrue(m.find(), "no Features line from cat /proc/cpuinfo");
        return List.of(m.group(1).trim().split(" +"));
    }
}
