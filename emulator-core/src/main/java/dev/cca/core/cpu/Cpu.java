package dev.cca.core.cpu;

import dev.cca.core.cpu.debug.SelfHostedDebug;
import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.Page;
import dev.cca.core.mem.Pas;
import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.mmu.Mmu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * One processing element: the architectural register state of EL0-EL3 in all four security states, and the entry
 * points instruction semantics and firmware models use. The machinery is in classes of its own: the run loop and
 * fetch path ({@link Engine}), the software TLB and data-access paths ({@link Tlb}), exception entry and return
 * ({@link ExceptionModel}) and the local exclusive monitor ({@link ExclusiveMonitor}).
 *
 * <p>Hot-path design: general registers in a {@code long[]} whose slot 31 is always zero (XZR), decoded
 * instructions cached per physical page ({@link Page#code}), and a direct-mapped TLB per translation regime
 * whose entries hold the backing {@link Page} so that a TLB hit is one array compare and one array access.
 */
public final class Cpu {

    // ---- identity and environment ---------------------------------------------------------------------------
    public final int index;
    public final PhysicalMemory memory;
    /** The Generic Timer (counter views and the EL1/EL2 timers). */
    public final GenericTimer timer = new GenericTimer(this);
    /** The GICv3 CPU interface (ICC_*, ICV_*, ICH_* registers). */
    public final GicCpuInterface gic = new GicCpuInterface(this);
    /** The Performance Monitors (PMUv3). */
    public final Pmu pmu = new Pmu(this);

    // ---- architectural state --------------------------------------------------------------------------------
    /** X0..X30; slot 31 always reads zero (XZR) and is never written. */
    public final long[] x = new long[32];
    /**
     * The SIMD&amp;FP registers V0..V31: bits [63:0] of Vn in slot 2n, bits [127:64] in slot 2n+1. FPCR and FPSR
     * are the {@link SysRegs#FPCR}/{@link SysRegs#FPSR} slots of {@link #sr}; see {@link FpAccess} for the traps.
     */
    public final long[] v = new long[64];
    /** SP_EL0..SP_EL3. The active stack pointer is {@code spEl[spSel ? el : 0]}. */
    public final long[] spEl = new long[4];
    /** System register storage, indexed by the slot constants of {@link SysRegs}. */
    public final long[] sr = new long[SysRegs.COUNT];
    public long pc;
    /** PSTATE.{N,Z,C,V} in bits [31:28], as in the NZCV register. */
    public int nzcv;
    /** PSTATE.{D,A,I,F} in bits [9:6], as in the DAIF register. */
    public int daif;
    public int el;
    public boolean spSel;
    public boolean pan;
    /** PSTATE.IL: set by an illegal exception return. */
    public boolean illegalState;
    /** Other PSTATE bits kept in their SPSR positions (SS, DIT, UAO, TCO, SSBS, BTYPE). */
    public long pstateOther;
    SecurityState ss = SecurityState.ROOT;


    // ---- the engine's parts ---------------------------------------------------------------------------------
    /** The run loop, budget, time events and fetch path. */
    final Engine engine = new Engine(this);
    /** Exception entry and return, interrupt routing. */
    final ExceptionModel exceptions = new ExceptionModel(this);
    /** The software TLB and the data-access paths. */
    final Tlb tlb = new Tlb(this);
    /** The local exclusive monitor. */
    final ExclusiveMonitor monitor = new ExclusiveMonitor();
    /** Self-hosted debug: breakpoint, watchpoint and software step exceptions. */
    public final SelfHostedDebug debug = new SelfHostedDebug(this);

    // ---- run-loop-visible state -----------------------------------------------------------------------------
    private final Firmware[] firmware = new Firmware[16];
    /** Set by every exception entry and exception return; the loop then re-evaluates where the PE is. */
    boolean transitioned;
    /** Instructions executed by this PE since reset. */
    public long instructions;
    /**
     * Set by a store into a page holding decoded code and by a device access (which may assert an interrupt): a
     * translated block ends after that instruction, so the new code or the interrupt is seen at the next one.
     */
    boolean blockExit;
    /** The system counter as this PE sees it is {@code instructions + timeOffset} (idle time skipped). */
    long timeOffset;
    /** Virtual IRQ/FIQ lines ({@link GicCpuInterface#VIRQ}, {@link GicCpuInterface#VFIQ}), taken at EL1. */
    int virtualLines;
    /** Physical interrupt lines: each bit is one source; the IRQ is pending while any bit is set. */
    volatile int irqSources;
    volatile int fiqSources;
    /** Bit of {@link #irqSources} driven by {@link #setIrqCountdown}. */
    public static final int IRQ_SOURCE_COUNTDOWN = 1;

    // ---- translation regimes --------------------------------------------------------------------------------
    public static final int MMU_EL10_0 = Mmu.REGIME_EL10_0, MMU_EL10_1 = Mmu.REGIME_EL10_1,
            MMU_EL10_1_PAN = Mmu.REGIME_EL10_1_PAN, MMU_EL2 = Mmu.REGIME_EL2, MMU_EL3 = Mmu.REGIME_EL3;
    static final int MMU_COUNT = 8;
    /** The current translation regime (one of MMU_*): selects the TLB table data accesses and fetches use. */
    int mmuIdx;

    /** An attached external debugger, or null (the normal case: then it costs one read per chunk). */
    private volatile DebugHook debugHook;
    /** The PEs this one shares memory with: broadcast TLBI and the global exclusive monitor. */
    private CoherenceDomain domain;

    /** Notified of every exception entry and return (for traces and debuggers). */
    public interface ExceptionListener {
        void exceptionTaken(Cpu cpu, int fromEl, SecurityState fromSs, int toEl, long esr, long elr, int vector);

        default void exceptionReturned(Cpu cpu, int fromEl, int toEl, SecurityState toSs, long pc) {
        }
    }

    public Cpu(int index, PhysicalMemory memory) {
        this.index = index;
        this.memory = memory;
        this.domain = new CoherenceDomain();
        domain.add(this);
        flushTlb();
        reset();
    }

    /** Cold reset: EL3 (Root), all interrupts masked, SP_EL3 selected. */
    public void reset() {
        java.util.Arrays.fill(x, 0);
        java.util.Arrays.fill(spEl, 0);
        java.util.Arrays.fill(v, 0);
        el = 3;
        spSel = true;
        daif = 0x3C0;
        nzcv = 0;
        pan = false;
        illegalState = false;
        engine.waitingForInterrupt = false;
        pstateOther = 0;
        sr[SCR_EL3] = 0;
        // SCTLR_EL1 resets to an UNKNOWN value; take QEMU's (SA, SA0, CP15BEN, EOS, nTWI, nTWE, EIS, SPAN) so
        // that bare-metal programs see the same reset state under both (the differential suite relies on it).
        sr[SCTLR_EL1] = 0x00C5_0838L;
        sr[SCTLR_EL2] = 0x30C5_0830L;
        sr[SCTLR_EL3] = 0x30C5_0830L;
        BaseSysRegs.reset(this);
        ss = SecurityState.ROOT;
        pmu.reset();
        onTranslationRegimeChange();
        transitioned = true;
    }

    // =========================================================================================================
    // Registers
    // =========================================================================================================

    public long getX(int n) {
        return x[n];
    }

    /** Writes Xn; a write to register 31 (XZR) is discarded. */
    public void setX(int n, long v) {
        if (n != 31) {
            x[n] = v;
        }
    }

    /** Reads Xn where register 31 means SP. */
    public long getXsp(int n) {
        return n == 31 ? getSp() : x[n];
    }

    public void setXsp(int n, long v) {
        if (n == 31) {
            setSp(v);
        } else {
            x[n] = v;
        }
    }

    public long getSp() {
        return spEl[spSel ? el : 0];
    }

    public void setSp(long v) {
        spEl[spSel ? el : 0] = v;
    }

    public SecurityState securityState() {
        return ss;
    }

    public long readSysReg(SysReg r) {
        return r.reader.read(this);
    }

    /** Writes a system register with its architectural side effects (TLB maintenance, PSTATE views...). */
    public void writeSysReg(SysReg r, long v) {
        if (r.writer == null) {
            throw new IllegalArgumentException(r.name + " is read-only");
        }
        r.writer.write(this, v);
    }

    /** Writes a storage slot with the side effects of its register. */
    public void writeSysReg(int slot, long v) {
        writeSysReg(SysRegs.byId(slot), v);
    }

    public void setDaif(int v) {
        int nv = v & 0x3C0;
        if ((daif & ~nv & 0xC0) != 0 && (irqSources | fiqSources | virtualLines) != 0) {
            transitioned = true; // unmasking with an interrupt pending: let the run loop take it now
        }
        daif = nv;
    }

    public void setSpSel(boolean v) {
        spSel = v;
    }

    public void setPan(boolean v) {
        if (pan != v) {
            pan = v;
            updateMmuIdx();
        }
    }

    /** PSTATE packed as an SPSR value for AArch64. */
    public long packPstate() {
        long v = (nzcv & 0xF000_0000L) | daif | ((long) el << 2) | (spSel ? 1 : 0) | pstateOther;
        if (pan) {
            v |= 1L << 22;
        }
        if (illegalState) {
            v |= 1L << 20;
        }
        return v;
    }

    void unpackPstate(long spsr) {
        nzcv = (int) (spsr & 0xF000_0000L);
        daif = (int) (spsr & 0x3C0);
        pan = (spsr & (1L << 22)) != 0;
        illegalState = (spsr & (1L << 20)) != 0;
        pstateOther = spsr & ((1L << 21) | (1L << 24) | (1L << 23) | (1L << 25) | (1L << 12) | (3L << 10));
    }

    // =========================================================================================================
    // Security state, EL2 enablement, translation regime
    // =========================================================================================================

    /** Whether EL2 is enabled in the security state the PE has below EL3. */
    public boolean el2Enabled() {
        SecurityState s = el == 3 ? SecurityState.fromScr(sr[SCR_EL3]) : ss;
        if (s == SecurityState.SECURE) {
            return (sr[SCR_EL3] & SCR_EEL2) != 0;
        }
        return s != null;
    }

    void onScrChange() {
        if (el < 3) {
            SecurityState s = SecurityState.fromScr(sr[SCR_EL3]);
            if (s != null) {
                ss = s;
            }
        }
        onTranslationRegimeChange();
    }

    /** Called when anything that affects address translation changes: drops the TLB and the code page. */
    public void onTranslationRegimeChange() {
        flushTlb();
        updateMmuIdx();
    }

    void updateMmuIdx() {
        int idx;
        switch (el) {
            case 0: idx = MMU_EL10_0; break;
            case 1: idx = pan ? MMU_EL10_1_PAN : MMU_EL10_1; break;
            case 2: idx = MMU_EL2; break;
            default: idx = MMU_EL3; break;
        }
        mmuIdx = idx;
        engine.forgetCodePage();
    }

    /** Invalidates every TLB entry of this PE (TLBI ALL, GPT changes, world switches). */
    /** Invalidates every TLB entry of this PE (TLBI ALL, GPT changes, world switches). */
    public void flushTlb() {
        tlb.flushTlb();
    }

    public int mmuIndex() {
        return mmuIdx;
    }

    /** What the MMU's table walks read of this PE (system registers, security state, memory, GPC cache). */
    public Mmu.Context translationContext() {
        return tlb;
    }

    // =========================================================================================================
    // Firmware and the run loop (the engine)
    // =========================================================================================================

    /** Registers the Java model that stands for the software at (el, state). */
    public void setFirmware(int el, SecurityState state, Firmware fw) {
        firmware[el * 4 + state.ordinal()] = fw;
    }

    public Firmware firmwareAt(int el, SecurityState state) {
        return firmware[el * 4 + state.ordinal()];
    }

    /** Kind of the last exception taken: 0 synchronous, 1 IRQ, 2 FIQ, 3 SError. */
    public int lastExceptionKind() {
        return exceptions.lastExceptionKind();
    }

    /** How the PE last arrived at its current level. */
    public Firmware.Entry lastEntry() {
        return exceptions.lastEntry();
    }

    /** Why {@link #runUntil} returned. */
    public enum StopReason {
        /** The PE arrived at the requested exception level and security state. */
        ARRIVED,
        /** The instruction budget set by {@link #setBudget} ran out. */
        BUDGET,
        /** {@link #requestStop()} was called (from any thread). */
        STOP_REQUESTED,
        /** The PE executed WFI/WFE with no interrupt that could ever wake it. */
        WAITING_FOR_INTERRUPT,
        /**
         * The guest is stuck taking the same synchronous exception again and again without returning from it (a
         * handler that faults, a vector table in unmapped memory): {@link #stopReport()} says where.
         */
        EXCEPTION_LOOP,
        /** The emulator failed internally while executing an instruction: {@link #stopReport()} says where. */
        INTERNAL_ERROR
    }

    /** Limits the number of instructions executed before {@link #runUntil} returns BUDGET. */
    public void setBudget(long instructions) {
        engine.setBudget(instructions);
    }

    public long budget() {
        return engine.budget();
    }

    /**
     * Makes this PE claim its instructions from {@code limit}, which it may share with other PEs (null: no limit).
     * Call before the PE runs.
     */
    public void setInstructionLimit(InstructionLimit limit) {
        if (limit != null) {
            limit.share();
        }
        engine.limit = limit;
    }

    /** Asks the run loop to return STOP_REQUESTED soon. Safe from any thread. */
    public void requestStop() {
        engine.requestStop();
    }

    /**
     * Asserts the countdown IRQ source after {@code n} more counter ticks (a preemption timer): n instructions,
     * or less if the PE idles.
     */
    public void setIrqCountdown(long n) {
        engine.setIrqCountdown(n);
    }

    /**
     * Chooses the execution engine: {@code true} translates hot blocks of guest code to JVM bytecode
     * ({@link Translator}), {@code false} interprets every instruction. Takes effect at the next chunk.
     */
    public void setTranslation(boolean on) {
        engine.translate = on;
    }

    public boolean translation() {
        return engine.translate;
    }

    /** The engine PEs created from now on use ({@link #setTranslation}); initially {@code -Dcca.engine=jit|interp}. */
    public static void setDefaultTranslation(boolean on) {
        Engine.defaultTranslate = on;
    }

    public static boolean defaultTranslation() {
        return Engine.defaultTranslate;
    }

    /**
     * What the translator did, for benchmarks and the run summary: blocks translated and the time it took (all PEs
     * since start), pages whose blocks a store dropped, and this PE's translated block runs and the instructions it
     * interpreted one by one while translation was on.
     */
    public long translatedBlockRuns() {
        return engine.blockRuns;
    }

    public String translationStats() {
        return String.format(java.util.Locale.ROOT,
                "%d blocks in %.0f ms of CPU time, %d cache drops, %d pages invalidated; PE: %d block runs, %d instructions"
                        + " interpreted",
                Translator.translatedCount(), Translator.translateNanos() / 1e6, Translator.cacheDrops(),
                Translator.INVALIDATIONS.get(),
                engine.blockRuns, engine.interpreted);
    }

    /**
     * Bounds the translator's code cache: after {@code blocks} translations (all PEs together) every translated
     * block is dropped and pages translate again on demand (default 32768, or {@code -Dcca.jit.cache}).
     */
    public static void setTranslationCacheLimit(int blocks) {
        if (blocks < 1) {
            throw new IllegalArgumentException("translation cache limit must be at least 1 block: " + blocks);
        }
        Translator.cacheLimit = blocks;
    }

    /** Times the translator dropped its whole cache on reaching its limit, since the JVM started. */
    public static int translationCacheDrops() {
        return Translator.cacheDrops();
    }

    /** Blocks translated since the JVM started, all PEs together (for benchmarks and tests). */
    public static int translatedBlocks() {
        return Translator.translatedCount();
    }

    /**
     * How often a block start must be reached before it is translated (default 30,000, or {@code -Dcca.jit.threshold});
     * 1 translates every block at once, which tests use to run everything through the translator.
     */
    public static int translationThreshold() {
        return Translator.threshold;
    }

    public static void setTranslationThreshold(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("translation threshold must be at least 1, was " + n);
        }
        Translator.threshold = n;
    }

    /** Recomputes when the next time event (countdown, timer deadline) is due. */
    void rescheduleTimeEvents() {
        engine.rescheduleTimeEvents();
    }

    /** Sets the virtual interrupt lines (driven by the GIC virtual CPU interface and HCR_EL2.VI/VF). */
    void setVirtualLines(int lines) {
        if (lines != 0 && virtualLines == 0) {
            transitioned = true; // let the run loop see it before the end of the chunk
        }
        virtualLines = lines;
    }

    public int virtualLines() {
        return virtualLines;
    }

    /** Whether an interrupt would wake the PE from WFI (regardless of PSTATE masks). */
    boolean wakeupPending() {
        return irqSources != 0 || fiqSources != 0 || (virtualLines != 0 && el <= 1);
    }

    /** Asserts or clears one physical IRQ source. Safe from any thread. */
    public synchronized void setIrqSource(int sourceBit, boolean level) {
        int was = irqSources;
        irqSources = level ? was | sourceBit : was & ~sourceBit;
        if (was == 0 && level) {
            transitioned = true; // taken at the next instruction boundary, not at the end of the chunk
        }
    }

    public synchronized void setFiqSource(int sourceBit, boolean level) {
        int was = fiqSources;
        fiqSources = level ? was | sourceBit : was & ~sourceBit;
        if (was == 0 && level) {
            transitioned = true;
        }
    }

    public boolean irqPending() {
        return irqSources != 0;
    }

    /**
     * Runs the PE until it arrives at exception level {@code targetEl} in security state {@code target} (by an
     * exception or an exception return). Levels with a registered {@link Firmware} are entered by calling the
     * model; other levels execute instructions. Firmware that needs a synchronous call into a higher level (the
     * RMM calling EL3) uses this too, with its own level as the target.
     */
    public StopReason runUntil(int targetEl, SecurityState target) {
        return engine.runUntil(targetEl, target);
    }

    /** Identical nested synchronous exceptions (same target EL, ESR and ELR, no return between) that mean a loop. */
    public static final int EXCEPTION_LOOP_LIMIT = 8;
    /**
     * Identical synchronous exceptions with exception returns in between but no instruction completed between
     * them (only the faulting attempt ran) that mean a loop: a hypervisor or the RMM injecting an abort whose
     * vector faults the same way again. Higher than {@link #EXCEPTION_LOOP_LIMIT} because a hypervisor may
     * legitimately retry an access a few times while it resolves a fault in steps.
     */
    public static final int NO_PROGRESS_LIMIT = 64;

    /** The report of the last EXCEPTION_LOOP or INTERNAL_ERROR stop, or null. */
    public StopReport stopReport() {
        return engine.stopReport();
    }

    /** The Java exception behind the last INTERNAL_ERROR stop, or null. */
    public Throwable internalErrorCause() {
        return engine.internalErrorCause();
    }

    /** WFI/WFE: traps to EL2 when HCR_EL2.TWI/TWE says so, else waits for an interrupt. */
    public long waitForInterrupt(long pc, boolean wfe) {
        if (el < 2 && el2Enabled() && (sr[HCR_EL2] & (wfe ? HCR_TWE : HCR_TWI)) != 0) {
            // ISS: CV = 1, COND = 0b1110 for a trapped AArch64 WFx (Arm ARM D17.2.37), TI = 0 WFI / 1 WFE.
            return takeSync(2, Esr.EC_WFX, (1 << 24) | (0xE << 20) | (wfe ? 1 : 0), pc);
        }
        if (wfe) {
            return pc + 4; // no event model: WFE completes at once
        }
        if (!wakeupPending()) {
            engine.waitingForInterrupt = true;
            transitioned = true; // leave the fast loop so the run loop can idle
        }
        return pc + 4;
    }

    /**
     * Attaches an external debugger (null detaches it). Safe from any thread: the run loop sees the change at its
     * next chunk of instructions.
     */
    public void setDebugHook(DebugHook hook) {
        debugHook = hook;
    }

    public DebugHook debugHook() {
        return debugHook;
    }

    /** MDSCR_EL1.SS (software step) and MDSCR_EL1.MDE (breakpoints and watchpoints). */
    public static final long MDSCR_SS = SelfHostedDebug.MDSCR_SS, MDSCR_MDE = SelfHostedDebug.MDSCR_MDE;

    /** Exception entries and returns of this PE so far (wraps): tells whether an instruction took or left one. */
    public int transitionCount() {
        return exceptions.transitions;
    }

    /**
     * Whether the guest's self-hosted debug could generate an exception (Arm ARM D2): software step is enabled in
     * MDSCR_EL1, or MDSCR_EL1.MDE is set with a breakpoint or watchpoint enabled. Conservative (PSTATE.D, KDE, the
     * EL and the OS lock are not looked at) and cheap: in the common case one register read. While it holds, the
     * engine interprets one instruction at a time (no translated blocks), so breakpoints are checked before every
     * instruction and the step state machine advances after it. Writes to the registers it reads end the current
     * chunk of instructions, so the engine sees a change at the next instruction.
     */
    public boolean guestDebugArmed() {
        long mdscr = sr[MDSCR_EL1];
        return (mdscr & (MDSCR_SS | MDSCR_MDE)) != 0 && ((mdscr & MDSCR_SS) != 0 || anyBreakOrWatchEnabled());
    }

    /**
     * A write to MDSCR_EL1 or a breakpoint or watchpoint control register: ends the current chunk of instructions
     * (and translated block), so the run loop evaluates {@link #guestDebugArmed} again before the next instruction.
     */
    void onDebugControlWrite() {
        transitioned = true;
        blockExit = true;
    }

    private boolean anyBreakOrWatchEnabled() {
        for (int n = 0; n < BaseSysRegs.BREAKPOINTS; n++) {
            if ((sr[BaseSysRegs.DBGBCR0 + n] & 1) != 0) {
                return true;
            }
        }
        for (int n = 0; n < BaseSysRegs.WATCHPOINTS; n++) {
            if ((sr[BaseSysRegs.DBGWCR0 + n] & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    public void addExceptionListener(ExceptionListener l) {
        exceptions.listeners.add(l);
    }

    public void removeExceptionListener(ExceptionListener l) {
        exceptions.listeners.remove(l);
    }

    // =========================================================================================================
    // Data access (the TLB)
    // =========================================================================================================

    /**
     * Loads {@code size} bytes (1, 2, 4, 8) at virtual address {@code va}, zero-extended. {@code syn} is the
     * instruction's data-abort syndrome template (ISV, SAS, SSE, SRT, SF, AR) used if the access faults.
     */
    public long read(long va, int size, int syn) {
        return tlb.read(va, size, syn);
    }

    public void write(long va, int size, long value, int syn) {
        tlb.write(va, size, value, syn);
    }

    public long read64(long va, int syn) {
        return tlb.read(va, 8, syn);
    }

    public void write64(long va, long v, int syn) {
        tlb.write(va, 8, v, syn);
    }

    /** Translates a VA in the current regime without side effects; returns -1 on a fault (for debuggers). */
    public long translateForDebug(long va, boolean write) {
        return tlb.translateForDebug(va, write);
    }

    /**
     * Translates {@code va} for an access that needs write and/or read permission (an atomic or an exclusive) and
     * returns its TLB index; the page is {@link #tlbPageAt} (null for a device) and the PA {@link #tlbPaAt}.
     */
    public int translateData(long va, boolean needRead, boolean needWrite, int syn) {
        return tlb.translateData(va, needRead, needWrite, syn);
    }

    /** As {@link #translateData(long, boolean, boolean, int)} for an access of {@code size} bytes (watchpoints). */
    public int translateData(long va, int size, boolean needRead, boolean needWrite, int syn) {
        return tlb.translateData(va, size, needRead, needWrite, syn);
    }

    public Page tlbPageAt(int i) {
        return tlb.tlbPageAt(i);
    }

    public long tlbPaAt(int i, long va) {
        return tlb.tlbPaAt(i, va);
    }

    /** After an atomic or exclusive store into {@code p}: keep decoded code and other PEs' monitors coherent. */
    public void afterAtomicStore(Page p, int off, int size) {
        tlb.afterAtomicStore(p, off, size);
    }

    /** Records an alignment fault (DFSC 0b100001) on a data access to {@code va} and returns the fault to throw. */
    public GuestFault alignmentFault(long va, boolean write, int syn) {
        return tlb.alignmentFault(va, write, syn);
    }

    /** Accesses that must be naturally aligned whatever SCTLR.A says (exclusives, atomics, acquire/release). */
    public void checkAligned(long va, int size, boolean write, int syn) {
        tlb.checkAligned(va, size, write, syn);
    }

    /** CheckSPAlignment() for a load or store whose base register is SP. */
    public void checkSpAlignment(long sp) {
        tlb.checkSpAlignment(sp);
    }

    /** An unprivileged load (LDTR family): checked with EL0 permissions at EL1. */
    public long readUnprivileged(long va, int size, int syn) {
        return tlb.readUnprivileged(va, size, syn);
    }

    public void writeUnprivileged(long va, int size, long value, int syn) {
        tlb.writeUnprivileged(va, size, value, syn);
    }

    /** Translation for a cache maintenance instruction by VA (faults with ISS.CM = 1). */
    public int translateForMaintenance(long va, boolean needWrite, boolean checkPerms) {
        return tlb.translateForMaintenance(va, needWrite, checkPerms);
    }

    /** The MMU of this PE (AT instructions use it without touching the TLB). */
    public Mmu mmu() {
        return tlb.mmu();
    }

    /** GranuleProtectionCheck() of a translation or table walk access, with the PE's cache of passed checks. */
    public int granuleCheck(long pa, Pas pas) {
        return tlb.granuleCheck(pa, pas);
    }

    // =========================================================================================================
    // TLB maintenance, coherence domain
    // =========================================================================================================

    /** Joins a machine's coherence domain (the caller adds this PE to it). Done once, before running. */
    public void setCoherenceDomain(CoherenceDomain d) {
        domain = d;
    }

    public CoherenceDomain coherenceDomain() {
        return domain;
    }

    /** Invalidates every TLB entry of this PE, and of every PE in its domain if {@code broadcast}. */
    public void tlbInvalidate(boolean broadcast) {
        if (broadcast) {
            domain.broadcast(this, TlbOp.EVERYTHING);
        } else {
            flushTlb();
        }
    }

    /** TLB maintenance on this PE, and on every PE of the domain if {@code broadcast} (TLBI ...IS, HCR_EL2.FB). */
    public void tlbMaintenance(TlbOp op, boolean broadcast) {
        tlb.tlbMaintenance(op, broadcast);
    }

    /**
     * For hypervisor models that write a vCPU's registers directly into {@link #sr} before entering it: keeps the
     * TLB when the translation registers are those its entries were filled under (see {@link Tlb}).
     */
    public void revalidateTranslation() {
        tlb.revalidateTranslation();
    }

    long postTlbOp(TlbOp op) {
        return tlb.postTlbOp(op);
    }

    boolean tlbOpApplied(long seq) {
        return tlb.tlbOpApplied(seq);
    }

    void drainTlbInbox() {
        tlb.drainInbox();
    }

    void applyTlbOp(TlbOp op) {
        tlb.applyTlbOp(op);
    }

    void onTtbrWrite() {
        tlb.onTtbrWrite();
    }

    // =========================================================================================================
    // Exceptions (the exception model)
    // =========================================================================================================

    /** Records an UNDEFINED instruction and throws; the exception goes to EL1 (or EL2 with HCR_EL2.TGE). */
    public GuestFault undefined() {
        return exceptions.undefined();
    }

    /** Records a synchronous exception to be taken by the run loop, and returns the fault to throw. */
    public GuestFault pend(int targetEl, int ec, int iss) {
        return exceptions.pend(targetEl, ec, iss);
    }

    /** As {@link #pend}, for an exception that reports a fault address in FAR_ELx (a watchpoint). */
    public GuestFault pendWithFar(int targetEl, int ec, int iss, long far) {
        return exceptions.pendWithFar(targetEl, ec, iss, far);
    }

    /** Records a trap of a system register access or instruction to {@code targetEl} (EC 0x18). */
    public GuestFault trapSysReg(int targetEl, int iss) {
        return exceptions.trapSysReg(targetEl, iss);
    }

    /**
     * Notes the encoding of the MRS/MSR about to access a system register (its decoder captured it), so that a
     * register whose access traps can build the syndrome ({@link #trapCurrentSysRegAccess}).
     */
    public void beginSysRegAccess(int word) {
        exceptions.sysRegAccessWord = word;
    }

    /** Records a trap to {@code targetEl} of the MRS/MSR instruction being executed (EC 0x18). */
    public GuestFault trapCurrentSysRegAccess(int targetEl) {
        return exceptions.trapCurrentSysRegAccess(targetEl);
    }

    /** The EL a synchronous exception from the current EL goes to (EL1 from EL0, EL2 with HCR_EL2.TGE). */
    public int syncTargetEl() {
        return exceptions.syncTarget();
    }

    /** Takes a synchronous exception without a fault address; returns the vector address. */
    public long takeSync(int targetEl, int ec, int iss, long preferredReturn) {
        return exceptions.takeSync(targetEl, ec, iss, preferredReturn);
    }

    /**
     * Exception entry (Arm ARM D1.10.2). {@code kind} is 0 synchronous, 1 IRQ, 2 FIQ, 3 SError. Returns the vector
     * address (also stored in {@link #pc}).
     */
    public long takeException(int targetEl, int ec, int iss, long preferredReturn, boolean hasFar, long far,
                              int kind, boolean hasHpfar, long hpfar) {
        return exceptions.takeException(targetEl, ec, iss, preferredReturn, hasFar, far, kind, hasHpfar, hpfar);
    }

    /** Exception return from the current EL (Arm ARM D1.11); returns the new PC. */
    public long eret() {
        return exceptions.eret();
    }

    /** SMC #imm as the current software would execute it (used by firmware models that call a higher level). */
    public long smc(int imm16) {
        return exceptions.smc(imm16);
    }

    public long smcAt(long pc, int imm16) {
        return exceptions.smcAt(pc, imm16);
    }

    public long hvcAt(long pc, int imm16) {
        return exceptions.hvcAt(pc, imm16);
    }

    public long svcAt(long pc, int imm16) {
        return exceptions.svcAt(pc, imm16);
    }

    /** BRK #imm: a breakpoint instruction exception to the current EL (EL1 from EL0). */
    public long brkAt(long pc, int imm16) {
        return exceptions.brkAt(pc, imm16);
    }

    // =========================================================================================================
    // Exclusive monitor
    // =========================================================================================================

    /** Clears this PE's exclusive monitor (CLREX, exception entry and return). */
    public void clearExclusiveMonitor() {
        domain.release(this);
    }

    /** Sets the exclusive monitor on {@code pa} with the values the load-exclusive returned. */
    public void markExclusive(long va, Page page, long pa, int size, long v1, long v2) {
        domain.mark(this, page, pa);
        monitor.set(va, size, v1, v2);
    }

    /** The VA the last load-exclusive used (QEMU and this model fail a store-exclusive to another VA early). */
    public long exclusiveVa() {
        return monitor.va();
    }

    /** Whether a store-exclusive of {@code size} bytes to {@code pa} may succeed (the monitor still holds it). */
    public boolean exclusivePasses(long pa, int size) {
        return monitor.passes(pa, size);
    }

    public long exclusiveValue() {
        return monitor.value();
    }

    public long exclusiveValue2() {
        return monitor.value2();
    }

    /** Physical address marked by the exclusive monitor, or -1 (for tests and debuggers). */
    public long exclusiveAddress() {
        return monitor.address();
    }

    /** Lock that atomic operations on device memory and 128-bit atomics take. */
    public Object atomicLock() {
        return domain;
    }

    // =========================================================================================================
    // Physical access by firmware models, with the granule protection check
    // =========================================================================================================

    /** Thrown to a firmware model when its physical access fails the granule protection check or the bus. */
    public static final class PhysicalAccessException extends RuntimeException {
        public final long address;
        public final Pas pas;
        /** True for a granule protection fault, false for an external abort (nothing at the address). */
        public final boolean granuleProtection;

        PhysicalAccessException(long address, Pas pas, boolean gpf, String message) {
            super(message);
            this.address = address;
            this.pas = pas;
            this.granuleProtection = gpf;
        }
    }

    private void checkPhys(long pa, Pas pas) {
        int r = GranuleProtection.check(memory, sr[GPCCR_EL3], sr[GPTBR_EL3], memory.paBits(), pa, pas);
        if (r != GranuleProtection.OK) {
            throw new PhysicalAccessException(pa, pas, true, String.format(
                    "granule protection fault: %s access to PA %#x", pas, pa));
        }
    }

    /** A physical read by software running on this PE, in physical address space {@code pas}. */
    public long physRead(long pa, int size, Pas pas) {
        checkPhys(pa, pas);
        try {
            return memory.read(pa, size);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(pa, pas, false, e.getMessage());
        }
    }

    public void physWrite(long pa, int size, long value, Pas pas) {
        checkPhys(pa, pas);
        try {
            memory.write(pa, size, value);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(pa, pas, false, e.getMessage());
        }
    }

    public void physReadBytes(long pa, byte[] dst, int off, int len, Pas pas) {
        for (long g = pa & ~Page.MASK; g < pa + len; g += Page.SIZE) {
            checkPhys(g, pas);
        }
        try {
            memory.readBytes(pa, dst, off, len);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(e.address(), pas, false, e.getMessage());
        }
    }

    public void physWriteBytes(long pa, byte[] src, int off, int len, Pas pas) {
        for (long g = pa & ~Page.MASK; g < pa + len; g += Page.SIZE) {
            checkPhys(g, pas);
        }
        try {
            memory.writeBytes(pa, src, off, len);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(e.address(), pas, false, e.getMessage());
        }
    }

    // ---- per-EL register slots -------------------------------------------------------------------------------

    public static int spsrSlot(int el) {
        return el == 1 ? SPSR_EL1 : el == 2 ? SPSR_EL2 : SPSR_EL3;
    }

    public static int elrSlot(int el) {
        return el == 1 ? ELR_EL1 : el == 2 ? ELR_EL2 : ELR_EL3;
    }

    public static int esrSlot(int el) {
        return el == 1 ? ESR_EL1 : el == 2 ? ESR_EL2 : ESR_EL3;
    }

    public static int farSlot(int el) {
        return el == 1 ? FAR_EL1 : el == 2 ? FAR_EL2 : FAR_EL3;
    }

    public static int vbarSlot(int el) {
        return el == 1 ? VBAR_EL1 : el == 2 ? VBAR_EL2 : VBAR_EL3;
    }

    public static int sctlrSlot(int el) {
        return el <= 1 ? SCTLR_EL1 : el == 2 ? SCTLR_EL2 : SCTLR_EL3;
    }

    @Override
    public String toString() {
        return String.format("PE%d EL%d %s pc=%#x", index, el, ss.shortName(), pc);
    }
}