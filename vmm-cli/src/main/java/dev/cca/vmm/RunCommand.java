package dev.cca.vmm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.rmm.RmmInspector;
import dev.cca.vmm.debug.DebugSession;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.fdt.DeviceTree;
import dev.cca.vmm.fdt.FdtWriter;
import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.image.LoadedImage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code cca run}: boots a guest through the KVM ABI and prints its console and a summary. */
@Command(name = "run",
        description = "Boot a guest: a normal VM (EL1h, MMU off, X0 = the generated device tree), or a realm with "
            + "--realm. With no image, boots the embedded hello-realm guest in a realm and prints its "
            + "console output, then the realm's initial measurement (RIM), how the run ended, the instructions "
            + "executed and the wall time.%n",
        footer = {"%nExit status: 0 the guest powered off, 1 error, 2 usage, 3 the guest asked for a reset, "
            + "4 instruction limit or timeout reached.",
            "%nGuest memory map (QEMU virt layout; realms reach devices at their unprotected alias):",
            "  0x08000000 GICv3 distributor   0x080a0000 GICv3 redistributors",
            "  0x09000000 PL011 UART          0x40000000 RAM",
            "%nExamples:",
            "  cca run",
            "  cca run --realm --kernel src-test-images/hello-realm/hello-realm.elf --mem 64",
            "  cca run --realm -k guest.elf --max-instructions 100000000 --timeout 30s",
            "  cca run -k src-test-images/platform/timer-irq.elf          (a normal VM)",
            "  cca run -k Image --initrd initrd.cpio --params console=ttyAMA0 --mem 512 --cpus 2",
            "  cca run -k raw.bin --load-addr 0x40200000 --dump-dtb guest.dtb",
            "  cca run --gdb tcp::1234 --wait-gdb   then: gdb-multiarch -ex 'target remote :1234'",
            "  cca run --trace run.jsonl --trace-filter rmi,rsi,kvm",
            "  cca run --trace run.json --trace-format chrome   open in Perfetto or chrome://tracing"},
        mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    static final int EXIT_OK = 0, EXIT_ERROR = 1, EXIT_RESET = 3, EXIT_LIMIT = 4;
    private static final String DEFAULT_IMAGE = "/images/hello-realm.elf";

    @ParentCommand
    Main parent;

    @Mixin
    GuestOptions guest;

    @Mixin
    DebugOptions debug = new DebugOptions();
    /** What --trace and --gdb (or cca debug) attached to this run; closed when the run ends. */
    private DebugSession session;

    @Mixin
    RunOptions limits = new RunOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintStream out = parent != null ? parent.out : System.out;
        PrintStream err = parent != null ? parent.err : System.err;
        limits.applyEngine();
        try {
            return runGuest(out);
        } catch (ImageFormatException e) {
            err.println("cca: " + e.userMessage(e.file.equals(String.valueOf(guest.initrd)) ? "initrd" : "kernel image"));
            debugTrace(err, e);
            return EXIT_ERROR;
        } catch (UsageError e) {
            err.println("cca: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        } catch (ErrnoException e) {
            err.println("cca: " + e.getMessage());
            debugTrace(err, e);
            return EXIT_ERROR;
        } finally {
            if (session != null) {
                session.close();
            }
        }
    }

    private void debugTrace(PrintStream err, Exception e) {
        if (parent != null && parent.verbosity() > 0) {
            e.printStackTrace(err);
        }
    }

    static final class UsageError extends Exception {
        UsageError(String m) {
            super(m);
        }
    }

    private int runGuest(PrintStream out) throws Exception {
        int cpus = guest.cpuCount();
        if (cpus < 1 || cpus > 64) {
            throw new UsageError("--cpus must be between 1 and 64, was " + cpus);
        }
        Duration limit = limits.timeout == null ? null : parseDuration(limits.timeout);
        if (limits.maxInstructions != null && limits.maxInstructions <= 0) {
            throw new UsageError("--max-instructions must be positive");
        }
        long mem = guest.memBytes();
        if (mem < (1L << 20)) {
            throw new UsageError("--mem must be at least 1 MiB");
        }
        boolean realm = guest.isRealm();
        Boot boot = prepareBoot(mem, cpus, realm);
        byte[] dtb = boot.dtb();
        if (limits.dumpDtb != null) {
            Files.write(limits.dumpDtb, dtb);
        }
        LoadedImage image = boot.image();
        BootLayout layout = boot.layout();

        long dram = mem + (256L << 20) + image.segments().stream().mapToLong(s -> s.memSize()).sum();
        dram = (dram + (1L << 20) - 1) & ~((1L << 20) - 1);
        PlatformAttestation keys;
        try {
            keys = limits.attestationKeys == null ? PlatformAttestation.generated()
                    : PlatformAttestation.fromDirectory(limits.attestationKeys);
        } catch (IOException e) {
            throw new UsageError("--attestation-keys: " + e.getMessage());
        }
        session = debug.open(parent != null ? parent.err : System.err);
        CcaHost host = CcaHost.boot(cpus, dram, keys, session::beforeKernel);
        session.hostReady(host);
        Process proc = host.kernel.newProcess();
        Vmm vmm = new Vmm(proc, new Vmm.Config(realm, mem, cpus, image, out, layout.dtbAddress));
        session.vmmReady(vmm);
        vmm.setUp();

        long start = System.nanoTime();
        Thread watchdog = new Thread(() -> watch(host, vmm, start, limit), "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Vmm.Result result = vmm.run();
        session.finished(result);
        double seconds = (System.nanoTime() - start) / 1e9;
        watchdog.interrupt();
        List<String> where = new java.util.ArrayList<>();
        if (result.outcome() != Vmm.Outcome.POWER_OFF && result.outcome() != Vmm.Outcome.RESET) {
            if (realm) {
                where.addAll(recLocations(host)); // before exit destroys the RECs
            }
            for (int i = 0; i < cpus; i++) {
                String w = vmm.vcpuLocation(i); // before exit closes the vCPU descriptors
                if (w != null) {
                    where.add(String.format(Locale.ROOT, "vCPU %-8s%s", i + ":", w));
                }
            }
        }

        long instructions = 0;
        for (int i = 0; i < host.platform.machine.cpuCount(); i++) {
            instructions += host.platform.machine.cpu(i).instructions;
        }
        out.flush();
        // The summary reads the realm's RIM: before the process exits, as closing the VM destroys the realm.
        printSummary(out, host, where, realm, result, instructions, seconds, image);
        proc.exit();
        switch (result.outcome()) {
            case POWER_OFF: return EXIT_OK;
            case RESET: return EXIT_RESET;
            case INSTRUCTION_LIMIT:
            case TIMEOUT: return EXIT_LIMIT;
            default: return EXIT_ERROR;
        }
    }

    /** What the VMM loads: every boot file in one image, and the device tree's address for X0. */
    record Boot(LoadedImage image, BootLayout layout, byte[] dtb) {
    }

    /** Loads the kernel and initrd and builds the device tree as a run does (cca measure predicts from it). */
    Boot prepareBoot(long mem, int cpus, boolean realm) throws ImageFormatException, IOException {
        LoadedImage kernel = loadImage(mem);
        byte[] initrd = guest.initrd == null ? null : ImageLoader.readFile(guest.initrd);
        BootLayout layout = BootLayout.place(kernel, kernelName(), initrd, String.valueOf(guest.initrd), mem);
        byte[] dtb = deviceTree(mem, cpus, realm, layout);
        return new Boot(layout.withBootFiles(initrd, dtb), layout, dtb);
    }

    private String kernelName() {
        return guest.kernel == null ? "embedded:hello-realm.elf" : guest.kernel.toString();
    }

    /** The generated device tree, or the one given with --dtb (checked: magic, size, fits its area). */
    private byte[] deviceTree(long mem, int cpus, boolean realm, BootLayout layout) throws ImageFormatException {
        byte[] dtb;
        if (guest.dtb != null) {
            String name = guest.dtb.toString();
            dtb = ImageLoader.readFile(guest.dtb);
            if (dtb.length < 40 || java.nio.ByteBuffer.wrap(dtb).getInt(0) != FdtWriter.MAGIC) {
                throw new ImageFormatException(name, "is not a flattened device tree (no 0xd00dfeed magic)");
            }
            long total = java.nio.ByteBuffer.wrap(dtb).getInt(4) & 0xFFFF_FFFFL;
            if (total > dtb.length) {
                throw new ImageFormatException(name, String.format(
                        "truncated: the header says %d bytes, the file has %d", total, dtb.length));
            }
        } else {
            dtb = DeviceTree.build(new DeviceTree.Config(mem, cpus, realm, guest.params, layout.initrdStart,
                    layout.initrdEnd));
        }
        if (dtb.length > BootLayout.dtbArea(mem)) {
            throw new ImageFormatException(guest.dtb == null ? "device tree" : guest.dtb.toString(), String.format(
                    "is %d bytes, more than the %d bytes reserved for it at the top of RAM", dtb.length,
                    BootLayout.dtbArea(mem)));
        }
        return dtb;
    }

    private LoadedImage loadImage(long mem) throws ImageFormatException, IOException {
        String name;
        byte[] bytes;
        if (guest.kernel == null) {
            name = "embedded:hello-realm.elf";
            try (InputStream in = RunCommand.class.getResourceAsStream(DEFAULT_IMAGE)) {
                if (in == null) {
                    throw new ImageFormatException(name, "missing from this build of cca");
                }
                bytes = in.readAllBytes();
            }
        } else {
            name = guest.kernel.toString();
            bytes = ImageLoader.readFile(guest.kernel);
        }
        long rawLoad = guest.loadAddr != null ? guest.loadAddr : MemoryMap.RAM;
        LoadedImage image = ImageLoader.parse(name, bytes, MemoryMap.RAM, rawLoad);
        for (LoadedImage.Segment s : image.segments()) {
            if (s.gpa() < MemoryMap.RAM || s.end() > MemoryMap.RAM + mem || s.end() < s.gpa()) {
                throw new ImageFormatException(name, String.format(
                        "does not fit in guest memory: it needs %#x..%#x but RAM is %#x..%#x (%d MiB); "
                                + "use --mem to give the guest more", s.gpa(), s.end(), MemoryMap.RAM,
                        MemoryMap.RAM + mem, mem >> 20));
            }
        }
        if (image.entry() < MemoryMap.RAM || image.entry() >= MemoryMap.RAM + mem) {
            throw new ImageFormatException(name, String.format("entry point %#x is outside RAM", image.entry()));
        }
        return image;
    }

    /**
     * Where each REC of the realm stopped (its saved PC and exception level), read from the RMM's granules with
     * the read-only RmmInspector, as a debugger would: the host itself cannot see a realm's registers.
     */
    private static List<String> recLocations(CcaHost host) {
        List<String> l = new java.util.ArrayList<>();
        RmmInspector rmm = host.firmware.inspector(0);
        for (long pa : rmm.granulesIn(dev.cca.rmm.granule.GranuleState.REC)) {
            RmmInspector.RecInfo r = rmm.rec(pa);
            if (r != null) {
                l.add(String.format(Locale.ROOT, "REC %-9s pc=%#x EL%d%s (RMM's view, REC %#x)", r.index() + ":",
                        r.pc(), (r.pstate() >>> 2) & 3, (r.pstate() & 1) != 0 ? "h" : "t", pa));
            }
        }
        return l;
    }

    private void watch(CcaHost host, Vmm vmm, long start, Duration limit) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(20);
                if (limit != null && System.nanoTime() - start > limit.toNanos()) {
                    vmm.stop(Vmm.Outcome.TIMEOUT);
                    return;
                }
                if (limits.maxInstructions != null) {
                    long n = 0;
                    for (int i = 0; i < host.platform.machine.cpuCount(); i++) {
                        n += host.platform.machine.cpu(i).instructions;
                    }
                    if (n >= limits.maxInstructions) {
                        vmm.stop(Vmm.Outcome.INSTRUCTION_LIMIT);
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void printSummary(PrintStream out, CcaHost host, List<String> vcpuLocations, boolean realm, Vmm.Result r,
                              long instructions, double seconds, LoadedImage image) {
        out.println();
        out.println("--- cca run summary ---");
        if (realm) {
            RmmInspector rmm = host.firmware.inspector(0);
            List<Long> realms = rmm.realms();
            if (realms.isEmpty()) {
                out.println("RIM:          (no realm was created)");
            } else {
                RmmInspector.RealmInfo info = rmm.realm(realms.get(0));
                out.println("RIM (" + info.hashAlgoName() + "): " + info.rim());
            }
        }
        String detail = r.detail() == null || r.detail().isEmpty() ? "" : " [" + r.detail() + "]";
        out.println("ended:        " + r.outcome().description + detail);
        // A PE that stopped inside a guest (an exception loop, an emulator failure) says where: this is the
        // emulator's view, read like a debugger would, not something the host could see of a realm.
        for (int i = 0; i < host.platform.machine.cpuCount(); i++) {
            dev.cca.core.cpu.StopReport report = host.platform.machine.cpu(i).stopReport();
            if (report != null) {
                out.println("stopped:      PE" + i + ": " + report);
            }
        }
        vcpuLocations.forEach(out::println);
        out.println(String.format(Locale.ROOT, "instructions: %d", instructions));
        // A rate says something only for runs long enough to be dominated by guest code.
        String rate = instructions >= 10_000_000 && seconds > 0
                ? String.format(Locale.ROOT, " (%.1f M instructions/s)", instructions / seconds / 1e6) : "";
        out.println(String.format(Locale.ROOT, "wall time:    %.3f s%s", seconds, rate));
        out.flush();
    }

    static Duration parseDuration(String s) throws UsageError {
        String v = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new UsageError("'" + s + "' is not a duration (e.g. 30, 30s, 500ms, 2m)");
        }
    }
}
