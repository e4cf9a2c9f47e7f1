package dev.cca.core.cpu;

import dev.cca.core.cpu.decode.A64;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.Page;
import dev.cca.core.mem.Pas;
import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.mmu.Mmu;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * One processing element: the architectural register state of EL0-EL3 in all four security states, the run loop,
 * exception entry and return, and the data-access paths with their software TLB.
 *
 * <p>Hot-path design: general registers in a {@code long[]} whose slot 31 is always zero (XZR), decoded
 * instructions cached per physical page ({@link Page#code}), and a direct-mapped TLB per translation regime
 * whose entries hold the backing {@link Page} so that a TLB hit is one array compare and one VarHandle access.
 */
public final class Cpu {

    // ---- identity and environment ---------------------------------------------------------------------------
    public final int index;
    public final PhysicalMemory memory;
    final Mmu mmu = new Mmu();
    /** The Generic Timer (counter views and the EL1/EL2 timers). */
    public final GenericTimer timer = new GenericTimer(this);
    /** The GICv3 CPU interface (ICC_*, ICV_*, ICH_* registers). */
    public final GicCpuInterface gic = new GicCpuInterface(this);

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

    // ---- run-loop state --------------------------------------------------------------------------------------
    private final Firmware[] firmware = new Firmware[16];
    /** Set by every exception entry and exception return; the loop then re-evaluates where the PE is. */
    boolean transitioned;
    private Firmware.Entry lastEntry = Firmware.Entry.RETURN;
    /** Instructions executed by this PE since reset. */
    public long instructions;
    private long budget = Long.MAX_VALUE;
    private volatile boolean stopRequested;
    /** Counter value (docs/time.md) at which the countdown interrupt asserts, or Long.MAX_VALUE. */
    private long irqCountdownAt = Long.MAX_VALUE;
    /** The system counter as this PE sees it is {@code instructions + timeOffset} (idle time skipped). */
    long timeOffset;
    /** Counter value of the next time event (countdown or timer deadline), or Long.MAX_VALUE. */
    private long nextEventTime = Long.MAX_VALUE;
    /** Virtual IRQ/FIQ lines ({@link GicCpuInterface#VIRQ}, {@link GicCpuInterface#VFIQ}), taken at EL1. */
    private int virtualLines;
    /** Physical interrupt lines: each bit is one source; the IRQ is pending while any bit is set. */
    private volatile int irqSources;
    private volatile int fiqSources;
    /** Bit of {@link #irqSources} driven by {@link #setIrqCountdown}. */
    public static final int IRQ_SOURCE_COUNTDOWN = 1;
    private boolean waitingForInterrupt;

    // ---- software TLB ----------------------------------------------------------------------------------------
    public static final int MMU_EL10_0 = 0, MMU_EL10_1 = 1, MMU_EL10_1_PAN = 2, MMU_EL2 = 3, MMU_EL3 = 4;
    static final int MMU_COUNT = 8;
    /** 1024 entries per regime: Linux's kernel working set thrashed a 256-entry direct-mapped TLB. */
    private static final int TLB_BITS = 10;
    private static final int TLB_SIZE = 1 << TLB_BITS;
    private static final int TLB_MASK = TLB_SIZE - 1;
    private static final long PAGE_TAG_MASK = ~Page.MASK;
    /** Tags for reads, writes and fetches: the page VA when that access is allowed, else -1. Bit 0 set = MMIO. */
    private final long[] tlbRead = new long[MMU_COUNT * TLB_SIZE];
    private final long[] tlbWrite = new long[MMU_COUNT * TLB_SIZE];
    private final long[] tlbExec = new long[MMU_COUNT * TLB_SIZE];
    private final Page[] tlbPage = new Page[MMU_COUNT * TLB_SIZE];
    private final long[] tlbPa = new long[MMU_COUNT * TLB_SIZE];
    /** Per entry: bit 0 set = non-global (nG) entry; bits [15:8] = log2 of the size of the mapping it came from. */
    private final int[] tlbAttr = new int[MMU_COUNT * TLB_SIZE];
    int mmuIdx;

    // current code page (fetch fast path)
    private long codeVa = -1;
    private Insn[] codeInsns;
    private byte[] codeBytes;

    // pending synchronous exception recorded before throwing GuestFault
    private int pendEl, pendEc, pendIss;
    private long pendFar, pendHpfar;
    private boolean pendHasFar, pendHasHpfar;

    // observers (tracing, debugger); empty in normal runs
    private final List<ExceptionListener> exceptionListeners = new CopyOnWriteArrayList<>();
    /** An attached external debugger, or null (the normal case: then it costs one read per chunk). */
    private volatile DebugHook debugHook;

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
        waitingForInterrupt = false;
        pstateOther = 0;
        sr[SCR_EL3] = 0;
        // SCTLR_EL1 resets to an UNKNOWN value; take QEMU's (SA, SA0, CP15BEN, EOS, nTWI, nTWE, EIS, SPAN) so
        // that bare-metal programs see the same reset state under both (the differential suite relies on it).
        sr[SCTLR_EL1] = 0x00C5_0838L;
        sr[SCTLR_EL2] = 0x30C5_0830L;
        sr[SCTLR_EL3] = 0x30C5_0830L;
        BaseSysRegs.reset(this);
        ss = SecurityState.ROOT;
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

    private void unpackPstate(long spsr) {
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

    private void updateMmuIdx() {
        int idx;
        switch (el) {
            case 0: idx = MMU_EL10_0; break;
            case 1: idx = pan ? MMU_EL10_1_PAN : MMU_EL10_1; break;
            case 2: idx = MMU_EL2; break;
            default: idx = MMU_EL3; break;
        }
        mmuIdx = idx;
        codeVa = -1;
    }

    /** Invalidates every TLB entry of this PE (TLBI ALL, GPT changes, world switches). */
    public void flushTlb() {
        if (tlbFilled) { // world switches flush often: skip the clearing when nothing was filled since
            java.util.Arrays.fill(gpcPassed, 0L);
            java.util.Arrays.fill(tlbRead, -1L);
            java.util.Arrays.fill(tlbWrite, -1L);
            java.util.Arrays.fill(tlbExec, -1L);
            java.util.Arrays.fill(tlbPage, null);
            java.util.Arrays.fill(tlbAttr, 0);
            tlbFilled = false;
        }
        blockEntries = 0;
        ngCount = 0;
        tlbAsid = currentAsid();
        codeVa = -1;
        snapshotTranslationContext();
    }

    public int mmuIndex() {
        return mmuIdx;
    }

    // =========================================================================================================
    // Firmware and the run loop
    // =========================================================================================================

    /** Registers the Java model that stands for the software at (el, state). */
    public void setFirmware(int el, SecurityState state, Firmware fw) {
        firmware[el * 4 + state.ordinal()] = fw;
    }

    public Firmware firmwareAt(int el, SecurityState state) {
        return firmware[el * 4 + state.ordinal()];
    }

    private int lastExceptionKind;

    /** Kind of the last exception taken: 0 synchronous, 1 IRQ, 2 FIQ, 3 SError. */
    public int lastExceptionKind() {
        return lastExceptionKind;
    }

    /** How the PE last arrived at its current level. */
    public Firmware.Entry lastEntry() {
        return lastEntry;
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
        budget = instructions;
    }

    public long budget() {
        return budget;
    }

    /** Asks the run loop to return STOP_REQUESTED soon. Safe from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Asserts the countdown IRQ source after {@code n} more counter ticks (a preemption timer): n instructions,
     * or less if the PE idles.
     */
    public void setIrqCountdown(long n) {
        irqCountdownAt = n == Long.MAX_VALUE ? Long.MAX_VALUE : timer.localCount() + n;
        setIrqSource(IRQ_SOURCE_COUNTDOWN, false);
        rescheduleTimeEvents();
    }

    /** Recomputes when the next time event (countdown, timer deadline) is due. */
    void rescheduleTimeEvents() {
        nextEventTime = Math.min(irqCountdownAt, timer.nextDeadline);
    }

    /** Handles the time events due at the current count. */
    private void timeEvent() {
        if (timer.localCount() >= irqCountdownAt) {
            irqCountdownAt = Long.MAX_VALUE;
            setIrqSource(IRQ_SOURCE_COUNTDOWN, true);
        }
        timer.update(); // reschedules
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
    private boolean wakeupPending() {
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
        stopRequested = false;
        while (true) {
            if (transitioned) {
                transitioned = false;
                if (el == targetEl && ss == target) {
                    return StopReason.ARRIVED;
                }
                Firmware fw = firmware[el * 4 + ss.ordinal()];
                if (fw != null) {
                    int fel = el;
                    SecurityState fss = ss;
                    fw.enter(this, lastEntry);
                    if (!transitioned || (el == fel && ss == fss)) {
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
            long now = instructions + timeOffset;
            if (now >= nextEventTime) {
                timeEvent();
            }
            if (budget <= 0) {
                return StopReason.BUDGET;
            }
            if (checkInterrupts()) {
                continue;
            }
            if (waitingForInterrupt) {
                if (wakeupPending()) {
                    waitingForInterrupt = false;
                } else if (nextEventTime != Long.MAX_VALUE) {
                    // Idle until the next time event: time passes without instructions (docs/time.md).
                    timer.advanceTo(nextEventTime);
                    continue;
                } else {
                    return StopReason.WAITING_FOR_INTERRUPT;
                }
            }
            long chunk = Math.min(budget, 4096);
            if (nextEventTime != Long.MAX_VALUE) {
                chunk = Math.max(1, Math.min(chunk, nextEventTime - now));
            }
            DebugHook hook = debugHook;
            if (hook != null) {
                hook.beforeInstruction(this); // may block while the debugger holds the PE stopped
                chunk = 1;
            }
            long done = execute(chunk);
            budget -= done;
        }
    }

    /** Executes up to {@code n} instructions; stops early after any exception entry or return. */
    private long execute(long n) {
        executing = true; // volatile write before the inbox read below: see CoherenceDomain
        drainTlbInbox();
        long pc = this.pc;
        // The instruction count is kept exact (not summed per chunk) because it is the time base: a counter read
        // inside the chunk must see it (docs/time.md).
        long start = instructions;
        long end = start + n;
        try {
            while (instructions < end) {
                if (tlbPosted.get() != tlbAppliedLocal) {
                    drainTlbInbox(); // a broadcast TLBI from another PE takes effect before our next access
                }
                if ((pc & 0xFFFF_FFFF_FFFF_F003L) != codeVa) {
                    this.pc = pc;
                    if (!loadCodePage(pc)) {
                        pc = this.pc;
                        instructions++;
                        break;
                    }
                }
                int slot = (int) (pc >>> 2) & 0x3FF;
                Insn insn = codeInsns[slot];
                if (insn == null) {
                    insn = decodeSlot(slot);
                }
                this.pc = pc;
                try {
                    pc = insn.exec(this, pc);
                } catch (GuestFault f) {
                    pc = deliverPending(pc);
                } catch (RuntimeException | StackOverflowError e) {
                    // A bug of the emulator or a device model must not take the JVM down: stop with a report.
                    internalError(pc, e);
                    instructions++;
                    break;
                }
                instructions++;
                if (transitioned) {
                    break;
                }
            }
        } finally {
            this.pc = pc;
            executing = false;
        }
        return instructions - start;
    }

    private Insn decodeSlot(int slot) {
        int word = Bytes.getInt(codeBytes, slot << 2);
        Insn insn = A64.decode(word);
        codeInsns[slot] = insn;
        return insn;
    }

    /**
     * Makes the page holding {@code pc} the current code page. Returns false if the fetch raised an exception
     * (PC alignment or instruction abort), which has then been taken.
     */
    private boolean loadCodePage(long pc) {
        if (illegalState) {
            takeSync(el == 0 ? 1 : el, Esr.EC_ILLEGAL_STATE, 0, pc);
            return false;
        }
        if ((pc & 3) != 0) {
            takeSyncWithFar(el == 0 ? 1 : el, Esr.EC_PC_ALIGN, 0, pc, pc);
            return false;
        }
        int i = (mmuIdx << TLB_BITS) | ((int) (pc >>> Page.SHIFT) & TLB_MASK);
        long vpage = pc & PAGE_TAG_MASK;
        if (tlbExec[i] != vpage) {
            try {
                fill(pc, Mmu.EXEC, 0);
            } catch (GuestFault f) {
                deliverPending(pc);
                return false;
            }
            if (tlbExec[i] != vpage) {
                // Executable but not RAM (a device): an external abort on fetch.
                recordAbort(true, pc, 0, false, Esr.FSC_SEA, false, false, 0, false);
                deliverPending(pc);
                return false;
            }
        }
        Page p = tlbPage[i];
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
        codeVa = vpage;
        return true;
    }

    // =========================================================================================================
    // Data access
    // =========================================================================================================

    /**
     * Loads {@code size} bytes (1, 2, 4, 8) at virtual address {@code va}, zero-extended. {@code syn} is the
     * instruction's data-abort syndrome template (ISV, SAS, SSE, SRT, SF, AR) used if the access faults.
     */
    public long read(long va, int size, int syn) {
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        int off = (int) (va & Page.MASK);
        if (tlbRead[i] == (va & PAGE_TAG_MASK) && off <= Page.SIZE - size) {
            return Bytes.get(tlbPage[i].data, off, size);
        }
        return readSlow(va, size, syn);
    }

    public void write(long va, int size, long value, int syn) {
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        int off = (int) (va & Page.MASK);
        if (tlbWrite[i] == (va & PAGE_TAG_MASK) && off <= Page.SIZE - size) {
            Page p = tlbPage[i];
            Bytes.put(p.data, off, size, value);
            if (p.code != null) {
                p.invalidateCode(off, size);
            }
            if (p.monitors != 0) {
                domain.onStore(this, p, off, size);
            }
            return;
        }
        writeSlow(va, size, value, syn);
    }

    public long read64(long va, int syn) {
        return read(va, 8, syn);
    }

    public void write64(long va, long v, int syn) {
        write(va, 8, v, syn);
    }

    private long readSlow(long va, int size, int syn) {
        if ((va & (size - 1)) != 0 && alignmentChecked()) {
            throw alignmentFault(va, false, syn);
        }
        if ((va & Page.MASK) > Page.SIZE - size) {
            // Crosses a page: do it byte by byte (each byte may fault on its own).
            long v = 0;
            for (int b = 0; b < size; b++) {
                v |= (read(va + b, 1, syn) & 0xFF) << (8 * b);
            }
            return v;
        }
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        if (tlbRead[i] != vpage && tlbRead[i] != (vpage | 1)) {
            fill(va, Mmu.READ, syn);
        }
        long pa = tlbPa[i] | (va & Page.MASK);
        if (tlbRead[i] == vpage) {
            return Bytes.get(tlbPage[i].data, (int) (va & Page.MASK), size);
        }
        DebugHook hook = debugHook;
        if (hook != null) {
            hook.dataAccess(this, va, size, false);
        }
        try {
            return memory.read(pa, size);
        } catch (BusErrorException e) {
            recordAbort(false, va, syn, false, Esr.FSC_SEA, false, false, 0, false);
            throw GuestFault.INSTANCE;
        }
    }

    private void writeSlow(long va, int size, long value, int syn) {
        if ((va & (size - 1)) != 0 && alignmentChecked()) {
            throw alignmentFault(va, true, syn);
        }
        if ((va & Page.MASK) > Page.SIZE - size) {
            for (int b = 0; b < size; b++) {
                write(va + b, 1, value >>> (8 * b), syn);
            }
            return;
        }
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        if (tlbWrite[i] != vpage && tlbWrite[i] != (vpage | 1)) {
            fill(va, Mmu.WRITE, syn);
        }
        long pa = tlbPa[i] | (va & Page.MASK);
        if (tlbWrite[i] == vpage) {
            Page p = tlbPage[i];
            int off = (int) (va & Page.MASK);
            Bytes.put(p.data, off, size, value);
            p.invalidateCode(off, size);
            if (p.monitors != 0) {
                domain.onStore(this, p, off, size);
            }
            return;
        }
        DebugHook hook = debugHook;
        if (hook != null) {
            hook.dataAccess(this, va, size, true);
        }
        try {
            memory.write(pa, size, value);
        } catch (BusErrorException e) {
            recordAbort(false, va, syn, true, Esr.FSC_SEA, false, false, 0, false);
            throw GuestFault.INSTANCE;
        }
    }

    /**
     * Translates {@code va} for {@code access} in the current regime, checks granule protection and installs the
     * TLB entry; on a fault records the abort and throws {@link GuestFault}.
     */
    private void fill(long va, int access, int syn) {
        Mmu m = mmu;
        pendingFillVa = va;
        boolean isWrite = access == Mmu.WRITE;
        boolean fetch = access == Mmu.EXEC;
        if (!m.translate(this, va, access, mmuIdx)) {
            if (m.faultGpc != 0) {
                recordGpcFault(fetch, va, syn, isWrite, m.faultGpc, m.faultStage2Regime, m.faultS1ptw,
                        m.faultIpa);
            } else {
                recordAbort(fetch, va, syn, isWrite, m.faultFsc, m.faultStage2, m.faultS1ptw, m.faultIpa,
                        m.faultStage2Regime);
            }
            throw GuestFault.INSTANCE;
        }
        long pa = m.outPa & PAGE_TAG_MASK;
        int gpc = granuleCheck(pa, m.outPas);
        if (gpc != GranuleProtection.OK) {
            recordGpcFault(fetch, va, syn, isWrite, gpc, m.stage2Used, false, m.outIpa);
            throw GuestFault.INSTANCE;
        }
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        PhysicalMemory.Region r = memory.find(pa);
        int perms = m.outPerms;
        invalidateEntry(i);
        noteTlbFill(i, m.outGlobal, m.outSizeShift);
        if (r instanceof PhysicalMemory.RamRegion) {
            tlbPage[i] = ((PhysicalMemory.RamRegion) r).page(pa);
            // With alignment checking on, data accesses stay on the slow path, which checks alignment; a page a
            // debugger watches gets the device tag (bit 0), so its data accesses take the slow path too.
            boolean data = !alignmentChecked();
            DebugHook hook = debugHook;
            long tag = hook != null && hook.watchesPage(this, vpage) ? vpage | 1 : vpage;
            tlbRead[i] = data && (perms & Mmu.PERM_R) != 0 ? tag : -1;
            tlbWrite[i] = data && (perms & Mmu.PERM_W) != 0 ? tag : -1;
            tlbExec[i] = (perms & Mmu.PERM_X) != 0 ? vpage : -1;
        } else if (r != null) {
            tlbPage[i] = null;
            tlbRead[i] = (perms & Mmu.PERM_R) != 0 ? vpage | 1 : -1;
            tlbWrite[i] = (perms & Mmu.PERM_W) != 0 ? vpage | 1 : -1;
            tlbExec[i] = -1;
            if (fetch && (perms & Mmu.PERM_X) != 0) {
                return; // caller reports the fetch from a device
            }
        } else {
            recordAbort(fetch, va, syn, isWrite, Esr.FSC_SEA, false, false, 0, false);
            throw GuestFault.INSTANCE;
        }
        tlbPa[i] = pa;
    }

    /** Translates a VA in the current regime without side effects; returns -1 on a fault (for debuggers). */
    public long translateForDebug(long va, boolean write) {
        mmu.hardwareUpdates = false;
        try {
            return mmu.translate(this, va, write ? Mmu.WRITE : Mmu.READ, mmuIdx) ? mmu.outPa : -1;
        } finally {
            mmu.hardwareUpdates = true;
        }
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
        for (long g = pa & PAGE_TAG_MASK; g < pa + len; g += Page.SIZE) {
            checkPhys(g, pas);
        }
        try {
            memory.readBytes(pa, dst, off, len);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(e.address(), pas, false, e.getMessage());
        }
    }

    public void physWriteBytes(long pa, byte[] src, int off, int len, Pas pas) {
        for (long g = pa & PAGE_TAG_MASK; g < pa + len; g += Page.SIZE) {
            checkPhys(g, pas);
        }
        try {
            memory.writeBytes(pa, src, off, len);
        } catch (BusErrorException e) {
            throw new PhysicalAccessException(e.address(), pas, false, e.getMessage());
        }
    }

    // =========================================================================================================
    // Exceptions
    // =========================================================================================================

    /** Records an UNDEFINED instruction and throws; the exception goes to EL1 (or EL2 with HCR_EL2.TGE). */
    public GuestFault undefined() {
        int target = el == 0 ? ((el2Enabled() && (sr[HCR_EL2] & HCR_TGE) != 0) ? 2 : 1) : el;
        pend(target, Esr.EC_UNKNOWN, 0);
        throw GuestFault.INSTANCE;
    }

    /** Records a synchronous exception to be taken by the run loop, and returns the fault to throw. */
    public GuestFault pend(int targetEl, int ec, int iss) {
        pendEl = targetEl;
        pendEc = ec;
        pendIss = iss;
        pendHasFar = false;
        pendHasHpfar = false;
        return GuestFault.INSTANCE;
    }

    /** Records a trap of a system register access or instruction to {@code targetEl} (EC 0x18). */
    public GuestFault trapSysReg(int targetEl, int iss) {
        return pend(targetEl, Esr.EC_SYSREG, iss);
    }

    /**
     * Records a trap to {@code targetEl} of the MRS/MSR instruction being executed (EC 0x18), with the ISS
     * (Op0, Op2, Op1, CRn, Rt, CRm, direction) taken from the instruction's encoding. For use by system register
     * readers and writers whose access controls trap (Arm ARM D17.2.37, ISS encoding for EC 0x18).
     */
    public GuestFault trapCurrentSysRegAccess(int targetEl) {
        int word = 0;
        if (codeBytes != null && (pc & ~(long) Page.MASK) == codeVa) {
            word = Bytes.getInt(codeBytes, (int) (pc & Page.MASK));
        }
        return trapSysReg(targetEl, Esr.sysRegIss(word));
    }

    private long deliverPending(long pc) {
        return takeException(pendEl, pendEc, pendIss, pc, pendHasFar, pendFar, 0, pendHasHpfar, pendHpfar);
    }

    /** The EL a synchronous exception from the current EL goes to (EL1 from EL0, EL2 with HCR_EL2.TGE). */
    public int syncTargetEl() {
        return syncTarget();
    }

    /** The EL a stage-1 abort or similar synchronous exception from the current EL goes to. */
    private int syncTarget() {
        if (el == 0) {
            return (el2Enabled() && (sr[HCR_EL2] & HCR_TGE) != 0) ? 2 : 1;
        }
        return el;
    }

    private void recordAbort(boolean fetch, long va, int syn, boolean write, int fsc, boolean stage2,
                             boolean s1ptw, long ipa, boolean stage2Regime) {
        int target = stage2 ? 2 : syncTarget();
        int ec;
        if (fetch) {
            ec = target == el ? Esr.EC_IABT_CUR : Esr.EC_IABT_LOWER;
        } else {
            ec = target == el ? Esr.EC_DABT_CUR : Esr.EC_DABT_LOWER;
        }
        int iss = fsc;
        if (!fetch) {
            if (write && !s1ptw) {
                iss |= Esr.WNR;
            }
            if (stage2 && !s1ptw && target == 2 && (syn & Esr.ISV) != 0) {
                iss |= syn & (Esr.ISV | (3 << Esr.SAS_SHIFT) | Esr.SSE | (31 << Esr.SRT_SHIFT) | Esr.SF | Esr.AR);
            }
        }
        if (s1ptw) {
            iss |= Esr.S1PTW;
        }
        pendEl = target;
        pendEc = ec;
        pendIss = iss;
        pendHasFar = true;
        pendFar = va;
        pendHasHpfar = target == 2 && (stage2 || stage2Regime);
        pendHpfar = (ipa >>> 12) << 4;
    }

    private void recordGpcFault(boolean fetch, long va, int syn, boolean write, int gpc, boolean stage2Regime,
                                boolean onWalk, long ipa) {
        int type = GranuleProtection.faultType(gpc);
        if (type != GranuleProtection.FAIL || (sr[SCR_EL3] & SCR_GPF) != 0) {
            // Granule protection check exception to EL3 (EC 0x1E).
            int iss = (fetch ? 1 << 20 : 0) | (write ? Esr.WNR : 0) | (onWalk ? Esr.S1PTW : 0);
            pendEl = 3;
            pendEc = Esr.EC_GPC;
            pendIss = iss;
            pendHasFar = true;
            pendFar = va;
            pendHasHpfar = false;
            sr[MFAR_EL3] = ipa;
            return;
        }
        int fsc = onWalk ? Esr.FSC_GPF_WALK + GranuleProtection.faultLevel(gpc) : Esr.FSC_GPF;
        boolean toEl2 = el < 2 && stage2Regime && (sr[HCR_EL2] & HCR_GPF) != 0;
        recordAbort(fetch, va, syn, write, fsc, toEl2, onWalk, ipa, stage2Regime);
    }

    /** Takes a synchronous exception without a fault address; returns the vector address. */
    public long takeSync(int targetEl, int ec, int iss, long preferredReturn) {
        return takeException(targetEl, ec, iss, preferredReturn, false, 0, 0, false, 0);
    }

    private long takeSyncWithFar(int targetEl, int ec, int iss, long preferredReturn, long far) {
        return takeException(targetEl, ec, iss, preferredReturn, true, far, 0, false, 0);
    }

    /**
     * Exception entry (Arm ARM D1.10.2): saves PSTATE and the return address in SPSR/ELR of the target EL,
     * writes the syndrome, masks interrupts and branches to the vector. {@code kind} is 0 synchronous, 1 IRQ,
     * 2 FIQ, 3 SError. Returns the vector address (also stored in {@link #pc}).
     */
    public long takeException(int targetEl, int ec, int iss, long preferredReturn, boolean hasFar, long far,
                              int kind, boolean hasHpfar, long hpfar) {
        if (targetEl < el) {
            throw new IllegalStateException("exception to EL" + targetEl + " from EL" + el);
        }
        int fromEl = el;
        SecurityState fromSs = ss;
        long spsr = packPstate();
        long esr = ((long) ec << 26) | Esr.IL | (iss & 0x1FF_FFFFL);
        if (kind == 0) {
            noteSyncException(targetEl, esr, preferredReturn, hasFar ? far : 0);
        }
        if (exclusivePage != null || exclusivePa != -1) {
            clearExclusiveMonitor();
        }
        sr[spsrSlot(targetEl)] = spsr;
        sr[elrSlot(targetEl)] = preferredReturn;
        if (kind == 0) {
            sr[esrSlot(targetEl)] = esr;
            if (hasFar) {
                sr[farSlot(targetEl)] = far;
            }
            if (hasHpfar && targetEl == 2) {
                sr[HPFAR_EL2] = hpfar;
            }
        }
        long offset;
        if (targetEl == fromEl) {
            offset = spSel ? 0x200 : 0;
        } else {
            offset = 0x400;
        }
        offset += kind * 0x80L;
        el = targetEl;
        spSel = true;
        daif = 0x3C0;
        illegalState = false;
        pstateOther &= ~((1L << 21) | (3L << 10)); // SS and BTYPE cleared
        if (targetEl == 1 && (sr[SCTLR_EL1] & SCTLR_SPAN) == 0) {
            pan = true;
        }
        if (targetEl == 3) {
            ss = SecurityState.ROOT;
        }
        waitingForInterrupt = false;
        updateMmuIdx();
        long vector = sr[vbarSlot(targetEl)] + offset;
        pc = vector;
        transitioned = true;
        lastEntry = Firmware.Entry.EXCEPTION;
        lastExceptionKind = kind;
        for (ExceptionListener l : exceptionListeners) {
            l.exceptionTaken(this, fromEl, fromSs, targetEl, kind == 0 ? esr : -1, preferredReturn, kind);
        }
        return vector;
    }

    /**
     * Exception return from the current EL (Arm ARM D1.11): restores PSTATE from SPSR_ELx and jumps to ELR_ELx.
     * An illegal return (to a higher EL, to AArch32, or to a disabled EL2) sets PSTATE.IL and stays at this EL.
     * Returns the new PC.
     */
    public long eret() {
        int from = el;
        long spsr = sr[spsrSlot(from)];
        long elr = sr[elrSlot(from)];
        int m = (int) spsr & 0x1F;
        int tel = (m >>> 2) & 3;
        boolean illegal = (m & 0x10) != 0 || (m & 2) != 0 || tel > from;
        SecurityState newSs = ss;
        if (!illegal && from == 3 && tel < 3) {
            newSs = SecurityState.fromScr(sr[SCR_EL3]);
            illegal = newSs == null;
        }
        if (!illegal && tel == 2) {
            SecurityState s = newSs;
            illegal = s == SecurityState.SECURE && (sr[SCR_EL3] & SCR_EEL2) == 0;
        }
        if (!illegal && tel == 1 && newSs != SecurityState.ROOT && el2Enabled() && (sr[HCR_EL2] & HCR_TGE) != 0) {
            illegal = true;
        }
        if (illegal) {
            unpackPstate(spsr);
            illegalState = true;
        } else {
            unpackPstate(spsr);
            el = tel;
            spSel = (m & 1) != 0;
            if (from == 3 && tel < 3) {
                boolean changed = newSs != ss;
                ss = newSs;
                if (changed) {
                    flushTlb();
                }
            }
        }
        waitingForInterrupt = false;
        updateMmuIdx();
        if (from >= 2) {
            // A hypervisor or firmware may have restored timer and GIC state by plain slot copies.
            timer.update();
            gic.sync();
        }
        pc = elr;
        transitioned = true;
        lastEntry = Firmware.Entry.RETURN;
        returnedSinceException = true; // only identical exceptions with no progress in between stay a loop
        if (exclusivePage != null || exclusivePa != -1) {
            clearExclusiveMonitor();
        }
        for (ExceptionListener l : exceptionListeners) {
            l.exceptionReturned(this, from, el, ss, elr);
        }
        return elr;
    }

    /**
     * Executes SMC #imm as the current software would: traps to EL2 if HCR_EL2.TSC applies, else exception to
     * EL3. Used by instructions and by firmware models that call a higher level.
     */
    public long smc(int imm16) {
        return smcAt(pc, imm16);
    }

    public long smcAt(long pc, int imm16) {
        if (el == 0) {
            throw undefined();
        }
        if (el == 1 && el2Enabled() && (sr[HCR_EL2] & HCR_TSC) != 0) {
            return takeSync(2, Esr.EC_SMC64, imm16, pc);
        }
        if ((sr[SCR_EL3] & SCR_SMD) != 0 && el < 3) {
            throw undefined();
        }
        return takeSync(3, Esr.EC_SMC64, imm16, pc + 4);
    }

    public long hvcAt(long pc, int imm16) {
        if (el == 0 || (sr[SCR_EL3] & SCR_HCE) == 0 || (el == 1 && !el2Enabled())) {
            throw undefined();
        }
        return takeSync(el == 3 ? 3 : 2, Esr.EC_HVC64, imm16, pc + 4);
    }

    public long svcAt(long pc, int imm16) {
        return takeSync(syncTarget(), Esr.EC_SVC64, imm16, pc + 4);
    }

    /** BRK #imm: a breakpoint instruction exception to the current EL (EL1 from EL0). */
    public long brkAt(long pc, int imm16) {
        return takeSync(syncTarget(), Esr.EC_BRK, imm16, pc);
    }

    /** Clears this PE's exclusive monitor (CLREX, exception entry and return). */
    public void clearExclusiveMonitor() {
        domain.release(this);
    }

    /** Invalidates every TLB entry of this PE, and of every PE in its domain if {@code broadcast}. */
    public void tlbInvalidate(boolean broadcast) {
        if (broadcast) {
            domain.broadcast(this, TlbOp.EVERYTHING);
        } else {
            flushTlb();
        }
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
            waitingForInterrupt = true;
            transitioned = true; // leave the fast loop so the run loop can idle
        }
        return pc + 4;
    }

    /** Takes a pending, unmasked physical IRQ or FIQ, or virtual IRQ or FIQ. Returns true if one was taken. */
    private boolean checkInterrupts() {
        if (irqSources != 0 && takeAsync(1, SCR_IRQ, HCR_IMO, 0x80)) {
            return true;
        }
        if (fiqSources != 0 && takeAsync(2, SCR_FIQ, HCR_FMO, 0x40)) {
            return true;
        }
        return virtualLines != 0 && takeVirtual();
    }

    /**
     * Virtual IRQ/FIQ (Arm ARM D1.3.6): taken to EL1 from EL0 or EL1 when EL2 is enabled, HCR_EL2.TGE is 0 and
     * HCR_EL2.IMO/FMO routes the physical kind to EL2, masked by PSTATE.I/F.
     */
    private boolean takeVirtual() {
        if (el > 1 || !el2Enabled()) {
            return false;
        }
        long hcr = sr[HCR_EL2];
        if ((hcr & HCR_TGE) != 0) {
            return false;
        }
        if ((virtualLines & GicCpuInterface.VIRQ) != 0 && (hcr & HCR_IMO) != 0 && (daif & 0x80) == 0) {
            takeException(1, 0, 0, pc, false, 0, 1, false, 0);
            return true;
        }
        if ((virtualLines & GicCpuInterface.VFIQ) != 0 && (hcr & HCR_FMO) != 0 && (daif & 0x40) == 0) {
            takeException(1, 0, 0, pc, false, 0, 2, false, 0);
            return true;
        }
        return false;
    }

    private boolean takeAsync(int kind, long scrBit, long hcrBit, int daifBit) {
        int target;
        if ((sr[SCR_EL3] & scrBit) != 0) {
            target = 3;
        } else if (el <= 2 && el2Enabled() && (sr[HCR_EL2] & (hcrBit | HCR_TGE)) != 0) {
            target = 2;
        } else if (el <= 1) {
            target = 1;
        } else {
            return false; // routed to a lower EL than the current one: stays pending
        }
        if (target < el || (target == el && (daif & daifBit) != 0)) {
            return false;
        }
        takeException(target, 0, 0, pc, false, 0, kind, false, 0);
        return true;
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

    public void addExceptionListener(ExceptionListener l) {
        exceptionListeners.add(l);
    }

    public void removeExceptionListener(ExceptionListener l) {
        exceptionListeners.remove(l);
    }

    // =========================================================================================================
    // Coherence domain, TLB maintenance by ASID and VA, broadcast (helper A1: see CoherenceDomain and TlbOp)
    // =========================================================================================================

    /** The PEs this one shares memory with: broadcast TLBI and the global exclusive monitor. */
    private CoherenceDomain domain;

    /** Joins a machine's coherence domain (the caller adds this PE to it). Done once, before running. */
    public void setCoherenceDomain(CoherenceDomain d) {
        domain = d;
    }

    public CoherenceDomain coherenceDomain() {
        return domain;
    }

    /** Operations posted by other PEs, applied by this PE's own thread (only the owner touches the TLB). */
    private final java.util.concurrent.ConcurrentLinkedQueue<TlbOp> tlbInbox =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong tlbPosted = new java.util.concurrent.atomic.AtomicLong();
    private long tlbAppliedLocal;
    private volatile long tlbAppliedPublished;
    /** True while {@link #execute} runs: a broadcasting PE waits only for PEs that are executing. */
    private volatile boolean executing;

    /** Number of TLB entries that came from a block (larger than 4 KB) mapping since the last full flush. */
    private int blockEntries;
    /** Indices of the non-global entries filled since the last ASID change (each listed once: attr bit 1). */
    private final int[] ngIndices = new int[MMU_COUNT * TLB_SIZE];
    private int ngCount;
    /** VA page of each entry, whatever its permissions (the tags are -1 for denied accesses). */
    private final long[] tlbVa = new long[MMU_COUNT * TLB_SIZE];
    /** The ASID the non-global EL1&0 entries belong to. */
    private int tlbAsid;

    private static final int ATTR_NG = 1, ATTR_LISTED = 2;
    private static final long VA_TAG_BITS = 0x00FF_FFFF_FFFF_F000L;

    long postTlbOp(TlbOp op) {
        tlbInbox.add(op);
        return tlbPosted.incrementAndGet();
    }

    /** Whether this PE has applied the operation with sequence number {@code seq}, or will before it executes. */
    boolean tlbOpApplied(long seq) {
        return !executing || tlbAppliedPublished >= seq;
    }

    void drainTlbInbox() {
        long posted = tlbPosted.get();
        if (posted == tlbAppliedLocal) {
            return;
        }
        TlbOp op;
        while ((op = tlbInbox.poll()) != null) {
            applyTlbOp(op);
        }
        tlbAppliedLocal = posted;
        tlbAppliedPublished = posted;
    }

    /** ASID of the EL1&0 regime: TTBR0 or TTBR1 by TCR_EL1.A1, 8 or 16 bits by TCR_EL1.AS. */
    private int currentAsid() {
        long tcr = sr[TCR_EL1];
        long ttbr = ((tcr >>> 22) & 1) != 0 ? sr[TTBR1_EL1] : sr[TTBR0_EL1];
        return (int) (ttbr >>> 48) & (((tcr >>> 36) & 1) != 0 ? 0xFFFF : 0xFF);
    }

    /**
     * A TTBR0_EL1/TTBR1_EL1 write: if the ASID changed, the non-global EL1&0 entries (the old process's) go; global
     * entries (the kernel's) stay. A new table base under the same ASID needs a TLBI, as on hardware.
     */
    void onTtbrWrite() {
        int asid = currentAsid();
        if (asid != tlbAsid) {
            dropNonGlobal();
            tlbAsid = asid;
        }
    }

    private void dropNonGlobal() {
        for (int k = 0; k < ngCount; k++) {
            int i = ngIndices[k];
            if ((tlbAttr[i] & ATTR_NG) != 0) {
                invalidateEntry(i);
            }
            tlbAttr[i] &= ~ATTR_LISTED;
        }
        ngCount = 0;
        codeVa = -1;
    }

    /**
     * Granule protection checks that passed, cached like TLB entries (the Arm ARM lets GPT information be cached
     * in TLBs; TLBI PAALL/RPA*, GPCCR/GPTBR writes and world switches flush them with the TLB): key
     * (granule << 2 | PAS) + 1 in a direct-mapped table. Table walks check every descriptor's granule, so without
     * this a TLB miss costs a GPT walk per translation table level of both stages.
     */
    private final long[] gpcPassed = new long[1024];

    /** GranuleProtectionCheck() of a translation or table walk access, with the cache above. */
    public int granuleCheck(long pa, Pas pas) {
        long granule = pa >>> Page.SHIFT;
        long key = ((granule << 2) | pas.ordinal()) + 1;
        int idx = (int) granule & (gpcPassed.length - 1);
        if (gpcPassed[idx] == key) {
            return GranuleProtection.OK;
        }
        int r = GranuleProtection.check(memory, sr[GPCCR_EL3], sr[GPTBR_EL3], memory.paBits(), pa, pas);
        if (r == GranuleProtection.OK) {
            gpcPassed[idx] = key;
            tlbFilled = true;
        }
        return r;
    }

    /** Whether any entry was filled since the last full flush. */
    private boolean tlbFilled = true;

    private void noteTlbFill(int i, boolean global, int sizeShift) {
        tlbFilled = true;
        tlbVa[i] = tlbVa(i);
        int listed = tlbAttr[i] & ATTR_LISTED;
        int attr = (sizeShift << 8) | listed;
        if (sizeShift > Page.SHIFT) {
            blockEntries++;
        }
        if (!global && (i >>> TLB_BITS) <= MMU_EL10_1_PAN) {
            attr |= ATTR_NG;
            if (listed == 0) {
                attr |= ATTR_LISTED;
                ngIndices[ngCount++] = i;
            }
        }
        tlbAttr[i] = attr;
    }

    private long pendingFillVa;

    private long tlbVa(int i) {
        return pendingFillVa & PAGE_TAG_MASK;
    }

    private void invalidateEntry(int i) {
        tlbRead[i] = -1;
        tlbWrite[i] = -1;
        tlbExec[i] = -1;
        tlbPage[i] = null;
        tlbAttr[i] &= ATTR_LISTED;
    }

    /** The registers the TLB's entries were filled under (see {@link #revalidateTranslation}). */
    private final long[] tlbContext = new long[TLB_CONTEXT_SLOTS.length + 1];
    private static final int[] TLB_CONTEXT_SLOTS = {VTTBR_EL2, VTCR_EL2, SCTLR_EL1, TCR_EL1, MAIR_EL1, SCTLR_EL2,
        TCR_EL2, TTBR0_EL2, MAIR_EL2, SCTLR_EL3, TCR_EL3, TTBR0_EL3, MAIR_EL3, GPTBR_EL3, GPCCR_EL3};

    private void snapshotTranslationContext() {
        for (int k = 0; k < TLB_CONTEXT_SLOTS.length; k++) {
            tlbContext[k] = sr[TLB_CONTEXT_SLOTS[k]];
        }
        tlbContext[TLB_CONTEXT_SLOTS.length] = (sr[HCR_EL2] & HCR_TRANSLATION_BITS) | ((long) ss.ordinal() << 60);
    }

    /**
     * For hypervisor models that write a vCPU's registers directly into {@link #sr} before entering it: keeps the
     * TLB when the translation registers are those its entries were filled under (same VMID and stage-2 setup,
     * same stage-1 controls), drops only the non-global entries when just the ASID differs, and flushes
     * otherwise. Like KVM, the caller must flush instead when another vCPU (or this vCPU on another PE) ran on
     * this PE in between, and must invalidate explicitly when it changes stage-2 tables.
     */
    public void revalidateTranslation() {
        boolean same = tlbContext[TLB_CONTEXT_SLOTS.length]
                == ((sr[HCR_EL2] & HCR_TRANSLATION_BITS) | ((long) ss.ordinal() << 60));
        for (int k = 0; same && k < TLB_CONTEXT_SLOTS.length; k++) {
            same = tlbContext[k] == sr[TLB_CONTEXT_SLOTS[k]];
        }
        if (!same) {
            onTranslationRegimeChange();
            return;
        }
        onTtbrWrite();
        updateMmuIdx();
    }

    /** Applies one invalidation to this PE's TLB (called by the owning thread only). */
    void applyTlbOp(TlbOp op) {
        codeVa = -1;
        for (int r = 0; r < MMU_COUNT; r++) {
            int regime = r <= MMU_EL10_1_PAN ? TlbOp.EL10 : r == MMU_EL2 ? TlbOp.EL2 : r == MMU_EL3 ? TlbOp.EL3 : 0;
            if ((op.regimes() & regime) == 0) {
                continue;
            }
            int base = r << TLB_BITS;
            switch (op.kind()) {
                case TlbOp.ALL:
                    for (int i = base; i < base + TLB_SIZE; i++) {
                        invalidateEntry(i);
                    }
                    break;
                case TlbOp.BY_ASID:
                    if (regime == TlbOp.EL10 && op.asid() == tlbAsid) {
                        for (int i = base; i < base + TLB_SIZE; i++) {
                            if ((tlbAttr[i] & ATTR_NG) != 0) {
                                invalidateEntry(i);
                            }
                        }
                    }
                    break;
                default: {
                    boolean anyAsid = op.kind() == TlbOp.BY_VA_ALL_ASID || regime != TlbOp.EL10
                            || op.asid() == tlbAsid;
                    long va = op.va() & VA_TAG_BITS;
                    if (blockEntries == 0) {
                        int i = base | ((int) (op.va() >>> Page.SHIFT) & TLB_MASK);
                        if (tlbPage[i] != null || tlbRead[i] != -1 || tlbWrite[i] != -1 || tlbExec[i] != -1) {
                            if ((tlbVa[i] & VA_TAG_BITS) == va && (anyAsid || (tlbAttr[i] & ATTR_NG) == 0)) {
                                invalidateEntry(i);
                            }
                        }
                    } else {
                        for (int i = base; i < base + TLB_SIZE; i++) {
                            long size = 1L << (tlbAttr[i] >>> 8);
                            if (((tlbVa[i] ^ va) & VA_TAG_BITS & -size) == 0
                                    && (anyAsid || (tlbAttr[i] & ATTR_NG) == 0)) {
                                invalidateEntry(i);
                            }
                        }
                    }
                }
            }
        }
        if (op.kind() == TlbOp.ALL && op.regimes() == TlbOp.ALL_REGIMES) {
            flushTlb();
        }
    }

    /** TLB maintenance on this PE, and on every PE of the domain if {@code broadcast} (TLBI ...IS, HCR_EL2.FB). */
    public void tlbMaintenance(TlbOp op, boolean broadcast) {
        if (broadcast) {
            domain.broadcast(this, op);
        } else {
            applyTlbOp(op);
        }
    }

    // =========================================================================================================
    // Atomic and exclusive accesses, alignment (helper A1)
    // =========================================================================================================

    /** The physical address marked by the last load-exclusive, or -1; its page (null for a device or none). */
    long exclusivePa = -1;
    Page exclusivePage;
    /** Set by another PE's store to the marked granule (under the domain's lock). */
    volatile boolean exclusiveLost;
    private int exclusiveSize;
    private long exclusiveValue, exclusiveValue2;

    /** Sets the exclusive monitor on {@code pa} with the values the load-exclusive returned. */
    public void markExclusive(long va, Page page, long pa, int size, long v1, long v2) {
        domain.mark(this, page, pa);
        exclusiveVa = va;
        exclusiveSize = size;
        exclusiveValue = v1;
        exclusiveValue2 = v2;
    }

    /** The VA the last load-exclusive used (QEMU and this model fail a store-exclusive to another VA early). */
    public long exclusiveVa() {
        return exclusivePa == -1 ? -1 : exclusiveVa;
    }

    private long exclusiveVa;

    /** Whether a store-exclusive of {@code size} bytes to {@code pa} may succeed (the monitor still holds it). */
    public boolean exclusivePasses(long pa, int size) {
        return exclusivePa == pa && exclusiveSize == size && !exclusiveLost;
    }

    public long exclusiveValue() {
        return exclusiveValue;
    }

    public long exclusiveValue2() {
        return exclusiveValue2;
    }

    /** Physical address marked by the exclusive monitor, or -1 (for tests and debuggers). */
    public long exclusiveAddress() {
        return exclusivePa;
    }

    /** Lock that atomic operations on device memory and 128-bit atomics take. */
    public Object atomicLock() {
        return domain;
    }

    /**
     * Translates {@code va} for an access that needs write and/or read permission (an atomic or an exclusive) and
     * returns its TLB index; the page is {@link #tlbPageAt} (null for a device) and the PA {@link #tlbPaAt}.
     */
    public int translateData(long va, boolean needRead, boolean needWrite, int syn) {
        int i = (mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        // The read is checked first: a location that allows neither access faults as a read (WnR = 0), one that
        // is read-only faults on the write (WnR = 1), as when the read and the write are performed in order.
        if (needRead && tlbRead[i] != vpage && tlbRead[i] != (vpage | 1)) {
            fill(va, Mmu.READ, syn);
        }
        if (needWrite && tlbWrite[i] != vpage && tlbWrite[i] != (vpage | 1)) {
            fill(va, Mmu.WRITE, syn);
        }
        DebugHook hook = debugHook;
        if (hook != null) {
            hook.dataAccess(this, va, 1, needWrite); // a watchpoint on the first byte of an atomic or exclusive
        }
        return i;
    }

    public Page tlbPageAt(int i) {
        return tlbPage[i];
    }

    public long tlbPaAt(int i, long va) {
        return tlbPa[i] | (va & Page.MASK);
    }

    /** After an atomic or exclusive store into {@code p}: keep decoded code and other PEs' monitors coherent. */
    public void afterAtomicStore(Page p, int off, int size) {
        if (p.code != null) {
            p.invalidateCode(off, size);
        }
        if (p.monitors != 0) {
            domain.onStore(this, p, off, size);
        }
    }

    /** Whether SCTLR_ELx.A of the current translation regime asks for alignment checks on every data access. */
    private boolean alignmentChecked() {
        return (sr[sctlrSlot(el)] & SCTLR_A) != 0;
    }

    /** Records an alignment fault (DFSC 0b100001) on a data access to {@code va} and returns the fault to throw. */
    public GuestFault alignmentFault(long va, boolean write, int syn) {
        recordAbort(false, va, syn, write, Esr.FSC_ALIGNMENT, false, false, 0, false);
        return GuestFault.INSTANCE;
    }

    /** Accesses that must be naturally aligned whatever SCTLR.A says (exclusives, atomics, acquire/release). */
    public void checkAligned(long va, int size, boolean write, int syn) {
        if ((va & (size - 1)) != 0) {
            throw alignmentFault(va, write, syn);
        }
    }

    /**
     * CheckSPAlignment(): a load or store whose base register is SP faults (EC 0x26) when SP is not 16-byte
     * aligned and SCTLR_ELx.SA (SA0 at EL0) is set. Called only by instructions decoded with Rn = 31.
     */
    public void checkSpAlignment(long sp) {
        if ((sp & 15) != 0) {
            long sctlr = sr[sctlrSlot(el)];
            if ((sctlr & (el == 0 ? 1L << 4 : SCTLR_SA)) != 0) {
                throw pend(syncTarget(), Esr.EC_SP_ALIGN, 0);
            }
        }
    }

    /**
     * An unprivileged load (LDTR family): at EL1 it is checked with EL0 permissions (Arm ARM C3.2.5); elsewhere it
     * is an ordinary load. PSTATE.UAO is not implemented, so there is no exception to that rule.
     */
    public long readUnprivileged(long va, int size, int syn) {
        if (el != 1) {
            return read(va, size, syn);
        }
        int saved = mmuIdx;
        mmuIdx = MMU_EL10_0;
        try {
            return read(va, size, syn);
        } finally {
            mmuIdx = saved;
        }
    }

    public void writeUnprivileged(long va, int size, long value, int syn) {
        if (el != 1) {
            write(va, size, value, syn);
            return;
        }
        int saved = mmuIdx;
        mmuIdx = MMU_EL10_0;
        try {
            write(va, size, value, syn);
        } finally {
            mmuIdx = saved;
        }
    }

    /** Records a data abort for a cache maintenance instruction by VA (ISS.CM = 1, WnR = 1). */
    public int translateForMaintenance(long va, boolean needWrite, boolean checkPerms) {
        if (!checkPerms) {
            // Permission faults are not generated (Arm ARM D7.5.9); translation and access flag faults are.
            if (!mmu.translate(this, va, Mmu.READ, mmuIdx) && !isPermissionFault(mmu.faultFsc) ) {
                recordAbort(false, va, 0, true, mmu.faultFsc, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa,
                        mmu.faultStage2Regime);
                pendIss |= Esr.CM;
                throw GuestFault.INSTANCE;
            }
            return 0;
        }
        try {
            translateData(va, !needWrite, needWrite, 0);
        } catch (GuestFault f) {
            pendIss |= Esr.CM | Esr.WNR;
            throw f;
        }
        return 0;
    }

    private static boolean isPermissionFault(int fsc) {
        return (fsc & ~3) == Esr.FSC_PERMISSION;
    }

    /** The MMU of this PE (AT instructions use it without touching the TLB). */
    public Mmu mmu() {
        return mmu;
    }

    // =========================================================================================================
    // Abnormal stops: exception loops and internal errors (helper A1)
    // =========================================================================================================

    /** Identical nested synchronous exceptions (same target EL, ESR and ELR, no return between) that mean a loop. */
    public static final int EXCEPTION_LOOP_LIMIT = 8;
    /**
     * Identical synchronous exceptions with exception returns in between but no instruction completed between
     * them (only the faulting attempt ran) that mean a loop: a hypervisor or the RMM injecting an abort whose
     * vector faults the same way again. Higher than {@link #EXCEPTION_LOOP_LIMIT} because a hypervisor may
     * legitimately retry an access a few times while it resolves a fault in steps.
     */
    public static final int NO_PROGRESS_LIMIT = 64;

    private StopReason abnormalStop;
    private StopReport stopReport;
    private Throwable internalErrorCause;
    private int lastExcEl = -1, sameExceptionCount;
    private long lastExcEsr, lastExcElr, lastExcInstructions;
    private int lastExcFromEl, prevExcEl = -1, prevExcFromEl;
    private SecurityState lastExcSs = SecurityState.ROOT, prevExcSs = SecurityState.ROOT;
    private long prevExcEsr, prevExcElr;
    /** An exception return happened since the last synchronous exception / during the current run of them. */
    private boolean returnedSinceException, loopHadReturns;

    /** The report of the last EXCEPTION_LOOP or INTERNAL_ERROR stop, or null. */
    public StopReport stopReport() {
        return stopReport;
    }

    /** The Java exception behind the last INTERNAL_ERROR stop, or null. */
    public Throwable internalErrorCause() {
        return internalErrorCause;
    }

    private void noteSyncException(int targetEl, long esr, long elr, long far) {
        if (firmware[el * 4 + ss.ordinal()] != null) {
            return; // a Java model's own call (an SMC to EL3): deliberate, and it executes no instructions
        }
        boolean same = targetEl == lastExcEl && esr == lastExcEsr && elr == lastExcElr;
        // The instruction count has not yet counted the attempt that raised this exception: one more than at
        // the last exception means nothing completed in between.
        boolean noProgress = instructions - lastExcInstructions <= 1;
        boolean returned = returnedSinceException;
        lastExcInstructions = instructions;
        returnedSinceException = false;
        if (same && (!returned || noProgress)) {
            loopHadReturns |= returned;
            int limit = loopHadReturns ? NO_PROGRESS_LIMIT : EXCEPTION_LOOP_LIMIT;
            if (++sameExceptionCount >= limit) {
                abnormalStop = StopReason.EXCEPTION_LOOP;
                String how = loopHadReturns
                        ? " times in a row (to EL" + targetEl + ") with no instruction completing in between"
                        : " times in a row (to EL" + targetEl + ") without an exception return";
                String before = prevExcEl < 0 ? null : String.format("before the loop: EL%d %s pc=%#x took %s "
                        + "(esr=%#x) to EL%d", prevExcFromEl, prevExcSs.shortName(), prevExcElr,
                        Esr.ecName(Esr.ec(prevExcEsr)), prevExcEsr, prevExcEl);
                stopReport = new StopReport("exception loop: the same exception was taken " + sameExceptionCount
                        + how, el, ss, elr, esr, far, elr, wordAt(elr), before);
                sameExceptionCount = 0;
                loopHadReturns = false;
                transitioned = true;
            }
        } else {
            prevExcEl = lastExcEl;
            prevExcFromEl = lastExcFromEl;
            prevExcSs = lastExcSs;
            prevExcEsr = lastExcEsr;
            prevExcElr = lastExcElr;
            lastExcEl = targetEl;
            lastExcFromEl = el;
            lastExcSs = ss;
            lastExcEsr = esr;
            lastExcElr = elr;
            sameExceptionCount = 1;
            loopHadReturns = false;
        }
    }

    private void internalError(long pc, Throwable e) {
        internalErrorCause = e;
        abnormalStop = StopReason.INTERNAL_ERROR;
        stopReport = new StopReport("emulator internal error (" + e + ")", el, ss, pc,
                sr[esrSlot(Math.max(el, 1))], sr[farSlot(Math.max(el, 1))], sr[elrSlot(Math.max(el, 1))], wordAt(pc));
        transitioned = true;
    }

    /** The instruction word at {@code va} if it is in the current code page, else -1 (no side effects). */
    private long wordAt(long va) {
        if (codeBytes != null && (va & 0xFFFF_FFFF_FFFF_F003L) == codeVa) {
            return Bytes.getInt(codeBytes, (int) (va & Page.MASK)) & 0xFFFF_FFFFL;
        }
        return -1;
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
