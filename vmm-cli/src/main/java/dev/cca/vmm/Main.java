package dev.cca.vmm;

import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code cca} command. */
@Command(name = "cca",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A pure-Java Arm CCA system emulator: an AArch64 CPU with RME, the RMM and the EL3 firmware as "
            + "Java models, a KVM host with the Linux realm ABI (v12), and this VMM.%n",
        footer = {"%nExamples:",
            "  cca run                          boot the embedded hello-realm guest in a realm",
            "  cca run --realm -k g.elf -m 256  boot your own image in a realm with 256 MiB",
            "  cca -v run                       the same, with the host's log on stderr",
            "  cca debug                        step through the realm's RMI calls in a console",
            "  cca help run                     all options of run"})
public final class Main implements Runnable {

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "More output on stderr: -v for info, -vv for debug (and stack traces on errors).")
    boolean[] verbose = new boolean[0];

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where commands read their input (cca run: the guest's console), write their normal output and errors. */
    InputStream in = System.in;
    PrintStream out = System.out;
    PrintStream err = System.err;

    int verbosity() {
        return verbose.length;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cca " + (v != null ? v : "(development build)"),
                "RMM interface 1.0 (DEN0137 1.0-rel0), KVM realm ABI v12"};
        }
    }

    public static int run(String... args) {
        return run(System.in, System.out, System.err, args);
    }

    /** Runs the command line with the given output streams and no input (for tests and embedding). */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(InputStream.nullInputStream(), out, err, args);
    }

    /**
     * Runs the command line with the given streams. Only when {@code in} is {@link System#in} may a command treat
     * it as a terminal (cca run puts a terminal in raw mode).
     */
    public static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
        Main main = new Main();
        main.in = in;
        main.out = out;
        main.err = err;
        CommandLine cl = commandLine(main, subcommandsFor(args));
        HelpFooter.install(cl);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionStrategy(pr -> {
            Logging.configure(main.verbosity());
            try {
                return new CommandLine.RunLast().execute(pr);
            } catch (VirtualMachineError e) {
                // picocli hands only Exceptions to the handler below: an Error (the heap or the stack exhausted)
                // would otherwise end the JVM with a stack trace.
                return fatal(main, pr.commandSpec().commandLine().getErr(), e);
            }
        });
        cl.setParameterExceptionHandler((e, args2) -> {
            // One line naming the option and the problem, as for every other bad input; the usage is a --help away.
            CommandLine c = e.getCommandLine();
            String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            c.getErr().println("cca: " + msg + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return CommandLine.ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((e, cmd, pr) -> {
            cmd.getErr().println("cca: internal error: " + e);
            if (main.verbosity() > 0) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("cca: run with -v for the stack trace");
            }
            return 70;
        });
        return cl.execute(args);
    }

    /** The command line of {@code main} with the subcommands {@code subs}. */
    static CommandLine commandLine(Main main, List<Class<?>> subs) {
        CommandLine cl = new CommandLine(main);
        for (Class<?> sub : subs) {
            cl.addSubcommand(sub);
        }
        CommandLine run = cl.getSubcommands().get("run");
        if (run != null) {
            // The memory map in run's help comes from MemoryMap, where it is declared.
            run.getCommandSpec().usageMessage().footer(expandMemoryMap(run.getCommandSpec().usageMessage().footer()));
        }
        return cl;
    }

    /** The subcommands, in the order help lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, DebugCommand.class, BenchCommand.class,
            InitramfsCommand.class, TokenCommand.class, MeasureCommand.class, AbiTestCommand.class,
            CommandLine.HelpCommand.class);

    /**
     * The subcommands to build the command line with: only the one named, when the first word that is not an
     * option names one (picocli's model of every subcommand's options is most of the CLI's start-up time), else
     * all of them (help, a mistyped name, no command).
     */
    static List<Class<?>> subcommandsFor(String[] args) {
        for (String a : args) {
            if (a.startsWith("-")) {
                continue;
            }
            for (Class<?> c : SUBCOMMANDS) {
                Command cmd = c.getAnnotation(Command.class);
                if (cmd.name().equals(a) && c != CommandLine.HelpCommand.class) {
                    return List.of(c);
                }
            }
            break;
        }
        return SUBCOMMANDS;
    }

    private static String[] expandMemoryMap(String[] footer) {
        java.util.List<String> l = new java.util.ArrayList<>();
        for (String f : footer) {
            if (f.equals("@memory-map@")) {
                MemoryMap.describe().lines().forEach(l::add);
            } else {
                l.add(f);
            }
        }
        return l.toArray(new String[0]);
    }

    /** One line for an Error of the JVM; the stack trace only with -v. */
    private static int fatal(Main main, java.io.PrintWriter err, VirtualMachineError e) {
        if (e instanceof OutOfMemoryError) {
            err.println("cca: out of memory (" + e.getMessage() + "): give java a larger heap "
                    + "(CCA_JAVA_OPTS=-Xmx8g), or the guest less memory");
        } else if (e instanceof StackOverflowError) {
            err.println("cca: internal error: stack overflow (an input nested too deeply)");
        } else {
            err.println("cca: internal error: " + e);
        }
        if (main.verbosity() > 0) {
            e.printStackTrace(err);
        } else if (!(e instanceof OutOfMemoryError)) {
            err.println("cca: run with -v for the stack trace");
        }
        err.flush();
        return e instanceof OutOfMemoryError ? 1 : 70;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
