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
import dev.cca.rmm.RmmObserver;
import dev.cca.rmm.smc.Rmi;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * Runs one ABI scenario (docs/abi-scenarios.md) on a freshly booted host whose kernel implements the chosen ABI
 * profile. Ioctl steps go through a user process exactly as a C VMM's would: structs laid out in the process's
 * memory, {@code Process.ioctl} on named file descriptors. {@code smc} steps use the kernel's raw-RMI test port,
 * {@code rsi} steps run a small realm that makes the call and reports its registers. RMI calls made during a
 * step are observed with an {@link RmmObserver} to check the calls a step must (or must not) make.
 */
public final class ScenarioRunner {
    /** How a scenario ended. */
    public enum Status { PASSED, FAILED, SKIPPED }

    /** The result of one scenario. */
    public record Outcome(String name, Status status, String message, double seconds) {
    }

    /** A step that did not do what the scenario expects. */
    static final class StepFailure extends RuntimeException {
        StepFailure(String message) {
            super(message);
        }
    }

    /** An RMI call as the RMM completed it. */
    record RmiCall(long fid, long[] args, long[] out) {
        String name() {
            String n = Rmi.name(fid);
            return n != null ? n : String.format("SMC %#x", fid);
        }
    }

    private static final long DEFAULT_RUN_TIMEOUT_MS = 20_000;
    /** The longest a KVM_RUN step may ask to run before its signal: a minute. */
    static final long MAX_SIGNAL_AFTER_MS = 60_000;
    /** Fixture bounds: what a host of a scenario (at most 8 PEs, 4 GiB) can hold. */
    static final int MAX_FIXTURE_VCPUS = 64;
    private static final long RAM_DEFAULT = 0x4000_0000L;

    private final AbiProfile profile;
    private final PrintStream trace;

    // Per-scenario state.
    private CcaHost host;
    private Process proc;
    private UserMemory mem;
    private final Map<String, Long> vars = new LinkedHashMap<>();
    private final Map<Integer, Long> runMaps = new HashMap<>();
    private final List<RmiCall> rmiLog = Collections.synchronizedList(new ArrayList<>());
    private long arena;
    private long arenaUsed;
    private long arenaSize;

    /** @param trace where to print each step as it runs (-v), or null */
    public ScenarioRunner(AbiProfile profile, PrintStream trace) {
        this.profile = profile;
        this.trace = trace;
    }

    // ---- scenario ----------------------------------------------------------------------------------------------

    /** Runs the scenario {@code s}; {@code where} names it in messages (file and index). */
    public Outcome run(JsonNode s, String where) {
        long start = System.nanoTime();
        String name = s.path("scenario").asText(where);
        try {
            Scenarios.checkScenario(s, where);
            if (s.has("profiles")) {
                boolean applies = false;
                for (JsonNode p : s.get("profiles")) {
                    if (AbiProfile.byId(p.asText()) == profile) {
                        applies = true;
                    }
                }
                if (!applies) {
                    return new Outcome(name, Status.SKIPPED, "not for profile " + profile.id, seconds(start));
                }
            }
            JsonNode hostNode = s.path("host");
            int cpus = (int) num(hostNode.get("cpus"), 1, where + ".host.cpus");
            long memMiB = num(hostNode.get("memory_mib"), 256, where + ".host.memory_mib");
            if (cpus < 1 || cpus > 8 || memMiB < 16 || memMiB > 4096) {
                throw new ScenarioException(where + ".host: cpus must be 1..8 and memory_mib 16..4096");
            }
            boot(cpus, memMiB << 20);
            try {
                JsonNode steps = s.get("steps");
                for (int i = 0; i < steps.size(); i++) {
                    String at = "step " + (i + 1);
                    try {
                        step(steps.get(i), at);
                    } catch (StepFailure e) {
                        return new Outcome(name, Status.FAILED, at + " (" + describe(steps.get(i)) + "): "
                                + e.getMessage(), seconds(start));
                    }
                }
                return new Outcome(name, Status.PASSED, "", seconds(start));
            } finally {
                shutdown();
            }
        } catch (ScenarioException e) {
            return new Outcome(name, Status.FAILED, "bad scenario: " + e.getMessage(), seconds(start));
        } catch (RuntimeException e) {
            if (trace != null) {
                e.printStackTrace(trace);
            }
            return new Outcome(name, Status.FAILED, "internal error: " + e, seconds(start));
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
        public void rmiReturn(Cpu cpu, long fid, long[] args, long[] out) {
            rmiLog.add(new RmiCall(fid, args.clone(), out.clone()));
        }
    };

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

    private void step(JsonNode step, String at) {
        if (step.has("only_profiles")) {
            boolean applies = false;
            for (JsonNode p : step.get("only_profiles")) {
                applies |= AbiProfile.byId(p.asText()) == profile;
            }
            if (!applies) {
                return;
            }
        }
        if (trace != null) {
            trace.println("  " + at + ": " + step);
        }
        if (step.has("open")) {
            int fd = proc.open(step.get("open").asText(), Process.O_RDWR);
            finish(step, at, fd, null, null, 0);
        } else if (step.has("close")) {
            finish(step, at, proc.close(fd(step.get("close"), at)), null, null, 0);
        } else if (step.has("mmap")) {
            mmapStep(step, at);
        } else if (step.has("write")) {
            writeStep(step, at);
        } else if (step.has("check")) {
            checkStep(step, at);
        } else if (step.has("run_set")) {
            runSet(step, at);
        } else if (step.has("ioctl")) {
            ioctlStep(step, at);
        } else if (step.has("smc")) {
            smcStep(step, at);
        } else if (step.has("alloc_granule")) {
            RmiTestPort port = host.kernel.rmiTestPort();
            long pa = port.allocGranule();
            if (pa < 0) {
                throw new StepFailure("the host is out of memory");
            }
            vars.put(step.get("alloc_granule").asText(), pa);
        } else if (step.has("rsi")) {
            rsiStep(step, at);
        } else if (step.has("fixture")) {
            fixture(step, at);
        } else {
            throw new ScenarioException(at + ": no step kind (one of " + Scenarios.STEP_KINDS + ")");
        }
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

    private void mmapStep(JsonNode step, String at) {
        JsonNode m = step.get("mmap");
        long size = num(m.get("size"), 4096, at + ".mmap.size");
        long addr;
        if (m.has("fd")) {
            int fd = fd(m.get("fd"), at + ".mmap.fd");
            addr = proc.mmap(0, size, UserMemory.PROT_READ | UserMemory.PROT_WRITE, Process.MAP_SHARED, fd, 0);
            if (addr >= 0) {
                runMaps.put(fd, addr);
            }
        } else {
            addr = proc.mmap(0, size, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                    Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        }
        finish(step, at, addr, null, null, 0);
    }

    private void writeStep(JsonNode step, String at) {
        long addr = num(step.get("write"), at + ".write") + num(step.get("offset"), 0, at + ".offset");
        if (step.has("program")) {
            int[] words = program(step.get("program"), step, at);
            for (int i = 0; i < words.length; i++) {
                mem.write32(addr + 4L * i, words[i]);
            }
        }
        if (step.has("u32")) {
            JsonNode a = step.get("u32");
            for (int i = 0; i < a.size(); i++) {
                mem.write32(addr + 4L * i, (int) num(a.get(i), at + ".u32[" + i + "]"));
            }
        }
        if (step.has("u64")) {
            JsonNode a = step.get("u64");
            for (int i = 0; i < a.size(); i++) {
                mem.write64(addr + 8L * i, num(a.get(i), at + ".u64[" + i + "]"));
            }
        }
        if (step.has("bytes")) {
            byte[] b = hex(step.get("bytes").asText(), at + ".bytes");
            mem.writeBytes(addr, b, 0, b.length);
        }
    }

    private int[] program(JsonNode p, JsonNode step, String at) {
        long base = num(step.get("base"), RAM_DEFAULT, at + ".base");
        long shared = 1L << (num(step.get("ipa_bits"), 33, at + ".ipa_bits") - 1);
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

    private void checkStep(JsonNode step, String at) {
        long addr = num(step.get("check"), at + ".check") + num(step.get("offset"), 0, at + ".offset");
        if (step.has("u64")) {
            JsonNode a = step.get("u64");
            for (int i = 0; i < a.size(); i++) {
                expectEq("u64[" + i + "] at " + hexs(addr + 8L * i), num(a.get(i), at + ".u64"),
                        mem.read64(addr + 8L * i));
            }
        }
        if (step.has("u32")) {
            JsonNode a = step.get("u32");
            for (int i = 0; i < a.size(); i++) {
                expectEq("u32[" + i + "]", num(a.get(i), at + ".u32") & 0xFFFF_FFFFL,
                        mem.read32(addr + 4L * i) & 0xFFFF_FFFFL);
            }
        }
    }

    private static String hexs(long v) {
        return String.format("%#x", v);
    }

    private static void expectEq(String what, long expected, long actual) {
        if (expected != actual) {
            throw new StepFailure(String.format("%s: expected %s, got %s", what, fmt(expected), fmt(actual)));
        }
    }

    private static String fmt(long v) {
        return v >= 0 && v < 4096 ? Long.toString(v) : String.format("%#x", v);
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

    private void runSet(JsonNode step, String at) {
        long run = runOf(fd(step.get("run_set"), at));
        AbiCatalog.StructDef def = AbiCatalog.STRUCTS.get("kvm_run");
        Iterator<Map.Entry<String, JsonNode>> it = step.path("fields").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int[] loc = def.locate(e.getKey(), at + ".fields");
            mem.write(run + loc[0], loc[1], num(e.getValue(), at + ".fields." + e.getKey()));
        }
    }

    // ---- ioctl -------------------------------------------------------------------------------------------------

    private void ioctlStep(JsonNode step, String at) {
        JsonNode io = step.get("ioctl");
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
        int fd = fd(step.get("fd"), at + ".fd");
        long arg;
        long structAddr = 0;
        AbiCatalog.StructDef sdef = null;
        if (step.has("arg")) {
            arg = num(step.get("arg"), at + ".arg");
        } else if (step.has("raw")) {
            byte[] b = hex(step.get("raw").asText(), at + ".raw");
            arg = alloc(Math.max(b.length, 8));
            mem.writeBytes(arg, b, 0, b.length);
        } else if (def != null && def.struct() != null) {
            sdef = AbiCatalog.STRUCTS.get(def.struct());
            structAddr = alloc(sdef.size);
            fill(sdef, structAddr, step.path("struct"), at + ".struct");
            arg = structAddr;
        } else {
            arg = 0;
        }
        if (step.has("struct") && sdef == null) {
            throw new ScenarioException(at + ": 'struct' needs an ioctl whose argument is a struct");
        }
        if (step.path("signal_pending").asBoolean(false)) {
            proc.signal(Thread.currentThread()); // as if a signal arrived just before the call
        }
        long result;
        try {
            result = request == KVM_RUN ? runIoctl(step, at, fd, arg) : proc.ioctl(fd, request, arg);
        } finally {
            proc.consumeSignal();
        }
        finish(step, at, result, sdef, structAddr == 0 ? null : structAddr, fd);
    }

    /** Writes the struct's fields; a field given as an object points to a new buffer with that content. */
    private void fill(AbiCatalog.StructDef def, long addr, JsonNode fields, String where) {
        Iterator<Map.Entry<String, JsonNode>> it = fields.fields();
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
            fill(d, buf, v.path("fields"), where);
        } else {
            throw new ScenarioException(where + ": a pointer field needs {\"u64\"|\"u32\"|\"bytes\"|\"struct\": ...}");
        }
        if (v.has("as")) {
            vars.put(v.get("as").asText(), buf);
        }
        return buf;
    }

    /** KVM_RUN with a watchdog: a signal ends a guest that does not stop by itself. */
    private long runIoctl(JsonNode step, String at, int fd, long arg) {
        long delay = step.has("signal_after_ms") ? num(step.get("signal_after_ms"), at) : DEFAULT_RUN_TIMEOUT_MS;
        boolean requested = step.has("signal_after_ms");
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

    // ---- expectations ------------------------------------------------------------------------------------------

    private JsonNode expectations(JsonNode step) {
        JsonNode byProfile = step.path("expect_by_profile").path(profile.id);
        if (!byProfile.isMissingNode()) {
            return byProfile;
        }
        JsonNode e = step.get("expect");
        if (e == null) {
            ObjectNode ok = JsonNodeFactory.instance.objectNode();
            ok.put("ok", true);
            return ok; // a step without expectations must succeed
        }
        return e;
    }

    /** Checks a step's result and binds its outputs; {@code structAddr} is the argument struct, if any. */
    private void finish(JsonNode step, String at, long result, AbiCatalog.StructDef sdef, Long structAddr, int fd) {
        int mark = rmiMark;
        rmiMark = rmiLog.size();
        if (trace != null) {
            trace.println("    -> " + (result < 0 && result >= -4095 ? Errno.name((int) -result) + " (" + result + ")"
                    : fmt(result)));
        }
        JsonNode e = expectations(step);
        boolean errorResult = result < 0 && result >= -4095;
        if (e.has("errno")) {
            int want = (int) num(e.get("errno"), at + ".expect.errno");
            if (!errorResult || -result != want) {
                throw new StepFailure("expected errno " + Errno.name(want) + ", got "
                        + (errorResult ? Errno.name((int) -result) : "success " + fmt(result)));
            }
        }
        if (e.has("result")) {
            long want = num(e.get("result"), at + ".expect.result");
            if (result != want) {
                throw new StepFailure("expected result " + fmt(want) + ", got "
                        + (errorResult ? Errno.name((int) -result) : fmt(result)));
            }
        }
        if (e.path("ok").asBoolean(false) && errorResult) {
            throw new StepFailure("expected success, got " + Errno.name((int) -result));
        }
        if (step.has("as")) {
            vars.put(step.get("as").asText(), result);
        }
        if (sdef != null && structAddr != null) {
            Iterator<Map.Entry<String, JsonNode>> it = e.path("fields").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                int[] loc = sdef.locate(f.getKey(), at + ".expect.fields");
                long got = mem.read(structAddr + loc[0], loc[1]);
                long want = num(f.getValue(), at + ".expect.fields." + f.getKey());
                expectEq(sdef.name + "." + f.getKey(), mask(want, loc[1]), got);
            }
            Iterator<Map.Entry<String, JsonNode>> pt = e.path("pointee").fields();
            while (pt.hasNext()) {
                Map.Entry<String, JsonNode> f = pt.next();
                int[] loc = sdef.locate(f.getKey(), at + ".expect.pointee");
                long ptr = mem.read(structAddr + loc[0], loc[1]);
                JsonNode want = f.getValue();
                if (want.has("u64")) {
                    expectEq("*" + f.getKey(), num(want.get("u64"), at), mem.read64(ptr));
                } else if (want.has("u32")) {
                    expectEq("*" + f.getKey(), num(want.get("u32"), at) & 0xFFFF_FFFFL, mem.read32(ptr) & 0xFFFF_FFFFL);
                } else {
                    throw new ScenarioException(at + ".expect.pointee." + f.getKey() + ": {\"u64\": v} or {\"u32\": v}");
                }
            }
            Iterator<Map.Entry<String, JsonNode>> sv = step.path("save").fields();
            while (sv.hasNext()) {
                Map.Entry<String, JsonNode> f = sv.next();
                int[] loc = sdef.locate(f.getValue().asText(), at + ".save");
                vars.put(f.getKey(), mem.read(structAddr + loc[0], loc[1]));
            }
        } else if (e.has("fields") || step.has("save")) {
            throw new ScenarioException(at + ": 'fields' and 'save' need an ioctl with a struct argument");
        }
        if (e.has("run")) {
            long run = runOf(fd);
            AbiCatalog.StructDef def = AbiCatalog.STRUCTS.get("kvm_run");
            Iterator<Map.Entry<String, JsonNode>> it = e.get("run").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                int[] loc = def.locate(f.getKey(), at + ".expect.run");
                long got = mem.read(run + loc[0], loc[1]);
                long want = mask(num(f.getValue(), at + ".expect.run." + f.getKey()), loc[1]);
                if (f.getKey().equals("exit_reason") && got != want) {
                    throw new StepFailure("kvm_run.exit_reason: expected " + Constants.exitName(want) + ", got "
                            + Constants.exitName(got));
                }
                expectEq("kvm_run." + f.getKey(), want, got);
            }
        }
        checkRmi(e, at, mark);
    }

    private int rmiMark;

    private static long mask(long v, int size) {
        return size >= 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    /** "rmi": ordered subsequence, "rmi_exactly": the whole sequence, "rmi_absent": calls that must not happen. */
    private void checkRmi(JsonNode e, String at, int from) {
        List<RmiCall> calls;
        synchronized (rmiLog) {
            calls = new ArrayList<>(rmiLog.subList(from, rmiLog.size()));
        }
        if (e.has("rmi")) {
            int k = 0;
            JsonNode want = e.get("rmi");
            for (int i = 0; i < want.size(); i++) {
                while (k < calls.size() && !matches(calls.get(k), want.get(i), at)) {
                    k++;
                }
                if (k == calls.size()) {
                    throw new StepFailure("expected RMI call " + want.get(i) + " (in order), calls made: "
                            + summary(calls));
                }
                k++;
            }
        }
        if (e.has("rmi_exactly")) {
            JsonNode want = e.get("rmi_exactly");
            boolean same = want.size() == calls.size();
            for (int i = 0; same && i < want.size(); i++) {
                same = matches(calls.get(i), want.get(i), at);
            }
            if (!same) {
                throw new StepFailure("expected exactly the RMI calls " + want + ", calls made: " + summary(calls));
            }
        }
        if (e.has("rmi_absent")) {
            for (JsonNode n : e.get("rmi_absent")) {
                for (RmiCall c : calls) {
                    if (c.name().equals(n.asText())) {
                        throw new StepFailure("the step made " + n.asText() + ", which it must not; calls made: "
                                + summary(calls));
                    }
                }
            }
        }
    }

    /** "RMI_X", "RMI_X:STATUS", or {"call": "RMI_X", "status": s, "x1": v, ...}. */
    private boolean matches(RmiCall c, JsonNode want, String at) {
        String name;
        JsonNode status = null;
        if (want.isTextual()) {
            String[] parts = want.textValue().split(":", 2);
            name = parts[0].trim();
            if (parts.length == 2) {
                status = JsonNodeFactory.instance.textNode(parts[1].trim());
            }
        } else {
            name = want.path("call").asText();
            status = want.get("status");
        }
        if (!c.name().equals(name)) {
            return false;
        }
        if (status != null) {
            long st = num(status, at + ".rmi.status");
            // A status alone (RMI_ERROR_RTT) matches any index; "RMI_ERROR_RTT | 2 << 8" pins the index too.
            long got = st <= 0xFF ? c.out()[0] & 0xFF : c.out()[0] & 0xFFFF;
            if (got != st) {
                return false;
            }
        }
        if (want.isObject()) {
            for (int i = 1; i <= 6; i++) {
                if (want.has("x" + i) && c.args()[i] != num(want.get("x" + i), at + ".rmi.x" + i)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String summary(List<RmiCall> calls) {
        if (calls.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (RmiCall c : calls) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(c.name());
            if (c.out()[0] != 0) {
                sb.append('=').append(Rmi.describe(c.out()[0]));
            }
        }
        return sb.toString();
    }

    // ---- raw SMC -----------------------------------------------------------------------------------------------

    private void smcStep(JsonNode step, String at) {
        long fid = num(step.get("smc"), at + ".smc");
        JsonNode a = step.path("args");
        long[] args = new long[a.size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = num(a.get(i), at + ".args[" + i + "]");
        }
        long[] out = host.kernel.rmiTestPort().smc(fid, args);
        if (trace != null) {
            trace.println(String.format("    -> x0=%#x x1=%#x x2=%#x x3=%#x", out[0], out[1], out[2], out[3]));
        }
        int mark = rmiMark;
        rmiMark = rmiLog.size();
        JsonNode e = step.get("expect");
        if (e == null) {
            e = JsonNodeFactory.instance.objectNode().put("x0", 0);
        }
        checkRegs(e, out, at);
        Iterator<Map.Entry<String, JsonNode>> sv = step.path("save").fields();
        while (sv.hasNext()) {
            Map.Entry<String, JsonNode> f = sv.next();
            String reg = f.getValue().asText();
            if (!reg.matches("x[0-7]")) {
                throw new ScenarioException(at + ".save: registers are x0..x7");
            }
            vars.put(f.getKey(), out[reg.charAt(1) - '0']);
        }
        checkRmi(e, at, mark);
    }

    private void checkRegs(JsonNode e, long[] out, String at) {
        for (int i = 0; i < out.length; i++) {
            if (e.has("x" + i)) {
                long want = num(e.get("x" + i), at + ".expect.x" + i);
                if (out[i] != want) {
                    String hint = i == 0 ? " (" + Rmi.describe(out[0]) + ")" : "";
                    throw new StepFailure(String.format("x%d: expected %s, got %s%s", i, fmt(want), fmt(out[i]), hint));
                }
            }
        }
    }

    // ---- RSI through a realm -----------------------------------------------------------------------------------

    /** Runs a one-vCPU realm that makes the SMC and reports X0..X4, then checks them. */
    private void rsiStep(JsonNode step, String at) {
        long fid = num(step.get("rsi"), at + ".rsi");
        JsonNode a = step.path("args");
        long[] regs = new long[1 + a.size()];
        regs[0] = fid;
        for (int i = 0; i < a.size(); i++) {
            regs[1 + i] = num(a.get(i), at + ".args[" + i + "]");
        }
        if (regs.length > 7) {
            throw new ScenarioException(at + ".args: at most 6 arguments (X1..X6)");
        }
        int mark = rmiMark;
        Map<String, Long> saved = new HashMap<>(vars);
        long[] report = runRealm(RealmProgram.smc(regs, 1L << 32).words(), at);
        vars.clear();
        vars.putAll(saved);
        if (trace != null) {
            trace.println(String.format("    -> x0=%#x x1=%#x x2=%#x x3=%#x x4=%#x", report[0], report[1], report[2],
                    report[3], report[4]));
        }
        rmiMark = rmiLog.size();
        JsonNode e = step.path("expect");
        checkRegs(e, report, at);
        checkRmi(e, at, mark);
    }

    /** Builds a realm with {@code program}, runs it as a plain VMM loop until SYSTEM_OFF; returns the report. */
    private long[] runRealm(int[] program, String at) {
        ObjectNode fx = JsonNodeFactory.instance.objectNode();
        fx.put("fixture", "realm");
        fx.put("prefix", "rsi_");
        fixtureSteps(fx, at, program);
        int vcpu = (int) (long) vars.get("rsi_vcpu0");
        long run = runOf(vcpu);
        long[] report = new long[5];
        for (int exits = 0; exits < 200; exits++) {
            long r = runIoctl(JsonNodeFactory.instance.objectNode(), at, vcpu, 0);
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

    private void fixture(JsonNode step, String at) {
        int[] program = null;
        if (step.has("program")) {
            program = program(step.get("program"), step, at);
        }
        fixtureSteps(step, at, program);
    }

    /**
     * The standard set-ups (docs/abi-scenarios.md), expanded into ioctl steps that run like any other:
     * {@code realm} and {@code normal}. Names are bound with the optional "prefix".
     */
    private void fixtureSteps(JsonNode fx, String at, int[] program) {
        String kind = fx.get("fixture").asText();
        String pre = fx.path("prefix").asText("");
        String w = at + " (fixture " + kind + ")";
        if (!kind.equals("realm") && !kind.equals("normal")) {
            throw new ScenarioException(at + ": unknown fixture '" + kind + "' (realm, normal)");
        }
        boolean realm = kind.equals("realm");
        long ipa = num(fx.get("ipa_bits"), realm ? 33 : 0, w + ".ipa_bits");
        long ram = num(fx.get("ram"), RAM_DEFAULT, w + ".ram");
        long ramSize = num(fx.get("ram_size"), 1L << 20, w + ".ram_size");
        long vcpuCount = num(fx.get("vcpus"), 1, w + ".vcpus");
        if (vcpuCount < 1 || vcpuCount > MAX_FIXTURE_VCPUS) {
            throw new ScenarioException(w + ".vcpus: must be 1.." + MAX_FIXTURE_VCPUS + ", was " + vcpuCount);
        }
        int vcpus = (int) vcpuCount;
        if (ramSize <= 0 || (ramSize & 0xFFF) != 0) {
            throw new ScenarioException(w + ".ram_size: must be a positive multiple of 4096, was " + ramSize);
        }
        if ((ram & 0xFFF) != 0) {
            throw new ScenarioException(w + ".ram: must be 4096-byte aligned, was " + fmt(ram));
        }
        boolean gic = !fx.has("gic") || fx.get("gic").asBoolean();
        List<ObjectNode> steps = new ArrayList<>();
        steps.add(obj("open", "/dev/kvm").put("as", pre + "kvm"));
        steps.add(obj("ioctl", "KVM_CREATE_VM").put("fd", pre + "kvm")
                .put("arg", (realm ? KVM_VM_TYPE_ARM_REALM : 0) | ipa).put("as", pre + "vm"));
        boolean sharedBacking = fx.path("shared_backing").asBoolean(false);
        if (sharedBacking) {
            ObjectNode sm = obj("mmap", null).put("as", pre + "shared");
            sm.putObject("mmap").put("size", ramSize);
            steps.add(sm);
        }
        if (realm) {
            ObjectNode g = obj("ioctl", "KVM_CREATE_GUEST_MEMFD").put("fd", pre + "vm").put("as", pre + "gmem");
            g.putObject("struct").put("size", ramSize);
            steps.add(g);
            ObjectNode m = obj("ioctl", "KVM_SET_USER_MEMORY_REGION2").put("fd", pre + "vm");
            ObjectNode ms = m.putObject("struct").put("flags", KVM_MEM_GUEST_MEMFD).put("guest_phys_addr", ram)
                    .put("memory_size", ramSize).put("guest_memfd", "$" + pre + "gmem");
            if (sharedBacking) {
                ms.put("userspace_addr", "$" + pre + "shared"); // the memory a shared (unprotected) access maps
            }
            steps.add(m);
            ObjectNode attrs = obj("ioctl", "KVM_SET_MEMORY_ATTRIBUTES").put("fd", pre + "vm");
            attrs.putObject("struct").put("address", ram).put("size", ramSize)
                    .put("attributes", KVM_MEMORY_ATTRIBUTE_PRIVATE);
            steps.add(attrs);
        }
        for (int i = 0; i < vcpus; i++) {
            steps.add(obj("ioctl", "KVM_CREATE_VCPU").put("fd", pre + "vm").put("arg", i).put("as", pre + "vcpu" + i));
            ObjectNode init = obj("ioctl", "KVM_ARM_VCPU_INIT").put("fd", pre + "vcpu" + i);
            long features = (1L << KVM_ARM_VCPU_PSCI_0_2) | (i > 0 ? 1L << KVM_ARM_VCPU_POWER_OFF : 0);
            init.putObject("struct").put("target", KVM_ARM_TARGET_GENERIC_V8).putArray("features").add(features);
            steps.add(init);
        }
        if (gic) {
            ObjectNode cd = obj("ioctl", "KVM_CREATE_DEVICE").put("fd", pre + "vm");
            cd.putObject("struct").put("type", KVM_DEV_TYPE_ARM_VGIC_V3);
            cd.putObject("save").put(pre + "gic", "fd");
            steps.add(cd);
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L));
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L));
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0));
        }
        ObjectNode mm = obj("mmap", null).put("as", pre + "code");
        mm.putObject("mmap").put("size", realm ? 0x20000 : ramSize);
        steps.add(mm);
        if (!realm) {
            // A normal VM's RAM is the "code" mapping itself, in memslot 0.
            ObjectNode m = obj("ioctl", "KVM_SET_USER_MEMORY_REGION2").put("fd", pre + "vm");
            m.putObject("struct").put("guest_phys_addr", ram).put("memory_size", ramSize)
                    .put("userspace_addr", "$" + pre + "code");
            steps.add(m);
        }
        for (int i = 0; i < steps.size(); i++) {
            step(steps.get(i), w + " step " + (i + 1));
        }
        if (program != null) {
            long code = vars.get(pre + "code");
            for (int i = 0; i < program.length; i++) {
                mem.write32(code + 4L * i, program[i]);
            }
            long bytes = ((program.length * 4L) + 4095) & ~4095L;
            if (realm) {
                ObjectNode pop = obj("ioctl", "KVM_ARM_RMI_POPULATE").put("fd", pre + "vm");
                pop.putObject("struct").put("base", ram).put("size", bytes).put("source_uaddr", "$" + pre + "code")
                        .put("flags", KVM_ARM_RMI_POPULATE_FLAGS_MEASURE);
                step(pop, w + " populate");
            }
            ObjectNode pc = obj("ioctl", "KVM_SET_ONE_REG").put("fd", pre + "vcpu0");
            pc.putObject("struct").put("id", REG_PC).putObject("addr").put("u64", ram);
            step(pc, w + " set PC");
        }
    }

    private static ObjectNode obj(String key, String value) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (value != null) {
            n.put(key, value);
        }
        return n;
    }

    private static ObjectNode attr(String fd, int group, long attr, long value) {
        ObjectNode a = obj("ioctl", "KVM_SET_DEVICE_ATTR").put("fd", fd);
        ObjectNode s = a.putObject("struct").put("group", group).put("attr", attr);
        s.putObject("addr").put("u64", value);
        return a;
    }

    static final Set<String> PROFILE_IDS = java.util.Arrays.stream(AbiProfile.values()).map(p -> p.id)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
