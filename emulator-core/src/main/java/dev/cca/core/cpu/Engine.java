package dev.cca.core.cpu;

import dev.cca.core.cpu.Cpu.StopReason;
import dev.cca.core.cpu.decode.A64;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.Page;

/**
 * The execution engine of one PE: the run loop that alternates between guest instructions and the Java firmware
 * models, the instruction budget, the time events of the instruction-count time base (docs/time.md), the fetch
 * path with its current code page and decode cache, and the abnormal stops (exception loops, internal errors).
 * The architectural state it executes against is the {@link Cpu}'s.
 */
public final class Engine {
    private final Cpu cpu;

    private long budget = Long.MAX_VALUE;
    /** The instructions this PE shares with the others of its machine (a tool's limit), or null. */
    volatile InstructionLimit limit;
    private volatile boolean stopRequested;
    /** Counter value (docs/time.md) at which the countdown interrupt asserts, or Long.MAX_VALUE. */
    private long irqCountdownAt = Long.MAX_VALUE;
    /** Counter value of the next time event (countdown or timer deadline), or Long.MAX_VALUE. */
    private long nextEventTime = Long.MAX_VALUE;
    /** Set by WFI with no wake-up pending: the loop idles until an interrupt or a time event. */
    boolean waitingForInterrupt;

    // current code page (fetch fast path)
    private long codeVa = -1;
    private Insn[] codeInsns;
    private byte[] codeBytes;
    private Page codePage;
    /** The translated blocks of the current code page (translation on), or null until first looked up. */
    private Translator.PageBlocks codeBlocks;
    /**
     * Recently used code pages, direct-mapped by virtual page number: a call to or a return from another page
     * (one in about 60 instructions of a Linux boot) finds its page here without a TLB lookup. Valid while the
     * translation of their VAs is unchanged: {@link #forgetCodePage} (every TLB invalidation and regime change)
     * empties it.
     */
    private static final int RECENT_PAGES = 16;
    private final long[] recentVa = new long[RECENT_PAGES];
    private final Page[] recentPage = new Page[RECENT_PAGES];

    /** The engine new PEs start with: the translator, or the interpreter with {@code -Dcca.engine=interp}. */
    static volatile boolean defaultTranslate = !"interp".equals(System.getProperty("cca.engine", "jit"));
    /** Whether hot blocks are translated ({@link Translator}) or every instruction is interpreted. */
    volatile boolean translate = defaultTranslate;

    /** The next chunk starts at an exception vector or return address (see {@link #execute}). */
    private boolean resumesAtTarget;
    /** True while {@link #execute} runs: a broadcasting PE waits only for PEs that are executing. */
    volatile boolean executing;

    /** Translated blocks run, and instructions interpreted one by one (both engines). */
    long blockRuns, interpreted;

    private StopReason abnormalStop;
    private StopReport stopReport;
    private Throwable internalErrorCause;

    Engine(Cpu cpu) {
        this.cpu = cpu;
        java.util.Arrays.fill(recentVa, -1);
    }

    // ---- budget, stop requests, time events -----------------------------------------------------------------

    void setBudget(long instructions) {
        budget = instructions;
    }

    long budget() {
        return budget;
    }

    void requestStop() {
        stopRequested = true;
    }

    void setIrqCountdown(long n) {
        irqCountdownAt = n == Long.MAX_VALUE ? Long.MAX_VALUE : cpu.timer.localCount() + n;
        cpu.setIrqSource(Cpu.IRQ_SOURCE_COUNTDOWN, false);
        rescheduleTimeEvents();
    }

    /** Recomputes when the next time event (countdown, timer deadline) is due. */
    void rescheduleTimeEvents() {
        nextEventTime = Math.min(Math.min(irqCountdownAt, cpu.timer.nextDeadline), cpu.pmu.deadline);
    }

    /** Handles the time events due at the current count. */
    private void timeEvent() {
        if (cpu.timer.localCount() >= irqCountdownAt) {
            irqCountdownAt = Long.MAX_VALUE;
            cpu.setIrqSource(Cpu.IRQ_SOURCE_COUNTDOWN, true);
        }
        if (cpu.timer.localCount() >= cpu.pmu.deadline) {
            cpu.pmu.timeEvent(); // a PMU counter overflows here
        }
        cpu.timer.update(); // reschedules
    }

    // ---- the run loop ---------------------------------------------------------------------------------------

    StopReason runUntil(int targetEl, SecurityState target) {
        Cpu c = cpu;
        stopRequested = false;
        boolean limitFired = false;
        while (true) {
            if (c.transitioned) {
                c.transitioned = false;
                if (c.el == targetEl && c.ss == target) {
                    return StopReason.ARRIVED;
                }
                Firmware fw = c.firmwareAt(c.el, c.ss);
                if (fw != null) {
                    int fel = c.el;
                    SecurityState fss = c.ss;
                    fw.enter(c, c.lastEntry());
                    if (!c.transitioned || (c.el == fel && c.ss == fss)) {
                        throw new IllegalStateException("firmware " + fw.name() + " at EL" + fel + " "
                                + fss.shortName() + " returned without leaving its exception level");
                    }
                    continue;
                }
            }
            if (abnormalStop != null) {
                StopReason r = abnormalStop;
                abnormalStop = null;
                return r;
            }
            if (stopRequested) {
                stopRequested = false;
                return StopReason.STOP_REQUESTED;
            }
            long now = c.instructions + c.timeOffset;
            if (now >= nextEventTime) {
                timeEvent();
            }
            if (budget <= 0) {
                return StopReason.BUDGET;
            }
            if (c.exceptions.checkInterrupts()) {
                continue;
            }
            if (waitingForInterrupt) {
                if (c.wakeupPending()) {
                    waitingForInterrupt = false;
                } else if (nextEventTime != Long.MAX_VALUE) {
                    // Idle until the next time event: time passes without instructions (docs/time.md).
                    c.timer.advanceTo(nextEventTime);
                    continue;
                } else {
                    return StopReason.WAITING_FOR_INTERRUPT;
                }
            }
            long chunk = Math.min(budget, 4096);
            if (nextEventTime != Long.MAX_VALUE) {
                chunk = Math.max(1, Math.min(chunk, nextEventTime - now));
            }
            DebugHook hook = c.debugHook();
            if (hook != null) {
                hook.beforeInstruction(c); // may block while the debugger holds the PE stopped
                chunk = 1;
            }
            // The guest's own breakpoints, watchpoints and software step: interpreted one instruction at a time.
            boolean guestDebug = c.guestDebugArmed();
            if (guestDebug) {
                chunk = 1;
            }
            InstructionLimit lim = limit;
            if (lim != null) {
                chunk = lim.claim(chunk);
                if (chunk < 0) {
                    Thread.yield(); // other PEs hold the rest: they execute it or give it back
                    continue;
                }
                if (chunk == 0) {
                    // Used up: the limit's action ends the run (a tool's stop: an interrupt the loop takes above,
                    // with no instruction executed). If nothing can be taken, the loop returns as if asked to stop.
                    if (!limitFired) {
                        limitFired = true;
                        lim.fire();
                        continue;
                    }
                    return StopReason.STOP_REQUESTED;
                }
            }
            long done = execute(chunk, hook == null && !guestDebug && translate, guestDebug);
            budget -= done;
            if (lim != null) {
                lim.release(chunk, done);
            }
        }
    }

    /**
     * Executes up to {@code n} instructions; stops early after any exception entry or return. With {@code jit}, at
     * each dispatch point (the target of a branch, the PC after a block, the start of the chunk) a translated block
     * for the PC runs if there is one and it fits in what remains of the chunk, and block starts dispatched to
     * {@code Translator.threshold} times are translated; every other instruction is interpreted one by one. With
     * {@code guestDebug} ({@link Cpu#guestDebugArmed}, never with {@code jit}) each instruction passes through the
     * PE's self-hosted debug before (a pending step, a breakpoint) and after (the step state machine) it executes.
     */
    private long execute(long n, boolean jit, boolean guestDebug) {
        Cpu c = cpu;
        Tlb tlb = c.tlb;
        executing = true; // volatile write before the inbox read below: see CoherenceDomain
        tlb.drainInbox();
        long pc = c.pc;
        // The instruction count is kept exact (not summed per chunk) because it is the time base: a counter read
        // inside the chunk must see it (docs/time.md).
        long start = c.instructions;
        long end = start + n;
        // dispatch: look for a block at pc; jumped: pc is a branch target or follows a block, so it counts
        // towards translating a block there (a chunk starts anywhere, so its first PC does not count).
        boolean dispatch = true;
        boolean jumped = resumesAtTarget;
        try {
            loop:
            while (c.instructions < end) {
                if (tlb.inboxPending()) {
                    tlb.drainInbox(); // a broadcast TLBI from another PE takes effect before our next access
                }
                if ((pc & 0xFFFF_FFFF_FFFF_F003L) != codeVa) {
                    c.pc = pc;
                    if (!loadCodePage(pc)) {
                        pc = c.pc;
                        c.instructions++;
                        break;
                    }
                    dispatch = true;
                }
                int slot = (int) (pc >>> 2) & 0x3FF;
                if (jit && dispatch) {
                    Translator.PageBlocks pb = codeBlocks;
                    if (pb == null || codePage.translated != pb || pb.epoch != Translator.epoch) {
                        pb = Translator.blocksOf(codePage);
                        codeBlocks = pb;
                    }
                    Block b = pb.blocks[slot];
                    if ((b == null || b.va != pc) && jumped && ++pb.heat[slot] >= Translator.threshold) {
                        pb.heat[slot] = 0;
                        b = Translator.translate(pc, slot, codeInsns, codeBytes, pb);
                        pb.blocks[slot] = b;
                    }
                    if (b != null && b.va == pc && end - c.instructions >= b.length) {
                        c.pc = pc;
                        c.blockExit = false;
                        blockRuns++;
                        try {
                            pc = b.run(c, end);
                        } catch (GuestFault f) {
                            pc = c.exceptions.deliverPending(c.pc);
                            c.instructions++;
                        } catch (RuntimeException | StackOverflowError e) {
                            pc = c.pc;
                            internalError(pc, e);
                            c.instructions++;
                            break;
                        }
                        if (c.transitioned) {
                            break;
                        }
                        jumped = true;
                        continue;
                    }
                }
                // Interpret the straight run from pc to the next branch, page end, exception or end of chunk.
                Insn[] insns = codeInsns;
                long runStart = c.instructions;
                while (true) {
                    Insn insn = insns[slot];
                    if (insn == null) {
                        insn = decodeSlot(slot);
                    }
                    c.pc = pc;
                    if (guestDebug && c.debug.beforeInstruction(pc)) {
                        pc = c.pc; // a software step or breakpoint exception was taken
                        c.instructions++;
                        break loop;
                    }
                    long next;
                    try {
                        next = insn.exec(c, pc);
                    } catch (GuestFault f) {
                        next = c.exceptions.deliverPending(pc);
                    } catch (RuntimeException | StackOverflowError e) {
                        // A bug of the emulator or a device model must not take the JVM down: stop with a report.
                        internalError(pc, e);
                        c.instructions++;
                        interpreted += c.instructions - runStart;
                        break loop;
                    }
                    long count = ++c.instructions;
                    if (guestDebug) {
                        next = c.debug.afterInstruction(next, Bytes.getInt(codeBytes, slot << 2));
                    }
                    boolean sequential = next == pc + 4;
                    pc = next;
                    // (codeVa is -1 after a change of translation: the next fetch translates again)
                    if (!sequential || c.transitioned || count >= end
                            || (pc & 0xFFFF_FFFF_FFFF_F003L) != codeVa) {
                        interpreted += count - runStart;
                        dispatch = !sequential;
                        jumped = dispatch;
                        break;
                    }
                    slot++;
                }
                if (c.transitioned) {
                    break;
                }
            }
        } finally {
            c.pc = pc;
            executing = false;
            // a chunk cut by an exception entry or return resumes at a target that counts for translation
            resumesAtTarget = c.transitioned;
        }
        return c.instructions - start;
    }

    private Insn decodeSlot(int slot) {
        int word = Bytes.getInt(codeBytes, slot << 2);
        Insn insn = A64.decode(word);
        codeInsns[slot] = insn;
        return insn;
    }

    /** Forgets the current code page: the next fetch translates its PC again (TLB and regime changes). */
    void forgetCodePage() {
        codeVa = -1;
        java.util.Arrays.fill(recentVa, -1);
    }

    /**
     * Makes the page holding {@code pc} the current code page. Returns false if the fetch raised an exception
     * (PC alignment or instruction abort), which has then been taken.
     */
    private boolean loadCodePage(long pc) {
        Cpu c = cpu;
        ExceptionModel x = c.exceptions;
        if (c.illegalState) {
            x.takeSync(c.el == 0 ? 1 : c.el, Esr.EC_ILLEGAL_STATE, 0, pc);
            return false;
        }
        if ((pc & 3) != 0) {
            x.takeSyncWithFar(c.el == 0 ? 1 : c.el, Esr.EC_PC_ALIGN, 0, pc, pc);
            return false;
        }
        long vpage = pc & ~Page.MASK;
        int r = (int) (vpage >>> Page.SHIFT) & (RECENT_PAGES - 1);
        Page p = recentPage[r];
        if (recentVa[r] != vpage) {
            try {
                p = c.tlb.fetchPage(pc);
            } catch (GuestFault f) {
                x.deliverPending(pc);
                return false;
            }
            recentVa[r] = vpage;
            recentPage[r] = p;
        }
        Object[] code = p.code;
        if (code == null) {
            synchronized (p) {
                code = p.code;
                if (code == null) {
                    code = new Insn[Page.SIZE / 4];
                    p.code = code;
                }
            }
        }
        codeInsns = (Insn[]) code;
        codeBytes = p.data;
        codePage = p;
        codeBlocks = null;
        codeVa = vpage;
        return true;
    }

    /** The instruction word at {@code va} if it is in the current code page, else -1 (no side effects). */
    long wordAt(long va) {
        if (codeBytes != null && (va & 0xFFFF_FFFF_FFFF_F003L) == codeVa) {
            return Bytes.getInt(codeBytes, (int) (va & Page.MASK)) & 0xFFFF_FFFFL;
        }
        return -1;
    }

    // ---- abnormal stops -------------------------------------------------------------------------------------

    /** Ends the current run with {@code reason}, reported by {@link #stopReport()}. */
    void stopAbnormally(StopReason reason, StopReport report) {
        abnormalStop = reason;
        stopReport = report;
        cpu.transitioned = true;
    }

    StopReport stopReport() {
        return stopReport;
    }

    Throwable internalErrorCause() {
        return internalErrorCause;
    }

    private void internalError(long pc, Throwable e) {
        internalErrorCause = e;
        Cpu c = cpu;
        int el = Math.max(c.el, 1);
        stopAbnormally(StopReason.INTERNAL_ERROR, new StopReport("emulator internal error (" + e + ")", c.el, c.ss,
                pc, c.sr[Cpu.esrSlot(el)], c.sr[Cpu.farSlot(el)], c.sr[Cpu.elrSlot(el)], wordAt(pc)));
    }
}
