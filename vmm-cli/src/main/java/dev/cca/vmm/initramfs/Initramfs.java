package dev.cca.vmm.initramfs;

import java.nio.charset.StandardCharsets;

/**
 * A minimal initramfs around a static busybox: /init is a shell script run by busybox; /dev/console exists so the
 * kernel can give init a console before devtmpfs is mounted.
 */
public final class Initramfs {
    private Initramfs() {
    }

    public static final String MARKER = "CCA-INIT: /init is running";
    public static final String DONE = "CCA-INIT: done";

    /** The default /init: prints a marker, runs a few commands, powers off. */
    public static String defaultInit() {
        return String.join("\n",
            "#!/bin/busybox sh",
            "/bin/busybox mkdir -p /proc /sys /tmp",
            "/bin/busybox mount -t proc proc /proc",
            "/bin/busybox mount -t sysfs sysfs /sys",
            "/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null",
            "/bin/busybox --install -s /bin",
            "echo '" + MARKER + "'",
            "echo '$ uname -a'; uname -a",
            "echo '$ cat /proc/cpuinfo'; cat /proc/cpuinfo",
            "echo '$ mount'; mount",
            "echo '$ ls /'; ls /",
            "echo '" + DONE + "'",
            "poweroff -f",
            "");
    }

    /** Builds the archive: directories, busybox at /bin/busybox, /bin/sh, /init, /dev/console. */
    public static byte[] build(byte[] busybox, String init) {
        return new Cpio()
            .dir("/bin", 0755)
            .dir("/dev", 0755)
            .dir("/proc", 0755)
            .dir("/sys", 0755)
            .dir("/tmp", 01777)
            .dir("/root", 0700)
            .charDevice("/dev/console", 0600, 5, 1)
            .charDevice("/dev/null", 0666, 1, 3)
            .file("/bin/busybox", 0755, busybox)
            .symlink("/bin/sh", "busybox")
            .file("/init", 0755, init.getBytes(StandardCharsets.UTF_8))
            .finish();
    }
}
