package dev.cca.vmm;

import dev.cca.vmm.debug.DebugConsole;
import dev.cca.vmm.debug.ElfSymbols;
import dev.cca.vmm.debug.JLineSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code cca debug}: boots a guest like {@code cca run}, stopped, under an interactive or scripted debugger. */
@Command(name = "debug",
        description = "Boot a guest as 'cca run' does, stopped at the host kernel's first RMI call, and debug it "
            + "from a console: step through RMI and RSI calls decoded (rmi-step), step instructions, set "
            + "breakpoints and watchpoints, read registers and memory, and inspect granules, RTTs, realms and "
            + "RECs. --script runs the commands of a file (for CI). See docs/debugging.md.%n",
        footer = {"%nExit status: that of the run (as cca run), but 0 when 'quit' stopped the guest; 2 for usage "
            + "errors.",
            "%nExamples:",
            "  cca debug                                  debug the embedded hello-realm guest",
            "  cca debug --script steps.txt --trace t.jsonl",
            "  echo 'rmi-step 5' | cca debug -k guest.elf --realm",
            "%nIn the console, 'help' lists the commands."},
        mixinStandardHelpOptions = true)
final class DebugCommand implements Callable<Integer> {
    private static final String DEFAULT_IMAGE = "/images/hello-realm.elf";

    @ParentCommand
    Main parent;

    @Mixin
    GuestOptions guest;

    @Mixin
    TraceOptions trace;

    @Mixin
    RunOptions limits = new RunOptions();

    @Mixin
    DeviceOptions devices = new DeviceOptions();

    @Mixin
    RealmOptions realmOptions = new RealmOptions();

    @Option(names = "--script", paramLabel = "FILE",
            description = "Read the console's commands from FILE instead of the terminal; at its end the guest "
                + "runs on to its end.")
    Path script;

    @Override
    public Integer call() throws Exception {
        PrintStream err = parent != null ? parent.err : System.err;
        limits.applyEngine();
        boolean terminal = System.console() != null && (parent == null || parent.out == System.out);
        // The run (and the guest's console) print through a stream that tells the console where lines end.
        DebugConsole.Output tracker = new DebugConsole.Output(parent != null ? parent.out : System.out);
        PrintStream out = new PrintStream(tracker, true, StandardCharsets.UTF_8);
        if (parent != null) {
            parent.out = out;
        }
        DebugConsole.LineSource in;
        boolean echo;
        if (script != null) {
            try {
                in = DebugConsole.lines(Files.newBufferedReader(script, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                err.println("cca: --script " + script + ": no such file");
                return CommandLine.ExitCode.USAGE;
            } catch (IOException e) {
                err.println("cca: --script " + script + ": " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            echo = true;
        } else if (terminal) {
            in = new JLineSource();
            echo = false;
        } else {
            in = DebugConsole.lines(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
            echo = true;
        }
        DebugConsole console = new DebugConsole(out, tracker, in, echo, symbols());

        RunCommand run = new RunCommand();
        run.parent = parent;
        run.guest = guest;
        run.limits = limits;
        run.devices = devices;
        run.realmOptions = realmOptions;
        run.debug = new DebugOptions();
        run.debug.trace = trace;
        run.debug.console = console;

        int[] exit = {RunCommand.EXIT_ERROR};
        boolean[] crashed = {false};
        Thread machine = new Thread(() -> {
            try {
                exit[0] = run.call();
            } catch (Exception e) {
                crashed[0] = true;
                err.println("cca: internal error: " + e);
                if (parent != null && parent.verbosity() > 0) {
                    e.printStackTrace(err);
                }
            } finally {
                console.machineDone();
            }
        }, "machine");
        machine.start();
        console.run();
        machine.join();
        // A guest stopped by 'quit' ends the run as the user asked: exit 0, as a script that ends in quit is a
        // success (cca run's own "stopped by the user", from gdb's kill or Ctrl-A x, stays 1).
        if (console.stoppedByQuit() && !crashed[0] && exit[0] == RunCommand.EXIT_ERROR) {
            return RunCommand.EXIT_OK;
        }
        return exit[0];
    }

    /** The guest image's symbols, for 'break puts' (none if the image has no symbol table). */
    private ElfSymbols symbols() {
        try {
            if (guest.kernel == null) {
                try (InputStream s = DebugCommand.class.getResourceAsStream(DEFAULT_IMAGE)) {
                    return s == null ? ElfSymbols.NONE : ElfSymbols.parse(s.readAllBytes());
                }
            }
            return ElfSymbols.parse(Files.readAllBytes(guest.kernel));
        } catch (IOException e) {
            return ElfSymbols.NONE; // the run reports an unreadable image itself
        }
    }
}
