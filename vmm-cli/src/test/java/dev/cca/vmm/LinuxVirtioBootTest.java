package dev.cca.vmm;

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
 * Debian's generic arm64 kernel (the cloud kernel has no 9P) with its root file system on a virtio-blk disk
 * (src-test-images/linux/rootfs.sh): the initramfs loads virtio_blk, virtio-rng, ext4 and 9p and switches root to
 * the ext4 disk, whose /sbin/init lists the PCI functions, reads the disk, reads /dev/hwrng, writes a file that the
 * host then finds in the image, mounts a --9p share, prints the file the host put there and writes one back that
 * the host then finds in the shared directory. The kernel comes from fetch.sh with CCA_LINUX_FLAVOUR=arm64 into
 * build-cache/linux-generic (or CCA_LINUX_GENERIC_CACHE); skipped with the reason when it cannot be fetched.
 * Runs only with -Plinux-boot.
 */
@Tag("linux")
class LinuxVirtioBootTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void debianKernelMountsItsRootFromVirtioBlkReadsVirtioRngAndShares9pFiles() throws Exception {
        boot(false);
    }

    /**
     * The same in a realm: the devices offer VIRTIO_F_ACCESS_PLATFORM, the guest bounces DMA through its swiotlb
     * (sized on the command line: the kernel would size it at 1 MiB per GiB of RAM, too small for virtio-blk).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void realmMountsItsRootFromVirtioBlkReadsVirtioRngAndShares9pFilesThroughSharedMemory() throws Exception {
        boot(true);
    }

    private void boot(boolean realm) throws Exception {
        Path cache = LinuxBootTest.fetched(LinuxBootTest.cacheDir("cca.linux.generic.cache",
                "CCA_LINUX_GENERIC_CACHE", "build-cache/linux-generic"), "arm64");
        String kver = Files.readString(cache.resolve("kernel-version")).strip();
        String deb = System.getenv("CCA_LINUX_MODULES_DEB");
        Path tree = cache.resolve("modules").resolve(kver);
        Path work = Files.createTempDirectory("cca-rootfs");
        for (String f : new String[] {"busybox", "kernel-version"}) {
            Files.copy(cache.resolve(f), work.resolve(f));
        }
        if (deb == null) {
            Files.createDirectories(work.resolve("modules"));
            Files.createSymbolicLink(work.resolve("modules").resolve(kver), tree);
        }
        ProcessBuilder pb = new ProcessBuilder("sh", LinuxBootTest.REPO.resolve("src-test-images/linux/rootfs.sh")
                .toString(), work.toString()).redirectErrorStream(true);
        if (deb != null) {
            pb.environment().put("CCA_LINUX_MODULES_DEB", deb);
        }
        pb.environment().put("CCA_CLI", Path.of(System.getProperty("java.home"), "bin", "java") + " -cp "
                + System.getProperty("java.class.path") + " dev.cca.vmm.Main");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean built = p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0;
        Assumptions.assumeTrue(built || !log.contains("not found"), "rootfs.sh needs a tool: " + log);
        assertTrue(built, "rootfs.sh failed:\n" + log);

        Path disk = work.resolve("rootfs.ext4");
        Path share = Files.createTempDirectory("cca-9p-share");
        String fromHost = "put there by the host " + System.nanoTime();
        Files.writeString(share.resolve("from-host"), fromHost + "\n");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run", "-k",
                cache.resolve("vmlinuz").toString(), "-i", work.resolve("initramfs-rootfs.cpio").toString(), "-p",
                realm ? "console=ttyAMA0 swiotlb=8192" : "console=ttyAMA0", "-m", "256", "-d", disk.toString(),
                "--rng", "--9p", share + ",hostshare", "--timeout", "50m"));
        if (realm) {
            args.add("--realm");
        }
        CliRunner r = CliRunner.run(args.toArray(new String[0]));
        Files.writeString(cache.resolve(realm ? "last-virtio-realm-boot.log" : "last-virtio-boot.log"),
                r.out() + "\n--- stderr ---\n" + r.err());
        String out = r.out();
        assertTrue(out.contains("CCA-ROOTFS: / is /dev/vda ext4"), out);
        assertTrue(out.contains("0000:00:00.0 0x1af4:0x1042 class 0x018000 driver virtio-pci"), out);
        assertTrue(out.contains("0000:00:01.0 0x1af4:0x1044 class 0xff0000 driver virtio-pci"), out);
        assertTrue(out.contains("CCA-ROOTFS: this file is on the virtio-blk disk"), out);
        assertTrue(out.contains("virtio_rng.0"), "hwrng is virtio-rng: " + out);
        assertTrue(out.matches("(?s).*\\$ head -c 16 /dev/hwrng[^\n]*\n( [0-9a-f]{2}){16}\r?\n.*"), out);
        assertTrue(out.contains("0000:00:02.0 0x1af4:0x1049 class 0x028000 driver virtio-pci"), "virtio-9p: " + out);
        assertTrue(out.contains("$ cat /mnt/from-host\n" + fromHost) || out.contains("$ cat /mnt/from-host\r\n"
                + fromHost), "the guest read the host's file over 9p: " + out);
        assertTrue(out.contains("CCA-ROOTFS: wrote /mnt/written-by-guest"), out);
        assertEquals("written by the guest over 9p\n", Files.readString(share.resolve("written-by-guest")),
                "the host sees the guest's file in the shared directory");
        assertTrue(out.contains("CCA-ROOTFS: done"), out);
        assertEquals(0, r.exit(), r.err());
        // The guest's write reached the image: read it back with debugfs when the host has it.
        try {
            Process d = new ProcessBuilder("debugfs", "-R", "cat /root/written-by-guest", disk.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String file = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            d.waitFor(60, TimeUnit.SECONDS);
            assertTrue(file.startsWith("written by the guest at "), file);
        } catch (java.io.IOException e) {
            Assumptions.abort("debugfs (e2fsprogs) is not installed: cannot read the image back");
        }
    }
}
