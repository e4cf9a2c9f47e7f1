package dev.cca.vmm.debug;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.DebugHook;
import dev.cca.rmm.CcaFirmware;
import dev.cca.rmm.Failure;
import dev.cca.rmm.RmmObserver;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.SmcDecoder;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The all-stop debug engine shared by the gdb stub and the {@code cca debug} console: it stops the machine at
 * instruction boundaries (breakpoints, single step, interrupt), before data accesses (watchpoints), and at RMI and
 * RSI calls and returns, and it resumes it.
 *
 * <p>A stop is a PE's thread blocked in one of the callbacks: {@link DebugHook#beforeInstruction} for guest code,
 * {@link RmmObserver} for calls into the RMM (the PE is then at Realm EL2 with the call in its registers). When one
 * PE stops, every other PE stops at its next callback ("all-stop"); a PE running host (Java) code is not halted until
 * it reaches one. Front ends wait for a {@link Stop}, inspect the stopped PEs, and {@link #resume} them.
 */
public final class Debugger implements DebugHook, RmmObserver, Cpu.ExceptionListener {

    /** What a PE does when the machine resumes. */
    public enum Mode {
        /** Run until something stops the machine. */
        RUN,
        /** Execute one instruction (or reach the next instruction boundary) and stop. */
        STEP,
        /** Stay stopped (vCont actions that do not name the PE). */
        HALT
    }

    /** Why the machine stopped. */
    public enum StopKind {
        /** The machine was stopped before anything ran ({@code --wait-gdb}, {@code cca debug}). */
        INITIAL, INTERRUPT, BREAKPOINT, HW_BREAKPOINT, STEP, WATCH, CALL, RETURN,
        /** The guest ended; {@link Stop#detail} says how. */
        EXITED
    }

    /** Watchpoint kinds, numbered as gdb's Z2/Z3/Z4 packets. */
    public static final int WATCH_WRITE = 2, WATCH_READ = 3, WATCH_ACCESS = 4;

    /** One RMI or RSI call or return as the RMM saw it. */
    public record CallEvent(boolean rmi, boolean isReturn, int pe, long fid, long[] regs, String text, int depth) {
        public String name() {
            return SmcDecoder.name(fid);
        }
    }

    /**
     * A stop. {@code pe} is the PE that stopped (its registers explain the stop); {@code call} the call or return
     * for CALL/RETURN stops; {@code watchAddress}/{@code watchKind} for WATCH stops.
     */
    public record Stop(StopKind kind, int pe, String detail, CallEvent call, long watchAddress, int watchKind) {
        Stop withPe(int p) {
            return new Stop(kind, p, detail, call, watchAddress, watchKind);
        }
    }

    /** Receives every call and return (on the PE's thread, before any stop there). */
    public interface CallListener {
        void onCall(CallEvent e);
    }

    // ---- where a PE is parked ------------------------------------------------------------------------------------
    private enum SiteKind { INSTRUCTION, WATCH, CALL, RETURN }

    private record Site(SiteKind kind, long pc, CallEvent call, long watchAddress, int watchKind) {
    }

    private final class Pe {
        final Cpu cpu;
        volatile Mode mode = Mode.RUN;
        boolean parked;
        Site site;
        long stepBase;
        boolean stepAnyBoundary;
        int seenWatchGeneration;
        /** Calls in progress on this PE, innermost first (an RSI call nests in RMI_REC_ENTER). */
        final Deque<CallEvent> calls = new ArrayDeque<>();
        /** Depth of the call whose return must stop the machine, or 0. */
        int stopAtReturnDepth;
        /**
         * The guest instruction a stage-2 abort interrupted (its hypervisor re-executes it once the fault is
         * resolved), or -1: a single step does not end on the re-execution of the same instruction.
         */
        long retryPc = -1;
        /** The REC exit reason of the last RMI_REC_ENTER on this PE, or -1. */
        int lastRecExit = -1;

        Pe(Cpu cpu) {
            this.cpu = cpu;
        }
    }

    private record Watch(long address, int length, int kind) {
        boolean overlaps(long va, int size) {
            return Long.compareUnsigned(va, address + length) < 0 && Long.compareUnsigned(address, va + size) < 0;
        }

        boolean matches(boolean write) {
            return kind == WATCH_ACCESS || (write ? kind == WATCH_WRITE : kind == WATCH_READ);
        }
    }

    private final Object lock = new Object();
    private final Machine machine;
    private final CcaFirmware firmware;
    private final Pe[] pes;
    private final List<CallListener> listeners = new CopyOnWriteArrayList<>();

    // All guarded by lock; the volatile ones are also read without it on the per-instruction fast path.
    private volatile boolean attached;
    private volatile boolean running = true;
    private Stop stop;
    private boolean ended;
    private String endDetail;
    private int exitCode;
    private volatile long[] swBreakpoints = new long[0];
    private volatile long[] hwBreakpoints = new long[0];
    private volatile Watch[] watches = new Watch[0];
    private volatile int watchGeneration;
    /** Persistent catches: stop at every call/return of RMI and/or RSI. */
    private volatile boolean catchRmi, catchRsi;
    /** One-shot: stop at the next call of this interface (and later at its return). */
    private boolean nextRmi, nextRsi;
    /** One-shot: stop at the next return of any call (the console's rmi-step). */
    private boolean nextReturn;

    public Debugger(Machine machine, CcaFirmware firmware) {
        this.machine = machine;
        this.firmware = firmware;
        pes = new Pe[machine.cpuCount()];
        for (int i = 0; i < pes.length; i++) {
            pes[i] = new Pe(machine.cpu(i));
        }
    }

    public Machine machine() {
        return machine;
    }

    public CcaFirmware firmware() {
        return firmware;
    }

    public int peCount() {
        return pes.length;
    }

    public void addCallListener(CallListener l) {
        listeners.add(l);
    }

    public void removeCallListener(CallListener l) {
        listeners.remove(l);
    }

    // =============================================================================================================
    // Attaching
    // =============================================================================================================

    /**
     * Attaches to every PE and to the RMM. With {@code halted} the machine stops at the first callback any PE
     * reaches (the stop kind is INITIAL); otherwise it runs until a front end asks for a stop.
     */
    public void attach(boolean halted) {
        synchronized (lock) {
            if (attached) {
                return;
            }
            for (Pe p : pes) {
                p.mode = Mode.RUN;
            }
            if (halted) {
                running = false;
                stop = new Stop(StopKind.INITIAL, -1, "machine stopped before it ran", null, 0, 0);
            } else {
                running = true;
                stop = null;
            }
            attached = true;
            watchGeneration++;
        }
        firmware.rmm.addObserver(this);
        for (Pe p : pes) {
            p.cpu.addExceptionListener(this);
            p.cpu.setDebugHook(this);
        }
    }

    /** Removes every breakpoint, watchpoint and catch and lets the machine run free. */
    public void detach() {
        for (Pe p : pes) {
            p.cpu.setDebugHook(null);
            p.cpu.removeExceptionListener(this);
        }
        firmware.rmm.removeObserver(this);
        synchronized (lock) {
            attached = false;
            swBreakpoints = new long[0];
            hwBreakpoints = new long[0];
            watches = new Watch[0];
            watchGeneration++;
            catchRmi = catchRsi = false;
            nextRmi = nextRsi = nextReturn = false;
            running = true;
            stop = null;
            for (Pe p : pes) {
                p.mode = Mode.RUN;
                p.stopAtReturnDepth = 0;
            }
            lock.notifyAll();
        }
    }

    public boolean attached() {
        return attached;
    }

    /** Called when the guest has ended (the VMM's run returned): wakes front ends waiting for a stop. */
    public void ended(String detail, int code) {
        synchronized (lock) {
            ended = true;
            endDetail = detail;
            exitCode = code;
            lock.notifyAll();
        }
    }

    public boolean hasEnded() {
        synchronized (lock) {
            return ended;
        }
    }

    public int exitCode() {
        synchronized (lock) {
            return exitCode;
        }
    }

    // =============================================================================================================
    // Front-end control
    // =============================================================================================================

    /**
     * Waits until the machine is stopped with a known PE, or the guest has ended (then an EXITED stop), for at most
     * {@code timeoutMillis}. An interrupt that no PE answers within {@code graceMillis} (every PE is in host code or
     * idle) is reported on PE 0. Returns null on timeout.
     */
    public Stop waitForStop(long timeoutMillis, long graceMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        long graceAt = System.nanoTime() + graceMillis * 1_000_000L;
        synchronized (lock) {
            while (true) {
                if (!running && stop != null) {
                    if (stop.pe >= 0) {
                        return stop;
                    }
                    if (System.nanoTime() - graceAt >= 0) {
                        stop = stop.withPe(firstParked());
                        return stop;
                    }
                }
                if (ended) {
                    return new Stop(StopKind.EXITED, -1, endDetail, null, 0, exitCode);
                }
                long now = System.nanoTime();
                if (now - deadline >= 0) {
                    return null;
                }
                long waitNs = Math.min(deadline - now, Math.max(1_000_000L, graceAt - now));
                lock.wait(Math.max(1, waitNs / 1_000_000L));
            }
        }
    }

    private int firstParked() {
        for (Pe p : pes) {
            if (p.parked) {
                return p.cpu.index;
            }
        }
        return 0;
    }

    /** The current stop, or null while running. */
    public Stop currentStop() {
        synchronized (lock) {
            return running ? null : stop;
        }
    }

    /** Asks every PE to stop at its next callback (gdb's Ctrl-C). */
    public void requestStop() {
        synchronized (lock) {
            if (running && attached) {
                running = false;
                stop = new Stop(StopKind.INTERRUPT, -1, "interrupted", null, 0, 0);
                for (Pe p : pes) {
                    if (p.parked) {
                        stop = stop.withPe(p.cpu.index);
                        break;
                    }
                }
                lock.notifyAll();
            }
        }
    }

    /** Resumes the machine; {@code modes[i]} says what PE i does (null: all RUN). */
    public void resume(Mode[] modes) {
        synchronized (lock) {
            for (int i = 0; i < pes.length; i++) {
                Pe p = pes[i];
                p.mode = modes == null ? Mode.RUN : modes[i];
                if (p.mode == Mode.STEP) {
                    // From an instruction or a watchpoint the PE first finishes that instruction; from a call or a
                    // return (firmware, not an instruction) the next instruction boundary is already a step.
                    p.stepBase = p.cpu.instructions;
                    p.stepAnyBoundary = p.site != null
                            && (p.site.kind == SiteKind.CALL || p.site.kind == SiteKind.RETURN);
                    p.retryPc = -1;
                }
            }
            stop = null;
            running = true;
            lock.notifyAll();
        }
    }

    /** Resumes all PEs, stopping at the next return of any RMI or RSI call (the console's rmi-step). */
    public void resumeToNextReturn() {
        synchronized (lock) {
            nextReturn = true;
        }
        resume(null);
    }

    /** Stop at the next RMI call (and then at its return) once resumed. */
    public void stopAtNextCall(boolean rmi, boolean rsi) {
        synchronized (lock) {
            nextRmi |= rmi;
            nextRsi |= rsi;
        }
    }

    /** Stop at every call and return of RMI and/or RSI, until changed. */
    public void setCatch(boolean rmi, boolean rsi) {
        catchRmi = rmi;
        catchRsi = rsi;
    }

    public boolean catchesRmi() {
        return catchRmi;
    }

    public boolean catchesRsi() {
        return catchRsi;
    }

    /** Whether PE {@code i} is blocked in a callback, so its state is stable. */
    public boolean isParked(int i) {
        synchronized (lock) {
            return pes[i].parked;
        }
    }

    /** Calls in progress on PE {@code i}, outermost first. */
    public List<CallEvent> callsInProgress(int i) {
        synchronized (lock) {
            List<CallEvent> l = new ArrayList<>(pes[i].calls);
            java.util.Collections.reverse(l);
            return l;
        }
    }

    /** The REC running on PE {@code i} (from the RMI_REC_ENTER in progress), or -1. */
    public long recRunningOn(int i) {
        for (CallEvent c : callsInProgress(i)) {
            if (c.rmi && c.fid == Rmi.REC_ENTER) {
                return c.regs[1];
            }
        }
        return -1;
    }

    /**
     * The translation regime a debugger's memory accesses through PE {@code i} use: the PE's own, except while the
     * PE is in the RMM during an RMI_REC_ENTER (serving a realm's RSI call, or handling its exit), when the realm's
     * (EL1&amp;0, stage 1 and 2) is what addresses mean: its translation registers are still live on the PE then.
     */
    public int memoryRegime(int i) {
        Cpu c = pes[i].cpu;
        if (recRunningOn(i) >= 0 && RegisterFile.firmwareName(c) != null && c.el == 2) {
            int realmEl = (int) (c.sr[dev.cca.core.cpu.SysRegs.SPSR_EL2] >>> 2) & 3;
            return realmEl == 0 ? Cpu.MMU_EL10_0 : Cpu.MMU_EL10_1;
        }
        return c.mmuIndex();
    }

    // ---- breakpoints and watchpoints ---------------------------------------------------------------------------

    public void addBreakpoint(long address, boolean hardware) {
        synchronized (lock) {
            if (hardware) {
                hwBreakpoints = with(hwBreakpoints, address);
            } else {
                swBreakpoints = with(swBreakpoints, address);
            }
        }
    }

    /** Returns false if there was no such breakpoint. */
    public boolean removeBreakpoint(long address, boolean hardware) {
        synchronized (lock) {
            long[] from = hardware ? hwBreakpoints : swBreakpoints;
            long[] to = without(from, address);
            if (hardware) {
                hwBreakpoints = to;
            } else {
                swBreakpoints = to;
            }
            return to.length != from.length;
        }
    }

    public long[] breakpoints(boolean hardware) {
        return (hardware ? hwBreakpoints : swBreakpoints).clone();
    }

    public void addWatchpoint(long address, int length, int kind) {
        if (length <= 0 || kind < WATCH_WRITE || kind > WATCH_ACCESS) {
            throw new IllegalArgumentException("watchpoint length " + length + " kind " + kind);
        }
        synchronized (lock) {
            Watch[] w = Arrays.copyOf(watches, watches.length + 1);
            w[w.length - 1] = new Watch(address, length, kind);
            watches = w;
            watchGeneration++;
        }
    }

    public boolean removeWatchpoint(long address, int length, int kind) {
        synchronized (lock) {
            Watch key = new Watch(address, length, kind);
            Watch[] w = Arrays.stream(watches).filter(x -> !x.equals(key)).toArray(Watch[]::new);
            boolean removed = w.length != watches.length;
            watches = w;
            watchGeneration++;
            return removed;
        }
    }

    private static long[] with(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return a;
            }
        }
        long[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    private static long[] without(long[] a, long v) {
        return Arrays.stream(a).filter(x -> x != v).toArray();
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    // =============================================================================================================
    // DebugHook: instruction boundaries and data accesses
    // =============================================================================================================

    @Override
    public void beforeInstruction(Cpu cpu) {
        Pe pe = pes[cpu.index];
        int g = watchGeneration;
        if (pe.seenWatchGeneration != g) {
            cpu.flushTlb(); // watched pages changed: refill so watched pages get slow-path TLB entries
            pe.seenWatchGeneration = g;
        }
        long[] sw = swBreakpoints;
        long[] hw = hwBreakpoints;
        if (running && pe.mode == Mode.RUN && (sw.length == 0 || !contains(sw, cpu.pc))
                && (hw.length == 0 || !contains(hw, cpu.pc))) {
            return;
        }
        checkpoint(pe, new Site(SiteKind.INSTRUCTION, cpu.pc, null, 0, 0));
    }

    @Override
    public boolean watchesPage(Cpu cpu, long pageVa) {
        for (Watch w : watches) {
            if (w.overlaps(pageVa, 4096)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void dataAccess(Cpu cpu, long va, int size, boolean write) {
        for (Watch w : watches) {
            if (w.matches(write) && w.overlaps(va, size)) {
                int kind = w.kind == WATCH_ACCESS ? WATCH_ACCESS : write ? WATCH_WRITE : WATCH_READ;
                checkpoint(pes[cpu.index], new Site(SiteKind.WATCH, cpu.pc, null, va, kind));
                return;
            }
        }
    }

    /** Notes stage-2 aborts from a guest, which its hypervisor may resolve and re-execute (see Pe.retryPc). */
    @Override
    public void exceptionTaken(Cpu cpu, int fromEl, dev.cca.core.cpu.SecurityState fromSs, int toEl, long esr,
                               long elr, int kind) {
        if (kind == 0 && fromEl <= 1 && toEl == 2) {
            int ec = dev.cca.core.cpu.Esr.ec(esr);
            if (ec == dev.cca.core.cpu.Esr.EC_IABT_LOWER || ec == dev.cca.core.cpu.Esr.EC_DABT_LOWER) {
                pes[cpu.index].retryPc = elr;
            }
        }
    }

    // =============================================================================================================
    // RmmObserver: calls and returns
    // =============================================================================================================

    @Override
    public void rmiCall(Cpu cpu, long fid, long[] args) {
        call(cpu, true, fid, args);
    }

    @Override
    public void rmiReturn(Cpu cpu, long fid, long[] args, long[] out, Failure failure) {
        ret(cpu, true, fid, out, failure);
    }

    @Override
    public void rsiCall(Cpu cpu, long recPa, long fid, long[] args) {
        call(cpu, false, fid, args);
    }

    @Override
    public void rsiReturn(Cpu cpu, long recPa, long fid, long[] out, Failure failure) {
        ret(cpu, false, fid, out, failure);
    }

    @Override
    public void recExit(Cpu cpu, long recPa, int reason, long esr) {
        Pe pe = pes[cpu.index];
        synchronized (lock) {
            pe.lastRecExit = reason;
            // An RSI call that made the REC exit without returning (a stage-2 fault on its buffer) ends here.
            while (!pe.calls.isEmpty() && !pe.calls.peek().rmi) {
                pe.calls.pop();
            }
        }
    }

    private void call(Cpu cpu, boolean rmi, long fid, long[] args) {
        Pe pe = pes[cpu.index];
        CallEvent e;
        synchronized (lock) {
            int depth = pe.calls.size() + 1;
            e = new CallEvent(rmi, false, cpu.index, fid, args.clone(), SmcDecoder.formatCall(fid, args), depth);
            pe.calls.push(e);
            if (rmi && fid == Rmi.REC_ENTER) {
                pe.lastRecExit = -1;
            }
        }
        for (CallListener l : listeners) {
            l.onCall(e);
        }
        checkpoint(pe, new Site(SiteKind.CALL, cpu.pc, e, 0, 0));
    }

    private void ret(Cpu cpu, boolean rmi, long fid, long[] out, Failure failure) {
        Pe pe = pes[cpu.index];
        CallEvent e;
        synchronized (lock) {
            int depth = 0;
            for (CallEvent c : pe.calls) {
                if (c.rmi == rmi && c.fid == fid) {
                    depth = c.depth;
                    break;
                }
            }
            if (depth > 0) {
                while (pe.calls.size() >= depth) {
                    pe.calls.pop();
                }
            }
            String text = SmcDecoder.formatReturn(fid, out, failure);
            if (rmi && fid == Rmi.REC_ENTER && pe.lastRecExit >= 0 && Rmi.status(out[0]) == Rmi.SUCCESS) {
                text += " exit=" + SmcDecoder.exitReason(pe.lastRecExit);
            }
            e = new CallEvent(rmi, true, cpu.index, fid, out.clone(), text, depth == 0 ? pe.calls.size() + 1 : depth);
        }
        for (CallListener l : listeners) {
            l.onCall(e);
        }
        checkpoint(pe, new Site(SiteKind.RETURN, cpu.pc, e, 0, 0));
    }

    // =============================================================================================================
    // The stop logic
    // =============================================================================================================

    private void checkpoint(Pe pe, Site site) {
        synchronized (lock) {
            if (!attached || ended) {
                return; // after the guest's end (the VMM tearing down) nothing stops any more
            }
            if (running && pe.mode != Mode.HALT) {
                Stop s = evaluate(pe, site);
                if (s != null) {
                    running = false;
                    stop = s;
                    lock.notifyAll();
                }
            } else if (!running && stop != null && stop.pe < 0) {
                // An interrupt or the initial stop: the first PE to arrive is the one reported.
                Stop s = stop;
                if (s.kind == StopKind.INITIAL && site.call != null) {
                    s = new Stop(StopKind.INITIAL, -1, "stopped at " + site.call.text, site.call, 0, 0);
                }
                stop = s.withPe(pe.cpu.index);
                lock.notifyAll();
            }
            if (running && pe.mode != Mode.HALT) {
                return;
            }
            pe.parked = true;
            pe.site = site;
            lock.notifyAll();
            try {
                while (attached && !ended && (!running || pe.mode == Mode.HALT)) {
                    if (running && pe.cpu.irqPending()) {
                        // Held back by scheduler locking, but the host kicked this PE (the guest is being stopped,
                        // or an interrupt is due): let it go, or the VMM could never join its vCPU threads.
                        pe.mode = Mode.RUN;
                        break;
                    }
                    lock.wait(running ? 50 : 0);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt(); // let the PE go; its owner is shutting down
            } finally {
                pe.parked = false;
            }
        }
    }

    /** Whether this site stops the machine, and why. Called with the lock held, while running. */
    private Stop evaluate(Pe pe, Site site) {
        int i = pe.cpu.index;
        switch (site.kind) {
            case INSTRUCTION:
                if (pe.mode == Mode.STEP && (pe.cpu.instructions > pe.stepBase || pe.stepAnyBoundary)) {
                    if (pe.retryPc == site.pc && !pe.stepAnyBoundary) {
                        // The attempt ended in a stage-2 abort the hypervisor resolved; the guest never saw it,
                        // and the same instruction runs again: that run is the step.
                        pe.retryPc = -1;
                        pe.stepBase = pe.cpu.instructions;
                        return null;
                    }
                    pe.retryPc = -1;
                    return new Stop(StopKind.STEP, i, "step", null, 0, 0);
                }
                if (contains(swBreakpoints, site.pc)) {
                    return new Stop(StopKind.BREAKPOINT, i, String.format("breakpoint at %#x", site.pc), null, 0, 0);
                }
                if (contains(hwBreakpoints, site.pc)) {
                    return new Stop(StopKind.HW_BREAKPOINT, i, String.format("hardware breakpoint at %#x", site.pc),
                            null, 0, 0);
                }
                return null;
            case WATCH:
                return new Stop(StopKind.WATCH, i, String.format("watchpoint at %#x", site.watchAddress), null,
                        site.watchAddress, site.watchKind);
            case CALL: {
                CallEvent c = site.call;
                boolean one = c.rmi ? nextRmi : nextRsi;
                if (one || (c.rmi ? catchRmi : catchRsi)) {
                    if (one) {
                        nextRmi = false;
                        nextRsi = false;
                        pe.stopAtReturnDepth = c.depth;
                    }
                    return new Stop(StopKind.CALL, i, c.text, c, 0, 0);
                }
                return null;
            }
            case RETURN: {
                CallEvent c = site.call;
                boolean armed = pe.stopAtReturnDepth != 0 && pe.stopAtReturnDepth >= c.depth;
                if (armed || nextReturn || (c.rmi ? catchRmi : catchRsi)) {
                    if (armed) {
                        pe.stopAtReturnDepth = 0;
                    }
                    nextReturn = false;
                    return new Stop(StopKind.RETURN, i, c.text, c, 0, 0);
                }
                return null;
            }
            default:
                return null;
        }
    }
}
