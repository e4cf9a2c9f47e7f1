package dev.cca.vmm;

import dev.cca.vmm.bench.MipsImage;
import dev.cca.vmm.bench.TimedRun;
import dev.cca.vmm.initramfs.Initramfs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cca bench}: guest instructions per second on a CPU-bound loop, and the wall time of a Linux boot to
 * /init and to power-off, for cca and (when it is installed) for QEMU's TCG on the same images in the same run.
 * Every measurement runs a fresh process, as a user would start it, so process start and JIT warm-up are
 * included in the boot times (the loop has a warm-up phase before its timed part).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure cca against QEMU TCG: guest instructions per second on a CPU-bound loop (a normal "
            + "VM, 1 vCPU) and the wall time of a Linux boot to /init (the initramfs's \"" + Initramfs.MARKER
            + "\") and to power-off, as a normal VM and as a realm. Each run is a fresh process. QEMU runs the "
            + "same images with each "
            + "--qemu-cpu model when qemu-system-aarch64 is installed.%n",
        footer = {"%nThe default QEMU CPU models are those whose features come closest to what cca advertises "
            + "(docs/cpu-features.md): Armv8.0 cores with crypto (cortex-a72), an Armv8.2 core with LSE and LRCPC "
            + "(neoverse-n1), and -cpu max without the features that cost QEMU much and that cca lacks (SVE, SME, "
            + "pointer authentication). The headline ratio is against the fastest of them.",
            "%nExamples:",
            "  cca bench                                  both parts, kernel from build-cache/linux",
            "  cca bench --only mips --no-qemu",
            "  cca bench --kernel vmlinuz --initrd initramfs.cpio --runs 3",
            "  cca bench --qemu-cpu cortex-a57 --qemu-cpu max"})
final class BenchCommand implements Callable<Integer> {
    static final List<String> DEFAULT_QEMU_CPUS = List.of("max,sve=off,sme=off,pauth=off", "neoverse-n1",
            "cortex-a72");

    @ParentCommand
    Main parent;

    @Option(names = "--only", paramLabel = "PART", description = "Run only one part: mips or linux.")
    String only;

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "cca's execution engine, interp or jit; repeat to measure several side by side "
                + "(default: cca run's default).")
    List<RunOptions.EngineKind> engines;

    @Option(names = {"-k", "--kernel"}, paramLabel = "FILE",
            description = "The Linux kernel (default: $CCA_LINUX_CACHE/vmlinuz or build-cache/linux/vmlinuz, as "
                + "src-test-images/linux/fetch.sh leaves them).")
    Path kernel;

    @Option(names = {"-i", "--initrd"}, paramLabel = "FILE",
            description = "The initramfs; its /init must print \"" + Initramfs.MARKER + "\" (default: next to the "
                + "kernel, initramfs.cpio).")
    Path initrd;

    @Option(names = {"-p", "--params"}, paramLabel = "CMDLINE", defaultValue = "console=ttyAMA0",
            description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    String params;

    @Option(names = {"-m", "--mem"}, paramLabel = "MIB", defaultValue = "512",
            description = "Guest memory in MiB for the Linux boot (default: ${DEFAULT-VALUE}).")
    int memMib;

    @Option(names = "--qemu", paramLabel = "PROGRAM", defaultValue = "qemu-system-aarch64",
            description = "The QEMU to compare with (default: ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--no-qemu", description = "Measure cca only.")
    boolean noQemu;

    @Option(names = "--qemu-cpu", paramLabel = "MODEL",
            description = "A QEMU -cpu value to measure; repeat for several (default: max,sve=off,sme=off,pauth=off, "
                + "neoverse-n1, cortex-a72).")
    List<String> qemuCpus;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "1",
            description = "Runs of each measurement, made in rounds (each round runs every measurement once, so "
                + "that a machine's drift weighs on all alike); the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "100000000",
            description = "Timed iterations of the 11-instruction loop (default: ${DEFAULT-VALUE}).")
    long iterations;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "20000000",
            description = "Iterations before the timed part, for the JIT (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m",
            description = "Longest wall time of one run before it is killed (default: ${DEFAULT-VALUE}).")
    String timeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private PrintStream out;
    private Duration limit;

    @Override
    public Integer call() throws Exception {
        out = parent != null ? parent.out : System.out;
        PrintStream err = parent != null ? parent.err : System.err;
        try {
            limit = RunCommand.parseDuration(timeout);
        } catch (RunCommand.UsageError e) {
            err.println("cca: --timeout: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (only != null && !only.equals("mips") && !only.equals("linux")) {
            err.println("cca: --only must be mips or linux, was '" + only + "'");
            return CommandLine.ExitCode.USAGE;
        }
        if (runs < 1 || iterations < 1 || warmup < 1 || memMib < 16) {
            err.println("cca: --runs, --iterations and --warmup must be positive and --mem at least 16");
            return CommandLine.ExitCode.USAGE;
        }
        List<String> cpus = qemuCpus == null || qemuCpus.isEmpty() ? DEFAULT_QEMU_CPUS : qemuCpus;
        if (engines == null || engines.isEmpty()) {
            engines = List.of(new RunOptions().engine);
        }
        String qemuVersion = noQemu ? null : qemuVersion();
        header(qemuVersion);
        boolean ok = true;
        if (only == null || only.equals("mips")) {
            ok &= mips(qemuVersion == null ? List.of() : cpus);
        }
        if (only == null || only.equals("linux")) {
            ok &= linux(qemuVersion == null ? List.of() : cpus);
        }
        out.printf(Locale.ROOT, "%nload average at the end: %s%n", loadAverage());
        return ok ? 0 : 1;
    }

    private void header(String qemuVersion) {
        out.println("cca bench, " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")));
        out.printf(Locale.ROOT, "host:   %d CPUs, %s %s, load average %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), loadAverage());
        out.println("java:   " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        out.println("qemu:   " + (noQemu ? "not measured (--no-qemu)"
                : qemuVersion != null ? qemuVersion : qemu + " not found: cca only"));
    }

    /** The 1, 5 and 15 minute load averages (/proc/loadavg), or the JVM's 1-minute figure elsewhere. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
        }
    }

    private String qemuVersion() {
        try {
            Process p = new ProcessBuilder(qemu, "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst()
                    .orElse("");
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? v.trim() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The command that starts this cca (same Java, same class path) with {@code args}. */
    static List<String> ccaCommand(String... args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> c = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        Collections.addAll(c, args);
        return c;
    }

    private List<String> qemuCommand(String cpu, String... args) {
        List<String> c = new ArrayList<>(List.of(qemu, "-M", "virt,gic-version=3", "-cpu", cpu, "-smp", "1",
                "-nographic", "-no-reboot"));
        Collections.addAll(c, args);
        return c;
    }

    /** A command measured once per round (see {@link #measure}): its label, and its runs so far. */
    private static final class Measurement {
        final String label;
        final List<String> command;
        final List<TimedRun> runs = new ArrayList<>();
        /** The run that failed, after which the measurement is not run again; or null. */
        TimedRun failed;

        Measurement(String label, List<String> command) {
            this.label = label;
            this.command = command;
        }
    }

    /**
     * Runs every measurement {@link #runs} times, round by round: each round runs every measurement once, in order.
     * A shared machine's speed drifts over minutes; this way the drift weighs on all of them alike, and the ratios
     * between them are of runs made side by side. A measurement whose run is not {@code ok} is not run again.
     */
    private void measure(List<Measurement> ms, List<String> markers, Predicate<TimedRun> ok)
            throws IOException, InterruptedException {
        for (int round = 0; round < runs; round++) {
            for (Measurement m : ms) {
                if (m.failed != null) {
                    continue;
                }
                TimedRun r = TimedRun.run(m.command, markers, limit);
                if (ok.test(r)) {
                    m.runs.add(r);
                } else {
                    m.failed = r;
                }
            }
        }
    }

    // ---- guest instructions per second ------------------------------------------------------------------------

    private boolean mips(List<String> cpus) throws IOException, InterruptedException {
        Path image = Files.createTempFile("cca-bench-mips", ".elf");
        try {
            Files.write(image, MipsImage.build(warmup, iterations));
            long n = iterations * MipsImage.LOOP_INSNS;
            out.printf(Locale.ROOT, "%nGuest instructions per second: the 11-instruction loop of "
                    + "src-test-images/bench/mips-loop.S,%n%d M instructions timed after %d M of warm-up, EL1 with the "
                    + "MMU off, 1 vCPU, %d run(s) in rounds, median%n", n / 1_000_000,
                    warmup * MipsImage.LOOP_INSNS / 1_000_000, runs);
            List<Measurement> ms = new ArrayList<>();
            for (RunOptions.EngineKind e : engines) {
                ms.add(new Measurement("cca (normal VM, --engine " + e + ")", ccaCommand("run", "--engine", e.name(),
                        "-k", image.toString())));
            }
            for (String cpu : cpus) {
                ms.add(new Measurement("qemu -cpu " + cpu, qemuCommand(cpu, "-m", "128M", "-kernel",
                        image.toString())));
            }
            measure(ms, List.of(MipsImage.BEGIN, MipsImage.END), r -> {
                Double b = r.at(MipsImage.BEGIN);
                Double e = r.at(MipsImage.END);
                return b != null && e != null && e > b;
            });
            List<Double> cca = new ArrayList<>();
            boolean ok = true;
            for (int k = 0; k < ms.size(); k++) {
                Double r = mipsOf(ms.get(k), n);
                ok &= r != null;
                if (k < engines.size()) {
                    cca.add(r);
                    continue;
                }
                for (int e = 0; e < engines.size(); e++) {
                    if (r != null && cca.get(e) != null) {
                        out.printf(Locale.ROOT, "  %-44s %8.1fx%n", "  QEMU / cca --engine " + engines.get(e),
                                r / cca.get(e));
                    }
                }
            }
            return ok;
        } finally {
            Files.deleteIfExists(image);
        }
    }

    /** Prints a loop measurement's median rate and returns it, or reports its failed run and returns null. */
    private Double mipsOf(Measurement m, long n) {
        if (m.failed != null) {
            out.printf(Locale.ROOT, "  %-44s failed (exit %d%s):%n%s", m.label, m.failed.exitCode,
                    m.failed.timedOut ? ", killed at the timeout" : "", m.failed.tail(8));
            return null;
        }
        List<Double> rates = new ArrayList<>();
        for (TimedRun r : m.runs) {
            rates.add(n / (r.at(MipsImage.END) - r.at(MipsImage.BEGIN)) / 1e6);
        }
        double median = median(rates);
        out.printf(Locale.ROOT, "  %-44s %8.1f M instructions/s%s%n", m.label, median, spread(rates, "%.1f"));
        return median;
    }

    // ---- Linux boot -----------------------------------------------------------------------------------------

    private static final Pattern INSTRUCTIONS = Pattern.compile("(?m)^instructions: (\\d+)");

    private boolean linux(List<String> cpus) throws IOException, InterruptedException {
        Path k = kernel;
        if (k == null) {
            String cache = System.getenv("CCA_LINUX_CACHE");
            k = Path.of(cache != null ? cache : "build-cache/linux").resolve("vmlinuz");
        }
        Path i = initrd != null ? initrd : k.resolveSibling("initramfs.cpio");
        if (!Files.isRegularFile(k) || !Files.isRegularFile(i)) {
            out.printf("%nLinux boot: skipped, no %s (fetch Debian's kernel with src-test-images/linux/fetch.sh, "
                    + "or give --kernel and --initrd)%n", !Files.isRegularFile(k) ? k : i);
            return only == null; // asked for explicitly: that is an error
        }
        String version = "";
        Path kv = k.resolveSibling("kernel-version");
        if (Files.isRegularFile(kv)) {
            version = " (" + Files.readString(kv).trim() + ")";
        }
        out.printf(Locale.ROOT, "%nLinux boot: %s%s, %s, %d MiB, 1 vCPU, \"%s\", %d run(s) in rounds, median%n", k,
                version, i, memMib, params, runs);
        out.printf(Locale.ROOT, "  %-44s %9s %13s%n", "", "to /init", "to power-off");
        List<Measurement> ms = new ArrayList<>();
        for (RunOptions.EngineKind e : engines) {
            ms.add(new Measurement("cca (normal VM, --engine " + e + ")", ccaCommand("run", "--engine", e.name(),
                    "--kernel", k.toString(), "--initrd", i.toString(), "--params", params, "--mem",
                    Integer.toString(memMib))));
            // The same boot in a realm, measured in the same rounds: the cost of the RMM, REC exits and list
            // registers.
            ms.add(new Measurement("cca (realm, --engine " + e + ")", ccaCommand("run", "--engine", e.name(),
                    "--realm", "--kernel", k.toString(), "--initrd", i.toString(), "--params", params, "--mem",
                    Integer.toString(memMib))));
        }
        for (String cpu : cpus) {
            ms.add(new Measurement("qemu -cpu " + cpu, qemuCommand(cpu, "-m", memMib + "M", "-kernel", k.toString(),
                    "-initrd", i.toString(), "-append", params)));
        }
        measure(ms, List.of(Initramfs.MARKER), r -> r.at(Initramfs.MARKER) != null && r.exitCode == 0);
        List<double[]> cca = new ArrayList<>();
        boolean ok = true;
        for (int e = 0; e < engines.size(); e++) {
            double[] r = boot(ms.get(2 * e), true);
            double[] realm = boot(ms.get(2 * e + 1), true);
            if (r != null && realm != null) {
                out.printf(Locale.ROOT, "  boot to /init, realm / normal VM (--engine %s): %.2fx%n", engines.get(e),
                        realm[0] / r[0]);
            }
            cca.add(r);
            ok &= r != null && realm != null;
        }
        double fastest = Double.MAX_VALUE;
        String fastestCpu = null;
        for (int c = 0; c < cpus.size(); c++) {
            double[] q = boot(ms.get(2 * engines.size() + c), false);
            ok &= q != null;
            if (q != null && q[0] < fastest) {
                fastest = q[0];
                fastestCpu = cpus.get(c);
            }
        }
        for (int n = 0; n < engines.size(); n++) {
            if (cca.get(n) != null && fastestCpu != null) {
                out.printf(Locale.ROOT, "  boot to /init, cca --engine %s / QEMU: %.1fx (against the fastest QEMU, "
                        + "-cpu %s)%n", engines.get(n), cca.get(n)[0] / fastest, fastestCpu);
            }
        }
        return ok;
    }

    /**
     * Prints a boot measurement's median times to the /init marker and to the end of the process and returns them,
     * or reports its failed run and returns null.
     */
    private double[] boot(Measurement m, boolean isCca) {
        if (m.failed != null) {
            TimedRun r = m.failed;
            out.printf(Locale.ROOT, "  %-44s failed (exit %d%s%s):%n%s", m.label, r.exitCode,
                    r.timedOut ? ", killed at the timeout" : "",
                    r.at(Initramfs.MARKER) == null ? ", no /init marker" : "", r.tail(8));
            return null;
        }
        List<Double> init = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        long instructions = -1;
        for (TimedRun r : m.runs) {
            init.add(r.at(Initramfs.MARKER));
            total.add(r.total);
            Matcher x = INSTRUCTIONS.matcher(r.console);
            if (isCca && x.find()) {
                instructions = Long.parseLong(x.group(1));
            }
        }
        double i = median(init);
        double t = median(total);
        String extra = instructions > 0
                ? String.format(Locale.ROOT, "   (%.2f G guest instructions, %.0f M/s)", instructions / 1e9,
                        instructions / t / 1e6) : "";
        out.printf(Locale.ROOT, "  %-44s %8.2f s %11.2f s%s%s%n", m.label, i, t, spread(init, "%.2f"), extra);
        return new double[] {i, t};
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String spread(List<Double> v, String fmt) {
        if (v.size() < 2) {
            return "";
        }
        return String.format(Locale.ROOT, "   [" + fmt + " .. " + fmt + "]", Collections.min(v), Collections.max(v));
    }
}
