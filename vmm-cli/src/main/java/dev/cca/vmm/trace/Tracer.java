package dev.cca.vmm.trace;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.platform.HostPlatform;
import dev.cca.kvm.KvmExitView;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.KernelObserver;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.IoctlNames;
import dev.cca.kvm.uapi.KvmUapi;
import dev.cca.rmm.CcaFirmware;
import dev.cca.rmm.Failure;
import dev.cca.rmm.RmmObserver;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.SmcDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Collects the events of a run — RMI and RSI calls with decoded arguments and results, REC exits, granule state
 * changes, KVM ioctls and exits, exceptions taken — and hands them to a {@link TraceWriter}. It subscribes to the
 * RMM ({@link RmmObserver}), to every PE ({@link Cpu.ExceptionListener}) and to the host kernel
 * ({@link KernelObserver}); it never changes what it observes.
 */
public final class Tracer implements RmmObserver, Cpu.ExceptionListener, KernelObserver {
    private static final Logger LOG = LoggerFactory.getLogger(Tracer.class);

    /** The categories of {@code --trace-filter}. */
    public enum Category {
        RMI, RSI, REC, GRANULE, KVM, EXCEPTION;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final TraceWriter writer;
    private final Set<Category> categories;
    private final long start = System.nanoTime();
    private final List<Runnable> detach = new ArrayList<>();
    /** Per PE: RSI calls in progress (their arguments, for the return event), and the last REC exit reason. */
    private final Map<Integer, Deque<Map<String, Object>>> rsiCalls = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Integer, String> lastExit = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile IOException failure;

    public Tracer(TraceWriter writer, Set<Category> categories) {
        this.writer = writer;
        this.categories = categories.isEmpty() ? EnumSet.noneOf(Category.class) : EnumSet.copyOf(categories);
    }

    /** Parses {@code --trace-filter}: a comma-separated list of categories, or "all". */
    public static Set<Category> parseFilter(String s) {
        if (s == null || s.isBlank() || s.trim().equalsIgnoreCase("all")) {
            return EnumSet.allOf(Category.class);
        }
        EnumSet<Category> set = EnumSet.noneOf(Category.class);
        for (String part : s.split(",")) {
            String p = part.trim().toUpperCase(Locale.ROOT);
            if (p.isEmpty()) {
                continue;
            }
            try {
                set.add(Category.valueOf(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--trace-filter: unknown category '" + part.trim()
                        + "' (categories: rmi, rsi, rec, granule, kvm, exception, or all)");
            }
        }
        if (set.isEmpty()) {
            throw new IllegalArgumentException("--trace-filter: no category given");
        }
        return set;
    }

    /** Subscribes to the firmware (before the host kernel boots, so its first RMI calls are traced). */
    public void attachFirmware(HostPlatform platform, CcaFirmware fw) {
        if (on(Category.RMI) || on(Category.RSI) || on(Category.REC) || on(Category.GRANULE)) {
            fw.rmm.addObserver(this);
            detach.add(() -> fw.rmm.removeObserver(this));
        }
        if (on(Category.EXCEPTION)) {
            for (int i = 0; i < platform.machine.cpuCount(); i++) {
                Cpu c = platform.machine.cpu(i);
                c.addExceptionListener(this);
                detach.add(() -> c.removeExceptionListener(this));
            }
        }
    }

    /** Subscribes to the host kernel's system calls. */
    public void attachKernel(HostKernel kernel) {
        if (on(Category.KVM)) {
            kernel.addObserver(this);
            detach.add(() -> kernel.removeObserver(this));
        }
    }

    /** Unsubscribes and finishes the trace. Throws if writing failed at any point. */
    public void close() throws IOException {
        detach.forEach(Runnable::run);
        detach.clear();
        writer.finish(System.nanoTime() - start);
        if (failure != null) {
            throw failure;
        }
    }

    private boolean on(Category c) {
        return categories.contains(c);
    }

    private void emit(Category c, String ev, String name, Cpu cpu, Map<String, Object> fields) {
        emit(c, ev, name, cpu, System.nanoTime() - start, fields);
    }

    private void emit(Category c, String ev, String name, Cpu cpu, long t, Map<String, Object> fields) {
        if (failure != null) {
            return;
        }
        Thread th = Thread.currentThread();
        try {
            writer.write(new TraceEvent(t, c.label(), ev, name, cpu != null ? cpu.index : -1,
                    cpu != null ? cpu.instructions : -1, th.getName(), th.getId(), fields));
        } catch (IOException e) {
            failure = e; // reported by close(); the run itself goes on
            LOG.warn("trace write failed: {}", e.toString());
        } catch (UncheckedIOException e) {
            failure = e.getCause();
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static List<String> hexList(long[] v, int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < Math.min(n, v.length); i++) {
            l.add(hex(v[i]));
        }
        return l;
    }

    // ---- RMM ---------------------------------------------------------------------------------------------------

    private static Map<String, Object> callFields(long fid, long[] regs) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("fid", hex(fid));
        f.put("args", new LinkedHashMap<String, Object>(SmcDecoder.arguments(fid, regs)));
        f.put("regs", hexList(regs, 7));
        return f;
    }

    private static Map<String, Object> returnFields(long fid, Map<String, Object> call, long[] out,
                                                    Failure failure) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("fid", hex(fid));
        if (call != null) {
            f.put("args", call.get("args"));
        }
        f.put("status", SmcDecoder.status(fid, out[0]));
        f.put("ok", SmcDecoder.succeeded(fid, out[0]));
        f.put("results", new LinkedHashMap<String, Object>(SmcDecoder.results(fid, out)));
        f.put("out", hexList(out, 5));
        if (failure != null) {
            Map<String, Object> why = new LinkedHashMap<>();
            why.put("condition", failure.label());
            why.put("detail", failure.detail());
            f.put("failure", why);
        }
        return f;
    }

    @Override
    public void rmiCall(Cpu cpu, long fid, long[] args) {
        if (fid == Rmi.REC_ENTER) {
            lastExit.remove(cpu.index);
        }
        if (on(Category.RMI)) {
            emit(Category.RMI, "call", SmcDecoder.name(fid), cpu, callFields(fid, args));
        }
    }

    @Override
    public void rmiReturn(Cpu cpu, long fid, long[] args, long[] out, Failure failure) {
        if (on(Category.RMI)) {
            Map<String, Object> f = returnFields(fid, callFields(fid, args), out, failure);
            String exit = lastExit.get(cpu.index);
            if (fid == Rmi.REC_ENTER && exit != null && Rmi.status(out[0]) == Rmi.SUCCESS) {
                f.put("exit_reason", exit);
            }
            emit(Category.RMI, "return", SmcDecoder.name(fid), cpu, f);
        }
    }

    @Override
    public void rsiCall(Cpu cpu, long recPa, long fid, long[] args) {
        Map<String, Object> f = callFields(fid, args);
        f.put("rec", hex(recPa));
        f.put("interface", SmcDecoder.interfaceOf(fid).name());
        rsiCalls.computeIfAbsent(cpu.index, k -> new ArrayDeque<>()).push(f);
        if (on(Category.RSI)) {
            emit(Category.RSI, "call", SmcDecoder.name(fid), cpu, f);
        }
    }

    @Override
    public void rsiReturn(Cpu cpu, long recPa, long fid, long[] out, Failure failure) {
        Deque<Map<String, Object>> calls = rsiCalls.get(cpu.index);
        Map<String, Object> call = calls == null ? null : calls.poll();
        if (on(Category.RSI)) {
            Map<String, Object> f = returnFields(fid, call, out, failure);
            f.put("rec", hex(recPa));
            emit(Category.RSI, "return", SmcDecoder.name(fid), cpu, f);
        }
    }

    @Override
    public void recExit(Cpu cpu, long recPa, int reason, long esr) {
        lastExit.put(cpu.index, SmcDecoder.exitReason(reason));
        Deque<Map<String, Object>> calls = rsiCalls.get(cpu.index);
        if (calls != null) {
            calls.clear(); // an RSI call that exits to the host without returning ends with the exit
        }
        if (on(Category.REC)) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("rec", hex(recPa));
            f.put("reason", SmcDecoder.exitReason(reason));
            f.put("esr", hex(esr));
            if (reason == Rmi.EXIT_SYNC) {
                f.put("class", Esr.ecName(Esr.ec(esr)));
            }
            emit(Category.REC, "exit", SmcDecoder.exitReason(reason), cpu, f);
        }
    }

    @Override
    public void granuleStateChanged(Cpu cpu, long pa, GranuleState from, GranuleState to) {
        if (on(Category.GRANULE)) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("pa", hex(pa));
            f.put("from", from.specName());
            f.put("to", to.specName());
            emit(Category.GRANULE, "transition", to.specName(), cpu, f);
        }
    }

    // ---- exceptions ----------------------------------------------------------------------------------------------

    private static final String[] KINDS = {"sync", "irq", "fiq", "serror"};

    @Override
    public void exceptionTaken(Cpu cpu, int fromEl, SecurityState fromSs, int toEl, long esr, long elr, int vector) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("from_el", fromEl);
        f.put("from_ss", fromSs.name());
        f.put("to_el", toEl);
        f.put("kind", vector >= 0 && vector < 4 ? KINDS[vector] : "kind " + vector);
        if (esr >= 0) {
            f.put("esr", hex(esr));
            f.put("class", Esr.ecName(Esr.ec(esr)));
        } else {
            f.put("class", vector == 1 ? "IRQ" : vector == 2 ? "FIQ" : "SError");
        }
        f.put("elr", hex(elr));
        emit(Category.EXCEPTION, "take", (String) f.get("class"), cpu, f);
    }

    // ---- host kernel -----------------------------------------------------------------------------------------

    @Override
    public void ioctl(Process process, int fd, FileObject file, long request, long arg, long result,
                      long startNanos) {
        long end = System.nanoTime();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("fd", fd);
        f.put("file", file == null ? null : file.name());
        f.put("request", IoctlNames.name(request));
        f.put("request_nr", hex(request));
        f.put("arg", hex(arg));
        f.put("result", result);
        if (result < 0 && result >= -4095) {
            f.put("errno", Errno.name((int) -result));
        }
        f.put("dur_ns", end - startNanos);
        emit(Category.KVM, "ioctl", IoctlNames.name(request), null, startNanos - start, f);
        if (request == KvmUapi.KVM_RUN && KvmExitView.isVcpu(file)
                && (result >= 0 || result == -Errno.EINTR || result == -Errno.EFAULT)) {
            KvmExitView.Exit e = KvmExitView.exitOf(file);
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("vcpu", e.vcpu());
            x.put("reason", e.reasonName());
            for (Map.Entry<String, Long> kv : e.fields().entrySet()) {
                x.put(kv.getKey(), kv.getKey().equals("len") || kv.getKey().equals("is_write")
                        || kv.getKey().equals("type") || kv.getKey().equals("ndata") ? kv.getValue()
                        : hex(kv.getValue()));
            }
            emit(Category.KVM, "exit", e.reasonName(), null, end - start, x);
        }
    }
}
