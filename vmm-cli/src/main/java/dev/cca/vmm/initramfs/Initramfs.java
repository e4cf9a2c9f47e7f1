package dev.cca.vmm.initramfs;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A minimal initramfs around a static busybox: /init is a shell script run by busybox; /dev/console exists so the
 * kernel can give init a console before devtmpfs is mounted. Kernel modules, if any, are in /lib/modules with the
 * order to load them in /lib/modules/load; /bin/cca-attest asks for an attestation token through configfs-tsm.
 */
public final class Initramfs {
    private Initramfs() {
    }

    public static final String MARKER = "CCA-INIT: /init is running";
    public static final String SHELL = "CCA-INIT: shell (exit or poweroff -f to end)";
    public static final String DONE = "CCA-INIT: done";
    public static final String TOKEN_BEGIN = "CCA-TOKEN-BEGIN", TOKEN_END = "CCA-TOKEN-END";

    /**
     * The default /init: loads the modules, mounts configfs, prints a marker, runs a few commands; with
     * {@code cca.shell} on the kernel command line it then starts an interactive shell on the console; then it
     * powers off.
     */
    public static String defaultInit() {
        return String.join("\n",
            "#!/bin/busybox sh",
            "/bin/busybox mkdir -p /proc /sys /tmp",
            "/bin/busybox mount -t proc proc /proc",
            "/bin/busybox mount -t sysfs sysfs /sys",
            "/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null",
            "/bin/busybox --install -s /bin",
            "if [ -f /lib/modules/load ]; then",
            "    for m in $(cat /lib/modules/load); do",
            "        insmod /lib/modules/$m.ko || echo \"CCA-INIT: insmod $m failed\"",
            "    done",
            "fi",
            "[ -d /sys/kernel/config ] && mount -t configfs configfs /sys/kernel/config",
            "echo '" + MARKER + "'",
            "echo '$ uname -a'; uname -a",
            "echo '$ cat /proc/cpuinfo'; cat /proc/cpuinfo",
            "echo '$ mount'; mount",
            "echo '$ ls /'; ls /",
            "case \" $(cat /proc/cmdline) \" in",
            "    *' cca.shell '*)",
            "        echo '" + SHELL + "'",
            "        setsid cttyhack sh",
            "        ;;",
            "esac",
            "echo '" + DONE + "'",
            "poweroff -f",
            "");
    }

    /**
     * /bin/cca-attest HEX: writes the 64-byte challenge HEX (128 hex digits) to a new configfs-tsm report's
     * inblob, reads outblob (the attestation token, a CCA token as CBOR) and prints it in hex between
     * {@link #TOKEN_BEGIN} and {@link #TOKEN_END} lines.
     */
    public static String attestScript() {
        return String.join("\n",
            "#!/bin/sh",
            "# cca-attest HEX: an attestation token for the 64-byte challenge HEX (128 hex digits), in hex.",
            "case \"$1\" in",
            "    *[!0-9a-fA-F]*|'') echo 'usage: cca-attest HEX (128 hex digits: the 64-byte challenge)' >&2; exit 2 ;;",
            "esac",
            "[ ${#1} -eq 128 ] || { echo 'cca-attest: the challenge must be 64 bytes (128 hex digits)' >&2; exit 2; }",
            "tsm=/sys/kernel/config/tsm/report",
            "[ -d $tsm ] || { echo \"cca-attest: no $tsm (configfs, tsm_report, arm-cca-guest loaded?)\" >&2; exit 1; }",
            "r=$tsm/cca-attest.$$",
            "mkdir $r || exit 1",
            "echo \"$1\" | xxd -r -p > $r/inblob",
            "echo '" + TOKEN_BEGIN + "'",
            "xxd -p $r/outblob",
            "status=$?",
            "echo '" + TOKEN_END + "'",
            "rmdir $r",
            "exit $status",
            "");
    }

    /** Builds the archive: directories, busybox at /bin/busybox, /bin/sh, /init, /dev/console. */
    public static byte[] build(byte[] busybox, String init) {
        return build(busybox, init, List.of(), java.util.Map.of());
    }

    /**
     * The same with kernel modules in /lib/modules and the order to load them in /lib/modules/load, and extra
     * files (guest path to contents), each mode 0644, their directories created 0755.
     */
    public static byte[] build(byte[] busybox, String init, List<KernelModules.Module> modules,
            java.util.Map<String, byte[]> extra) {
        Cpio c = new Cpio()
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
            .file("/bin/cca-attest", 0755, attestScript().getBytes(StandardCharsets.UTF_8))
            .file("/init", 0755, init.getBytes(StandardCharsets.UTF_8));
        java.util.Set<String> dirs = new java.util.TreeSet<>();
        if (!modules.isEmpty()) {
            dirs.add("/lib");
            dirs.add("/lib/modules");
        }
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
        if (!modules.isEmpty()) {
            StringBuilder load = new StringBuilder();
            for (KernelModules.Module m : modules) {
                c.file("/lib/modules/" + m.name() + ".ko", 0644, m.elf());
                load.append(m.name()).append('\n');
            }
            c.file("/lib/modules/load", 0644, load.toString().getBytes(StandardCharsets.UTF_8));
        }
        for (java.util.Map.Entry<String, byte[]> e : new java.util.TreeMap<>(extra).entrySet()) {
            c.file(e.getKey(), 0644, e.getValue());
        }
        return c.finish();
    }
}
