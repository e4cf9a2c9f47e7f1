package dev.cca.vmm.initramfs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format (magic 070701) that the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Entries are written in order; directories must
 * come before their contents.
 */
public final class Cpio {
    public static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int ino = 1;
    private boolean finished;

    public Cpio dir(String path, int perm) {
        return entry(path, S_IFDIR | perm, new byte[0], 2, 0, 0);
    }

    public Cpio file(String path, int perm, byte[] data) {
        return entry(path, S_IFREG | perm, data, 1, 0, 0);
    }

    public Cpio symlink(String path, String target) {
        return entry(path, S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 1, 0, 0);
    }

    public Cpio charDevice(String path, int perm, int major, int minor) {
        return entry(path, S_IFCHR | perm, new byte[0], 1, major, minor);
    }

    private Cpio entry(String path, int mode, byte[] data, int nlink, int rmajor, int rminor) {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        String name = path.startsWith("/") ? path.substring(1) : path;
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder("070701");
        int[] fields = {ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rmajor, rminor, nameBytes.length, 0};
        for (int f : fields) {
            h.append(String.format("%08x", f));
        }
        write(h.toString().getBytes(StandardCharsets.US_ASCII));
        write(nameBytes);
        pad();
        write(data);
        pad();
        return this;
    }

    private void write(byte[] b) {
        out.write(b, 0, b.length);
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }

    /** Appends the trailer and returns the archive. */
    public byte[] finish() {
        if (!finished) {
            ino = 0;
            entry("TRAILER!!!", 0, new byte[0], 1, 0, 0);
            finished = true;
        }
        return out.toByteArray();
    }
}
