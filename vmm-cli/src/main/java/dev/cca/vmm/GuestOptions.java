package dev.cca.vmm;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** The guest options shared by run (and later debug and measure), named after kvmtool's lkvm run. */
public final class GuestOptions {
    /** The guest image, from --kernel or the positional IMAGE (lkvm run IMAGE); null: the embedded guest. */
    Path kernel;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-k", "--kernel"}, paramLabel = "FILE",
            description = "Guest image: ELF, Linux arm64 Image, or raw binary. Default: the embedded hello-realm guest.")
    void kernelOption(Path p) {
        setKernel(p, "--kernel");
    }

    @Parameters(arity = "0..1", paramLabel = "IMAGE", description = "The guest image, as --kernel (lkvm run IMAGE).")
    void image(Path p) {
        setKernel(p, "IMAGE");
    }

    private void setKernel(Path p, String how) {
        if (p == null) {
            return;
        }
        if (kernel != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "the guest image was given twice (" + kernel + " and " + how + " " + p + "): give --kernel FILE or IMAGE");
        }
        kernel = p;
    }

    @Option(names = {"-i", "--initrd"}, paramLabel = "FILE", description = "Initial ramdisk.")
    Path initrd;

    @Option(names = {"-p", "--params", "--append"}, paramLabel = "CMDLINE", description = "Kernel command line.")
    String params;

    @Option(names = {"-m", "--mem", "--memory"}, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Guest RAM (MiB, or with K/M/G suffix). Default: 128.")
    Long mem;

    @Option(names = {"-c", "--cpus", "--smp"}, paramLabel = "N", description = "Number of vCPUs. Default: 1.")
    Integer cpus;

    @Option(names = "--realm", description = "Run the guest in a realm (implied for the embedded default guest).")
    boolean realm;

    @Option(names = "--dtb", paramLabel = "FILE",
            description = "Boot with this flattened device tree instead of the generated one.")
    Path dtb;

    @Option(names = "--load-addr", paramLabel = "ADDR", converter = AddressConverter.class,
            description = "Guest physical address of a raw binary image (also its entry point). Default: start of RAM.")
    Long loadAddr;

    /** What a boot file is to the guest, for error messages: "kernel image", "initrd" or "device tree". */
    String roleOf(String file) {
        if (file.equals(String.valueOf(initrd))) {
            return "initrd";
        }
        if (file.equals(String.valueOf(dtb)) || file.equals("device tree")) {
            return "device tree";
        }
        return "kernel image";
    }

    long memBytes() {
        return mem != null ? mem : 128L << 20;
    }

    int cpuCount() {
        return cpus != null ? cpus : 1;
    }

    /** The default guest is a realm guest; an explicit image runs as a realm only with --realm. */
    boolean isRealm() {
        return realm || kernel == null;
    }
}
