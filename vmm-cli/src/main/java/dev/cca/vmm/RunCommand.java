package dev.cca.vmm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.rmm.RmmInspector;
import dev.cca.vmm.console.ConsoleInput;
import dev.cca.vmm.console.RawTerminal;
import dev.cca.vmm.debug.DebugSession;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.fdt.DeviceTree;
import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.ImageLoader;
import dev.cca.vmm.image.LoadedImage;
import dev.cca.vmm.trace.RsiCallWatch;
import dev.cca.vmm.trace.RunLog;
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

/**
 * {@code cca run}: boots a guest through the KVM ABI; its console is standard output and input, and a summary of
 * the run goes to standard error.
 */
@Command(name = "run",
        description = "Boot a guest: a normal VM (EL1h, MMU off, X0 = the generated device tree), or a realm with "
            + "--realm. With no image, boots the embedded hello-realm guest in a realm. Standard output carries the "
            + "guest's console and nothing else; standard input is the console's input (a terminal is put in raw "
            + "mode: Ctrl-A x quits, Ctrl-A h helps). At the end a summary goes to standard error: the realm's "
            + "initial measurement (RIM), how the run ended, the instructions executed and the wall time.%n",
        footer = {"%nExit status: 0 the guest powered off, 1 error (or stopped with Ctrl-A x), 2 usage, 3 the guest "
            + "asked for a reset, 4 instruction limit or timeout reached.",
            "%nConsole: the PL011 at 0x09000000 (SPI 1, INTID 33). Input reaches it with hardware flow control: it "
            + "waits until the guest enables the receiver and asserts RTS (Linux does when the console is opened). "
            + "From a terminal: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends Ctrl-A. From a pipe or "
            + "file, bytes pass unchanged; at its end the guest runs on.",
            "%nGuest memory map (QEMU virt layout; realms reach devices at their unprotected alias):",
            "@memory-map@",
            "%nExamples:",
            "  cca run",
            "  cca run --realm --kernel src-test-images/hello-realm/hello-realm.elf --mem 64",
            "  cca run --realm -k guest.elf --max-instructions 100000000 --timeout 30s",
            "  cca run --realm -k src-test-images/realm-gic/realm-sgi.elf --cpus 4 --psci user",
            "  cca run src-test-images/platform/timer-irq.elf   # a normal VM; the image may come last, as in lkvm run",
            "  cca run -k Image --initrd initrd.cpio --params console=ttyAMA0 --mem 512 --cpus 2",
            "  cca run -k Image -i initramfs-rootfs.cpio -p console=ttyAMA0 -m 256 -d rootfs.ext4 --rng --9p share,hostshare",
            "  cca run -k raw.bin --load-addr 0x40200000 --dump-dtb guest.dtb",
            "  cca run -s -S   # gdb stub on port 1234, stopped; then: gdb-multiarch -ex 'target remote :1234'",
            "  cca run --trace run.jsonl --trace-filter rmi,rsi,kvm",
            "  cca run --trace run.json --trace-format chrome   # open in Perfetto or chrome://tracing"},
        mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunCommand.class);
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

    @Mixin
    DeviceOptions devices = new DeviceOptions();

    @Option(names = "--psci", paramLabel = "WHERE", defaultValue = "kernel",
            description = "Where a realm's PSCI calls are handled: kernel (KVM completes CPU_ON and AFFINITY_INFO "
                + "itself; the default) or user (an SMCCC filter forwards them to the VMM as KVM_EXIT_HYPERCALL, "
                + "and the VMM answers with KVM_ARM_VCPU_RMI_PSCI_COMPLETE and KVM_SET_MP_STATE).")
    String psci = "kernel"; // also when cca debug builds the command without parsing its options

    @Option(names = "--abi-profile", paramLabel = "PROFILE",
            description = "ABI profile of the host kernel (docs/abi.md): v12 (the default), psci-user (every "
                + "PSCI call of a realm reaches the VMM, which then handles PSCI as with --psci user) or "
                + "realm-config (v12 with the realm configuration call; the default with --measurement-algo or "
                + "--realm-pv).")
    String abiProfile;

    @Mixin
    RealmOptions realmOptions = new RealmOptions();

    @Mixin
    AttestationOptions attestation = new AttestationOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--host-image", paramLabel = "FILE[@ADDR]",
            description = "Run FILE at Non-secure EL2 in place of the KVM host, on an FVP-shaped platform with the "
                + "EL3 monitor and RMM (an ELF, or a raw binary loaded at ADDR); its UARTs are standard output. "
                + "--mem sets the DRAM at 0x80000000 (default 2G). See docs/host-image.md.")
    String hostImage;

    @Override
    public Integer call() throws Exception {
        PrintStream out = parent != null ? parent.out : System.out;
        PrintStream err = parent != null ? parent.err : System.err;
        limits.applyEngine();
        try {
            return runGuest(out, err);
        } catch (ImageFormatException e) {
            err.println("cca: " + e.userMessage(guest.roleOf(e.file)));
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

    private int runGuest(PrintStream out, PrintStream err) throws Exception {
        if (hostImage != null) {
            return HostImageCommand.run(hostImage, guest, limits, debug, out, err, s -> session = s);
        }
        int cpus = guest.cpuCount();
        long mem = guest.memBytes();
        GuestLimits.check(mem, cpus);
        Duration limit = limits.timeout;
        if (limits.maxInstructions != null && limits.maxInstructions <= 0) {
            throw new UsageError("--max-instructions must be positive");
        }
        if (!psci.equals("kernel") && !psci.equals("user")) {
            throw new UsageError("--psci must be kernel or user, was " + psci);
        }
        AbiProfile profile;
        try {
            profile = abiProfile != null ? AbiProfile.byId(abiProfile)
                    : realmOptions.configured() ? AbiProfile.REALM_CONFIG : AbiProfile.V12;
        } catch (IllegalArgumentException e) {
            throw new UsageError("--abi-profile: " + e.getMessage());
        }
        if (profile == AbiProfile.POPULATE_PROGRESS) {
            throw new UsageError("--abi-profile " + abiProfile + ": cca run implements the v12, psci-user and "
                    + "realm-config profiles (populate-progress is for cca abi-test)");
        }
        if (realmOptions.configured() && !guest.isRealm()) {
            throw new UsageError("--measurement-algo and --realm-pv configure a realm: add --realm");
        }
        byte[] rpv = realmOptions.rpv();
        if ((attestation.challenge != null || attestation.tokenOut != null) && !guest.isRealm()) {
            throw new UsageError("--challenge and --token-out are for realms: add --realm");
        }
        byte[] challenge = attestation.challengeBytes();
        boolean psciInVmm = psci.equals("user") || profile == AbiProfile.PSCI_USER;
        if (psciInVmm && !guest.isRealm()) {
            throw new UsageError("--psci user and --abi-profile psci-user are for realms (--realm)");
        }
        boolean realm = guest.isRealm();
        DeviceOptions.Devices devs = devices.devices();
        Boot boot = prepareBoot(mem, cpus, realm);
        byte[] dtb = boot.dtb();
        if (limits.dumpDtb != null) {
            try {
                Files.write(limits.dumpDtb, dtb);
            } catch (IOException e) {
                throw new UsageError("--dump-dtb " + limits.dumpDtb + ": cannot write: "
                        + dev.cca.vmm.image.IoProblem.describe(e, limits.dumpDtb));
            }
        }
        LoadedImage image = boot.image();
        BootLayout layout = boot.layout();

        long dram = GuestLimits.hostDram(mem, cpus, image);
        PlatformAttestation keys;
        keys = AttestationKeys.load(limits.attestationKeys);
        session = debug.open(parent != null ? parent.err : System.err);
        int verbosity = parent != null ? parent.verbosity() : 0;
        RunLog runLog = verbosity > 0 ? new RunLog(verbosity > 1) : null;
        CcaHost host = CcaHost.boot(cpus, dram, keys, profile, (platform, firmware) -> {
            if (runLog != null) {
                runLog.attachFirmware(firmware);
            }
            session.beforeKernel(platform, firmware);
        });
        session.hostReady(host);
        if (runLog != null) {
            runLog.attachKernel(host.kernel);
        }
        RsiCallWatch rsiWatch = null;
        if (!realm) { // a realm guest run as a normal VM gets a hint
            rsiWatch = new RsiCallWatch();
            List<dev.cca.core.cpu.Cpu> pes = new java.util.ArrayList<>();
            for (int i = 0; i < host.platform.machine.cpuCount(); i++) {
                pes.add(host.platform.machine.cpu(i));
            }
            rsiWatch.attach(pes);
        }
        Process proc = host.kernel.newProcess();
        Vmm vmm = new Vmm(proc, new Vmm.Config(realm, mem, cpus, image, out, layout.dtbAddress, devs,
                psciInVmm && profile != AbiProfile.PSCI_USER, new Vmm.RealmConfig(
                        realmOptions.measurementAlgo != null ? realmOptions.measurementAlgo.rmi : -1, rpv),
                challenge));
        session.vmmReady(vmm);
        vmm.setUp();

        if (limits.maxInstructions != null) {
            // Each vCPU claims its instructions from the limit before executing them: the run ends exactly there.
            host.platform.machine.limitInstructions(new dev.cca.core.cpu.InstructionLimit(limits.maxInstructions,
                    () -> vmm.stop(Vmm.Outcome.INSTRUCTION_LIMIT)));
        }
        long start = System.nanoTime();
        Thread watchdog = new Thread(() -> watch(host, vmm, start, limit), "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Vmm.Result result;
        RawTerminal terminal = null;
        try {
            if (debug.console == null) { // cca debug reads its commands from standard input
                InputStream in = parent != null ? parent.in : System.in;
                RawTerminal.Stdin kind = in == System.in ? RawTerminal.classify() : RawTerminal.Stdin.NOT_A_TERMINAL;
                if (kind == RawTerminal.Stdin.BACKGROUND_TERMINAL) {
                    LOG.info("standard input is a terminal in another job's foreground: the console gets no input");
                    consoleGetsNoInput = true;
                } else {
                    terminal = kind == RawTerminal.Stdin.TERMINAL ? RawTerminal.enter() : null;
                    consoleInput = new ConsoleInput(in, terminal != null, vmm::consoleInput,
                            () -> vmm.stop(Vmm.Outcome.STOPPED), err);
                    consoleInput.start();
                }
            }
            result = vmm.run();
        } finally {
            if (terminal != null) {
                terminal.restore();
            }
        }
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
        // It goes to standard error: standard output is the guest's console only.
        byte[] token = vmm.token();
        String tokenProblem = null;
        if (attestation.tokenOut != null) {
            if (token == null) {
                tokenProblem = "cca: --token-out " + attestation.tokenOut + ": the guest handed no attestation "
                        + "token to the VMM (the default guest does; see docs/attestation.md)";
            } else {
                try {
                    Files.write(attestation.tokenOut, token);
                } catch (IOException e) {
                    tokenProblem = "cca: --token-out " + attestation.tokenOut + ": cannot write: "
                            + dev.cca.vmm.image.IoProblem.describe(e, attestation.tokenOut);
                }
            }
        }
        List<String> extra = new java.util.ArrayList<>();
        if (token != null) {
            extra.add("token:        " + token.length + " bytes from the realm"
                    + (attestation.tokenOut != null && tokenProblem == null ? ", written to " + attestation.tokenOut
                    + (limits.attestationKeys == null ? " (signed with keys made for this run only: "
                    + "--attestation-keys DIR keeps them, and DIR/" + PlatformAttestation.CPAK_PUBLIC_FILE
                    + " verifies the token)" : "") : ""));
        }
        if (runLog != null) {
            extra.addAll(runLog.exitSummary());
        }
        if (rsiWatch != null) {
            rsiWatch.close();
            if (rsiWatch.hint() != null) {
                extra.add("hint:         " + rsiWatch.hint());
            }
        }
        printSummary(err, host, where, realm, result, instructions, seconds, extra);
        proc.exit();
        if (runLog != null) {
            runLog.close(); // after the teardown's RMI calls
        }
        if (tokenProblem != null) {
            err.println(tokenProblem);
            return EXIT_ERROR;
        }
        switch (result.outcome()) {
            case POWER_OFF: return EXIT_OK;
            case RESET: return EXIT_RESET;
            case INSTRUCTION_LIMIT:
            case TIMEOUT: return EXIT_LIMIT;
            case ASLEEP: return EXIT_ERROR;
            default: return EXIT_ERROR;
        }
    }

    /** What the VMM loads: every boot file in one image, and the device tree's address for X0. */
    record Boot(LoadedImage image, BootLayout layout, byte[] dtb) {
    }

    /** Loads the kernel and initrd and builds the device tree as a run does (cca measure predicts from it). */
    Boot prepareBoot(long mem, int cpus, boolean realm) throws ImageFormatException, IOException, UsageError {
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
    private byte[] deviceTree(long mem, int cpus, boolean realm, BootLayout layout)
            throws ImageFormatException, UsageError {
        byte[] dtb;
        if (guest.dtb != null) {
            String name = guest.dtb.toString();
            dtb = ImageLoader.readFile(guest.dtb);
            String problem = dev.cca.vmm.fdt.FdtCheck.problem(dtb);
            if (problem != null) {
                throw new ImageFormatException(name, problem);
            }
        } else {
            DeviceOptions.Devices devs = devices.devices();
            String bootargs = guest.params;
            if (devs.virtioConsole()) { // as lkvm run --console virtio: the kernel's console is hvc0
                bootargs = bootargs == null ? "console=hvc0" : "console=hvc0 " + bootargs;
            }
            dtb = DeviceTree.build(new DeviceTree.Config(mem, cpus, realm, bootargs, layout.initrdStart,
                    layout.initrdEnd, devs.pci(), devs.its()));
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

    /** The console's input, while the run pumps standard input into the UART. */
    private volatile ConsoleInput consoleInput;
    /** Set when standard input is left alone (a background job): no input can ever reach the guest. */
    private volatile boolean consoleGetsNoInput;

    /** How long the guest must stay asleep with no wake-up source before the run ends. */
    static final long ASLEEP_GRACE_NANOS = 200_000_000L;

    private void watch(CcaHost host, Vmm vmm, long start, Duration limit) {
        long asleepSince = -1;
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(20);
                // Only console input can reach a guest from outside (the devices answer the guest's own
                // requests): once it has ended, a guest that nothing inside the machine can wake would wait
                // forever. End the run and say so.
                ConsoleInput input = consoleInput;
                boolean outsideCanWake = debug.console == null && !consoleGetsNoInput
                        && (input == null || !input.ended());
                if (!outsideCanWake && host.platform.machine.asleepWithoutWakeSource()) {
                    long now = System.nanoTime();
                    if (asleepSince < 0) {
                        asleepSince = now;
                    } else if (now - asleepSince >= ASLEEP_GRACE_NANOS) {
                        vmm.stop(Vmm.Outcome.ASLEEP);
                        return;
                    }
                } else {
                    asleepSince = -1;
                }
                if (limit != null && System.nanoTime() - start > limit.toNanos()) {
                    vmm.stop(Vmm.Outcome.TIMEOUT);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void printSummary(PrintStream out, CcaHost host, List<String> vcpuLocations, boolean realm, Vmm.Result r,
                              long instructions, double seconds, List<String> extra) {
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
        extra.forEach(out::println);
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
        // What the translator did, once it ran translated code (short runs interpret every instruction).
        if (limits.engine == RunOptions.EngineKind.jit && host.platform.machine.cpu(0).translatedBlockRuns() > 0) {
            out.println("translated:   " + host.platform.machine.cpu(0).translationStats());
        }
        // A rate says something only for runs long enough to be dominated by guest code.
        String rate = instructions >= 10_000_000 && seconds > 0
                ? String.format(Locale.ROOT, " (%.1f M instructions/s)", instructions / seconds / 1e6) : "";
        out.println(String.format(Locale.ROOT, "wall time:    %.3f s%s", seconds, rate));
        out.flush();
    }

    static Duration parseDuration(String s) throws UsageError {
        try {
            return new DurationConverter().convert(s);
        } catch (CommandLine.TypeConversionException e) {
            throw new UsageError(e.getMessage());
        }
    }
}
