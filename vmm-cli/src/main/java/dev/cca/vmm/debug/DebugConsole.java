package dev.cca.vmm.debug;

import dev.cca.core.cpu.Cpu;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The {@code cca debug} console: the debugger without gdb. It reads commands from a terminal (JLine) or a script,
 * and drives the same {@link Debugger} as the gdb stub: {@code rmi-step} runs to the next completed RMI or RSI call
 * printing each call decoded and then its result, {@code step}, {@code continue}, breakpoints and watchpoints,
 * {@code regs}, {@code x}, and the RMM views of {@link RmmView}.
 *
 * <p>The machine runs on its own thread; the console starts when the debugger is bound (the machine is then
 * stopped at the host kernel's first RMI call) and ends at {@code quit}, or at the end of its input, after which
 * the guest runs to its end undisturbed.
 */
public final class DebugConsole {
    /** Where commands come from. {@link #readLine} returns null at the end of the input. */
    public interface LineSource extends Closeable {
        String readLine(String prompt) throws IOException;
    }

    /** Lines from a reader (a script, or a standard input that is not a terminal); echoed with the prompt. */
    public static LineSource lines(BufferedReader r) {
        return new LineSource() {
            @Override
            public String readLine(String prompt) throws IOException {
                return r.readLine();
            }

            @Override
            public void close() throws IOException {
                r.close();
            }
        };
    }

    private static final String PROMPT = "(cca) ";

    /**
     * The stream the run writes to (the guest's console included), remembering whether the last byte ended a line,
     * so the console's messages start on a line of their own.
     */
    public static final class Output extends java.io.FilterOutputStream {
        private volatile int last = '\n';

        public Output(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public synchronized void write(int b) throws IOException {
            out.write(b);
            last = b;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            if (len > 0) {
                last = b[off + len - 1];
            }
        }

        boolean atLineStart() {
            return last == '\n';
        }
    }

    private final PrintStream out;
    private final Output tracker;
    private final LineSource in;
    private final boolean echo;
    private final ElfSymbols symbols;
    private final DebugMemory memory = new DebugMemory();
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile Debugger dbg;
    private volatile Runnable kill;
    private RmmView view;
    private volatile boolean machineDone;
    private volatile boolean ended;
    private volatile boolean printing;
    private volatile boolean stoppedByQuit;
    private int pe;

    /**
     * @param out where the console and the run print ({@code tracker} must be the stream under it)
     * @param echo print each command after the prompt (for scripts, so the transcript reads like a session)
     */
    public DebugConsole(PrintStream out, Output tracker, LineSource in, boolean echo, ElfSymbols symbols) {
        this.out = out;
        this.tracker = tracker;
        this.in = in;
        this.echo = echo;
        this.symbols = symbols;
    }

    /** Called on the machine's thread once the debugger exists and is attached with the machine stopped. */
    void bind(Debugger d, Runnable killAction) {
        this.view = new RmmView(d);
        this.kill = killAction;
        d.addCallListener(e -> {
            if (printing) {
                say(format(e));
            }
        });
        this.dbg = d;
        ready.countDown();
    }

    /** Called by the session on the machine's thread when the guest has ended, before the run's summary. */
    void guestEnded(String how) {
        ended = true;
        say("guest ended: " + how);
        out.flush();
    }

    /**
     * Whether {@code quit} stopped a guest that was still running: the user asked for that stop, so it is not a
     * failure of the run.
     */
    public boolean stoppedByQuit() {
        return stoppedByQuit;
    }

    /** Called when the machine's thread is done (normally or not). */
    public void machineDone() {
        machineDone = true;
        ready.countDown();
    }

    /** Prints a line of the console's own, on a fresh line if the guest left its output mid-line. */
    private void say(Object line) {
        synchronized (out) {
            if (!tracker.atLineStart()) {
                out.println();
            }
            out.println(line);
        }
    }

    private String format(Debugger.CallEvent e) {
        return "[PE" + e.pe() + "] " + "  ".repeat(Math.max(0, e.depth() - 1)) + (e.isReturn() ? "ret  " : "call ")
                + e.text();
    }

    /** Runs the console until quit or the end of its input. */
    public void run() throws IOException, InterruptedException {
        ready.await();
        if (dbg == null) {
            return; // the run failed before the machine booted; its error is already printed
        }
        Debugger.Stop first = waitStop();
        say("cca debug: " + (first.kind() == Debugger.StopKind.INITIAL && first.call() != null
                ? "stopped at the host kernel's first RMI call" : "stopped") + "; 'help' lists the commands");
        describe(first);
        try {
            while (true) {
                out.flush();
                String line = in.readLine(PROMPT);
                if (line == null) {
                    endOfInput();
                    return;
                }
                line = line.strip();
                if (echo) {
                    say(PROMPT + line);
                }
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (!execute(line)) {
                    return;
                }
            }
        } finally {
            in.close();
        }
    }

    private void endOfInput() throws InterruptedException {
        if (!ended && !machineDone) {
            say("end of input: the guest runs on to its end");
            dbg.detach();
        }
        awaitMachine();
    }

    private void awaitMachine() throws InterruptedException {
        while (!machineDone) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** Runs one command; returns false to leave the console. */
    boolean execute(String line) throws InterruptedException {
        String[] w = line.split("\\s+");
        String cmd = w[0].toLowerCase(Locale.ROOT);
        try {
            switch (cmd) {
                case "help":
                case "h":
                case "?":
                    help();
                    return true;
                case "quit":
                case "q":
                case "exit":
                    if (!ended && !machineDone) {
                        say("stopping the guest");
                        stoppedByQuit = true;
                        kill.run(); // signal the vCPUs first, so they stop as soon as they are let go
                        dbg.detach();
                    }
                    awaitMachine();
                    return false;
                case "rmi-step":
                case "rs":
                    rmiStep(count(w));
                    return true;
                case "step":
                case "stepi":
                case "si":
                case "s":
                    step(count(w));
                    return true;
                case "continue":
                case "cont":
                case "c":
                    if (notRunning()) {
                        return true;
                    }
                    dbg.resume(null);
                    describe(waitStop());
                    return true;
                case "break":
                case "b":
                    RmmView.need(w, 2, "break ADDRESS|SYMBOL");
                    dbg.addBreakpoint(address(w[1]), false);
                    say("breakpoint at " + where(address(w[1])));
                    return true;
                case "delete":
                case "d":
                    RmmView.need(w, 2, "delete ADDRESS|SYMBOL");
                    say(dbg.removeBreakpoint(address(w[1]), false) ? "deleted" : "no breakpoint there");
                    return true;
                case "watch":
                    RmmView.need(w, 2, "watch ADDRESS|SYMBOL [LENGTH]");
                    dbg.addWatchpoint(address(w[1]), w.length > 2 ? (int) RmmView.parseNumber(w[2]) : 8,
                            Debugger.WATCH_WRITE);
                    say("watching writes to " + where(address(w[1])));
                    return true;
                case "unwatch":
                    RmmView.need(w, 2, "unwatch ADDRESS|SYMBOL [LENGTH]");
                    say(dbg.removeWatchpoint(address(w[1]), w.length > 2 ? (int) RmmView.parseNumber(w[2])
                            : 8, Debugger.WATCH_WRITE) ? "deleted" : "no such watchpoint");
                    return true;
                case "breaks":
                case "info":
                    listBreakpoints();
                    return true;
                case "regs":
                case "registers":
                    regs();
                    return true;
                case "x":
                    RmmView.need(w, 2, "x ADDRESS|SYMBOL [BYTES]");
                    dump(address(w[1]), w.length > 2 ? (int) RmmView.parseNumber(w[2]) : 64);
                    return true;
                case "cpu":
                    RmmView.need(w, 2, "cpu N");
                    int n = (int) RmmView.parseNumber(w[1]);
                    if (n < 0 || n >= dbg.peCount()) {
                        throw new IllegalArgumentException("there are " + dbg.peCount() + " PEs (0.."
                                + (dbg.peCount() - 1) + ")");
                    }
                    pe = n;
                    say("PE" + pe + " selected");
                    return true;
                case "catch":
                    RmmView.need(w, 2, "catch rmi|rsi|all|none");
                    dbg.setCatch(w[1].equals("rmi") || w[1].equals("all"), w[1].equals("rsi") || w[1].equals("all"));
                    say("continue stops at every call and return of: " + w[1]);
                    return true;
                default: {
                    String r = view.command(w, pe);
                    say(r != null ? r : "unknown command '" + w[0] + "'; 'help' lists the commands");
                    return true;
                }
            }
        } catch (IllegalArgumentException e) {
            say(e.getMessage());
            return true;
        }
    }

    private static int count(String[] w) {
        if (w.length < 2) {
            return 1;
        }
        long n = RmmView.parseNumber(w[1]);
        if (n < 1 || n > 1_000_000) {
            throw new IllegalArgumentException("count must be 1..1000000");
        }
        return (int) n;
    }

    private boolean notRunning() {
        if (ended || machineDone) {
            say("the guest has ended");
            return true;
        }
        return false;
    }

    private void rmiStep(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            if (notRunning()) {
                return;
            }
            printing = true;
            Debugger.Stop s;
            try {
                dbg.resumeToNextReturn();
                s = waitStop();
            } finally {
                printing = false;
            }
            if (s.kind() != Debugger.StopKind.RETURN) {
                describe(s);
                return;
            }
        }
    }

    private void step(int n) throws InterruptedException {
        Debugger.Stop s = null;
        for (int i = 0; i < n; i++) {
            if (notRunning()) {
                return;
            }
            // As gdb does by default, the other PEs run while this one steps (the step ends the run for all).
            Debugger.Mode[] modes = new Debugger.Mode[dbg.peCount()];
            Arrays.fill(modes, Debugger.Mode.RUN);
            modes[pe] = Debugger.Mode.STEP;
            printing = true;
            try {
                dbg.resume(modes);
                s = waitStop();
            } finally {
                printing = false;
            }
            if (s.kind() != Debugger.StopKind.STEP) {
                break;
            }
        }
        if (s != null) {
            describe(s);
        }
    }

    private Debugger.Stop waitStop() throws InterruptedException {
        while (true) {
            Debugger.Stop s = dbg.waitForStop(200, 500);
            if (s != null) {
                if (s.kind() == Debugger.StopKind.EXITED) {
                    ended = true;
                } else {
                    pe = s.pe();
                }
                return s;
            }
            if (machineDone) {
                ended = true;
                return new Debugger.Stop(Debugger.StopKind.EXITED, -1, "the machine stopped", null, 0, 0);
            }
        }
    }

    private void describe(Debugger.Stop s) {
        switch (s.kind()) {
            case EXITED:
                return; // the session printed how the guest ended
            case CALL:
            case RETURN:
            case INITIAL:
                if (s.call() != null) {
                    say(format(s.call()));
                    return;
                }
                say("[PE" + s.pe() + "] " + location(s.pe()));
                return;
            case BREAKPOINT:
            case HW_BREAKPOINT:
                say("[PE" + s.pe() + "] breakpoint, " + location(s.pe()));
                return;
            case WATCH:
                say(String.format("[PE%d] watchpoint: %s at %s, by the instruction at %s", s.pe(),
                        s.watchKind() == Debugger.WATCH_WRITE ? "write" : "access", where(s.watchAddress()),
                        location(s.pe())));
                return;
            case INTERRUPT:
                say("[PE" + s.pe() + "] interrupted, " + location(s.pe()));
                return;
            default:
                say("[PE" + s.pe() + "] " + location(s.pe()));
        }
    }

    private String location(int i) {
        Cpu c = dbg.machine().cpu(i);
        String fw = RegisterFile.firmwareName(c);
        if (fw != null) {
            return String.format("in the %s model, EL%d %s", fw, c.el, RmmView.stateName(c));
        }
        return String.format("pc %s, EL%d %s", where(c.pc), c.el, RmmView.stateName(c));
    }

    private String where(long a) {
        String sym = symbols.describe(a);
        return sym == null ? String.format("%#x", a) : String.format("%#x <%s>", a, sym);
    }

    private long address(String s) {
        Long v = symbols.address(s);
        if (v != null) {
            return v;
        }
        int reg = RegisterFile.byName(s.startsWith("$") ? s.substring(1) : s);
        if (reg >= 0) {
            Long r = RegisterFile.value(dbg.machine().cpu(pe), reg);
            if (r != null) {
                return r;
            }
        }
        if (!Character.isDigit(s.charAt(0))) {
            throw new IllegalArgumentException("'" + s + "' is neither a symbol of the guest image, a register "
                    + "nor a number");
        }
        return RmmView.parseNumber(s);
    }

    private void listBreakpoints() {
        long[] b = dbg.breakpoints(false);
        if (b.length == 0) {
            say("no breakpoints");
        }
        for (long a : b) {
            say("breakpoint at " + where(a));
        }
    }

    private void regs() {
        Cpu c = dbg.machine().cpu(pe);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 31; i++) {
            b.append(String.format("x%-2d %#018x", i, c.x[i])).append(i % 4 == 3 ? "\n" : "  ");
        }
        b.append(String.format("sp  %#018x%n", c.getSp()));
        b.append(String.format("pc  %#018x  (%s)%n", RegisterFile.pc(c), location(pe)));
        long cpsr = c.packPstate();
        b.append(String.format("cpsr %#x  [EL%d%s N%d Z%d C%d V%d, masked: %s]%n", cpsr, c.el,
                c.spSel ? "h" : "t", (cpsr >>> 31) & 1, (cpsr >>> 30) & 1, (cpsr >>> 29) & 1, (cpsr >>> 28) & 1,
                daif(c.daif)));
        List<String> sys = new ArrayList<>();
        String suffix = "_EL" + Math.max(1, c.el);
        for (String r : RegisterFile.SYSTEM) {
            if (r.endsWith(suffix) && !r.startsWith("SP_") && !r.startsWith("TPIDR")) {
                sys.add(r);
            }
        }
        for (int i = 0; i < sys.size(); i++) {
            Long v = RegisterFile.value(c, RegisterFile.byName(sys.get(i)));
            b.append(String.format("%-9s %#018x", sys.get(i), v == null ? 0 : v)).append(i % 3 == 2 ? "\n" : "  ");
        }
        say(b.toString().stripTrailing());
    }

    private static String daif(int d) {
        String m = ((d & 0x200) != 0 ? "D" : "") + ((d & 0x100) != 0 ? "A" : "") + ((d & 0x80) != 0 ? "I" : "")
                + ((d & 0x40) != 0 ? "F" : "");
        return m.isEmpty() ? "none" : m;
    }

    private void dump(long addr, int len) {
        if (len <= 0 || len > 65536) {
            throw new IllegalArgumentException("length must be 1..65536");
        }
        Cpu c = dbg.machine().cpu(pe);
        byte[] buf = new byte[len];
        int idx = dbg.memoryRegime(pe);
        int n = memory.read(c, addr, buf, len, idx);
        for (int off = 0; off < n; off += 16) {
            StringBuilder b = new StringBuilder(String.format("%#014x:", addr + off));
            StringBuilder ascii = new StringBuilder();
            for (int i = off; i < Math.min(n, off + 16); i++) {
                b.append(String.format(" %02x", buf[i] & 0xFF));
                char ch = (char) (buf[i] & 0xFF);
                ascii.append(ch >= 0x20 && ch < 0x7F ? ch : '.');
            }
            b.append("   ".repeat(16 - Math.min(16, n - off))).append("  ").append(ascii);
            say(b);
        }
        if (n < len) {
            say(String.format("cannot read %#x: it does not translate on PE%d (%s) or is not RAM",
                    addr + n, pe, idx == c.mmuIndex() ? "EL" + c.el + " " + RmmView.stateName(c)
                            : "the realm's EL1&0 translation"));
        }
    }

    private void help() {
        say("Commands (addresses: 0x... hex, decimal, a symbol of the guest image, or a register name):");
        say("  rmi-step [N]          run to the next completed RMI/RSI call; prints each call, then its result");
        say("  step [N]              execute N instructions on the selected PE (calls on the way are shown)");
        say("  continue              run until a breakpoint, a watchpoint, a caught call or the end");
        say("  break ADDR / delete ADDR / breaks     software breakpoints");
        say("  watch ADDR [LEN] / unwatch ADDR [LEN] stop before writes to [ADDR, ADDR+LEN)");
        say("  catch rmi|rsi|all|none                make continue stop at every call and return");
        say("  regs                  registers of the selected PE");
        say("  x ADDR [N]            N bytes of memory (default 64) through the selected PE's translation");
        say("  cpu N                 select PE N");
        for (String h : RmmView.HELP) {
            say("  " + h);
        }
        say("  quit                  stop the guest and leave; at the end of a script the guest runs on");
    }
}
