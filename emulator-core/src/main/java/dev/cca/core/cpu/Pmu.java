package dev.cca.core.cpu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The Performance Monitors Extension of one PE (Arm ARM D13, FEAT_PMUv3p5): {@link #COUNTERS} event counters and
 * the cycle counter, all 64 bits wide, with PMCR_EL0, the enable, overflow and interrupt-enable set/clear
 * registers, PMSELR_EL0 and the PMXEV* views, PMSWINC_EL0, PMUSERENR_EL0, PMCEID0/1_EL0 and PMMIR_EL1; the
 * filters by exception level and security state of PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 (P, U, NSK, NSU, NSH, M and
 * the Realm bits RLK, RLU, RLH); the EL2 partition of MDCR_EL2 (HPMN, HPME, HPMD, HCCD, HLP) and its traps (TPM,
 * TPMCR); MDCR_EL3.TPM, SPME and SCCD; and the overflow interrupt, a level-sensitive PPI ({@link #PPI}).
 *
 * <p>Events counted (all exactly; docs/cpu-features.md): SW_INCR, INST_RETIRED, EXC_TAKEN, EXC_RETURN,
 * CPU_CYCLES, MEM_ACCESS, INST_SPEC, CHAIN, STALL_FRONTEND and STALL_BACKEND. Instructions are the time base
 * (docs/time.md): one cycle per instruction the engine executes, so the cycle counter counts the instruction
 * counter's ticks, INST_RETIRED and INST_SPEC count the instructions that complete (an instruction that takes a
 * synchronous exception does not, except SVC, HVC and SMC), and no cycle is a stall cycle.
 *
 * <p>Counting is lazy: the instruction counts are computed from {@link Cpu#instructions}, the count the engine
 * keeps anyway, at the points where what counts may change: exception entry and return, accesses to PMU and
 * MDCR registers, the time event the run loop raises where a counter overflows ({@link #deadline}), and the
 * memory-access count's overflow point in {@link Tlb}. Nothing runs per instruction, and with no counter
 * enabled nothing runs at all but one flag test per exception entry and return and per data access.
 *
 * <p>An instruction's own events belong to the state before it executes: the MSR that sets PMCR_EL0.E is not
 * counted, the one that clears it is; an SVC is counted at the exception level it was executed at. Java firmware
 * models execute no instructions and count nothing.
 */
public final class Pmu {
    /** Event counters implemented (PMCR_EL0.N). */
    public static final int COUNTERS = 6;
    /** Index of the cycle counter in the counter, enable and overflow bit maps. */
    public static final int CYCLE = 31;
    /** The PMU overflow interrupt: PPI 7, INTID 23 (Arm BSA). */
    public static final int PPI = 23;

    // Common event numbers.
    public static final int SW_INCR = 0x00, INST_RETIRED = 0x08, EXC_TAKEN = 0x09, EXC_RETURN = 0x0A,
            CPU_CYCLES = 0x11, MEM_ACCESS = 0x13, INST_SPEC = 0x1B, CHAIN = 0x1E, STALL_FRONTEND = 0x23,
            STALL_BACKEND = 0x24;
    /** PMCEID0_EL0: the common events 0x00-0x1F counted. */
    public static final long PMCEID0 = (1L << SW_INCR) | (1L << INST_RETIRED) | (1L << EXC_TAKEN)
            | (1L << EXC_RETURN) | (1L << CPU_CYCLES) | (1L << MEM_ACCESS) | (1L << INST_SPEC) | (1L << CHAIN);
    /** PMCEID1_EL0: the common events 0x20-0x3F counted. */
    public static final long PMCEID1 = (1L << (STALL_FRONTEND - 32)) | (1L << (STALL_BACKEND - 32));

    // PMCR_EL0
    public static final long PMCR_E = 1, PMCR_P = 2, PMCR_C = 4, PMCR_DP = 1L << 5, PMCR_LC = 1L << 6,
            PMCR_LP = 1L << 7;
    static final int PMCR_N_SHIFT = 11;
    // MDCR_EL2
    public static final long MDCR_HPMN_MASK = 0x1F, MDCR_TPMCR = 1L << 5, MDCR_TPM = 1L << 6,
            MDCR_HPME = 1L << 7, MDCR_HPMD = 1L << 17, MDCR_HCCD = 1L << 23, MDCR_HLP = 1L << 26;
    // MDCR_EL3
    public static final long MDCR3_TPM = 1L << 6, MDCR3_SPME = 1L << 17, MDCR3_SCCD = 1L << 23;
    // PMEVTYPER / PMCCFILTR filter bits
    static final long F_P = 1L << 31, F_U = 1L << 30, F_NSK = 1L << 29, F_NSU = 1L << 28, F_NSH = 1L << 27,
            F_M = 1L << 26, F_RLK = 1L << 22, F_RLU = 1L << 21, F_RLH = 1L << 20;
    static final long TYPER_MASK = F_P | F_U | F_NSK | F_NSU | F_NSH | F_M | F_RLK | F_RLU | F_RLH | 0xFFFF;
    static final long CCFILTR_MASK = TYPER_MASK & ~0xFFFFL;
    // PMUSERENR_EL0
    public static final long USERENR_EN = 1, USERENR_SW = 2, USERENR_CR = 4, USERENR_ER = 8;

    private static final long M32 = 0xFFFF_FFFFL;
    private static final long ALL = (1L << CYCLE) | ((1L << COUNTERS) - 1);

    /**
     * The state a hypervisor or the RMM switches per vCPU or REC, in the order of {@link #save}: PMCR_EL0 (E, DP,
     * LP), PMSELR_EL0, PMUSERENR_EL0, PMCNTENSET_EL0, PMINTENSET_EL1, PMOVSSET_EL0, PMCCFILTR_EL0, PMCCNTR_EL0,
     * then PMEVTYPER<n>_EL0 and PMEVCNTR<n>_EL0 for each event counter.
     */
    public static final int CONTEXT_LENGTH = 8 + 2 * COUNTERS;

    private final Cpu cpu;
    private long pmcr = PMCR_LC;
    private long selr, userenr, cntEn, intEn, ovs;
    /** Counter values, index {@link #CYCLE} the cycle counter. */
    private final long[] cnt = new long[32];
    /** PMEVTYPER<n>_EL0, index {@link #CYCLE} PMCCFILTR_EL0. */
    private final long[] typer = new long[32];

    // ---- lazy counting --------------------------------------------------------------------------------------
    /** Some counter may be counting: exception entry and return must account for the instructions so far. */
    private boolean active;
    /** {@link Cpu#instructions} up to which instructions have been counted. */
    private long syncedInsns;
    /** {@link Tlb#memAccesses} up to which data accesses have been counted. */
    private long syncedMem;
    /** Counters counting, in the current state, cycles / completed instructions / data accesses / ... */
    private long cycMask, retMask, memMask, excTakenMask, excReturnMask, swIncMask;
    /** The counter value ({@link GenericTimer#localCount}) at which an instruction-driven counter overflows. */
    long deadline = Long.MAX_VALUE;
    private boolean irqLine;

    Pmu(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Cold reset: counters disabled, MDCR_EL2.HPMN = N (all counters for EL1 and EL0). */
    void reset() {
        pmcr = PMCR_LC;
        selr = userenr = cntEn = intEn = ovs = 0;
        java.util.Arrays.fill(cnt, 0);
        java.util.Arrays.fill(typer, 0);
        cpu.sr[MDCR_EL2] = (cpu.sr[MDCR_EL2] & ~MDCR_HPMN_MASK) | COUNTERS;
        reload();
    }

    // =========================================================================================================
    // Counting
    // =========================================================================================================

    /**
     * Whether a guest instruction is being executed, which the engine counts in {@link Cpu#instructions} after it
     * completes (or takes its exception): false for Java models, the host and tools acting on the PE.
     */
    private boolean inFlight() {
        return cpu.engine.executing;
    }

    /**
     * Adds the events since the last sync to the counters counting in the current state. {@code extraCycles}
     * and {@code extraRetired} (0 or 1) count the instruction in flight, which the engine has not counted yet.
     */
    private void accumulate(int extraCycles, int extraRetired, int excTaken, int excReturn) {
        long cyc = cpu.instructions - syncedInsns + extraCycles;
        long ret = cyc - extraCycles + extraRetired;
        long mem = cpu.tlb.memAccesses - syncedMem;
        syncedInsns = cpu.instructions;
        syncedMem = cpu.tlb.memAccesses;
        if (!active || (cyc | mem | excTaken | excReturn) == 0) {
            return;
        }
        long m = (cycMask | retMask | memMask | excTakenMask | excReturnMask);
        for (int n = 0; m != 0; n++, m >>>= 1) {
            if ((m & 1) == 0) {
                continue;
            }
            long bit = 1L << n;
            long d = (cycMask & bit) != 0 ? cyc : (retMask & bit) != 0 ? ret : (memMask & bit) != 0 ? mem
                    : (excTakenMask & bit) != 0 ? excTaken : excReturn;
            if (d != 0) {
                add(n, d);
            }
        }
    }

    /** Adds {@code d} to counter {@code n}: overflow status and the CHAIN event of the odd neighbour. */
    private void add(int n, long d) {
        long old = cnt[n];
        long v = old + d;
        cnt[n] = v;
        long overflows;
        boolean lp = n == CYCLE || longCounter(n);
        if (lp) {
            overflows = Long.compareUnsigned(v, old) < 0 ? 1 : 0;
        } else {
            overflows = ((old & M32) + d) >>> 32;
        }
        if (overflows == 0) {
            return;
        }
        ovs |= 1L << n;
        if (n != CYCLE && !lp && (n & 1) == 0 && n + 1 < COUNTERS && counting(n + 1)
                && (typer[n + 1] & 0xFFFF) == CHAIN) {
            add(n + 1, overflows);
        }
    }

    /** Whether event counter {@code n} overflows at 64 bits (PMCR_EL0.LP, or MDCR_EL2.HLP if reserved for EL2). */
    private boolean longCounter(int n) {
        return reservedForEl2(n) ? (cpu.sr[MDCR_EL2] & MDCR_HLP) != 0 : (pmcr & PMCR_LP) != 0;
    }

    /** The number of counters EL1 and EL0 may use: MDCR_EL2.HPMN, or N when EL2 is not enabled. */
    private int hpmn() {
        int h = (int) (cpu.sr[MDCR_EL2] & MDCR_HPMN_MASK);
        return Math.min(h, COUNTERS);
    }

    /** PMUCounterIsHyp(): counter {@code n} is reserved for EL2 by MDCR_EL2.HPMN. */
    private boolean reservedForEl2(int n) {
        return n != CYCLE && cpu.el2Enabled() && n >= hpmn();
    }

    /** AArch64.CountPMUEvents(n) in the current state (Arm ARM D13, the pseudocode with FEAT_RME). */
    private boolean counting(int n) {
        if ((cntEn & (1L << n)) == 0) {
            return false;
        }
        long[] sr = cpu.sr;
        boolean hyp = reservedForEl2(n);
        boolean enabled = hyp ? (sr[MDCR_EL2] & MDCR_HPME) != 0 : (pmcr & PMCR_E) != 0;
        if (!enabled) {
            return false;
        }
        int el = cpu.el;
        SecurityState ss = cpu.ss;
        boolean prohibited = false;
        if (ss == SecurityState.SECURE || el == 3) {
            prohibited = (sr[MDCR_EL3] & MDCR3_SPME) == 0;
        }
        if (!prohibited && el == 2 && !hyp) {
            prohibited = (sr[MDCR_EL2] & MDCR_HPMD) != 0;
        }
        if (n == CYCLE) {
            if (prohibited && (pmcr & PMCR_DP) == 0) {
                prohibited = false; // without DP, prohibition does not stop the cycle counter
            }
            if ((ss == SecurityState.SECURE || el == 3) && (sr[MDCR_EL3] & MDCR3_SCCD) != 0) {
                prohibited = true;
            }
            if (el == 2 && (sr[MDCR_EL2] & MDCR_HCCD) != 0) {
                prohibited = true;
            }
        }
        if (prohibited) {
            return false;
        }
        long f = typer[n];
        boolean filtered;
        switch (el) {
            case 0:
                filtered = ss == SecurityState.SECURE ? (f & F_U) != 0
                        : ss == SecurityState.REALM ? bit(f, F_U) != bit(f, F_RLU) : bit(f, F_U) != bit(f, F_NSU);
                break;
            case 1:
                filtered = ss == SecurityState.SECURE ? (f & F_P) != 0
                        : ss == SecurityState.REALM ? bit(f, F_P) != bit(f, F_RLK) : bit(f, F_P) != bit(f, F_NSK);
                break;
            case 2:
                filtered = ss == SecurityState.NON_SECURE ? (f & F_NSH) == 0
                        : ss == SecurityState.REALM ? bit(f, F_NSH) == bit(f, F_RLH) : (f & F_NSH) != 0;
                break;
            default:
                filtered = bit(f, F_M) != bit(f, F_P);
                break;
        }
        return !filtered;
    }

    private static boolean bit(long v, long b) {
        return (v & b) != 0;
    }

    /**
     * Recomputes, for the current state, which counter counts what, the overflow interrupt's level and the next
     * overflow point of an instruction-driven counter. Called after every change of state that may matter.
     */
    private void recompute() {
        long cyc = 0, ret = 0, mem = 0, exc = 0, eret = 0, sw = 0;
        boolean any = false;
        for (int n = 0; n < 32; n++) {
            if (n == COUNTERS) {
                n = CYCLE;
            }
            if ((cntEn & (1L << n)) == 0 || !counting(n)) {
                continue;
            }
            long bit = 1L << n;
            any = true;
            if (n == CYCLE) {
                cyc |= bit;
                continue;
            }
            switch ((int) (typer[n] & 0xFFFF)) {
                case CPU_CYCLES: cyc |= bit; break;
                case INST_RETIRED: case INST_SPEC: ret |= bit; break;
                case MEM_ACCESS: mem |= bit; break;
                case EXC_TAKEN: exc |= bit; break;
                case EXC_RETURN: eret |= bit; break;
                case SW_INCR: sw |= bit; break;
                default: break; // CHAIN counts its neighbour's overflows; others never increment
            }
        }
        cycMask = cyc;
        retMask = ret;
        memMask = mem;
        excTakenMask = exc;
        excReturnMask = eret;
        swIncMask = sw;
        // Even when nothing counts here, a change of exception level or security state may start counting.
        active = any || cntEn != 0;
        // Exact overflow points: instruction-driven counters by a time event, data accesses in Tlb.
        long dist = Long.MAX_VALUE;
        for (long m = cyc | ret; m != 0; m &= m - 1) {
            int n = Long.numberOfTrailingZeros(m);
            long left = n == CYCLE || longCounter(n) ? -cnt[n] : (1L << 32) - (cnt[n] & M32);
            if (left != 0 && Long.compareUnsigned(left, dist) < 0) {
                dist = left;
            }
        }
        long now = cpu.timer.localCount();
        long next = dist == Long.MAX_VALUE || dist > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + dist;
        if (next != deadline) {
            if (next < deadline) {
                cpu.transitioned = true; // end the engine's chunk: the overflow may come before it would end
            }
            deadline = next;
            cpu.rescheduleTimeEvents();
        }
        long memDist = Long.MAX_VALUE;
        for (long m = mem; m != 0; m &= m - 1) {
            int n = Long.numberOfTrailingZeros(m);
            long left = longCounter(n) ? -cnt[n] : (1L << 32) - (cnt[n] & M32);
            if (left != 0 && Long.compareUnsigned(left, memDist) < 0) {
                memDist = left;
            }
        }
        Tlb tlb = cpu.tlb;
        tlb.countMem = mem != 0;
        tlb.memOverflowAt = memDist == Long.MAX_VALUE ? Long.MAX_VALUE : tlb.memAccesses + memDist;
        updateIrq();
    }

    /** CheckForPMUOverflow(): the interrupt request level, driven onto the PPI when it changes. */
    private void updateIrq() {
        long e = 0;
        if ((pmcr & PMCR_E) != 0) {
            e |= (1L << CYCLE) | ((1L << hpmnForIrq()) - 1);
        }
        if ((cpu.sr[MDCR_EL2] & MDCR_HPME) != 0) {
            e |= ((1L << COUNTERS) - 1) & ~((1L << hpmnForIrq()) - 1);
        }
        boolean level = (ovs & intEn & e) != 0;
        if (level != irqLine) {
            irqLine = level;
            cpu.gic.setPpiLine(PPI, level);
        }
    }

    /** HPMN as it partitions the counters for the interrupt (EL2 implemented: regardless of the current state). */
    private int hpmnForIrq() {
        return Math.min((int) (cpu.sr[MDCR_EL2] & MDCR_HPMN_MASK), COUNTERS);
    }

    /** Whether the PMU's overflow interrupt request is asserted. */
    public boolean irqAsserted() {
        return irqLine;
    }

    /** Brings the counters up to date (no instruction in flight), as firmware or a debugger sees them. */
    public void sync() {
        accumulate(0, 0, 0, 0);
        recompute();
    }

    /**
     * Recomputes everything from the registers after firmware changed MDCR_EL2 or MDCR_EL3 directly, or restored
     * state: the instructions so far are not counted again.
     */
    public void reload() {
        syncedInsns = cpu.instructions;
        syncedMem = cpu.tlb.memAccesses;
        recompute();
    }

    // ---- hooks of the engine and the exception model --------------------------------------------------------

    /** The run loop reached {@link #deadline}: an instruction-driven counter overflows now. */
    void timeEvent() {
        sync();
    }

    /** A data access reached the overflow point of a MEM_ACCESS counter (called by {@link Tlb}). */
    void memOverflow() {
        sync();
    }

    /**
     * Before exception entry from the current state. {@code sync}: a synchronous exception, taken by the guest
     * instruction being executed (the engine counts its cycle afterwards) or raised by a Java model (which counts
     * nothing); {@code retired}: that instruction completed (SVC, HVC, SMC). An interrupt is taken between
     * instructions.
     */
    void beforeException(boolean sync, boolean retired) {
        if (!active) {
            return;
        }
        boolean guest = sync && inFlight();
        accumulate(guest ? 1 : 0, guest && retired ? 1 : 0, sync && !guest ? 0 : 1, 0);
        if (guest) {
            syncedInsns++; // the engine's count of the instruction has been accounted for here
        }
    }

    /**
     * After exception entry or return: the new state decides what counts. {@code force}: firmware may have
     * changed MDCR_EL2 or MDCR_EL3 directly (a return from EL2 or EL3).
     */
    void afterTransition(boolean force) {
        if (active || force) {
            recompute();
        }
    }

    /** Before an exception return from the current state: by an ERET instruction, or by a Java model. */
    void beforeReturn() {
        if (!active) {
            return;
        }
        boolean eret = inFlight();
        accumulate(eret ? 1 : 0, eret ? 1 : 0, 0, eret ? 1 : 0);
        if (eret) {
            syncedInsns++;
        }
    }

    /** Before an MSR changes PMU state: the MSR itself is counted in the state before it. */
    private void beforeWrite() {
        if (inFlight()) {
            accumulate(1, 1, 0, 0);
            syncedInsns++;
        } else {
            accumulate(0, 0, 0, 0);
        }
    }

    private void afterWrite() {
        recompute();
    }

    // =========================================================================================================
    // State switching (a hypervisor's vCPU load/put, the RMM's REC entry/exit)
    // =========================================================================================================

    /** Saves the PMU state ({@link #CONTEXT_LENGTH} values) into {@code to} at {@code off}, up to date. */
    public void save(long[] to, int off) {
        sync();
        to[off] = pmcr & (PMCR_E | PMCR_DP | PMCR_LP);
        to[off + 1] = selr;
        to[off + 2] = userenr;
        to[off + 3] = cntEn;
        to[off + 4] = intEn;
        to[off + 5] = ovs;
        to[off + 6] = typer[CYCLE];
        to[off + 7] = cnt[CYCLE];
        for (int n = 0; n < COUNTERS; n++) {
            to[off + 8 + 2 * n] = typer[n];
            to[off + 9 + 2 * n] = cnt[n];
        }
    }

    /** Loads state saved by {@link #save} (or composed by a hypervisor in the same layout). */
    public void restore(long[] from, int off) {
        accumulate(0, 0, 0, 0);
        pmcr = PMCR_LC | (from[off] & (PMCR_E | PMCR_DP | PMCR_LP));
        selr = from[off + 1] & 0x1F;
        userenr = from[off + 2] & 0xF;
        cntEn = from[off + 3] & ALL;
        intEn = from[off + 4] & ALL;
        ovs = from[off + 5] & ALL;
        typer[CYCLE] = from[off + 6] & CCFILTR_MASK;
        cnt[CYCLE] = from[off + 7];
        for (int n = 0; n < COUNTERS; n++) {
            typer[n] = from[off + 8 + 2 * n] & TYPER_MASK;
            cnt[n] = from[off + 9 + 2 * n];
        }
        reload();
    }

    /** The overflow status (PMOVSSET_EL0), up to date. */
    public long overflowStatus() {
        sync();
        return ovs;
    }

    /** Counter {@code n} (or {@link #CYCLE}), up to date. */
    public long counter(int n) {
        sync();
        return cnt[n];
    }

    // =========================================================================================================
    // Registers
    // =========================================================================================================

    // EL0 access rules of PMUSERENR_EL0.
    private static final int EL0_EN = 0, EL0_SW = 1, EL0_CR_READ = 2, EL0_ER_READ = 3, EL0_ER = 4;

    /**
     * The access checks of a PMU register from the current EL, in the Arm ARM's order: PMUSERENR_EL0 at EL0 (trap
     * to EL1, or EL2 under HCR_EL2.TGE), MDCR_EL2.TPM (and TPMCR for PMCR_EL0) at EL0 and EL1, MDCR_EL3.TPM below
     * EL3.
     */
    private static void check(Cpu c, int el0Rule, boolean read, boolean isPmcr) {
        int el = c.el;
        if (el == 3) {
            return;
        }
        long[] sr = c.sr;
        if (el == 0) {
            long u = c.pmu.userenr;
            boolean ok = (u & USERENR_EN) != 0;
            switch (el0Rule) {
                case EL0_SW: ok |= (u & USERENR_SW) != 0; break;
                case EL0_CR_READ: ok |= read && (u & USERENR_CR) != 0; break;
                case EL0_ER_READ: ok |= read && (u & USERENR_ER) != 0; break;
                case EL0_ER: ok |= (u & USERENR_ER) != 0; break;
                default: break;
            }
            if (!ok) {
                boolean tge = c.el2Enabled() && (sr[HCR_EL2] & HCR_TGE) != 0;
                throw c.trapCurrentSysRegAccess(tge ? 2 : 1);
            }
        }
        if (el < 2 && c.el2Enabled()
                && ((sr[MDCR_EL2] & MDCR_TPM) != 0 || (isPmcr && (sr[MDCR_EL2] & MDCR_TPMCR) != 0))) {
            throw c.trapCurrentSysRegAccess(2);
        }
        if ((sr[MDCR_EL3] & MDCR3_TPM) != 0) {
            throw c.trapCurrentSysRegAccess(3);
        }
    }

    /** The counters visible from the current EL: all at EL2 and EL3, the first HPMN (and the cycle counter) below. */
    private static long visible(Cpu c) {
        if (c.el >= 2 || !c.el2Enabled()) {
            return ALL;
        }
        return (1L << CYCLE) | ((1L << c.pmu.hpmn()) - 1);
    }

    /** Counter {@code n} is not accessible from the current EL (UNDEFINED, one of the CONSTRAINED UNPREDICTABLE choices). */
    private static void checkIndex(Cpu c, int n) {
        if ((visible(c) & (1L << n)) == 0) {
            throw c.undefined();
        }
    }

    private long readPmcr(Cpu c) {
        int n = c.el < 2 && c.el2Enabled() ? hpmn() : COUNTERS;
        long imp = ((c.sr[MIDR_EL1] >>> 24) & 0xFF) << 24; // IMP: the MIDR_EL1 implementer; IDCODE 0
        return imp | ((long) n << PMCR_N_SHIFT) | (pmcr & (PMCR_E | PMCR_DP | PMCR_LP)) | PMCR_LC;
    }

    private void writePmcr(Cpu c, long v) {
        beforeWrite();
        pmcr = PMCR_LC | (v & (PMCR_E | PMCR_DP | PMCR_LP));
        if ((v & PMCR_P) != 0) {
            long reset = visible(c) & ((1L << COUNTERS) - 1);
            if (c.el < 2) {
                reset &= (1L << hpmn()) - 1; // P from EL0/EL1 does not reset the counters reserved for EL2
            }
            for (int n = 0; n < COUNTERS; n++) {
                if ((reset & (1L << n)) != 0) {
                    cnt[n] = 0;
                }
            }
        }
        if ((v & PMCR_C) != 0) {
            cnt[CYCLE] = 0;
        }
        afterWrite();
    }

    private void swinc(Cpu c, long v) {
        beforeWrite();
        long m = v & visible(c) & ((1L << COUNTERS) - 1) & swIncMask;
        for (int n = 0; n < COUNTERS; n++) {
            if ((m & (1L << n)) != 0) {
                add(n, 1);
            }
        }
        afterWrite();
    }

    private long readCounter(Cpu c, int n) {
        checkIndex(c, n);
        accumulate(0, 0, 0, 0);
        recompute();
        return cnt[n];
    }

    private void writeCounter(Cpu c, int n, long v) {
        checkIndex(c, n);
        beforeWrite();
        cnt[n] = v;
        afterWrite();
    }

    private void writeTyper(Cpu c, int n, long v) {
        checkIndex(c, n);
        beforeWrite();
        typer[n] = v & (n == CYCLE ? CCFILTR_MASK : TYPER_MASK);
        afterWrite();
    }

    private long bits(Cpu c, long v) {
        return v & visible(c);
    }

    private void setBits(Cpu c, int which, long v, boolean set) {
        beforeWrite();
        long m = v & visible(c) & ALL;
        switch (which) {
            case 0: cntEn = set ? cntEn | m : cntEn & ~m; break;
            case 1: intEn = set ? intEn | m : intEn & ~m; break;
            default: ovs = set ? ovs | m : ovs & ~m; break;
        }
        afterWrite();
    }

    private long ovsRead(Cpu c) {
        accumulate(0, 0, 0, 0);
        recompute();
        return bits(c, ovs);
    }

    /** The counter PMSELR_EL0.SEL selects for PMXEVTYPER/PMXEVCNTR (31 selects PMCCFILTR for PMXEVTYPER). */
    private int selected(Cpu c, boolean typerView) {
        int n = (int) selr;
        if (n == CYCLE && typerView) {
            return CYCLE;
        }
        if (n >= COUNTERS) {
            throw c.undefined();
        }
        return n;
    }

    static void defineRegisters() {
        SysRegs.define("PMCR_EL0", 3, 3, 9, 12, 0, -1, 0,
                c -> {
                    check(c, EL0_EN, true, true);
                    return c.pmu.readPmcr(c);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, true);
                    c.pmu.writePmcr(c, v);
                });
        SysRegs.define("PMCNTENSET_EL0", 3, 3, 9, 12, 1, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.bits(c, c.pmu.cntEn);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 0, v, true);
                });
        SysRegs.define("PMCNTENCLR_EL0", 3, 3, 9, 12, 2, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.bits(c, c.pmu.cntEn);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 0, v, false);
                });
        SysRegs.define("PMOVSCLR_EL0", 3, 3, 9, 12, 3, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.ovsRead(c);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 2, v, false);
                });
        SysRegs.define("PMSWINC_EL0", 3, 3, 9, 12, 4, -1, 0, null,
                (c, v) -> {
                    check(c, EL0_SW, false, false);
                    c.pmu.swinc(c, v);
                });
        SysRegs.define("PMSELR_EL0", 3, 3, 9, 12, 5, -1, 0,
                c -> {
                    check(c, EL0_ER, true, false);
                    return c.pmu.selr;
                },
                (c, v) -> {
                    check(c, EL0_ER, false, false);
                    c.pmu.selr = v & 0x1F;
                });
        SysRegs.define("PMCEID0_EL0", 3, 3, 9, 12, 6, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return PMCEID0;
                }, null);
        SysRegs.define("PMCEID1_EL0", 3, 3, 9, 12, 7, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return PMCEID1;
                }, null);
        SysRegs.define("PMCCNTR_EL0", 3, 3, 9, 13, 0, -1, 0,
                c -> {
                    check(c, EL0_CR_READ, true, false);
                    return c.pmu.readCounter(c, CYCLE);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.writeCounter(c, CYCLE, v);
                });
        SysRegs.define("PMXEVTYPER_EL0", 3, 3, 9, 13, 1, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    int n = c.pmu.selected(c, true);
                    checkIndex(c, n);
                    return c.pmu.typer[n];
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.writeTyper(c, c.pmu.selected(c, true), v);
                });
        SysRegs.define("PMXEVCNTR_EL0", 3, 3, 9, 13, 2, -1, 0,
                c -> {
                    check(c, EL0_ER_READ, true, false);
                    return c.pmu.readCounter(c, c.pmu.selected(c, false));
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.writeCounter(c, c.pmu.selected(c, false), v);
                });
        // PMUSERENR_EL0: read-only at EL0 (a write there is UNDEFINED), and subject to the EL2/EL3 traps.
        SysRegs.define("PMUSERENR_EL0", 3, 3, 9, 14, 0, -1, 0,
                c -> {
                    if (c.el > 0) {
                        check(c, EL0_EN, true, false);
                    } else {
                        checkTrapsOnly(c);
                    }
                    return c.pmu.userenr;
                },
                (c, v) -> {
                    if (c.el == 0) {
                        throw c.undefined();
                    }
                    check(c, EL0_EN, false, false);
                    c.pmu.userenr = v & 0xF;
                });
        SysRegs.define("PMINTENSET_EL1", 3, 0, 9, 14, 1, -1, 1,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.bits(c, c.pmu.intEn);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 1, v, true);
                });
        SysRegs.define("PMINTENCLR_EL1", 3, 0, 9, 14, 2, -1, 1,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.bits(c, c.pmu.intEn);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 1, v, false);
                });
        SysRegs.define("PMOVSSET_EL0", 3, 3, 9, 14, 3, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.ovsRead(c);
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.setBits(c, 2, v, true);
                });
        // PMMIR_EL1 (FEAT_PMUv3p4): SLOTS = 0, no STALL_SLOT event; no threshold or branch-record fields.
        SysRegs.define("PMMIR_EL1", 3, 0, 9, 14, 6, -1, 1,
                c -> {
                    check(c, EL0_EN, true, false);
                    return 0;
                }, null);
        for (int i = 0; i < COUNTERS; i++) {
            int n = i;
            SysRegs.define("PMEVCNTR" + n + "_EL0", 3, 3, 14, 8 + (n >> 3), n & 7, -1, 0,
                    c -> {
                        check(c, EL0_ER_READ, true, false);
                        return c.pmu.readCounter(c, n);
                    },
                    (c, v) -> {
                        check(c, EL0_EN, false, false);
                        c.pmu.writeCounter(c, n, v);
                    });
            SysRegs.define("PMEVTYPER" + n + "_EL0", 3, 3, 14, 12 + (n >> 3), n & 7, -1, 0,
                    c -> {
                        check(c, EL0_EN, true, false);
                        checkIndex(c, n);
                        return c.pmu.typer[n];
                    },
                    (c, v) -> {
                        check(c, EL0_EN, false, false);
                        c.pmu.writeTyper(c, n, v);
                    });
        }
        SysRegs.define("PMCCFILTR_EL0", 3, 3, 14, 15, 7, -1, 0,
                c -> {
                    check(c, EL0_EN, true, false);
                    return c.pmu.typer[CYCLE];
                },
                (c, v) -> {
                    check(c, EL0_EN, false, false);
                    c.pmu.writeTyper(c, CYCLE, v);
                });
    }

    /** The EL2 and EL3 traps of an EL0 read of PMUSERENR_EL0 (always readable there otherwise). */
    private static void checkTrapsOnly(Cpu c) {
        long[] sr = c.sr;
        if (c.el2Enabled() && (sr[MDCR_EL2] & MDCR_TPM) != 0) {
            throw c.trapCurrentSysRegAccess(2);
        }
        if ((sr[MDCR_EL3] & MDCR3_TPM) != 0) {
            throw c.trapCurrentSysRegAccess(3);
        }
    }

    /** MDCR_EL2 or MDCR_EL3 written by MSR: the partition, enables and prohibitions may have changed. */
    static void onMdcrWrite(Cpu c) {
        c.pmu.beforeWrite(); // the masks still describe the state before the write
        c.pmu.afterWrite();
    }
}
