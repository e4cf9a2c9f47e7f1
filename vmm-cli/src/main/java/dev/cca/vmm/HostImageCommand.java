package dev.cca.vmm;

import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.debug.DebugSession;
import dev.cca.vmm.hostimage.HostImage;
import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.image.LoadedImage;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code cca run --host-image FILE[@ADDR]}: the image runs at Non-secure EL2 on the FVP-shaped platform in place of
 * the Java KVM host (docs/host-image.md). Its UARTs are cca's standard output; the summary goes to standard error.
 */
final class HostImageCommand {
    /** Default DRAM: the FVP Base's 2 GiB at 0x8000_0000 (allocated as touched). */
    static final long DEFAULT_DRAM = 2L << 30;
    /** Exit status when every PE waits for an interrupt that nothing can raise (the image halted). */
    static final int EXIT_HALTED = 5;

    private HostImageCommand() {
    }

    /** FILE[@ADDR]: the file, and the load address of a raw binary (null for ELF). */
    record Spec(Path file, Long address) {
        static Spec parse(String s) throws RunCommand.UsageError {
            int at = s.lastIndexOf('@');
            if (at > 0) {
                try {
                    return new Spec(Path.of(s.substring(0, at)), new AddressConverter().convert(s.substring(at + 1)));
                } catch (picocli.CommandLine.TypeConversionException e) {
                    throw new RunCommand.UsageError("--host-image " + s + ": " + e.getMessage());
                }
            }
            return new Spec(Path.of(s), null);
        }
    }

    static LoadedImage load(Spec spec, long dramBytes) throws ImageFormatException {
        String name = spec.file().toString();
        byte[] bytes = ImageLoader.readFile(spec.file());
        boolean elf = bytes.length >= 4 && bytes[0] == 0x7F && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
        if (!elf && spec.address() == null) {
            throw new ImageFormatException(name, "is not an ELF file: give the load address of a raw binary as "
                    + "FILE@ADDR (e.g. " + name + "@0x88000000)");
        }
        long load = spec.address() == null ? HostPlatform.DRAM_BASE : spec.address();
        LoadedImage image = ImageLoader.parse(name, bytes, HostPlatform.DRAM_BASE, load);
        long end = HostPlatform.DRAM_BASE + dramBytes;
        for (LoadedImage.Segment s : image.segments()) {
            if (s.gpa() < HostPlatform.DRAM_BASE || s.end() > end || s.end() < s.gpa()) {
                throw new ImageFormatException(name, String.format(Locale.ROOT,
                        "does not fit in DRAM: it needs %#x..%#x but DRAM is %#x..%#x (use --mem for more)",
                        s.gpa(), s.end(), HostPlatform.DRAM_BASE, end));
            }
        }
        if (image.entry() < HostPlatform.DRAM_BASE || image.entry() >= end) {
            throw new ImageFormatException(name, String.format(Locale.ROOT, "entry point %#x is outside DRAM",
                    image.entry()));
        }
        return image;
    }

    static int run(String specText, GuestOptions guest, RunOptions limits, DebugOptions debug, PrintStream out,
                   PrintStream err, java.util.function.Consumer<DebugSession> sessionOpened) throws Exception {
        if (guest.kernel != null || guest.initrd != null || guest.realm || guest.dtb != null || guest.params != null
                || guest.loadAddr != null) {
            throw new RunCommand.UsageError("--host-image runs the image in place of the host: it takes no "
                    + "--kernel, --initrd, --params, --realm, --dtb or --load-addr");
        }
        if (limits.dumpDtb != null) {
            throw new RunCommand.UsageError("--host-image boots no device tree: --dump-dtb does not apply");
        }
        int cpus = guest.cpuCount();
        if (cpus < 1 || cpus > 64) {
            throw new RunCommand.UsageError("--cpus must be between 1 and 64, was " + cpus);
        }
        long dram = guest.mem != null ? guest.mem : DEFAULT_DRAM;
        if (dram < (16L << 20) || dram > (1L << 39) - HostPlatform.DRAM_BASE || (dram & 0xFFF) != 0) {
            throw new RunCommand.UsageError("--mem for --host-image is the DRAM at 0x80000000: 16 MiB at least");
        }
        Duration limit = limits.timeout;
        if (limits.maxInstructions != null && limits.maxInstructions <= 0) {
            throw new RunCommand.UsageError("--max-instructions must be positive");
        }
        Spec spec = Spec.parse(specText);
        LoadedImage image = load(spec, dram);
        PlatformAttestation keys;
        try {
            keys = limits.attestationKeys == null ? PlatformAttestation.generated()
                    : PlatformAttestation.fromDirectory(limits.attestationKeys);
        } catch (IOException e) {
            throw new RunCommand.UsageError("--attestation-keys: " + e.getMessage());
        }
        DebugSession session = debug.open(err);
        sessionOpened.accept(session);
        boolean[] attached = {false};
        HostImage host = new HostImage(cpus, dram, image, out, keys, (p, fw) -> {
            if (!attached[0]) {
                attached[0] = true;
                session.beforeKernel(p, fw);
            } else {
                session.firmwareReinstalled(p, fw);
            }
        });
        session.stopperReady(() -> host.stop(HostImage.Outcome.STOPPED));
        if (limits.maxInstructions != null) {
            host.limitInstructions(limits.maxInstructions);
        }
        long start = System.nanoTime();
        Thread watchdog = new Thread(() -> watch(host, limit, start), "limits");
        watchdog.setDaemon(true);
        watchdog.start();
        HostImage.Outcome o = host.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        watchdog.interrupt();
        out.flush();
        int code;
        switch (o) {
            case POWER_OFF: code = RunCommand.EXIT_OK; break;
            case ALL_IDLE: code = EXIT_HALTED; break;
            case INSTRUCTION_LIMIT:
            case TIMEOUT: code = RunCommand.EXIT_LIMIT; break;
            default: code = RunCommand.EXIT_ERROR; break;
        }
        session.hostImageFinished(o.description, code);
        err.println();
        err.println("--- cca run summary (host image " + spec.file() + ", " + image.format() + ", entry "
                + String.format(Locale.ROOT, "%#x", image.entry()) + ") ---");
        err.println("ended:        " + o.description);
        host.stopReports().forEach(r -> err.println("stopped:      " + r));
        if (host.resets() > 0) {
            err.println("resets:       " + host.resets());
        }
        long n = host.instructions();
        err.println(String.format(Locale.ROOT, "instructions: %d", n));
        String rate = n >= 10_000_000 && seconds > 0
                ? String.format(Locale.ROOT, " (%.1f M instructions/s)", n / seconds / 1e6) : "";
        err.println(String.format(Locale.ROOT, "wall time:    %.3f s%s", seconds, rate));
        err.flush();
        return code;
    }

    private static void watch(HostImage host, Duration limit, long start) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(20);
                if (limit != null && System.nanoTime() - start > limit.toNanos()) {
                    host.stop(HostImage.Outcome.TIMEOUT);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
