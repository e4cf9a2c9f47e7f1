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

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write it.")
    Path output;

    @Override
    public Integer call() {
        try {
            byte[] bb = ImageLoader.readFile(busybox);
            String script = init == null ? Initramfs.defaultInit()
                    : new String(ImageLoader.readFile(init), StandardCharsets.UTF_8);
            byte[] archive = Initramfs.build(bb, script);
            Files.write(output, archive);
            parent.out.println("wrote " + output + " (" + archive.length + " bytes)");
            return 0;
        } catch (ImageFormatException e) {
            parent.err.println("cca: " + e.userMessage(e.file.equals(String.valueOf(init)) ? "init script" : "busybox"));
            return 1;
        } catch (IOException e) {
            parent.err.println("cca: cannot write '" + output + "': " + e.getMessage());
            return 1;
        }
    }
}
