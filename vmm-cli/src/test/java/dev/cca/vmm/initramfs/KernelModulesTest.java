package dev.cca.vmm.initramfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelModulesTest {
    /** A minimal ELF64 relocatable with a .modinfo section holding {@code modinfo}. */
    static byte[] module(String modinfo) {
        byte[] info = modinfo.getBytes(StandardCharsets.UTF_8);
        byte[] names = "\0.shstrtab\0.modinfo\0".getBytes(StandardCharsets.US_ASCII);
        int namesOff = 64, infoOff = namesOff + names.length, shoff = (infoOff + info.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464C457F).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(0x10, (short) 1).putShort(0x12, (short) 183); // ET_REL, EM_AARCH64
        b.putLong(0x28, shoff).putShort(0x34, (short) 64).putShort(0x3A, (short) 64).putShort(0x3C, (short) 3)
                .putShort(0x3E, (short) 1);
        b.put(namesOff, names).put(infoOff, info);
        int sh1 = shoff + 64, sh2 = shoff + 128;
        b.putInt(sh1, 1).putInt(sh1 + 4, 3).putLong(sh1 + 0x18, namesOff).putLong(sh1 + 0x20, names.length);
        b.putInt(sh2, 11).putInt(sh2 + 4, 1).putLong(sh2 + 0x18, infoOff).putLong(sh2 + 0x20, info.length);
        return b.array();
    }

    static byte[] xz(byte[] data) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (XZOutputStream x = new XZOutputStream(o, new LZMA2Options())) {
            x.write(data);
        }
        return o.toByteArray();
    }

    private static byte[] put(Path root, String rel, byte[] data) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return data;
    }

    @Test
    void resolvesDependenciesFromModinfoInLoadOrderAndDecompressesXz(@TempDir Path root) throws IOException {
        byte[] configfs = module("alias=fs-configfs\0depends=\0name=configfs\0");
        byte[] tsm = module("depends=configfs\0name=tsm_report\0");
        byte[] cca = module("alias=platform:arm-cca-dev\0depends=tsm_report\0name=arm_cca_guest\0");
        put(root, "kernel/fs/configfs/configfs.ko.xz", xz(configfs));
        put(root, "kernel/drivers/virt/coco/guest/tsm_report.ko.xz", xz(tsm));
        put(root, "kernel/drivers/virt/coco/arm-cca-guest/arm-cca-guest.ko.xz", xz(cca));
        put(root, "kernel/drivers/other/unrelated.ko", module("depends=\0"));

        List<KernelModules.Module> m = KernelModules.open(root).resolve(List.of("arm-cca-guest"));
        assertEquals(List.of("configfs", "tsm_report", "arm_cca_guest"), m.stream().map(KernelModules.Module::name).toList());
        assertArrayEquals(configfs, m.get(0).elf(), "decompressed");
        assertArrayEquals(cca, m.get(2).elf());

        List<KernelModules.Module> again = KernelModules.open(root)
                .resolve(List.of("configfs", "tsm_report", "arm_cca_guest"));
        assertEquals(3, again.size(), "each module once");
    }

    @Test
    void modulesDepWinsWhenTheTreeHasOne(@TempDir Path root) throws IOException {
        put(root, "kernel/a.ko", module("depends=\0"));
        put(root, "kernel/b.ko", module("depends=\0"));
        Files.writeString(root.resolve("modules.dep"), "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n");
        assertEquals(List.of("b", "a"), KernelModules.open(root).resolve(List.of("a")).stream()
                .map(KernelModules.Module::name).toList());
    }

    @Test
    void aModuleTreeReachedThroughASymbolicLinkIsIndexed(@TempDir Path dir) throws IOException {
        Path real = dir.resolve("real");
        put(real, "kernel/a.ko", module("depends=\0"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertEquals(List.of("a"), KernelModules.open(link).resolve(List.of("a")).stream()
                .map(KernelModules.Module::name).toList());
    }

    @Test
    void missingModulesAndCyclesAreNamed(@TempDir Path root) throws IOException {
        put(root, "kernel/a.ko", module("depends=gone\0"));
        put(root, "kernel/c.ko", module("depends=d\0"));
        put(root, "kernel/d.ko", module("depends=c\0"));
        put(root, "kernel/bad.ko", "not an elf at all, just text padding the file out".getBytes());
        KernelModules k = KernelModules.open(root);
        IOException e = assertThrows(IOException.class, () -> k.resolve(List.of("nope")));
        assertTrue(e.getMessage().startsWith("no module 'nope' under "), e.getMessage());
        e = assertThrows(IOException.class, () -> k.resolve(List.of("a")));
        assertTrue(e.getMessage().startsWith("module 'a' needs 'gone'"), e.getMessage());
        e = assertThrows(IOException.class, () -> k.resolve(List.of("c")));
        assertEquals("module dependency cycle: c -> d -> c", e.getMessage());
        e = assertThrows(IOException.class, () -> k.resolve(List.of("bad")));
        assertTrue(e.getMessage().endsWith("is not a little-endian ELF64 kernel module"), e.getMessage());
    }

    @Test
    void initramfsListsTheModulesInLoadOrder() {
        byte[] a = Initramfs.build(new byte[] {1}, "#!/bin/sh\n",
                List.of(new KernelModules.Module("configfs", new byte[] {7}), new KernelModules.Module("tsm_report",
                        new byte[] {8})), java.util.Map.of());
        String text = new String(a, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("lib/modules/configfs.ko"), "module file");
        assertTrue(text.contains("lib/modules/load\0") && text.contains("configfs\ntsm_report\n"), "load order");
        assertTrue(text.contains("bin/cca-attest"), "the attestation helper");
    }
}
