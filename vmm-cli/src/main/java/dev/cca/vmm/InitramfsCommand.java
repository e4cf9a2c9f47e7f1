package dev.cca.vmm;

import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.initramfs.Initramfs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code cca initramfs}: packs a static busybox and an /init script into a newc cpio archive. */
@Command(name = "initramfs", mixinStandardHelpOptions = true,
        description = "Build an initramfs (newc cpio) around a static busybox. The default /init prints a marker, "
            + "runs uname -a, cat /proc/cpuinfo, mount and ls /, and powers off.",
        footer = {"%nExample:",
            "  cca initramfs --busybox build-cache/linux/busybox -o build-cache/linux/initramfs.cpio"})
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
            byte[] archive = Initramfs.build(bb, script, extra);
            Files.write(output, archive);
            parent.out.println("wrote " + output + " (" + archive.length + " bytes)");
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
