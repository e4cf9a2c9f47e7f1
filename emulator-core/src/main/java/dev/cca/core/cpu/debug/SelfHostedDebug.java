package dev.cca.core.cpu.debug;

import dev.cca.core.cpu.BaseSysRegs;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The self-hosted debug of one PE (Arm ARM D2, AArch64 only): breakpoint, watchpoint and software step
 * exceptions, their enables (the OS lock, the OS double lock, MDSCR_EL1.KDE/MDE/SS, PSTATE.D) and their routing
 * (MDCR_EL2.TDE, HCR_EL2.TGE). The run loop consults it only while {@link Cpu#guestDebugArmed} holds: before an
 * instruction ({@link #beforeInstruction}: a pending step, a breakpoint), after it ({@link #afterInstruction}: the
 * step state machine) and on the slow data-access path ({@link #checkWatchpoint}), which pages a watchpoint covers
 * take ({@link #watchesPage}).
 *
 * <p>Registers, as ID_AA64DFR0_EL1 advertises them: breakpoints 0-5 (BRPs = 5), of which 4 and 5 are
 * context-aware (CTX_CMPs = 1: CONTEXTIDR_EL1 and VMID match, linked or not), watchpoints 0-3 (WRPs = 3) with BAS
 * and MASK. BAS of a breakpoint is RES1 (A64 instructions only).
 */
public final class SelfHostedDebug {
    /** MDSCR_EL1 bits. */
    public static final long MDSCR_SS = 1L, MDSCR_KDE = 1L << 13, MDSCR_MDE = 1L << 15;
    /** PSTATE/SPSR bits: SS [21], D [9]. */
    public static final long PSTATE_SS = 1L << 21, PSTATE_D = 1L << 9;
    static final long MDCR_EL2_TDE = 1L << 8, MDCR_EL3_SDD = 1L << 16;
    /** The debug exception fault status code of breakpoint, watchpoint and step syndromes (IFSC/DFSC 0b100010). */
    public static final int FSC_DEBUG = 0x22;
    /** ISS of a software step exception: ISV [24], EX [6]. */
    static final int ISS_ISV = 1 << 24, ISS_EX = 1 << 6;

    /** The highest-numbered breakpoints are context-aware: CTX_CMPs + 1 of them. */
    public static final int CONTEXT_AWARE = 2;
    public static final int FIRST_CONTEXT_AWARE = BaseSysRegs.BREAKPOINTS - CONTEXT_AWARE;

    // DBGBCR_EL1.BT values (Arm ARM D2.8.2)
    private static final int BT_ADDR = 0b0000, BT_ADDR_LINKED = 0b0001, BT_CTX = 0b0010, BT_CTX_LINKED = 0b0011,
            BT_VMID = 0b1000, BT_VMID_LINKED = 0b1001, BT_VMID_CTX = 0b1010, BT_VMID_CTX_LINKED = 0b1011;

    private final Cpu cpu;
    /** The instruction being executed started in the active-not-pending step state. */
    private boolean stepping;
    /** {@link Cpu#transitionCount} when that instruction started. */
    private int transitionsBefore;

    public SelfHostedDebug(Cpu cpu) {
        this.cpu = cpu;
    }

    // =========================================================================================================
    // Enables and routing
    // =========================================================================================================

    /** OSLSR_EL1.OSLK, or the OS double lock (OSDLR_EL1.DLK with DBGPRCR_EL1.CORENPDRQ = 0). */
    private boolean locked() {
        long[] sr = cpu.sr;
        return (sr[BaseSysRegs.OSLSR_EL1] & BaseSysRegs.OSLK) != 0
                || ((sr[BaseSysRegs.OSDLR_EL1] & 1) != 0 && (sr[BaseSysRegs.DBGPRCR_EL1] & 1) == 0);
    }

    private boolean el2EnabledIn(SecurityState s) {
        switch (s) {
            case SECURE: return (cpu.sr[SCR_EL3] & SCR_EEL2) != 0;
            case NON_SECURE:
            case REALM: return true;
            default: return false;
        }
    }

    /** DebugTargetFrom(): EL2 when EL2 is enabled in {@code s} and MDCR_EL2.TDE or HCR_EL2.TGE is set, else EL1. */
    public int debugTarget(SecurityState s) {
        long[] sr = cpu.sr;
        return el2EnabledIn(s) && ((sr[MDCR_EL2] & MDCR_EL2_TDE) != 0 || (sr[HCR_EL2] & HCR_TGE) != 0) ? 2 : 1;
    }

    /** AArch64.GenerateDebugExceptionsFrom(): whether debug exceptions can be generated at {@code el}. */
    public boolean enabledFrom(int el, SecurityState s, boolean dMasked) {
        if (locked()) {
            return false;
        }
        if (s == SecurityState.SECURE && (cpu.sr[MDCR_EL3] & MDCR_EL3_SDD) != 0) {
            return false;
        }
        int target = debugTarget(s);
        if (el == target) {
            return (cpu.sr[MDSCR_EL1] & MDSCR_KDE) != 0 && !dMasked;
        }
        return target > el;
    }

    /** AArch64.GenerateDebugExceptions() at the current EL and PSTATE.D. */
    public boolean enabled() {
        return enabledFrom(cpu.el, cpu.securityState(), (cpu.daif & PSTATE_D) != 0);
    }

    private long syndromeEsrSameOrLower(int target, int ecLower) {
        return target == cpu.el ? ecLower + 1 : ecLower;
    }

    // =========================================================================================================
    // Software step and breakpoints
    // =========================================================================================================

    /**
     * Before the instruction at {@code pc} (fetched without a fault) executes: takes a software step exception if
     * step is active-pending (Arm ARM D2.12: after an exception return or a write that enabled step with
     * PSTATE.SS = 0; ISV = 0, nothing was stepped), else a breakpoint exception if a breakpoint matches. Returns
     * true if an exception was taken ({@link Cpu#pc} is then its vector). Otherwise notes whether the instruction
     * is being stepped.
     */
    public boolean beforeInstruction(long pc) {
        long mdscr = cpu.sr[MDSCR_EL1];
        stepping = false;
        if ((mdscr & (MDSCR_SS | MDSCR_MDE)) == 0 || !enabled()) {
            return false;
        }
        if ((mdscr & MDSCR_SS) != 0 && (cpu.pstateOther & PSTATE_SS) == 0) {
            takeStep(pc, 0);
            return true;
        }
        if ((mdscr & MDSCR_MDE) != 0 && breakpointMatches(pc)) {
            int target = debugTarget(cpu.securityState());
            cpu.takeSync(target, (int) syndromeEsrSameOrLower(target, Esr.EC_BREAKPOINT_LOWER), FSC_DEBUG, pc);
            return true;
        }
        stepping = (mdscr & MDSCR_SS) != 0;
        transitionsBefore = cpu.transitionCount();
        return false;
    }

    /**
     * After the instruction at {@code pc} (encoding {@code word}) completed or took an exception; {@code nextPc} is
     * where execution continues. If it was stepped and completed without an exception entry or return, the step
     * state machine advances (PSTATE.SS = 0) and, if step is still enabled, the software step exception is taken
     * at once (ISV = 1, EX = the instruction was a load-exclusive). Returns the PC to continue at.
     */
    public long afterInstruction(long nextPc, int word) {
        if (!stepping) {
            return nextPc;
        }
        stepping = false;
        if (cpu.transitionCount() != transitionsBefore) {
            // An exception entry saved PSTATE.SS in SPSR (SVC/HVC/SMC advanced it first: ssAdvance); an exception
            // return took it from SPSR (exceptionReturnSs).
            return nextPc;
        }
        cpu.pstateOther &= ~PSTATE_SS;
        if ((cpu.sr[MDSCR_EL1] & MDSCR_SS) == 0 || !enabled()) {
            return nextPc; // the instruction disabled step (PSTATE.D, KDE, the OS lock): inactive
        }
        return takeStep(nextPc, ISS_ISV | (isLoadExclusive(word) ? ISS_EX : 0));
    }

    private long takeStep(long pc, int isvEx) {
        int target = debugTarget(cpu.securityState());
        return cpu.takeSync(target, (int) syndromeEsrSameOrLower(target, Esr.EC_SOFTWARE_STEP_LOWER),
                isvEx | FSC_DEBUG, pc);
    }

    /** LDXR, LDAXR, LDXP, LDAXP (the load-exclusive forms; not CASP, which shares the class). */
    static boolean isLoadExclusive(int word) {
        return (word & 0x3FC0_0000) == 0x0840_0000 && ((word & (1 << 21)) == 0 || word < 0);
    }

    /**
     * SSAdvance() for SVC, HVC and SMC, which complete before they take their exception: a stepped exception
     * generating instruction saves PSTATE.SS = 0 in SPSR, so the step exception comes right after the return.
     */
    public void ssAdvance() {
        if ((cpu.sr[MDSCR_EL1] & MDSCR_SS) != 0) {
            cpu.pstateOther &= ~PSTATE_SS;
        }
    }

    /**
     * DebugExceptionReturnSS(): the PSTATE.SS an exception return sets, after the return has set the destination
     * EL, security state and PSTATE.D. SPSR.SS is restored only when step is enabled in MDSCR_EL1, debug
     * exceptions were disabled at the source ({@code enabledAtSource}) and are enabled at the destination.
     */
    public long exceptionReturnSs(long spsr, boolean enabledAtSource) {
        if ((cpu.sr[MDSCR_EL1] & MDSCR_SS) != 0 && !enabledAtSource && enabled()) {
            return spsr & PSTATE_SS;
        }
        return 0;
    }

    private boolean breakpointMatches(long pc) {
        long[] sr = cpu.sr;
        for (int n = 0; n < BaseSysRegs.BREAKPOINTS; n++) {
            long bcr = sr[BaseSysRegs.DBGBCR0 + n];
            if ((bcr & 1) == 0) {
                continue;
            }
            int bt = (int) (bcr >>> 20) & 0xF;
            boolean match;
            switch (bt) {
                case BT_ADDR:
                case BT_ADDR_LINKED:
                    match = ((pc ^ sr[BaseSysRegs.DBGBVR0 + n]) & 0x0001_FFFF_FFFF_FFFCL) == 0;
                    break;
                case BT_CTX:
                case BT_VMID:
                case BT_VMID_CTX:
                    match = n >= FIRST_CONTEXT_AWARE && contextMatches(n, bt);
                    break;
                default:
                    continue; // linked context types fire only through an address breakpoint; others reserved
            }
            if (match && stateMatches(bcr, cpu.el) && (bt != BT_ADDR_LINKED || linkedMatches(bcr))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the context-aware breakpoint {@code n} of type {@code bt} matches the current context. */
    private boolean contextMatches(int n, int bt) {
        long[] sr = cpu.sr;
        long bvr = sr[BaseSysRegs.DBGBVR0 + n];
        boolean el10 = cpu.el <= 1;
        boolean ctx = bt == BT_CTX || bt == BT_CTX_LINKED || bt == BT_VMID_CTX || bt == BT_VMID_CTX_LINKED;
        boolean vmid = bt == BT_VMID || bt == BT_VMID_LINKED || bt == BT_VMID_CTX || bt == BT_VMID_CTX_LINKED;
        if (ctx && !(el10 && (int) sr[CONTEXTIDR_EL1] == (int) bvr)) {
            return false;
        }
        if (vmid) {
            // 8-bit VMIDs (ID_AA64MMFR1_EL1.VMIDBits = 0): VTTBR_EL2.VMID [55:48] against DBGBVR [39:32].
            long vttbrVmid = (sr[VTTBR_EL2] >>> 48) & 0xFF;
            return el10 && cpu.el2Enabled() && vttbrVmid == ((bvr >>> 32) & 0xFF);
        }
        return true;
    }

    /** A linked address breakpoint or watchpoint: LBN names a context-aware breakpoint of a linked context type. */
    private boolean linkedMatches(long cr) {
        int lbn = (int) (cr >>> 16) & 0xF;
        if (lbn < FIRST_CONTEXT_AWARE || lbn >= BaseSysRegs.BREAKPOINTS) {
            return false;
        }
        long lbcr = cpu.sr[BaseSysRegs.DBGBCR0 + lbn];
        int bt = (int) (lbcr >>> 20) & 0xF;
        if ((lbcr & 1) == 0 || (bt != BT_CTX_LINKED && bt != BT_VMID_LINKED && bt != BT_VMID_CTX_LINKED)) {
            return false;
        }
        return contextMatches(lbn, bt);
    }

    /**
     * AArch64.StateMatch() for the control fields shared by DBGBCR and DBGWCR: PMC/PAC [2:1], HMC [13], SSC [15:14]
     * and SSCE [29] (FEAT_RME: SSCE:SSC = 0b101 is Realm state only). Reserved combinations match nothing.
     */
    private boolean stateMatches(long cr, int el) {
        int pxc = (int) (cr >>> 1) & 3;
        boolean hmc = ((cr >>> 13) & 1) != 0;
        int ssc = (int) (cr >>> 14) & 3;
        boolean ssce = ((cr >>> 29) & 1) != 0;
        SecurityState s = cpu.securityState();
        boolean ssMatch;
        if (ssce) {
            if (ssc != 1) {
                return false;
            }
            ssMatch = s == SecurityState.REALM;
        } else {
            switch (ssc) {
                case 0: ssMatch = true; break;
                case 1: ssMatch = s == SecurityState.NON_SECURE; break;
                case 2: ssMatch = s == SecurityState.SECURE || s == SecurityState.ROOT; break;
                default: ssMatch = hmc ? s != SecurityState.ROOT : s == SecurityState.SECURE; break;
            }
        }
        boolean elMatch;
        switch (el) {
            case 3: elMatch = hmc && (ssc & 1) == 0; break;
            case 2: elMatch = (hmc && !(ssc == 2 && pxc == 0)) || ssc == 3; break;
            case 1: elMatch = (pxc & 1) != 0; break;
            default: elMatch = (pxc & 2) != 0; break;
        }
        return ssMatch && elMatch;
    }

    // =========================================================================================================
    // Watchpoints
    // =========================================================================================================

    /**
     * Whether an enabled watchpoint covers any byte of the 4 KB page at {@code vpage}: data accesses to such a
     * page take the TLB's slow path, which calls {@link #checkWatchpoint}. Independent of MDSCR_EL1.MDE, PSTATE.D
     * and the EL (checked per access), so the TLB is flushed only when a watchpoint register is written.
     */
    public boolean watchesPage(long vpage) {
        long[] sr = cpu.sr;
        for (int n = 0; n < BaseSysRegs.WATCHPOINTS; n++) {
            long wcr = sr[BaseSysRegs.DBGWCR0 + n];
            if ((wcr & 1) == 0) {
                continue;
            }
            int mask = (int) (wcr >>> 24) & 0x1F;
            int span = Math.max(mask, 3);
            long lo = sr[BaseSysRegs.DBGWVR0 + n] & ADDRESS_BITS & -(1L << span);
            long hi = lo + (1L << span) - 1;
            long p = vpage & ADDRESS_BITS;
            if (p <= hi && p + 0xFFF >= lo) {
                return true;
            }
        }
        return false;
    }

    /** The VA bits a watchpoint or breakpoint value register compares: [48:0] (48-bit VAs, bits above RESS). */
    private static final long ADDRESS_BITS = 0x0001_FFFF_FFFF_FFFFL;

    /**
     * A data access of {@code size} bytes at {@code va} that reads and/or writes (an atomic read-modify-write does
     * both): takes a watchpoint exception (EC 0x34/0x35, DFSC 0x22) before the access if an enabled watchpoint
     * matches it. FAR is the lowest watched byte the access touches; WnR is 1 for a write, and for an atomic 0 if
     * a read of the location would have matched (the watchpoint watches loads), else 1. {@code unprivileged}: an
     * LDTR/STTR at EL1, matched as an EL0 access.
     */
    public void checkWatchpoint(long va, int size, boolean read, boolean write, boolean unprivileged) {
        if ((cpu.sr[MDSCR_EL1] & MDSCR_MDE) == 0 || !enabled()) {
            return;
        }
        int el = unprivileged ? 0 : cpu.el;
        long[] sr = cpu.sr;
        long far = -1;
        boolean readMatched = false;
        for (int n = 0; n < BaseSysRegs.WATCHPOINTS; n++) {
            long wcr = sr[BaseSysRegs.DBGWCR0 + n];
            if ((wcr & 1) == 0) {
                continue;
            }
            int lsc = (int) (wcr >>> 3) & 3;
            boolean lsMatch = (read && (lsc & 1) != 0) || (write && (lsc & 2) != 0);
            if (!lsMatch || !stateMatches(wcr, el)) {
                continue;
            }
            if (((wcr >>> 20) & 1) != 0 && !linkedMatches(wcr)) {
                continue;
            }
            long hit = firstWatchedByte(n, wcr, va, size);
            if (hit == -1) {
                continue;
            }
            if (far == -1 || Long.compareUnsigned(hit, far) < 0) {
                far = hit;
            }
            readMatched |= read && (lsc & 1) != 0;
        }
        if (far == -1) {
            return;
        }
        boolean wnr = write && !(read && readMatched);
        int target = debugTarget(cpu.securityState());
        throw cpu.pendWithFar(target, (int) syndromeEsrSameOrLower(target, Esr.EC_WATCHPOINT_LOWER),
                (wnr ? Esr.WNR : 0) | FSC_DEBUG, far);
    }

    /** AArch64.WatchpointByteMatch() over the bytes of an access: the first byte watchpoint {@code n} matches, or -1. */
    private long firstWatchedByte(int n, long wcr, long va, int size) {
        long wvr = cpu.sr[BaseSysRegs.DBGWVR0 + n];
        int bas = (int) (wcr >>> 5) & 0xFF;
        int mask = (int) (wcr >>> 24) & 0x1F;
        if (mask > 0) {
            if (mask < 3 || bas != 0xFF) {
                return -1; // reserved MASK values, or MASK with a partial BAS: CONSTRAINED UNPREDICTABLE, no match
            }
            long m = ADDRESS_BITS & -(1L << mask);
            long base = wvr & m;
            for (int b = 0; b < size; b++) {
                if (((va + b) & m) == base) {
                    return va + b;
                }
            }
            return -1;
        }
        // DBGWVR bit 2 set: a word, BAS[3:0] select its bytes; clear: a doubleword, BAS[7:0].
        int bottom = (wvr & 4) != 0 ? 2 : 3;
        long m = ADDRESS_BITS & -(1L << bottom);
        long base = wvr & m;
        for (int b = 0; b < size; b++) {
            long a = va + b;
            if ((a & m) == base && ((bas >>> (int) (a & ((1 << bottom) - 1))) & 1) != 0) {
                return a;
            }
        }
        return -1;
    }
}
