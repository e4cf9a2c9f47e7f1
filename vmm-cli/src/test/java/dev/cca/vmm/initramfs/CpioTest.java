package dev.cca.vmm.initramfs;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reads back the newc archive the way the kernel's initramfs unpacker does. */
class CpioTest {
    record Entry(String name, int mode, int rdevMajor, int rdevMinor, byte[] data) {
    }

    static List<Entry> parse(byte[] a) {
        List<Entry> out = new ArrayList<>();
        int off = 0;
        while (true) {
            String magic = new String(a, off, 6, StandardCharsets.US_ASCII);
            assertEquals("070701", magic, "magic at " + off);
            int[] f = new int[13];
            for (int i = 0; i < 13; i++) {
                f[i] = (int) Long.parseLong(new String(a, off + 6 + 8 * i, 8, StandardCharsets.US_ASCII), 16);
            }
            int nameStart = off + 110;
            String name = new String(a, nameStart, f[11] - 1, StandardCharsets.UTF_8);
            int dataStart = (nameStart + f[11] + 3) & ~3;
            byte[] data = java.util.Arrays.copyOfRange(a, dataStart, dataStart + f[6]);
            off = (dataStart + f[6] + 3) & ~3;
            if (name.equals("TRAILER!!!")) {
                assertEquals(a.length, off, "nothing after the trailer");
                return out;
            }
            out.add(new Entry(name, f[1], f[9], f[10], data));
        }
    }

    @Test
    void initramfsHoldsBusyboxInitAndConsole() {
        byte[] busybox = {0x7F, 'E', 'L', 'F', 1, 2, 3};
        List<Entry> e = parse(Initramfs.build(busybox, Initramfs.defaultInit()));
        Entry init = e.stream().filter(x -> x.name().equals("init")).findFirst().orElseThrow();
        assertEquals(Cpio.S_IFREG | 0755, init.mode());
        String script = new String(init.data(), StandardCharsets.UTF_8);
        assertEquals(true, script.startsWith("#!/bin/busybox sh") && script.contains(Initramfs.MARKER));
        Entry console = e.stream().filter(x -> x.name().equals("dev/console")).findFirst().orElseThrow();
        assertEquals(Cpio.S_IFCHR | 0600, console.mode());
        assertEquals(5, console.rdevMajor());
        assertEquals(1, console.rdevMinor());
        Entry bb = e.stream().filter(x -> x.name().equals("bin/busybox")).findFirst().orElseThrow();
        assertEquals(7, bb.data().length);
        Entry sh = e.stream().filter(x -> x.name().equals("bin/sh")).findFirst().orElseThrow();
        assertEquals("busybox", new String(sh.data(), StandardCharsets.UTF_8));
        assertEquals("bin", e.get(0).name(), "directories come first");
    }
}
