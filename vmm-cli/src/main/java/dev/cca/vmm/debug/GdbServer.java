package dev.cca.vmm.debug;

import dev.cca.core.cpu.Cpu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A GDB remote serial protocol server (the protocol of gdb's "target remote", gdb manual appendix E) for the
 * emulated machine. Each PE is a gdb thread (thread id = PE index + 1); registers follow {@link RegisterFile}'s
 * target description; memory is accessed through the selected PE's translation ({@link DebugMemory}); software
 * and hardware breakpoints, watchpoints, single step, continue, Ctrl-C, detach and kill are supported, in all-stop
 * mode. {@code monitor} commands (qRcmd) add stops at RMI/RSI calls and the RMM views of {@link RmmView}.
 *
 * <p>One client at a time. A client that disconnects without detaching detaches implicitly: the machine runs on.
 */
public final class GdbServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(GdbServer.class);
    private static final int PACKET_SIZE = 0x4000;
    private static final long GRACE_MILLIS = 500;

    private final DebugMemory memory = new DebugMemory();
    private final ServerSocket server;
    private Debugger dbg;
    private RmmView view;
    private Runnable kill;
    private PrintStream log;
    private Thread acceptThread;
    private volatile boolean closed;
    private volatile Socket client;

    /**
     * Binds the listening socket for {@code spec} ("tcp::1234", "tcp:localhost:1234", ":1234" or "1234"; port 0
     * picks a free port). Nothing is served until {@link #start}: binding first lets a busy port be reported before
     * the machine boots.
     */
    public static GdbServer bind(String spec) throws IOException {
        InetSocketAddress addr = parseAddress(spec);
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(addr, 1);
        } catch (IOException e) {
            s.close();
            throw new IOException("--gdb " + spec + ": cannot listen on " + addr + ": " + e.getMessage(), e);
        }
        return new GdbServer(s);
    }

    /** Parses QEMU's {@code -gdb} syntax: tcp::PORT or tcp:HOST:PORT (also :PORT and PORT). */
    public static InetSocketAddress parseAddress(String spec) {
        String s = spec.trim();
        if (s.startsWith("tcp:")) {
            s = s.substring(4);
        }
        String host = "127.0.0.1";
        String port = s;
        int colon = s.lastIndexOf(':');
        if (colon >= 0) {
            host = colon == 0 ? host : s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--gdb " + spec + ": expected tcp::PORT or tcp:HOST:PORT");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("--gdb " + spec + ": port must be 0..65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (IOException e) {
            throw new IllegalArgumentException("--gdb " + spec + ": unknown host " + host);
        }
    }

    private GdbServer(ServerSocket server) {
        this.server = server;
    }

    /**
     * Starts serving {@code dbg}. With {@code startHalted} the debugger is attached at once, with the machine
     * stopped before it runs; otherwise a connecting client attaches it and stops the machine. {@code kill} stops
     * the guest (gdb's kill).
     */
    public synchronized void start(Debugger dbg, boolean startHalted, Runnable kill, PrintStream log) {
        if (acceptThread != null) {
            throw new IllegalStateException("already started");
        }
        this.dbg = dbg;
        this.view = new RmmView(dbg);
        this.kill = kill;
        this.log = log;
        if (startHalted) {
            dbg.attach(true);
        }
        acceptThread = new Thread(this::acceptLoop, "gdb-server");
        acceptThread.setDaemon(true);
        acceptThread.start();
    }

    /** Whether a gdb client is connected now. */
    public boolean hasClient() {
        return client != null;
    }

    public int port() {
        return server.getLocalPort();
    }

    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + port();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the gdb listener", e);
        }
        Socket c = client;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing the gdb connection", e);
            }
        }
        Thread t = acceptThread;
        if (t != null) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try (Socket s = server.accept()) {
                client = s;
                s.setTcpNoDelay(true);
                log.println("gdb: client connected from " + s.getRemoteSocketAddress());
                if (!dbg.attached()) {
                    dbg.attach(false);
                    dbg.requestStop();
                }
                boolean detached = new Connection(s).serve();
                if (!detached && dbg.attached() && !dbg.hasEnded()) {
                    log.println("gdb: client went away; detaching (the guest runs on)");
                    dbg.detach();
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("gdb connection", e);
                }
            } finally {
                client = null;
            }
            if (dbg.hasEnded()) {
                break;
            }
        }
    }

    // =============================================================================================================
    // One connection
    // =============================================================================================================

    private static final Object INTERRUPT = new Object();
    private static final Object EOF = new Object();

    private final class Connection {
        private final RspFraming framing;
        private final RspCommandTable<Reply> commands = commandTable();
        private final BlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
        private final Deque<String> deferred = new ArrayDeque<>();
        /** Thread (PE) for register and memory accesses (Hg), and for legacy c/s (Hc). */
        private int gThread = 0;
        private int cThread = 0;

        Connection(Socket socket) throws IOException {
            this.framing = new RspFraming(socket.getInputStream(), socket.getOutputStream());
            Thread reader = new Thread(this::readLoop, "gdb-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Serves until the client detaches (true) or goes away or kills (false). */
        boolean serve() throws IOException {
            while (true) {
                String p = nextPacket();
                if (p == null) {
                    return false;
                }
                Reply r = handle(p);
                if (r.text != null) {
                    send(r.text);
                }
                if (r.end != null) {
                    if (r.end == End.DETACH) {
                        return true;
                    }
                    return false;
                }
            }
        }

        private String nextPacket() {
            if (!deferred.isEmpty()) {
                return deferred.poll();
            }
            while (true) {
                Object o;
                try {
                    o = incoming.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
                if (o == EOF) {
                    return null;
                }
                if (o instanceof String) {
                    return (String) o;
                }
                // A Ctrl-C while the machine is already stopped: nothing to do.
            }
        }

        // ---- framing ----------------------------------------------------------------------------------------------

        /** Reads frames on the reader thread: packets and Ctrl-C go to the serving thread, in order. */
        private void readLoop() {
            try {
                while (true) {
                    RspFraming.Frame f = framing.next();
                    if (f instanceof RspFraming.Packet p) {
                        incoming.add(p.payload());
                    } else if (f instanceof RspFraming.Interrupt) {
                        incoming.add(INTERRUPT);
                    } else {
                        break;
                    }
                }
            } catch (IOException e) {
                LOG.debug("gdb read", e);
            }
            incoming.add(EOF);
        }

        private void send(String payload) throws IOException {
            framing.send(payload);
        }

        // ---- packets ---------------------------------------------------------------------------------------------

        private Reply handle(String p) throws IOException {
            Reply r = commands.dispatch(p, Reply.of(""), Reply.of("E01"));
            if (r.text() != null && r.text().equals("E01")) {
                LOG.debug("gdb packet refused: {}", p);
            }
            return r;
        }

        /** The packets the stub answers, by name (gdb manual, "Packets" and "General Query Packets"). */
        private RspCommandTable<Reply> commandTable() {
            return new RspCommandTable<Reply>()
                    .on("?", a -> Reply.of(stopReply(waitInitial())))
                    .on("g", a -> Reply.of(readAllRegisters()))
                    .on("G", a -> Reply.of(writeAllRegisters(a)))
                    .on("p", a -> Reply.of(readRegister(Integer.parseInt(a, 16))))
                    .on("P", a -> {
                        int eq = a.indexOf('=');
                        return Reply.of(writeRegister(Integer.parseInt(a.substring(0, eq), 16), a.substring(eq + 1)));
                    })
                    .on("m", a -> Reply.of(readMemory(a)))
                    .on("M", a -> Reply.of(writeMemoryHex(a)))
                    .on("X", a -> Reply.of(writeMemoryBinary(a)))
                    .on("Z", a -> Reply.of(breakpoint(true, a)))
                    .on("z", a -> Reply.of(breakpoint(false, a)))
                    .on("H", a -> Reply.of(setThread(a)))
                    .on("T", a -> Reply.of(validThread(parseThread(a)) ? "OK" : "E01"))
                    .on("c", a -> resumeAll(a))
                    .on("C", a -> resumeAll("")) // continue with a signal: the signal is not delivered
                    .on("s", a -> stepOne(a))
                    .on("S", a -> stepOne(""))
                    .on("vCont?", a -> Reply.of("vCont;c;C;s;S;t"))
                    .on("vCont;", this::vCont)
                    .on("vKill", a -> {
                        killGuest();
                        return new Reply("OK", End.KILL);
                    })
                    .on("D", a -> {
                        dbg.detach();
                        log.println("gdb: detached; the guest runs on");
                        return new Reply("OK", End.DETACH);
                    })
                    .on("k", a -> {
                        killGuest();
                        return new Reply(null, End.KILL);
                    })
                    .on("qSupported", a -> Reply.of("PacketSize=" + Integer.toHexString(PACKET_SIZE)
                            + ";qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+"))
                    .on("QStartNoAckMode", a -> {
                        send("OK");
                        framing.noAckMode();
                        return Reply.of(null);
                    })
                    .on("qXfer:features:read:", a -> Reply.of(featuresRead(a)))
                    .on("qfThreadInfo", a -> Reply.of(threadList()))
                    .on("qsThreadInfo", a -> Reply.of("l"))
                    .on("qC", a -> Reply.of("QC" + Integer.toHexString(gThread + 1)))
                    .on("qThreadExtraInfo,", a -> Reply.of(threadExtraInfo(a)))
                    .on("qAttached", a -> Reply.of("1"))
                    .on("qRcmd,", a -> Reply.of(rcmd(a)))
                    .on("qSymbol", a -> Reply.of("OK"));
        }

        private Reply vCont(String actions) throws IOException {
            Debugger.Mode[] modes = new Debugger.Mode[dbg.peCount()];
            for (String action : actions.split(";")) {
                String[] a = action.split(":");
                Debugger.Mode m;
                switch (a[0].charAt(0)) {
                    case 'c':
                    case 'C':
                        m = Debugger.Mode.RUN;
                        break;
                    case 's':
                    case 'S':
                        m = Debugger.Mode.STEP;
                        break;
                    case 't':
                        m = Debugger.Mode.HALT;
                        break;
                    default:
                        return Reply.of("E01");
                }
                int t = a.length > 1 ? parseThread(a[1]) : -1;
                if (t >= 0 && !validThread(t)) {
                    return Reply.of("E02"); // no such thread: nothing resumes, the stub keeps serving
                }
                for (int i = 0; i < modes.length; i++) {
                    // The leftmost action that applies to a thread wins (gdb manual, vCont).
                    if (modes[i] == null && (t < 0 || t == i)) {
                        modes[i] = m;
                    }
                }
            }
            for (int i = 0; i < modes.length; i++) {
                if (modes[i] == null) {
                    modes[i] = Debugger.Mode.HALT;
                }
            }
            return runAndWait(modes);
        }

        /** c [ADDR]: resume every PE (from ADDR on the Hc thread). */
        private Reply resumeAll(String addr) throws IOException {
            if (!addr.isEmpty()) {
                setPc(cThread, RmmView.parseNumber("0x" + addr));
            }
            return runAndWait(null);
        }

        /** s [ADDR]: step the Hc thread (from ADDR). */
        private Reply stepOne(String addr) throws IOException {
            if (!addr.isEmpty()) {
                setPc(cThread, RmmView.parseNumber("0x" + addr));
            }
            Debugger.Mode[] modes = new Debugger.Mode[dbg.peCount()];
            java.util.Arrays.fill(modes, Debugger.Mode.HALT);
            modes[cThread] = Debugger.Mode.STEP;
            return runAndWait(modes);
        }

        private void setPc(int pe, long pc) {
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (pc >>> (8 * i));
            }
            RegisterFile.write(cpu(pe), RegisterFile.PC, b);
        }

        /** Resumes the machine and waits for the next stop, forwarding Ctrl-C; returns the stop reply. */
        private Reply runAndWait(Debugger.Mode[] modes) throws IOException {
            dbg.resume(modes);
            while (true) {
                Debugger.Stop s;
                try {
                    s = dbg.waitForStop(50, GRACE_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Reply(null, End.KILL);
                }
                if (s != null) {
                    if (s.kind() == Debugger.StopKind.EXITED) {
                        send(stopReply(s));
                        return new Reply(null, End.EXITED);
                    }
                    if (s.call() != null) {
                        send("O" + hex((peName(s.pe()) + " " + (s.call().isReturn() ? "ret  " : "call ")
                                + s.call().text() + "\n").getBytes(StandardCharsets.UTF_8)));
                    }
                    gThread = s.pe();
                    cThread = s.pe();
                    return Reply.of(stopReply(s));
                }
                Object o = incoming.poll();
                if (o == INTERRUPT) {
                    dbg.requestStop();
                } else if (o == EOF) {
                    return new Reply(null, End.GONE);
                } else if (o instanceof String) {
                    deferred.add((String) o); // all-stop: gdb waits for the stop reply; keep it for later
                }
            }
        }

        /** The stop the client sees on connecting (waits briefly for the first PE to stop). */
        private Debugger.Stop waitInitial() {
            try {
                Debugger.Stop s = dbg.waitForStop(GRACE_MILLIS * 3, GRACE_MILLIS * 3);
                if (s != null && s.pe() >= 0) {
                    gThread = s.pe();
                    cThread = s.pe();
                }
                return s;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        private String stopReply(Debugger.Stop s) {
            if (s == null) {
                return "S05";
            }
            if (s.kind() == Debugger.StopKind.EXITED) {
                return String.format("W%02x", s.watchKind() & 0xFF);
            }
            String thread = "thread:" + Integer.toHexString(s.pe() + 1) + ";";
            switch (s.kind()) {
                case INTERRUPT:
                    return "T02" + thread;
                case BREAKPOINT:
                    return "T05" + thread + "swbreak:;";
                case HW_BREAKPOINT:
                    return "T05" + thread + "hwbreak:;";
                case WATCH: {
                    String k = s.watchKind() == Debugger.WATCH_WRITE ? "watch"
                            : s.watchKind() == Debugger.WATCH_READ ? "rwatch" : "awatch";
                    return "T05" + thread + k + ":" + Long.toHexString(s.watchAddress()) + ";";
                }
                default:
                    return "T05" + thread;
            }
        }

        // ---- registers -------------------------------------------------------------------------------------------

        private Cpu cpu(int pe) {
            return dbg.machine().cpu(pe);
        }

        private String readAllRegisters() {
            StringBuilder b = new StringBuilder();
            Cpu c = cpu(gThread);
            for (int n = 0; n < RegisterFile.count(); n++) {
                appendRegister(b, c, n);
            }
            return b.toString();
        }

        private void appendRegister(StringBuilder b, Cpu c, int n) {
            byte[] v = new byte[RegisterFile.size(n)];
            if (RegisterFile.read(c, n, v)) {
                b.append(hex(v));
            } else {
                b.append("xx".repeat(v.length)); // unavailable (gdb shows <unavailable>)
            }
        }

        private String readRegister(int n) {
            if (RegisterFile.size(n) == 0) {
                return "E01";
            }
            StringBuilder b = new StringBuilder();
            appendRegister(b, cpu(gThread), n);
            return b.toString();
        }

        private String writeRegister(int n, String hexValue) {
            if (RegisterFile.size(n) == 0) {
                return "E01";
            }
            String err = RegisterFile.write(cpu(gThread), n, unhex(hexValue));
            if (err != null) {
                LOG.info("gdb register write refused: {}", err);
                return "E01";
            }
            return "OK";
        }

        private String writeAllRegisters(String hexValues) {
            int pos = 0;
            Cpu c = cpu(gThread);
            for (int n = 0; n < RegisterFile.count() && pos < hexValues.length(); n++) {
                int len = 2 * RegisterFile.size(n);
                String h = hexValues.substring(pos, Math.min(hexValues.length(), pos + len));
                pos += len;
                if (h.length() != len || h.startsWith("x")) {
                    continue;
                }
                byte[] now = new byte[len / 2];
                byte[] want = unhex(h);
                if (RegisterFile.read(c, n, now) && java.util.Arrays.equals(now, want)) {
                    continue; // unchanged: do not touch registers with side effects
                }
                if (RegisterFile.write(c, n, want) != null) {
                    return "E01";
                }
            }
            return "OK";
        }

        // ---- memory ----------------------------------------------------------------------------------------------

        private String readMemory(String args) {
            String[] a = args.split(",");
            long addr = Long.parseUnsignedLong(a[0], 16);
            int len = (int) Math.min(Long.parseLong(a[1], 16), PACKET_SIZE / 2 - 16);
            byte[] buf = new byte[len];
            int n = memory.read(cpu(gThread), addr, buf, len, dbg.memoryRegime(gThread));
            if (n == 0 && len > 0) {
                return "E01";
            }
            return hex(java.util.Arrays.copyOf(buf, n));
        }

        private String writeMemoryHex(String args) {
            int colon = args.indexOf(':');
            String[] a = args.substring(0, colon).split(",");
            long addr = Long.parseUnsignedLong(a[0], 16);
            byte[] data = unhex(args.substring(colon + 1));
            if (data.length != Integer.parseInt(a[1], 16)) {
                return "E01";
            }
            return memory.write(cpu(gThread), addr, data, dbg.memoryRegime(gThread)) == data.length ? "OK" : "E01";
        }

        private String writeMemoryBinary(String args) {
            int colon = args.indexOf(':');
            String[] a = args.substring(0, colon).split(",");
            long addr = Long.parseUnsignedLong(a[0], 16);
            byte[] data = args.substring(colon + 1).getBytes(StandardCharsets.ISO_8859_1);
            if (data.length != Integer.parseInt(a[1], 16)) {
                return "E01";
            }
            return memory.write(cpu(gThread), addr, data, dbg.memoryRegime(gThread)) == data.length ? "OK" : "E01";
        }

        // ---- breakpoints -----------------------------------------------------------------------------------------

        private String breakpoint(boolean insert, String args) {
            String[] a = args.split("[,;]");
            int type = Integer.parseInt(a[0]);
            long addr = Long.parseUnsignedLong(a[1], 16);
            int kind = Integer.parseInt(a[2], 16);
            switch (type) {
                case 0:
                case 1:
                    if (insert) {
                        dbg.addBreakpoint(addr, type == 1);
                    } else {
                        dbg.removeBreakpoint(addr, type == 1);
                    }
                    return "OK";
                case 2:
                case 3:
                case 4:
                    if (insert) {
                        dbg.addWatchpoint(addr, kind, type);
                    } else {
                        dbg.removeWatchpoint(addr, kind, type);
                    }
                    return "OK";
                default:
                    return "";
            }
        }

        // ---- threads ---------------------------------------------------------------------------------------------

        /** gdb thread id (hex; 0 any, -1 all) to PE index, or -1 for any/all. */
        private int parseThread(String s) {
            if (s.equals("-1") || s.equals("0")) {
                return -1;
            }
            return Integer.parseInt(s, 16) - 1;
        }

        private boolean validThread(int pe) {
            return pe >= 0 && pe < dbg.peCount();
        }

        /** Hg THREAD or Hc THREAD ({@code op} is "gTHREAD" or "cTHREAD"). */
        private String setThread(String op) {
            int t = parseThread(op.substring(1));
            if (t >= 0 && !validThread(t)) {
                return "E01";
            }
            if (op.charAt(0) == 'g') {
                gThread = t < 0 ? gThread : t;
            } else {
                cThread = t < 0 ? cThread : t;
            }
            return "OK";
        }

        private String peName(int pe) {
            return "[PE" + pe + "]";
        }

        // ---- queries ---------------------------------------------------------------------------------------------

        /** qXfer:features:read:ANNEX:OFFSET,LENGTH; the only annex is target.xml. */
        private String featuresRead(String args) {
            String[] a = args.split(":");
            if (!a[0].equals("target.xml")) {
                return "E00";
            }
            String[] range = a[1].split(",");
            return xfer(RegisterFile.targetXml(), Integer.parseInt(range[0], 16), Integer.parseInt(range[1], 16));
        }

        private String threadList() {
            StringBuilder b = new StringBuilder("m");
            for (int i = 0; i < dbg.peCount(); i++) {
                b.append(i == 0 ? "" : ",").append(Integer.toHexString(i + 1));
            }
            return b.toString();
        }

        private String threadExtraInfo(String thread) {
            int t = parseThread(thread);
            if (!validThread(t)) {
                return "E01";
            }
            Cpu c = cpu(t);
            String fw = RegisterFile.firmwareName(c);
            String s = String.format("PE%d EL%d %s%s", t, c.el, RmmView.stateName(c),
                    fw != null ? " (" + fw + ")" : "");
            return hex(s.getBytes(StandardCharsets.UTF_8));
        }

        /** qRcmd,HEX: a monitor command; its output goes out as O packets, then OK. */
        private String rcmd(String hexCommand) throws IOException {
            String cmd = new String(unhex(hexCommand), StandardCharsets.UTF_8);
            String outText = monitor(cmd.trim());
            if (!outText.isEmpty()) {
                byte[] bytes = (outText.endsWith("\n") ? outText : outText + "\n").getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < bytes.length; i += 1024) {
                    send("O" + hex(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 1024))));
                }
            }
            return "OK";
        }

        private String xfer(String doc, int off, int len) {
            byte[] b = doc.getBytes(StandardCharsets.UTF_8);
            if (off >= b.length) {
                return "l";
            }
            int n = Math.min(len, b.length - off);
            String chunk = new String(b, off, n, StandardCharsets.ISO_8859_1);
            return (off + n >= b.length ? "l" : "m") + chunk;
        }

        // ---- monitor -----------------------------------------------------------------------------------------

        private String monitor(String cmd) {
            String[] w = cmd.isEmpty() ? new String[] {"help"} : cmd.split("\\s+");
            try {
                switch (w[0]) {
                    case "help":
                        return monitorHelp();
                    case "next-rmi":
                        dbg.stopAtNextCall(true, false);
                        return "the next RMI call stops the machine, and then its return: use 'continue'";
                    case "next-rsi":
                        dbg.stopAtNextCall(false, true);
                        return "the next RSI or PSCI call of a realm stops the machine, and then its return: "
                                + "use 'continue'";
                    case "next-call":
                        dbg.stopAtNextCall(true, true);
                        return "the next RMI or RSI call stops the machine, and then its return: use 'continue'";
                    case "catch":
                        return catchCommand(w);
                    case "call":
                        return callCommand();
                    default: {
                        String r = view.command(w, gThread);
                        return r != null ? r : "unknown monitor command '" + w[0] + "'; 'monitor help' lists them";
                    }
                }
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }

        private String catchCommand(String[] w) {
            RmmView.need(w, 2, "catch rmi|rsi|all|none");
            switch (w[1]) {
                case "rmi": dbg.setCatch(true, dbg.catchesRsi()); break;
                case "rsi": dbg.setCatch(dbg.catchesRmi(), true); break;
                case "all": dbg.setCatch(true, true); break;
                case "none": dbg.setCatch(false, false); break;
                default: throw new IllegalArgumentException("usage: catch rmi|rsi|all|none");
            }
            return "stopping at every call and return of: "
                    + (dbg.catchesRmi() && dbg.catchesRsi() ? "RMI and RSI" : dbg.catchesRmi() ? "RMI"
                    : dbg.catchesRsi() ? "RSI" : "nothing");
        }

        private String callCommand() {
            Debugger.Stop s = dbg.currentStop();
            StringBuilder b = new StringBuilder();
            if (s != null && s.call() != null) {
                b.append(peName(s.pe())).append(s.call().isReturn() ? " stopped at the return of " : " stopped at ")
                        .append(s.call().text());
            }
            for (Debugger.CallEvent e : dbg.callsInProgress(gThread)) {
                if (b.length() > 0) {
                    b.append('\n');
                }
                b.append(peName(gThread)).append(" in progress: ").append(e.text());
            }
            return b.length() == 0 ? peName(gThread) + " is not in an RMI or RSI call" : b.toString();
        }

        private String monitorHelp() {
            StringBuilder b = new StringBuilder("cca monitor commands (monitor COMMAND):\n");
            b.append("  next-rmi              stop at the next RMI call, then at its return (then 'continue')\n");
            b.append("  next-rsi              stop at the next RSI/PSCI call from a realm, then at its return\n");
            b.append("  next-call             stop at the next RMI or RSI call, then at its return\n");
            b.append("  catch rmi|rsi|all|none  stop at every call and return of that kind\n");
            b.append("  call                  the call this PE is stopped at, and the calls in progress\n");
            for (String h : RmmView.HELP) {
                b.append("  ").append(h).append('\n');
            }
            b.append("Threads are PEs (thread N = PE N-1). Addresses in hex (0x...) or decimal.");
            return b.toString();
        }

        private void killGuest() {
            log.println("gdb: kill; stopping the guest");
            kill.run(); // signal the vCPUs first, so they stop as soon as they are let go
            dbg.detach();
        }
    }

    private enum End { DETACH, KILL, EXITED, GONE }

    private record Reply(String text, End end) {
        static Reply of(String text) {
            return new Reply(text, null);
        }
    }

    // ---- hex -----------------------------------------------------------------------------------------------------

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) {
            s.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return s.toString();
    }

    static byte[] unhex(String h) {
        if ((h.length() & 1) != 0) {
            throw new IllegalArgumentException("odd hex length");
        }
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = Character.digit(h.charAt(2 * i), 16);
            int lo = Character.digit(h.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex " + h);
            }
            b[i] = (byte) (hi * 16 + lo);
        }
        return b;
    }

    /** Waits up to {@code millis} for the accept thread to end (the guest ended and the client was told). */
    public void awaitClientDone(long millis) throws InterruptedException {
        Thread t = acceptThread;
        if (t != null) {
            t.join(millis);
        }
    }
}
