package dev.cca.vmm.debug;

import dev.cca.core.platform.HostPlatform;
import dev.cca.kvm.host.CcaHost;
import dev.cca.rmm.CcaFirmware;
import dev.cca.vmm.Vmm;
import dev.cca.vmm.trace.ChromeTraceWriter;
import dev.cca.vmm.trace.JsonLinesTraceWriter;
import dev.cca.vmm.trace.TraceWriter;
import dev.cca.vmm.trace.Tracer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What {@code --trace}, {@code --gdb} and {@code cca debug} attach to one run, and the points at which the run
 * calls them: {@link #beforeKernel} (firmware installed, host kernel not yet booted), {@link #hostReady},
 * {@link #vmmReady}, {@link #finished} and {@link #close}. A session with nothing enabled does nothing.
 */
public final class DebugSession implements AutoCloseable {
    /** What to attach. {@code traceFile} null: no trace; {@code gdb} null: no gdb stub; {@code console} null: none. */
    public record Config(Path traceFile, Set<Tracer.Category> categories, boolean chrome, String gdb,
                         boolean waitGdb, DebugConsole console) {
    }

    private final Config cfg;
    private final PrintStream log;
    private final Tracer tracer;
    private final GdbServer gdb;
    private volatile Debugger debugger;
    private volatile Vmm vmm;
    /** What stops a run that has no VMM (cca run --host-image). */
    private volatile Runnable stopper;
    private volatile boolean killRequested;
    private volatile boolean closed;

    private DebugSession(Config cfg, PrintStream log, Tracer tracer, GdbServer gdb) {
        this.cfg = cfg;
        this.log = log;
        this.tracer = tracer;
        this.gdb = gdb;
    }

    /** A session that attaches nothing. */
    public static DebugSession none(PrintStream log) {
        return new DebugSession(new Config(null, Set.of(), false, null, false, null), log, null, null);
    }

    /**
     * Opens the trace file and binds the gdb port, so that a bad path or a busy port is reported before the
     * machine boots. Throws IOException with a message for the user.
     */
    public static DebugSession open(Config cfg, PrintStream log) throws IOException {
        Tracer tracer = null;
        GdbServer gdb = null;
        try {
            if (cfg.traceFile() != null) {
                OutputStream out;
                try {
                    out = new BufferedOutputStream(Files.newOutputStream(cfg.traceFile()), 1 << 16);
                } catch (IOException e) {
                    throw new IOException("--trace " + cfg.traceFile() + ": cannot write: " + e.getMessage(), e);
                }
                TraceWriter w = cfg.chrome() ? new ChromeTraceWriter(out) : new JsonLinesTraceWriter(out);
                tracer = new Tracer(w, cfg.categories());
            }
            if (cfg.gdb() != null) {
                gdb = GdbServer.bind(cfg.gdb());
            }
        } catch (IOException | RuntimeException e) {
            if (tracer != null) {
                try {
                    tracer.close();
                } catch (IOException ignored) {
                    // the error being reported is the first one
                }
            }
            throw e;
        }
        return new DebugSession(cfg, log, tracer, gdb);
    }

    /** The firmware is installed and the host kernel is about to boot (and to make its first RMI calls). */
    public void beforeKernel(HostPlatform platform, CcaFirmware firmware) {
        if (tracer != null) {
            tracer.attachFirmware(platform, firmware);
        }
        if (gdb == null && cfg.console() == null) {
            return;
        }
        Debugger d = new Debugger(platform.machine, firmware);
        debugger = d;
        if (gdb != null) {
            gdb.start(d, cfg.waitGdb(), this::kill, log);
            log.println("gdb: listening on " + gdb.address() + (cfg.waitGdb()
                    ? "; the machine waits for gdb (target remote " + gdb.address() + ")" : ""));
            log.flush();
        }
        if (cfg.console() != null) {
            d.attach(true);
            cfg.console().bind(d, this::kill);
        }
    }

    /** The host kernel is up: its system calls can be traced. */
    public void hostReady(CcaHost host) {
        if (tracer != null) {
            tracer.attachKernel(host.kernel);
        }
    }

    /**
     * A system reset installed new firmware (cca run --host-image): the trace follows the new RMM. The debugger
     * keeps the PEs but still names the first firmware (its RMM views show the state before the reset).
     */
    public void firmwareReinstalled(HostPlatform platform, CcaFirmware firmware) {
        if (tracer != null) {
            tracer.attachFirmware(platform, firmware);
        }
    }

    /** A run without a VMM: gdb's kill and the console's quit call {@code stop}. */
    public void stopperReady(Runnable stop) {
        stopper = stop;
    }

    /** A host-image run ended: a connected gdb is told, with cca run's exit status. */
    public void hostImageFinished(String description, int code) {
        Debugger d = debugger;
        if (d != null) {
            if (cfg.console() != null) {
                cfg.console().guestEnded(description);
            }
            d.ended(description, code);
        }
    }

    /** The VMM exists (gdb's kill and the console's quit stop it). */
    public void vmmReady(Vmm v) {
        vmm = v;
    }

    /** The guest has ended: a connected gdb is told (W packet), the console reports it. */
    public void finished(Vmm.Result r) {
        Debugger d = debugger;
        if (d != null) {
            int code;
            switch (r.outcome()) {
                case POWER_OFF: code = 0; break;
                case RESET: code = 3; break;
                case INSTRUCTION_LIMIT:
                case TIMEOUT: code = 4; break;
                default: code = 1; break; // the exit statuses of cca run
            }
            String detail = r.detail() == null || r.detail().isEmpty() ? "" : " [" + r.detail() + "]";
            if (cfg.console() != null) {
                cfg.console().guestEnded(r.outcome().description + detail);
            }
            d.ended(r.outcome().description + detail, code);
        }
    }

    /** Stops the guest on behalf of gdb's kill or the console's quit. */
    private void kill() {
        killRequested = true;
        if (stopVmm()) {
            return;
        }
        Thread t = new Thread(() -> {
            // The VMM may not be running its vCPUs yet (a kill while stopped at the host's first RMI call).
            while (!closed) {
                if (stopVmm()) {
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "debug-kill");
        t.setDaemon(true);
        t.start();
    }

    /** Signals the vCPU threads to stop, if they run; returns whether it did. */
    private boolean stopVmm() {
        Runnable s = stopper;
        if (s != null) {
            s.run();
            return true;
        }
        Vmm v = vmm;
        if (v == null) {
            return false;
        }
        try {
            // Vmm.run adds every vCPU thread before it starts any: one alive means all are listed.
            if (v.vcpuThreads().stream().anyMatch(Thread::isAlive)) {
                v.stop(Vmm.Outcome.STOPPED);
                return true;
            }
        } catch (java.util.ConcurrentModificationException e) {
            // the VMM is starting its threads; the caller tries again
        }
        return false;
    }

    public boolean killRequested() {
        return killRequested;
    }

    /** Detaches the debugger, stops the gdb stub and finishes the trace. Trace errors are printed to the log. */
    @Override
    public void close() {
        closed = true;
        if (gdb != null) {
            if (gdb.hasClient()) {
                try {
                    gdb.awaitClientDone(2000); // let the connected gdb receive the exit report
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            gdb.close();
        }
        Debugger d = debugger;
        if (d != null && d.attached()) {
            d.detach();
        }
        if (tracer != null) {
            try {
                tracer.close();
            } catch (IOException e) {
                log.println("cca: --trace " + cfg.traceFile() + ": " + e.getMessage());
            }
        }
    }
}
