package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cca.core.cpu.Cpu;
import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.RmiTestPort;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.Failure;
import dev.cca.rmm.RmmObserver;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * Runs one ABI scenario (docs/abi-scenarios.md) on a freshly booted host whose kernel implements the chosen ABI
 * profile. The scenario is parsed into typed steps first ({@link Scenarios#parse}); each step then executes and
 * yields a {@link StepResult} (its return value or registers, its argument struct, the RMI calls made), which
 * {@link StepCheck} compares with the step's expectations. Ioctl steps go through a user process exactly as a C
 * VMM's would: structs laid out in the process's memory, {@code Process.ioctl} on named file descriptors.
 * {@code smc} steps use the kernel's raw-RMI test port, {@code rsi} steps run a small realm that makes the call and
 * reports its registers. RMI calls are observed with an {@link RmmObserver}.
 */
public final class ScenarioRunner {
    /** How a scenario ended. */
    public enum Status { PASSED, FAILED, SKIPPED }

    /** The result of one scenario; {@code log} holds what the host logged at the failing step. */
    public record Outcome(String name, Status status, String message, double seconds, List<String> log) {
        public Outcome(String name, Status status, String message, double seconds) {
            this(name, status, message, seconds, List.of());
        }
    }

    /** A step that did not do what the scenario expects. */
    static final class StepFailure extends RuntimeException {
        StepFailure(String message) {
            super(message);
        }
    }

    private static final long DEFAULT_RUN_TIMEOUT_MS = 20_000;
    /** The longest a KVM_RUN step may ask to run before its signal: a minute. */
    static final long MAX_SIGNAL_AFTER_MS = 60_000;
    /** Where realm programs are assembled to run by default (the fixtures' RAM). */
    static final long RAM_DEFAULT = 0x4000_0000L;

    private final AbiProfile profile;
    private final PrintStream trace;

    // Per-scenario state.
    private CcaHost host;
    private Process proc;
    private UserMemory mem;
    private final Map<String, Long> vars = new LinkedHashMap<>();
    private final Map<Integer, Long> runMaps = new HashMap<>();
    private final List<RmiCall> rmiLog = Collections.synchronizedList(new ArrayList<>());
    private int rmiMark;
    private long arena;
    private long arenaUsed;
    private long arenaSize;
    private final StepCheck checks = new StepCheck(new StepCheck.Machine() {
        @Override
        public long eval(JsonNode n, String where) {
            return num(n, where);
        }

        @Override
        public long read(long addr, int size) {
            return StepCheck.mask(mem.read(addr, size), size);
        }

        @Override
        public long runArea(int fd) {
            return runOf(fd);
        }
    });

    /** @param trace where to print each step as it runs (-v), or null */
    public ScenarioRunner(AbiProfile profile, PrintStream trace) {
        this.profile = profile;
        this.trace = trace;
    }

    // ---- scenario ----------------------------------------------------------------------------------------------

    /** Parses and runs the scenario {@code s}; {@code where} names it in messages (file and index). */
    public Outcome run(JsonNode s, String where) {
        long start = System.nanoTime();
        String name = s.path("scenario").asText(where);
        Scenario scenario;
        try {
            scenario = Scenarios.parse(s, where);
        } catch (ScenarioException e) {
            return new Outcome(name, Status.FAILED, "bad scenario: " + e.getMessage(), seconds(start));
        }
        return run(scenario, where, start);
    }

    private Outcome run(Scenario s, String where, long start) {
        String name = s.scenario();
        LogCapture log = new LogCapture();
        try {
            if (s.profiles() != null && !s.profiles().contains(profile.id)) {
                return new Outcome(name, Status.SKIPPED, "not for profile " + profile.id, seconds(start));
            }
            int cpus = (int) num(s.host().cpus(), 1, where + ".host.cpus");
            long memMiB = num(s.host().memoryMib(), 256, where + ".host.memory_mib");
            if (cpus < 1 || cpus > 8 || memMiB < 16 || memMiB > 4096) {
                throw new ScenarioException(where + ".host: cpus must be 1..8 and memory_mib 16..4096");
            }
            boot(cpus, memMiB << 20);
            try {
                for (Scenario.Entry e : s.steps()) {
                    try {
                        step(e, log);
                    } catch (StepFailure f) {
                        return new Outcome(name, Status.FAILED, e.where() + " (" + describe(e.json()) + "): "
                                + f.getMessage(), seconds(start), log.lines());
                    }
                }
                return new Outcome(name, Status.PASSED, "", seconds(start));
            } finally {
                log.close();
                shutdown();
            }
        } catch (ScenarioException e) {
            return new Outcome(name, Status.FAILED, "bad scenario: " + e.getMessage(), seconds(start), log.lines());
        } catch (RuntimeException e) {
            if (trace != null) {
                e.printStackTrace(trace);
            }
            return new Outcome(name, Status.FAILED, "internal error: " + e, seconds(start), log.lines());
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private void boot(int cpus, long dram) {
        host = CcaHost.boot(cpus, dram, profile);
        proc = host.kernel.newProcess();
        mem = proc.memory();
        vars.clear();
        runMaps.clear();
        rmiLog.clear();
        arenaSize = 1L << 20;
        arena = proc.mmap(0, arenaSize, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        arenaUsed = 0;
        rmiMark = 0;
        host.firmware.rmm.addObserver(observer);
    }

    private void shutdown() {
        host.firmware.rmm.removeObserver(observer);
        proc.consumeSignal();
        proc.exit();
    }

    private final RmmObserver observer = new RmmObserver() {
        @Override
        public void rmiReturn(Cpu cpu, long fid, long[] args, long[] out, Failure failure) {
            // The failure condition that fired, as the RMM explains it: mismatch messages print it.
            rmiLog.add(new RmiCall(fid, args.clone(), out.clone(), failure == null ? null : failure.message()));
        }
    };

    /** The RMI calls completed since the last step ended; the next step's start from here. */
    private List<RmiCall> takeCalls() {
        synchronized (rmiLog) {
            List<RmiCall> calls = new ArrayList<>(rmiLog.subList(rmiMark, rmiLog.size()));
            rmiMark = rmiLog.size();
            return calls;
        }
    }

    /** A zeroed buffer of {@code size} bytes in the process (valid until the scenario ends). */
    private long alloc(int size) {
        long aligned = (size + 15) & ~15L;
        if (arenaUsed + aligned > arenaSize) {
            long more = Math.max(1L << 20, aligned);
            arena = proc.mmap(0, more, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                    Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            arenaSize = more;
            arenaUsed = 0;
        }
        long a = arena + arenaUsed;
        arenaUsed += aligned;
        mem.clear(a, size);
        return a;
    }

    // ---- steps -------------------------------------------------------------------------------------------------

    private static String describe(JsonNode step) {
        for (String k : Scenarios.STEP_KINDS) {
            if (step.has(k)) {
                JsonNode v = step.get(k);
                String on = step.has("fd") ? " on " + step.get("fd").asText() : "";
                return k.equals("ioctl") || k.equals("smc") || k.equals("rsi") ? v.asText() + on : k + " " + v;
            }
        }
        return step.toString();
    }

    /** The expectations that apply under this profile: expect_by_profile's, else expect, else the default. */
    private Expect expectations(Scenario.Entry e, Expect dflt) {
        Expect byProfile = e.common().expectByProfile().get(profile.id);
        if (byProfile != null) {
            return byProfile;
        }
        return e.common().expect() != null ? e.common().expect() : dflt;
    }

    /**
     * Runs one step: executes it, then checks its result and binds what it names. {@code log} keeps the host's
     * log of a step that expects a failure (null for the steps a fixture expands into).
     */
    private void step(Scenario.Entry e, LogCapture log) {
        List<String> only = e.common().onlyProfiles();
        if (only != null && !only.contains(profile.id)) {
            return;
        }
        String at = e.where();
        if (trace != null) {
            trace.println("  " + at + ": " + e.json());
        }
        Step step = e.step();
        Expect expect = expectations(e, step instanceof Step.Rsi ? Expect.NOTHING
                : step instanceof Step.Smc ? Expect.SMC_SUCCEEDS : Expect.SUCCEEDS);
        // What the host logs while a step that expects a failure runs is part of that failure: it is kept with the
        // step, printed only if the step does not go as expected (or with -v), never as a stray warning.
        boolean quiet = log != null && Step.hasResult(step) && expect.expectsFailure(n -> num(n, at + ".expect"));
        if (quiet) {
            log.start(true);
        }
        StepResult r;
        try {
            r = execute(step, e, at);
        } finally {
            if (quiet) {
                log.stop();
            }
        }
        if (r == null) {
            takeCalls();
            return;
        }
        if (trace != null) {
            trace.println(r.regs() != null ? traceRegs(r.regs()) : "    -> " + (r.isError()
                    ? Errno.name((int) -r.value()) + " (" + r.value() + ")" : StepCheck.fmt(r.value())));
            if (log != null) {
                log.lines().forEach(l -> trace.println("    log: " + l));
            }
        }
        if (r.regs() != null) {
            checks.registers(expect, r, at);
        } else {
            checks.returned(expect, r, at);
        }
        if (log != null) {
            log.clear(); // the step went as expected: what it logged was expected too
        }
        bind(step, e.common(), r, at);
    }

    private static String traceRegs(long[] x) {
        StringBuilder sb = new StringBuilder("    ->");
        for (int i = 0; i < Math.min(x.length, 5); i++) {
            sb.append(String.format(" x%d=%#x", i, x[i]));
        }
        return sb.toString();
    }

    /** Binds the step's outputs: "as" (its return value) and "save" (output fields or registers). */
    private void bind(Step step, Step.Common common, StepResult r, String at) {
        if (common.as() != null) {
            vars.put(common.as(), r.value());
        }
        if (step instanceof Step.Ioctl io) {
            if (r.struct() == null && !io.save().isEmpty()) {
                throw new ScenarioException(at + ": 'fields' and 'save' need an ioctl with a struct argument");
            }
            for (Map.Entry<String, String> f : io.save().entrySet()) {
                int[] loc = r.struct().locate(f.getValue(), at + ".save");
                vars.put(f.getKey(), StepCheck.mask(mem.read(r.structAddr() + loc[0], loc[1]), loc[1]));
            }
        } else if (step instanceof Step.Smc smc) {
            for (Map.Entry<String, String> f : smc.save().entrySet()) {
                String reg = f.getValue();
                if (!reg.matches("x[0-7]")) {
                    throw new ScenarioException(at + ".save: registers are x0..x7");
                }
                vars.put(f.getKey(), r.regs()[reg.charAt(1) - '0']);
            }
        }
    }

    /** Executes a step; returns what it did, or null for a step without a result (write, fixture...). */
    private StepResult execute(Step step, Scenario.Entry e, String at) {
        if (step instanceof Step.Open s) {
            int fd = proc.open(s.open(), Process.O_RDWR);
            return StepResult.returned(fd, null, 0, -1, takeCalls());
        } else if (step instanceof Step.Close s) {
            return StepResult.returned(proc.close(fd(s.close(), at)), null, 0, -1, takeCalls());
        } else if (step instanceof Step.Mmap s) {
            return mmapStep(s, at);
        } else if (step instanceof Step.Write s) {
            writeStep(s, at);
        } else if (step instanceof Step.Check s) {
            checkStep(s, at);
        } else if (step instanceof Step.RunSet s) {
            runSet(s, at);
        } else if (step instanceof Step.Ioctl s) {
            return ioctlStep(s, at);
        } else if (step instanceof Step.Smc s) {
            return smcStep(s, at);
        } else if (step instanceof Step.AllocGranule s) {
            RmiTestPort port = host.kernel.rmiTestPort();
            long pa = port.allocGranule();
            if (pa < 0) {
                throw new StepFailure("the host is out of memory");
            }
            vars.put(s.allocGranule(), pa);
        } else if (step instanceof Step.Rsi s) {
            return rsiStep(s, at);
        } else if (step instanceof Step.Fixture s) {
            fixture(s, at);
        }
        return null;
    }

    private long num(JsonNode n, long dflt, String where) {
        return n == null || n.isNull() ? dflt : Expr.eval(n, vars, where);
    }

    private long num(JsonNode n, String where) {
        return Expr.eval(n, vars, where);
    }

    private int fd(JsonNode n, String where) {
        if (n.isTextual() && vars.containsKey(n.textValue())) {
            return (int) (long) vars.get(n.textValue());
        }
        return (int) num(n, where);
    }

    private StepResult mmapStep(Step.Mmap s, String at) {
        Step.MmapArgs m = s.mmap();
        long size = num(m.size(), 4096, at + ".mmap.size");
        long addr;
        if (m.fd() != null) {
            int fd = fd(m.fd(), at + ".mmap.fd");
            addr = proc.mmap(0, size, UserMemory.PROT_READ | UserMemory.PROT_WRITE, Process.MAP_SHARED, fd, 0);
            if (addr >= 0) {
                runMaps.put(fd, addr);
            }
        } else {
            addr = proc.mmap(0, size, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                    Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        }
        return StepResult.returned(addr, null, 0, -1, takeCalls());
    }

    private void writeStep(Step.Write s, String at) {
        long addr = num(s.write(), at + ".write") + num(s.offset(), 0, at + ".offset");
        if (s.program() != null) {
            int[] words = program(s.program(), s.base(), s.ipaBits(), at);
            for (int i = 0; i < words.length; i++) {
                mem.write32(addr + 4L * i, words[i]);
            }
        }
        for (int i = 0; i < s.u32().size(); i++) {
            mem.write32(addr + 4L * i, (int) num(s.u32().get(i), at + ".u32[" + i + "]"));
        }
        for (int i = 0; i < s.u64().size(); i++) {
            mem.write64(addr + 8L * i, num(s.u64().get(i), at + ".u64[" + i + "]"));
        }
        if (s.bytes() != null) {
            byte[] b = hex(s.bytes(), at + ".bytes");
            mem.writeBytes(addr, b, 0, b.length);
        }
    }

    private int[] program(JsonNode p, JsonNode baseNode, JsonNode ipaBits, String at) {
        long base = num(baseNode, RAM_DEFAULT, at + ".base");
        long shared = 1L << (num(ipaBits, 33, at + ".ipa_bits") - 1);
        if (p.isTextual()) {
            return RealmProgram.named(p.textValue(), base, shared);
        }
        if (p.has("smc")) {
            JsonNode r = p.get("smc");
            long[] regs = new long[r.size()];
            for (int i = 0; i < regs.length; i++) {
                regs[i] = num(r.get(i), at + ".program.smc[" + i + "]");
            }
            return RealmProgram.smc(regs, shared).words();
        }
        throw new ScenarioException(at + ".program: a program name or {\"smc\": [x0, x1, ...]}");
    }

    private static byte[] hex(String s, String where) {
        String h = s.replaceAll("\\s", "");
        if ((h.length() & 1) != 0 || !h.matches("[0-9a-fA-F]*")) {
            throw new ScenarioException(where + ": not an even-length hex string");
        }
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** A check step: reads the memory (its outcome), then compares it with the values. */
    private void checkStep(Step.Check s, String at) {
        long addr = num(s.check(), at + ".check") + num(s.offset(), 0, at + ".offset");
        long[] got64 = new long[s.u64().size()];
        for (int i = 0; i < got64.length; i++) {
            got64[i] = mem.read64(addr + 8L * i);
        }
        checks.memory(s.u64(), got64, addr, 8, at);
        long[] got32 = new long[s.u32().size()];
        for (int i = 0; i < got32.length; i++) {
            got32[i] = mem.read32(addr + 4L * i) & 0xFFFF_FFFFL;
        }
        checks.memory(s.u32(), got32, addr, 4, at);
    }

    /** The kvm_run area of vCPU {@code fd}, mapped on first use as a VMM would. */
    private long runOf(int fd) {
        Long a = runMaps.get(fd);
        if (a == null) {
            long addr = proc.mmap(0, 2 * 4096, UserMemory.PROT_READ | UserMemory.PROT_WRITE, Process.MAP_SHARED, fd, 0);
            if (addr < 0) {
                throw new StepFailure("cannot mmap kvm_run of fd " + fd + ": " + Errno.name((int) -addr));
            }
            runMaps.put(fd, addr);
            a = addr;
        }
        return a;
    }

    private void runSet(Step.RunSet s, String at) {
        long run = runOf(fd(s.runSet(), at));
        AbiCatalog.StructDef def = AbiCatalog.STRUCTS.get("kvm_run");
        for (Map.Entry<String, JsonNode> e : s.fields().entrySet()) {
            int[] loc = def.locate(e.getKey(), at + ".fields");
            mem.write(run + loc[0], loc[1], num(e.getValue(), at + ".fields." + e.getKey()));
        }
    }

    // ---- ioctl -------------------------------------------------------------------------------------------------

    private StepResult ioctlStep(Step.Ioctl s, String at) {
        JsonNode io = s.ioctl();
        AbiCatalog.Ioctl def;
        long request;
        if (io.isTextual() && io.textValue().startsWith("KVM_")) {
            def = AbiCatalog.ioctl(io.textValue(), profile);
            if (def == null) {
                throw new ScenarioException(at + ": unknown ioctl " + io.textValue() + " (known: "
                        + AbiCatalog.ioctlNames() + ")");
            }
            request = def.request();
        } else {
            request = num(io, at + ".ioctl");
            def = AbiCatalog.byRequest(request);
        }
        int fd = fd(s.fd(), at + ".fd");
        long arg;
        long structAddr = 0;
        AbiCatalog.StructDef sdef = null;
        if (s.arg() != null) {
            arg = num(s.arg(), at + ".arg");
        } else if (s.raw() != null) {
            byte[] b = hex(s.raw(), at + ".raw");
            arg = alloc(Math.max(b.length, 8));
            mem.writeBytes(arg, b, 0, b.length);
        } else if (def != null && def.struct() != null) {
            sdef = AbiCatalog.STRUCTS.get(def.struct());
            structAddr = alloc(sdef.size);
            fill(sdef, structAddr, s.struct() == null ? JsonNodeFactory.instance.objectNode() : s.struct(),
                    at + ".struct");
            arg = structAddr;
        } else {
            arg = 0;
        }
        if (s.struct() != null && sdef == null) {
            throw new ScenarioException(at + ": 'struct' needs an ioctl whose argument is a struct");
        }
        if (Boolean.TRUE.equals(s.signalPending())) {
            proc.signal(Thread.currentThread()); // as if a signal arrived just before the call
        }
        long result;
        try {
            result = request == KVM_RUN ? runIoctl(s.signalAfterMs(), at, fd, arg) : proc.ioctl(fd, request, arg);
        } finally {
            proc.consumeSignal();
        }
        return StepResult.returned(result, sdef, structAddr, fd, takeCalls());
    }

    /** Writes the struct's fields; a field given as an object points to a new buffer with that content. */
    private void fill(AbiCatalog.StructDef def, long addr, JsonNode fields, String where) {
        if (!fields.isObject()) {
            throw new ScenarioException(where + ": expected an object of the struct's fields");
        }
        var it = fields.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String w = where + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                    int[] loc = def.locate(e.getKey() + "[" + i + "]", w);
                    mem.write(addr + loc[0], loc[1], num(v.get(i), w + "[" + i + "]"));
                }
                continue;
            }
            int[] loc = def.locate(e.getKey(), w);
            mem.write(addr + loc[0], loc[1], v.isObject() ? pointee(v, w) : num(v, w));
        }
    }

    /** {"u64": v} / {"u32": v} / {"bytes": hex} / {"struct": name, "fields": {...}}, optionally "as": var. */
    private long pointee(JsonNode v, String where) {
        long buf;
        if (v.has("u64")) {
            buf = alloc(8);
            mem.write64(buf, num(v.get("u64"), where + ".u64"));
        } else if (v.has("u32")) {
            buf = alloc(8);
            mem.write32(buf, (int) num(v.get("u32"), where + ".u32"));
        } else if (v.has("bytes")) {
            byte[] b = hex(v.get("bytes").asText(), where + ".bytes");
            buf = alloc(Math.max(8, b.length));
            mem.writeBytes(buf, b, 0, b.length);
        } else if (v.has("struct")) {
            AbiCatalog.StructDef d = AbiCatalog.STRUCTS.get(v.get("struct").asText());
            if (d == null) {
                throw new ScenarioException(where + ": unknown struct " + v.get("struct").asText());
            }
            buf = alloc(d.size);
            fill(d, buf, v.has("fields") ? v.get("fields") : JsonNodeFactory.instance.objectNode(), where);
        } else {
            throw new ScenarioException(where + ": a pointer field needs {\"u64\"|\"u32\"|\"bytes\"|\"struct\": ...}");
        }
        if (v.has("as")) {
            vars.put(v.get("as").asText(), buf);
        }
        return buf;
    }

    /** KVM_RUN with a watchdog: a signal ends a guest that does not stop by itself. */
    private long runIoctl(JsonNode signalAfterMs, String at, int fd, long arg) {
        boolean requested = signalAfterMs != null && !signalAfterMs.isNull();
        long delay = requested ? num(signalAfterMs, at) : DEFAULT_RUN_TIMEOUT_MS;
        if (delay < 0 || delay > MAX_SIGNAL_AFTER_MS) {
            // A negative delay would kill the watchdog, a huge one leave a running guest unbounded.
            throw new ScenarioException(at + ".signal_after_ms: must be 0.." + MAX_SIGNAL_AFTER_MS + ", was " + delay);
        }
        Thread self = Thread.currentThread();
        final boolean[] fired = {false};
        Thread dog = new Thread(() -> {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (fired) {
                fired[0] = true;
            }
            proc.signal(self);
        }, "abi-test-watchdog");
        dog.setDaemon(true);
        dog.start();
        long r;
        try {
            r = proc.ioctl(fd, KVM_RUN, arg);
        } finally {
            dog.interrupt();
            try {
                dog.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            proc.consumeSignal(); // a signal that arrived after the call returned is not for the next one
        }
        synchronized (fired) {
            if (fired[0] && !requested && r == -Errno.EINTR) {
                throw new StepFailure("KVM_RUN did not return within " + delay + " ms (the guest kept running)");
            }
        }
        return r;
    }

    // ---- raw SMC -----------------------------------------------------------------------------------------------

    private StepResult smcStep(Step.Smc s, String at) {
        long fid = num(s.smc(), at + ".smc");
        long[] args = new long[s.args().size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = num(s.args().get(i), at + ".args[" + i + "]");
        }
        long[] out = host.kernel.rmiTestPort().smc(fid, args);
        return StepResult.registers(out, takeCalls());
    }

    // ---- RSI through a realm -----------------------------------------------------------------------------------

    /** Runs a one-vCPU realm that makes the SMC and reports X0..X4. */
    private StepResult rsiStep(Step.Rsi s, String at) {
        long fid = num(s.rsi(), at + ".rsi");
        long[] regs = new long[1 + s.args().size()];
        regs[0] = fid;
        for (int i = 0; i < s.args().size(); i++) {
            regs[1 + i] = num(s.args().get(i), at + ".args[" + i + "]");
        }
        if (regs.length > 7) {
            throw new ScenarioException(at + ".args: at most 6 arguments (X1..X6)");
        }
        // The realm's set-up steps take their own calls; the step's are those of all of them together.
        int mark = rmiMark;
        Map<String, Long> saved = new HashMap<>(vars);
        long[] report = runRealm(RealmProgram.smc(regs, 1L << 32).words(), at);
        vars.clear();
        vars.putAll(saved);
        rmiMark = mark;
        return StepResult.registers(report, takeCalls());
    }

    /** Builds a realm with {@code program}, runs it as a plain VMM loop until SYSTEM_OFF; returns the report. */
    private long[] runRealm(int[] program, String at) {
        fixtureSteps(new Step.Fixture("realm", "rsi_", null, null, null, null, null, null, null, null), at, program);
        int vcpu = (int) (long) vars.get("rsi_vcpu0");
        long run = runOf(vcpu);
        long[] report = new long[5];
        for (int exits = 0; exits < 200; exits++) {
            long r = runIoctl(null, at, vcpu, 0);
            int reason = mem.read32(run + Structs.RUN_EXIT_REASON);
            if (r < 0) {
                throw new StepFailure("KVM_RUN of the RSI realm failed with " + Errno.name((int) -r) + " ("
                        + Constants.exitName(reason) + ")");
            }
            if (reason == KVM_EXIT_MMIO && mem.read(run + Structs.RUN_MMIO_IS_WRITE, 1) != 0) {
                long addr = mem.read64(run + Structs.RUN_MMIO_PHYS_ADDR);
                int slot = (int) ((addr - RealmProgram.PROBE) / 8);
                if (slot >= 0 && slot < 5) {
                    report[slot] = mem.read64(run + Structs.RUN_MMIO_DATA);
                }
                continue;
            }
            if (reason == KVM_EXIT_MMIO) {
                mem.write64(run + Structs.RUN_MMIO_DATA, 0);
                continue;
            }
            if (reason == KVM_EXIT_SYSTEM_EVENT) {
                return report;
            }
            if (reason == KVM_EXIT_HYPERCALL
                    && mem.read64(run + Structs.RUN_HYPERCALL_NR) == dev.cca.rmm.smc.Psci.SYSTEM_OFF) {
                return report; // psci-user: the VMM sees the realm's SYSTEM_OFF as a hypercall
            }
            throw new StepFailure("the RSI realm stopped with " + Constants.exitName(reason));
        }
        throw new StepFailure("the RSI realm did not power off after 200 exits");
    }

    // ---- fixtures ----------------------------------------------------------------------------------------------

    private void fixture(Step.Fixture fx, String at) {
        int[] program = null;
        if (fx.program() != null) {
            program = program(fx.program(), fx.base(), fx.ipaBits(), at);
        }
        fixtureSteps(fx, at, program);
    }

    /**
     * The standard set-ups (docs/abi-scenarios.md, {@link Fixtures}): their ioctl steps run like any other, each
     * must succeed; with a program, it is written at "code", populated (a realm) and the PC set.
     */
    private void fixtureSteps(Step.Fixture fx, String at, int[] program) {
        Fixtures.Expansion x = Fixtures.expand(fx, at, this::num);
        for (int i = 0; i < x.setUp().size(); i++) {
            inner(x.setUp().get(i), x.where() + " step " + (i + 1));
        }
        if (program != null) {
            long code = vars.get(x.prefix() + "code");
            for (int i = 0; i < program.length; i++) {
                mem.write32(code + 4L * i, program[i]);
            }
            if (x.realm()) {
                inner(x.populate(((program.length * 4L) + 4095) & ~4095L), x.where() + " populate");
            }
            inner(x.setPc(), x.where() + " set PC");
        }
    }

    /** Runs a step of a fixture: parsed like a scenario's, it must do what it states (by default, succeed). */
    private void inner(ObjectNode json, String at) {
        step(Scenarios.parseStep(json, at, at), null);
    }

    static final Set<String> PROFILE_IDS = java.util.Arrays.stream(AbiProfile.values()).map(p -> p.id)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
}
