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
        return build(busybox, init, java.util.Map.of());
    }

    /**
     * The same with extra files (guest path to contents, for example kernel modules under /lib/modules), each
     * mode 0644, their directories created 0755.
     */
    public static byte[] build(byte[] busybox, String init, java.util.Map<String, byte[]> extra) {
        Cpio c = base(busybox, init);
        java.util.Set<String> dirs = new java.util.TreeSet<>();
        for (String path : extra.keySet()) {
            for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
                dirs.add(path.substring(0, i));
            }
        }
        for (String d : dirs) {
            if (!java.util.Set.of("/bin", "/dev", "/proc", "/sys", "/tmp", "/root").contains(d)) {
                c.dir(d, 0755);
            }
        }
        for (java.util.Map.Entry<String, byte[]> e : new java.util.TreeMap<>(extra).entrySet()) {
            c.file(e.getKey(), 0644, e.getValue());
        }
        return c.finish();
    }

    private static Cpio base(byte[] busybox, String init) {
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
            .file("/init", 0755, init.getBytes(StandardCharsets.UTF_8));
    }
}
