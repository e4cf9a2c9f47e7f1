package dev.cca.vmm;

import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.initramfs.Initramfs;
import dev.cca.vmm.initramfs.KernelModules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cca initramfs}: packs a static busybox, kernel modules and an /init script into a newc cpio archive. */
@Command(name = "initramfs", mixinStandardHelpOptions = true,
        description = "Build an initramfs (newc cpio) around a static busybox. The default /init loads the modules "
            + "given with --modules (insmod, in dependency order), mounts configfs, prints a marker, runs uname -a, "
            + "cat /proc/cpuinfo, mount and ls /, starts a shell on the console if the kernel command line has "
            + "cca.shell, and powers off. /bin/cca-attest HEX prints an attestation token for a 64-byte challenge "
            + "through configfs-tsm (in a realm, with the default modules).",
        footer = {"%nExamples:",
            "  cca initramfs --busybox build-cache/linux/busybox -o build-cache/linux/initramfs.cpio",
            "  cca initramfs --busybox busybox --modules modules/usr/lib/modules/7.3.4+deb13-cloud-arm64 -o i.cpio"})
final class InitramfsCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Option(names = "--busybox", required = true, paramLabel = "FILE", description = "A static arm64 busybox.")
    Path busybox;

    @Option(names = "--init", paramLabel = "FILE", description = "Use this script as /init.")
    Path init;

    @Option(names = "--file", paramLabel = "HOST=GUEST",
            description = "Also put the file HOST at the absolute path GUEST (for example a kernel module). Repeatable.")
    java.util.List<String> files = new java.util.ArrayList<>();

    @Option(names = "--modules", paramLabel = "DIR",
            description = "A kernel's module tree (lib/modules/VERSION of its modules package): the modules of "
                + "--load and their dependencies go in, decompressed (.ko.xz, .ko.gz).")
    Path modules;

    @Option(names = "--load", paramLabel = "NAME", split = ",", defaultValue = "configfs,tsm_report,arm-cca-guest",
            description = "Modules to load at boot, with --modules (default: ${DEFAULT-VALUE}: configfs-tsm "
                + "attestation reports in a realm).")
    List<String> load;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write it.")
    Path output;

    @Override
    public Integer call() {
        try {
            byte[] bb = ImageLoader.readFile(busybox);
            String script = init == null ? Initramfs.defaultInit()
                    : new String(ImageLoader.readFile(init), StandardCharsets.UTF_8);
            java.util.Map<String, byte[]> extra = new java.util.LinkedHashMap<>();
            for (String f : files) {
                int eq = f.indexOf('=');
                if (eq <= 0 || eq == f.length() - 1 || f.charAt(eq + 1) != '/') {
                    parent.err.println("cca: --file " + f + ": expected HOST=/GUEST/PATH");
                    return 2;
                }
                extra.put(f.substring(eq + 1), ImageLoader.readFile(Path.of(f.substring(0, eq))));
            }
            List<KernelModules.Module> mods = List.of();
            if (modules != null) {
                try {
                    mods = KernelModules.open(modules).resolve(load);
                } catch (IOException e) {
                    parent.err.println("cca: --modules: " + e.getMessage());
                    return 1;
                }
            }
            byte[] archive = Initramfs.build(bb, script, mods, extra);
            Files.write(output, archive);
            parent.out.println("wrote " + output + " (" + archive.length + " bytes"
                    + (mods.isEmpty() ? "" : ", modules " + String.join(" ", mods.stream().map(KernelModules.Module::name).toList()))
                    + ")");
            return 0;
        } catch (ImageFormatException e) {
            parent.err.println("cca: " + e.userMessage(e.file.equals(String.valueOf(init)) ? "init script"
                    : e.file.equals(String.valueOf(busybox)) ? "busybox" : "file"));
            return 1;
        } catch (IOException e) {
            parent.err.println("cca: cannot write '" + output + "': " + e.getMessage());
            return 1;
        }
    }
}
