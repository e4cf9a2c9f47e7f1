package dev.cca.vmm;

import dev.cca.vmm.debug.DebugConsole;
import dev.cca.vmm.debug.DebugSession;
import dev.cca.vmm.trace.Tracer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Set;

/** The debugging options of {@code cca run}: the gdb stub and the trace (docs/debugging.md, docs/tracing.md). */
public final class DebugOptions {
    @Mixin
    TraceOptions trace = new TraceOptions();

    @Option(names = "--gdb", paramLabel = "tcp::PORT",
            description = "Serve the GDB remote protocol on PORT (tcp::PORT or tcp:HOST:PORT; localhost by default) "
                + "for gdb-multiarch: PEs are threads, 'monitor help' lists the RMM commands.")
    String gdb;

    @Option(names = "--wait-gdb",
            description = "With --gdb: keep the machine stopped before the host's first RMI call until gdb "
                + "connects and continues.")
    boolean waitGdb;

    @Option(names = "-s", description = "Shorthand for --gdb tcp::1234 (as QEMU's -s).")
    boolean gdbDefaultPort;

    @Option(names = "-S", description = "Shorthand for --wait-gdb (as QEMU's -S): start stopped, until gdb continues.")
    boolean waitGdbShort;

    /** Set by cca debug: the console that drives the debugger instead of gdb. */
    DebugConsole console;

    /** Opens what the options ask for (trace file, gdb port) before the machine boots. */
    DebugSession open(PrintStream log) throws RunCommand.UsageError {
        if (gdbDefaultPort) {
            if (gdb != null) {
                throw new RunCommand.UsageError("-s is --gdb tcp::1234: give one of -s and --gdb");
            }
            gdb = "tcp::1234";
        }
        waitGdb |= waitGdbShort;
        if (waitGdb && gdb == null) {
            throw new RunCommand.UsageError((waitGdbShort ? "-S" : "--wait-gdb") + " needs --gdb tcp::PORT (or -s)");
        }
        if (trace.file == null && (trace.filter != null || trace.format != TraceOptions.Format.jsonl)) {
            throw new RunCommand.UsageError("--trace-filter and --trace-format need --trace FILE");
        }
        if (trace.file == null && gdb == null && console == null) {
            return DebugSession.none(log);
        }
        Set<Tracer.Category> categories;
        try {
            categories = Tracer.parseFilter(trace.filter);
            if (gdb != null) {
                dev.cca.vmm.debug.GdbServer.parseAddress(gdb);
            }
        } catch (IllegalArgumentException e) {
            throw new RunCommand.UsageError(e.getMessage());
        }
        try {
            return DebugSession.open(new DebugSession.Config(trace.file, categories,
                    trace.format == TraceOptions.Format.chrome, gdb, waitGdb, console), log);
        } catch (IOException e) {
            throw new RunCommand.UsageError(e.getMessage()); // an unusable --trace path or --gdb port
        }
    }
}
