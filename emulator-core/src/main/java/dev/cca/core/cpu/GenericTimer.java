package dev.cca.core.cpu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The Generic Timer of one PE (Arm ARM D11): the counter views CNTPCT_EL0 and CNTVCT_EL0, the EL1 physical and
 * virtual timers (CNTP_*, CNTV_*) and the EL2 physical timer (CNTHP_*), with the EL0 and EL1 access controls of
 * CNTKCTL_EL1 and CNTHCTL_EL2. Each timer drives a level-sensitive PPI of the PE's GIC redistributor: EL1 virtual
 * 27, EL1 physical 30, EL2 physical 26.
 *
 * <p>Time base (docs/time.md): one counter tick per instruction executed, plus the time the PE skipped while
 * idle. Timers are never polled: {@link #update} computes the counter value at which the next timer condition
 * becomes true and the run loop ends an instruction chunk exactly there ({@link Cpu#rescheduleTimeEvents}).
 *
 * <p>The CTL registers hold ENABLE and IMASK as written and an ISTATUS bit that this class keeps current, so
 * firmware that saves the raw slot (a world switch) sees what an MRS would return. After firmware restores slots
 * directly, {@link #update} must run; {@link Cpu#eret} does that for exception returns from EL2 and EL3.
 */
public final class GenericTimer {
    // ---- storage slots (range 256-383, shared with the GIC CPU interface) ----------------------------------
    public static final int CNTP_CTL_EL0 = 256, CNTP_CVAL_EL0 = 257, CNTV_CTL_EL0 = 258, CNTV_CVAL_EL0 = 259,
            CNTHP_CTL_EL2 = 260, CNTHP_CVAL_EL2 = 261;
    /** The EL1 timer registers a hypervisor or the RMM switches per vCPU (CNTKCTL_EL1 is in EL1_CONTEXT). */
    public static final int[] EL1_TIMER_CONTEXT = {CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0};

    /** PPIs of the timers (Arm BSA / SBSA): EL2 physical 26, EL1 virtual 27, EL1 physical 30. */
    public static final int PPI_HYP_PHYS = 26, PPI_VIRT = 27, PPI_PHYS = 30;

    public static final long CTL_ENABLE = 1, CTL_IMASK = 2, CTL_ISTATUS = 4;

    // CNTKCTL_EL1 and CNTHCTL_EL2 (HCR_EL2.E2H = 0, FEAT_VHE not implemented) access-control bits.
    static final long KCTL_EL0PCTEN = 1, KCTL_EL0VCTEN = 2, KCTL_EL0VTEN = 1L << 8, KCTL_EL0PTEN = 1L << 9;
    static final long HCTL_EL1PCTEN = 1, HCTL_EL1PCEN = 2;

    private static final int PHYS = 0, VIRT = 1, HYP = 2;
    private static final int[] CTL = {CNTP_CTL_EL0, CNTV_CTL_EL0, CNTHP_CTL_EL2};
    private static final int[] CVAL = {CNTP_CVAL_EL0, CNTV_CVAL_EL0, CNTHP_CVAL_EL2};
    private static final int[] PPI = {PPI_PHYS, PPI_VIRT, PPI_HYP_PHYS};

    private final Cpu cpu;
    private SystemCounter counter = new SystemCounter();
    /** Output lines currently asserted, one bit per timer (PHYS, VIRT, HYP). */
    private int lines;
    /** Physical counter value at which the next enabled timer condition becomes true, or Long.MAX_VALUE. */
    long nextDeadline = Long.MAX_VALUE;

    GenericTimer(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Shares the machine's system counter (called when the machine is assembled). */
    public void setSystemCounter(SystemCounter c) {
        counter = c;
    }

    public SystemCounter systemCounter() {
        return counter;
    }

    // =========================================================================================================
    // Counter
    // =========================================================================================================

    /** This PE's current count, without synchronising with the other PEs. */
    public long localCount() {
        return cpu.instructions + cpu.timeOffset;
    }

    /**
     * CNTPCT_EL0 as software reads it: this PE's count, first caught up with the highest count any PE has
     * published (so that reads never go backwards across PEs), then published itself.
     */
    public long physicalCount() {
        long v = localCount();
        long g = counter.publish(v);
        if (g > v) {
            advanceTo(g);
            v = g;
        }
        return v;
    }

    /**
     * Moves this PE's counter forward to {@code count} (idle time passing: WFI until a deadline, a vCPU thread
     * resuming after it slept). Never moves it backwards. Re-evaluates the timers.
     */
    public void advanceTo(long count) {
        long v = localCount();
        if (count > v) {
            cpu.timeOffset += count - v;
            counter.publish(count);
            update();
        }
    }

    /** The virtual offset in effect: CNTVOFF_EL2 when EL2 is enabled (Arm ARM D11.2.4), else 0. */
    private long virtualOffset() {
        return cpu.el2Enabled() ? cpu.sr[CNTVOFF_EL2] : 0;
    }

    // =========================================================================================================
    // Timer conditions
    // =========================================================================================================

    /**
     * Recomputes every timer's ISTATUS and output line at the current count, drives the PPIs whose level
     * changed, and reschedules the PE's next time event. Cheap: three compares.
     */
    public void update() {
        long now = localCount();
        long[] sr = cpu.sr;
        long next = Long.MAX_VALUE;
        int out = 0;
        for (int t = 0; t < 3; t++) {
            long ctl = sr[CTL[t]] & (CTL_ENABLE | CTL_IMASK);
            boolean met = false;
            if ((ctl & CTL_ENABLE) != 0) {
                long count = t == VIRT ? now - sr[CNTVOFF_EL2] : now;
                long cval = sr[CVAL[t]];
                met = Long.compareUnsigned(count, cval) >= 0;
                if (!met) {
                    long dist = cval - count; // unsigned distance to the deadline
                    if (dist > 0 && dist <= Long.MAX_VALUE - now) {
                        next = Math.min(next, now + dist);
                    }
                }
            }
            sr[CTL[t]] = ctl | (met ? CTL_ISTATUS : 0);
            if (met && (ctl & CTL_IMASK) == 0) {
                out |= 1 << t;
            }
        }
        int changed = out ^ lines;
        lines = out;
        if (changed != 0) {
            for (int t = 0; t < 3; t++) {
                if ((changed & (1 << t)) != 0) {
                    cpu.gic.setPpiLine(PPI[t], (out & (1 << t)) != 0);
                }
            }
        }
        nextDeadline = next;
        cpu.rescheduleTimeEvents();
    }

    /** Whether the timer driving {@code ppi} currently asserts its interrupt. */
    public boolean lineAsserted(int ppi) {
        for (int t = 0; t < 3; t++) {
            if (PPI[t] == ppi) {
                return (lines & (1 << t)) != 0;
            }
        }
        return false;
    }

    /** The physical count at which the next enabled timer fires, or Long.MAX_VALUE. */
    public long nextDeadline() {
        return nextDeadline;
    }

    // =========================================================================================================
    // Access controls (Arm ARM D11.11, pseudocode of CNT*_EL0 with HCR_EL2.E2H == 0)
    // =========================================================================================================

    /** EL0 access check against CNTKCTL_EL1: traps to EL1 (EL2 under HCR_EL2.TGE). */
    private static void el0Check(Cpu c, long kctlBits) {
        if (c.el == 0 && (c.sr[CNTKCTL_EL1] & kctlBits) == 0) {
            boolean tge = c.el2Enabled() && (c.sr[HCR_EL2] & HCR_TGE) != 0;
            throw c.trapCurrentSysRegAccess(tge ? 2 : 1);
        }
    }

    /** EL0/EL1 access to the physical counter or timer, checked against CNTHCTL_EL2: traps to EL2. */
    private static void el2PhysCheck(Cpu c, long hctlBit) {
        if (c.el < 2 && c.el2Enabled() && (c.sr[HCR_EL2] & HCR_TGE) == 0 && (c.sr[CNTHCTL_EL2] & hctlBit) == 0) {
            throw c.trapCurrentSysRegAccess(2);
        }
    }

    // =========================================================================================================
    // Register definitions
    // =========================================================================================================

    private static long readCtl(Cpu c, int t) {
        GenericTimer g = c.timer;
        long now = g.localCount();
        long ctl = c.sr[CTL[t]] & (CTL_ENABLE | CTL_IMASK);
        if ((ctl & CTL_ENABLE) != 0) {
            long count = t == VIRT ? now - c.sr[CNTVOFF_EL2] : now;
            if (Long.compareUnsigned(count, c.sr[CVAL[t]]) >= 0) {
                ctl |= CTL_ISTATUS;
            }
        }
        return ctl;
    }

    private static long timerCount(Cpu c, int t) {
        long now = c.timer.physicalCount();
        return t == VIRT ? now - c.sr[CNTVOFF_EL2] : now;
    }

    private static void checkTimer(Cpu c, int t) {
        if (t == PHYS) {
            el0Check(c, KCTL_EL0PTEN);
            el2PhysCheck(c, HCTL_EL1PCEN);
        } else if (t == VIRT) {
            el0Check(c, KCTL_EL0VTEN);
        }
    }

    private static void defineTimer(String prefix, int t, int op1, int crm) {
        int ctl = CTL[t];
        int cval = CVAL[t];
        int minEl = t == HYP ? 2 : 0;
        SysRegs.define(prefix + "_TVAL" + (t == HYP ? "_EL2" : "_EL0"), 3, op1, 14, crm, 0, -1, minEl,
                c -> {
                    checkTimer(c, t);
                    return (c.sr[cval] - timerCount(c, t)) & 0xFFFF_FFFFL;
                },
                (c, v) -> {
                    checkTimer(c, t);
                    c.sr[cval] = timerCount(c, t) + (int) v;
                    c.timer.update();
                });
        SysRegs.define(prefix + "_CTL" + (t == HYP ? "_EL2" : "_EL0"), 3, op1, 14, crm, 1, ctl, minEl,
                c -> {
                    checkTimer(c, t);
                    return readCtl(c, t);
                },
                (c, v) -> {
                    checkTimer(c, t);
                    c.sr[ctl] = v & (CTL_ENABLE | CTL_IMASK);
                    c.timer.update();
                });
        SysRegs.define(prefix + "_CVAL" + (t == HYP ? "_EL2" : "_EL0"), 3, op1, 14, crm, 2, cval, minEl,
                c -> {
                    checkTimer(c, t);
                    return c.sr[cval];
                },
                (c, v) -> {
                    checkTimer(c, t);
                    c.sr[cval] = v;
                    c.timer.update();
                });
    }

    /** Registers the timer's system registers; called once from the static block of {@link SysRegs}. */
    static void defineRegisters() {
        SysRegs.define("CNTFRQ_EL0", 3, 3, 14, 0, 0, CNTFRQ_EL0, 0,
                c -> {
                    el0Check(c, KCTL_EL0PCTEN | KCTL_EL0VCTEN);
                    return c.sr[CNTFRQ_EL0];
                },
                (c, v) -> {
                    // Writable only at the highest implemented exception level (EL3).
                    if (c.el != 3) {
                        throw c.undefined();
                    }
                    c.sr[CNTFRQ_EL0] = v & 0xFFFF_FFFFL;
                });
        SysRegs.define("CNTPCT_EL0", 3, 3, 14, 0, 1, -1, 0,
                c -> {
                    el0Check(c, KCTL_EL0PCTEN);
                    el2PhysCheck(c, HCTL_EL1PCTEN);
                    return c.timer.physicalCount();
                }, null);
        SysRegs.define("CNTVCT_EL0", 3, 3, 14, 0, 2, -1, 0,
                c -> {
                    el0Check(c, KCTL_EL0VCTEN);
                    return c.timer.physicalCount() - c.timer.virtualOffset();
                }, null);
        defineTimer("CNTP", PHYS, 3, 2);
        defineTimer("CNTV", VIRT, 3, 3);
        defineTimer("CNTHP", HYP, 4, 2);
    }
}
