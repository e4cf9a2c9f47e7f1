package dev.cca.vmm.initramfs;

import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Kernel modules from a distribution's module tree ({@code /usr/lib/modules/VERSION} of Debian's linux-modules
 * package), resolved with their dependencies and decompressed so that busybox's insmod, which loads one file
 * and knows no dependencies, can load them in order.
 *
 * <p>Dependencies come from {@code modules.dep} when the tree has one (depmod writes it at install time, so an
 * unpacked package has none), otherwise from each module's own {@code .modinfo} section ({@code depends=}), which
 * is where depmod reads them too.
 */
public final class KernelModules {
    /** A module ready for insmod: its name (as the kernel spells it, with underscores) and its ELF image. */
    public record Module(String name, byte[] elf) {
    }

    private final Path root;
    /** Module name (underscores) -> file, for every module in the tree. */
    private final Map<String, Path> files = new HashMap<>();
    /** Module name -> the names it depends on, from modules.dep (empty when the tree has none). */
    private final Map<String, List<String>> depFile = new HashMap<>();

    private KernelModules(Path root) {
        this.root = root;
    }

    /** Indexes the modules under {@code root} (a lib/modules/VERSION directory). */
    public static KernelModules open(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory (give a lib/modules/VERSION directory)");
        }
        KernelModules m = new KernelModules(root);
        // The real path: Files.walk does not enter a starting directory that is a symbolic link.
        try (Stream<Path> s = Files.walk(root.toRealPath())) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String n = moduleName(p.getFileName().toString());
                if (n != null) {
                    m.files.putIfAbsent(n, p);
                }
            });
        }
        if (m.files.isEmpty()) {
            throw new IOException("no kernel modules (*.ko, *.ko.xz, *.ko.gz) under " + root);
        }
        Path dep = root.resolve("modules.dep");
        if (Files.isRegularFile(dep)) {
            for (String line : Files.readAllLines(dep, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = moduleName(Path.of(line.substring(0, colon)).getFileName().toString());
                List<String> deps = new ArrayList<>();
                for (String d : line.substring(colon + 1).trim().split("\\s+")) {
                    if (!d.isEmpty()) {
                        deps.add(moduleName(Path.of(d).getFileName().toString()));
                    }
                }
                m.depFile.put(name, deps);
            }
        }
        return m;
    }

    /** "arm-cca-guest.ko.xz" -> "arm_cca_guest"; null for a file that is not a module. */
    static String moduleName(String file) {
        for (String suffix : new String[] {".ko", ".ko.xz", ".ko.gz"}) {
            if (file.endsWith(suffix)) {
                return normalize(file.substring(0, file.length() - suffix.length()));
            }
        }
        return null;
    }

    /** The kernel treats '-' and '_' in module names alike; it reports them with '_'. */
    static String normalize(String name) {
        return name.replace('-', '_');
    }

    /**
     * The named modules and everything they depend on, each once, every module after its dependencies, in the
     * order asked for otherwise. A name the tree lacks is an error that says which.
     */
    public List<Module> resolve(List<String> names) throws IOException {
        Map<String, Module> done = new LinkedHashMap<>();
        for (String n : names) {
            add(normalize(n), done, new ArrayList<>());
        }
        return new ArrayList<>(done.values());
    }

    private void add(String name, Map<String, Module> done, List<String> path) throws IOException {
        if (done.containsKey(name)) {
            return;
        }
        if (path.contains(name)) {
            throw new IOException("module dependency cycle: " + String.join(" -> ", path) + " -> " + name);
        }
        Path f = files.get(name);
        if (f == null) {
            throw new IOException(path.isEmpty() ? "no module '" + name + "' under " + root
                    : "module '" + path.get(path.size() - 1) + "' needs '" + name + "', which is not under " + root);
        }
        byte[] elf = decompress(f);
        List<String> deps = depFile.containsKey(name) ? depFile.get(name) : dependsOf(elf, f);
        path.add(name);
        for (String d : deps) {
            add(normalize(d), done, path);
        }
        path.remove(path.size() - 1);
        done.put(name, new Module(name, elf));
    }

    /** The file's ELF image: .ko.xz and .ko.gz decompressed. */
    static byte[] decompress(Path f) throws IOException {
        byte[] raw = Files.readAllBytes(f);
        String n = f.getFileName().toString();
        if (n.endsWith(".xz")) {
            try (InputStream in = new XZInputStream(new ByteArrayInputStream(raw))) {
                return in.readAllBytes();
            }
        }
        if (n.endsWith(".gz")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                return in.readAllBytes();
            }
        }
        return raw;
    }

    /** The {@code depends=} list of a module's {@code .modinfo} section (ELF64 little-endian). */
    static List<String> dependsOf(byte[] elf, Path file) throws IOException {
        String modinfo = modinfo(elf, file);
        for (String entry : modinfo.split("\0")) {
            if (entry.startsWith("depends=")) {
                String v = entry.substring("depends=".length()).trim();
                return v.isEmpty() ? List.of() : List.of(v.split(","));
            }
        }
        return List.of();
    }

    static String modinfo(byte[] elf, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464C457F || elf[4] != 2 || elf[5] != 1) {
            throw new IOException(file + " is not a little-endian ELF64 kernel module");
        }
        try {
            long shoff = b.getLong(0x28);
            int shentsize = b.getShort(0x3A) & 0xFFFF;
            int shnum = b.getShort(0x3C) & 0xFFFF;
            int shstrndx = b.getShort(0x3E) & 0xFFFF;
            long strtab = b.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18));
            for (int i = 0; i < shnum; i++) {
                int sh = Math.toIntExact(shoff + (long) i * shentsize);
                int nameOff = Math.toIntExact(strtab + (b.getInt(sh) & 0xFFFF_FFFFL));
                int end = nameOff;
                while (elf[end] != 0) {
                    end++;
                }
                if (new String(elf, nameOff, end - nameOff, StandardCharsets.US_ASCII).equals(".modinfo")) {
                    int off = Math.toIntExact(b.getLong(sh + 0x18));
                    int size = Math.toIntExact(b.getLong(sh + 0x20));
                    return new String(elf, off, size, StandardCharsets.UTF_8);
                }
            }
        } catch (IndexOutOfBoundsException | ArithmeticException e) {
            throw new IOException(file + ": truncated or corrupt ELF section table");
        }
        throw new IOException(file + " has no .modinfo section: not a kernel module");
    }
}
