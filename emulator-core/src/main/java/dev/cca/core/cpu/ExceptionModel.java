package dev.cca.core.cpu;

import dev.cca.core.cpu.Cpu.ExceptionListener;
import dev.cca.core.cpu.Cpu.StopReason;
import dev.cca.core.cpu.debug.SelfHostedDebug;
import dev.cca.core.mmu.GranuleProtection;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The exception model of one PE (Arm ARM D1.10-D1.11): synchronous exceptions recorded by instructions and
 * delivered by the run loop, exception entry and return, the routing of SVC/HVC/SMC/BRK and of asynchronous
 * interrupts, and the detection of guests stuck taking the same exception.
 */
public final class ExceptionModel {
    private final Cpu cpu;

    // pending synchronous exception recorded before throwing GuestFault
    private int pendEl, pendEc;
    int pendIss;
    private long pendFar, pendHpfar;
    private boolean pendHasFar, pendHasHpfar;

    /** The encoding of the MRS/MSR being executed, captured at decode time (for the ISS of its traps). */
    int sysRegAccessWord;

    private Firmware.Entry lastEntry = Firmware.Entry.RETURN;
    private int lastExceptionKind;
    // observers (tracing, debugger); empty in normal runs
    final List<ExceptionListener> listeners = new CopyOnWriteArrayList<>();

    ExceptionModel(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Kind of the last exception taken: 0 synchronous, 1 IRQ, 2 FIQ, 3 SError. */
    int lastExceptionKind() {
        return lastExceptionKind;
    }

    /** How the PE last arrived at its current level. */
    Firmware.Entry lastEntry() {
        return lastEntry;
    }

    // =========================================================================================================
    // Exceptions
    // =========================================================================================================

    /** Records an UNDEFINED instruction and throws; the exception goes to EL1 (or EL2 with HCR_EL2.TGE). */
    public GuestFault undefined() {
        int target = cpu.el == 0 ? ((cpu.el2Enabled() && (cpu.sr[HCR_EL2] & HCR_TGE) != 0) ? 2 : 1) : cpu.el;
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

    GuestFault pendWithFar(int targetEl, int ec, int iss, long far) {
        pend(targetEl, ec, iss);
        pendHasFar = true;
        pendFar = far;
        return GuestFault.INSTANCE;
    }

    /** Exception entries and returns so far (wraps). */
    int transitions;

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
        return trapSysReg(targetEl, Esr.sysRegIss(sysRegAccessWord));
    }

    long deliverPending(long pc) {
        return takeException(pendEl, pendEc, pendIss, pc, pendHasFar, pendFar, 0, pendHasHpfar, pendHpfar);
    }

    /** The EL a synchronous exception from the current EL goes to (EL1 from EL0, EL2 with HCR_EL2.TGE). */
    public int syncTargetEl() {
        return syncTarget();
    }

    /** The EL a stage-1 abort or similar synchronous exception from the current EL goes to. */
    int syncTarget() {
        if (cpu.el == 0) {
            return (cpu.el2Enabled() && (cpu.sr[HCR_EL2] & HCR_TGE) != 0) ? 2 : 1;
        }
        return cpu.el;
    }

    void recordAbort(boolean fetch, long va, int syn, boolean write, int fsc, boolean stage2,
                             boolean s1ptw, long ipa, boolean stage2Regime) {
        int target = stage2 ? 2 : syncTarget();
        int ec;
        if (fetch) {
            ec = target == cpu.el ? Esr.EC_IABT_CUR : Esr.EC_IABT_LOWER;
        } else {
            ec = target == cpu.el ? Esr.EC_DABT_CUR : Esr.EC_DABT_LOWER;
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

    void recordGpcFault(boolean fetch, long va, int syn, boolean write, int gpc, boolean stage2Regime,
                                boolean onWalk, long ipa) {
        int type = GranuleProtection.faultType(gpc);
        if (type != GranuleProtection.FAIL || (cpu.sr[SCR_EL3] & SCR_GPF) != 0) {
            // Granule protection check exception to EL3 (EC 0x1E).
            int iss = (fetch ? 1 << 20 : 0) | (write ? Esr.WNR : 0) | (onWalk ? Esr.S1PTW : 0);
            pendEl = 3;
            pendEc = Esr.EC_GPC;
            pendIss = iss;
            pendHasFar = true;
            pendFar = va;
            pendHasHpfar = false;
            cpu.sr[MFAR_EL3] = ipa;
            return;
        }
        int fsc = onWalk ? Esr.FSC_GPF_WALK + GranuleProtection.faultLevel(gpc) : Esr.FSC_GPF;
        boolean toEl2 = cpu.el < 2 && stage2Regime && (cpu.sr[HCR_EL2] & HCR_GPF) != 0;
        recordAbort(fetch, va, syn, write, fsc, toEl2, onWalk, ipa, stage2Regime);
    }

    /** Takes a synchronous exception without a fault address; returns the vector address. */
    public long takeSync(int targetEl, int ec, int iss, long preferredReturn) {
        return takeException(targetEl, ec, iss, preferredReturn, false, 0, 0, false, 0);
    }

    long takeSyncWithFar(int targetEl, int ec, int iss, long preferredReturn, long far) {
        return takeException(targetEl, ec, iss, preferredReturn, true, far, 0, false, 0);
    }

    /**
     * Exception entry (Arm ARM D1.10.2): saves PSTATE and the return address in SPSR/ELR of the target EL,
     * writes the syndrome, masks interrupts and branches to the vector. {@code kind} is 0 synchronous, 1 IRQ,
     * 2 FIQ, 3 SError. Returns the vector address (also stored in {@link #pc}).
     */
    public long takeException(int targetEl, int ec, int iss, long preferredReturn, boolean hasFar, long far,
                              int kind, boolean hasHpfar, long hpfar) {
        if (targetEl < cpu.el) {
            throw new IllegalStateException("exception to EL" + targetEl + " from EL" + cpu.el);
        }
        int fromEl = cpu.el;
        SecurityState fromSs = cpu.ss;
        transitions++;
        // SVC, HVC and SMC complete before their exception (ELR past them); other synchronous exceptions stop
        // their instruction.
        cpu.pmu.beforeException(kind == 0, kind == 0 && preferredReturn != cpu.pc
                && (ec == Esr.EC_SVC64 || ec == Esr.EC_HVC64 || ec == Esr.EC_SMC64));
        long spsr = cpu.packPstate();
        long esr = ((long) ec << 26) | Esr.IL | (iss & 0x1FF_FFFFL);
        if (kind == 0) {
            noteSyncException(targetEl, esr, preferredReturn, hasFar ? far : 0);
        }
        if (cpu.monitor.armed()) {
            cpu.clearExclusiveMonitor();
        }
        cpu.sr[Cpu.spsrSlot(targetEl)] = spsr;
        cpu.sr[Cpu.elrSlot(targetEl)] = preferredReturn;
        if (kind == 0) {
            cpu.sr[Cpu.esrSlot(targetEl)] = esr;
            if (hasFar) {
                cpu.sr[Cpu.farSlot(targetEl)] = far;
            }
            if (hasHpfar && targetEl == 2) {
                cpu.sr[HPFAR_EL2] = hpfar;
            }
        }
        long offset;
        if (targetEl == fromEl) {
            offset = cpu.spSel ? 0x200 : 0;
        } else {
            offset = 0x400;
        }
        offset += kind * 0x80L;
        cpu.el = targetEl;
        cpu.spSel = true;
        cpu.daif = 0x3C0;
        cpu.illegalState = false;
        cpu.pstateOther &= ~((1L << 21) | (3L << 10)); // SS and BTYPE cleared
        if (targetEl == 1 && (cpu.sr[SCTLR_EL1] & SCTLR_SPAN) == 0) {
            cpu.pan = true;
        }
        if (targetEl == 3) {
            cpu.ss = SecurityState.ROOT;
        }
        cpu.engine.waitingForInterrupt = false;
        cpu.updateMmuIdx();
        cpu.pmu.afterTransition(false);
        long vector = cpu.sr[Cpu.vbarSlot(targetEl)] + offset;
        cpu.pc = vector;
        cpu.transitioned = true;
        lastEntry = Firmware.Entry.EXCEPTION;
        lastExceptionKind = kind;
        for (ExceptionListener l : listeners) {
            l.exceptionTaken(cpu, fromEl, fromSs, targetEl, kind == 0 ? esr : -1, preferredReturn, kind);
        }
        return vector;
    }

    /**
     * Exception return from the current EL (Arm ARM D1.11): restores PSTATE from SPSR_ELx and jumps to ELR_ELx.
     * An illegal return (to a higher EL, to AArch32, or to a disabled EL2) sets PSTATE.IL and stays at this EL.
     * Returns the new PC.
     */
    public long eret() {
        int from = cpu.el;
        transitions++;
        boolean debugAtSource = cpu.debug.enabled();
        cpu.pmu.beforeReturn();
        long spsr = cpu.sr[Cpu.spsrSlot(from)];
        long elr = cpu.sr[Cpu.elrSlot(from)];
        int m = (int) spsr & 0x1F;
        int tel = (m >>> 2) & 3;
        boolean illegal = (m & 0x10) != 0 || (m & 2) != 0 || tel > from;
        SecurityState newSs = cpu.ss;
        if (!illegal && from == 3 && tel < 3) {
            newSs = SecurityState.fromScr(cpu.sr[SCR_EL3]);
            illegal = newSs == null;
        }
        if (!illegal && tel == 2) {
            SecurityState s = newSs;
            illegal = s == SecurityState.SECURE && (cpu.sr[SCR_EL3] & SCR_EEL2) == 0;
        }
        if (!illegal && tel == 1 && newSs != SecurityState.ROOT && cpu.el2Enabled() && (cpu.sr[HCR_EL2] & HCR_TGE) != 0) {
            illegal = true;
        }
        if (illegal) {
            cpu.unpackPstate(spsr);
            cpu.illegalState = true;
        } else {
            cpu.unpackPstate(spsr);
            cpu.el = tel;
            cpu.spSel = (m & 1) != 0;
            if (from == 3 && tel < 3) {
                boolean changed = newSs != cpu.ss;
                cpu.ss = newSs;
                if (changed) {
                    cpu.flushTlb();
                }
            }
        }
        // PSTATE.SS: DebugExceptionReturnSS(), now that the destination's EL and PSTATE.D are in place.
        cpu.pstateOther = (cpu.pstateOther & ~SelfHostedDebug.PSTATE_SS) | cpu.debug.exceptionReturnSs(spsr, debugAtSource);
        cpu.engine.waitingForInterrupt = false;
        cpu.updateMmuIdx();
        if (from >= 2) {
            // A hypervisor or firmware may have restored cpu.timer and GIC state by plain slot copies.
            cpu.timer.update();
            cpu.gic.sync();
        }
        cpu.pmu.afterTransition(from >= 2);
        cpu.pc = elr;
        cpu.transitioned = true;
        lastEntry = Firmware.Entry.RETURN;
        returnedSinceException = true; // only identical exceptions with no progress in between stay a loop
        if (cpu.monitor.armed()) {
            cpu.clearExclusiveMonitor();
        }
        for (ExceptionListener l : listeners) {
            l.exceptionReturned(cpu, from, cpu.el, cpu.ss, elr);
        }
        return elr;
    }

    /**
     * Executes SMC #imm as the current software would: traps to EL2 if HCR_EL2.TSC applies, else exception to
     * EL3. Used by cpu.instructions and by firmware models that call a higher level.
     */
    public long smc(int imm16) {
        return smcAt(cpu.pc, imm16);
    }

    public long smcAt(long pc, int imm16) {
        if (cpu.el == 0) {
            throw undefined();
        }
        if (cpu.el == 1 && cpu.el2Enabled() && (cpu.sr[HCR_EL2] & HCR_TSC) != 0) {
            return takeSync(2, Esr.EC_SMC64, imm16, pc);
        }
        if ((cpu.sr[SCR_EL3] & SCR_SMD) != 0 && cpu.el < 3) {
            throw undefined();
        }
        cpu.debug.ssAdvance();
        return takeSync(3, Esr.EC_SMC64, imm16, pc + 4);
    }

    public long hvcAt(long pc, int imm16) {
        if (cpu.el == 0 || (cpu.sr[SCR_EL3] & SCR_HCE) == 0 || (cpu.el == 1 && !cpu.el2Enabled())) {
            throw undefined();
        }
        cpu.debug.ssAdvance();
        return takeSync(cpu.el == 3 ? 3 : 2, Esr.EC_HVC64, imm16, pc + 4);
    }

    public long svcAt(long pc, int imm16) {
        cpu.debug.ssAdvance();
        return takeSync(syncTarget(), Esr.EC_SVC64, imm16, pc + 4);
    }

    /** BRK #imm: a breakpoint instruction exception to the current EL (EL1 from EL0). */
    public long brkAt(long pc, int imm16) {
        return takeSync(syncTarget(), Esr.EC_BRK, imm16, pc);
    }

    /** Clears this PE's exclusive monitor (CLREX, exception entry and return). */

    /** Takes a pending, unmasked physical IRQ or FIQ, or virtual IRQ or FIQ. Returns true if one was taken. */
    boolean checkInterrupts() {
        if (cpu.irqSources != 0 && takeAsync(1, SCR_IRQ, HCR_IMO, 0x80)) {
            return true;
        }
        if (cpu.fiqSources != 0 && takeAsync(2, SCR_FIQ, HCR_FMO, 0x40)) {
            return true;
        }
        return cpu.virtualLines != 0 && takeVirtual();
    }

    /**
     * Virtual IRQ/FIQ (Arm ARM D1.3.6): taken to EL1 from EL0 or EL1 when EL2 is enabled, HCR_EL2.TGE is 0 and
     * HCR_EL2.IMO/FMO routes the physical kind to EL2, masked by PSTATE.I/F.
     */
    private boolean takeVirtual() {
        if (cpu.el > 1 || !cpu.el2Enabled()) {
            return false;
        }
        long hcr = cpu.sr[HCR_EL2];
        if ((hcr & HCR_TGE) != 0) {
            return false;
        }
        if ((cpu.virtualLines & GicCpuInterface.VIRQ) != 0 && (hcr & HCR_IMO) != 0 && (cpu.daif & 0x80) == 0) {
            takeException(1, 0, 0, cpu.pc, false, 0, 1, false, 0);
            return true;
        }
        if ((cpu.virtualLines & GicCpuInterface.VFIQ) != 0 && (hcr & HCR_FMO) != 0 && (cpu.daif & 0x40) == 0) {
            takeException(1, 0, 0, cpu.pc, false, 0, 2, false, 0);
            return true;
        }
        return false;
    }

    private boolean takeAsync(int kind, long scrBit, long hcrBit, int daifBit) {
        int target;
        if ((cpu.sr[SCR_EL3] & scrBit) != 0) {
            target = 3;
        } else if (cpu.el <= 2 && cpu.el2Enabled() && (cpu.sr[HCR_EL2] & (hcrBit | HCR_TGE)) != 0) {
            target = 2;
        } else if (cpu.el <= 1) {
            target = 1;
        } else {
            return false; // routed to a lower EL than the current one: stays pending
        }
        if (target < cpu.el || (target == cpu.el && (cpu.daif & daifBit) != 0)) {
            return false;
        }
        takeException(target, 0, 0, cpu.pc, false, 0, kind, false, 0);
        return true;
    }



    private int lastExcEl = -1, sameExceptionCount;
    private long lastExcEsr, lastExcElr, lastExcInstructions;
    private int lastExcFromEl, prevExcEl = -1, prevExcFromEl;
    private SecurityState lastExcSs = SecurityState.ROOT, prevExcSs = SecurityState.ROOT;
    private long prevExcEsr, prevExcElr;
    /** An exception return happened since the last synchronous exception / during the current run of them. */
    private boolean returnedSinceException, loopHadReturns;


    private void noteSyncException(int targetEl, long esr, long elr, long far) {
        if (cpu.firmwareAt(cpu.el, cpu.ss) != null) {
            return; // a Java model's own call (an SMC to EL3): deliberate, and it executes no cpu.instructions
        }
        boolean same = targetEl == lastExcEl && esr == lastExcEsr && elr == lastExcElr;
        // The instruction count has not yet counted the attempt that raised this exception: one more than at
        // the last exception means nothing completed in between.
        boolean noProgress = cpu.instructions - lastExcInstructions <= 1;
        boolean returned = returnedSinceException;
        lastExcInstructions = cpu.instructions;
        returnedSinceException = false;
        if (same && (!returned || noProgress)) {
            loopHadReturns |= returned;
            int limit = loopHadReturns ? Cpu.NO_PROGRESS_LIMIT : Cpu.EXCEPTION_LOOP_LIMIT;
            if (++sameExceptionCount >= limit) {
                                String how = loopHadReturns
                        ? " times in a row (to EL" + targetEl + ") with no instruction completing in between"
                        : " times in a row (to EL" + targetEl + ") without an exception return";
                String before = prevExcEl < 0 ? null : String.format("before the loop: EL%d %s pc=%#x took %s "
                        + "(esr=%#x) to EL%d", prevExcFromEl, prevExcSs.shortName(), prevExcElr,
                        Esr.ecName(Esr.ec(prevExcEsr)), prevExcEsr, prevExcEl);
                cpu.engine.stopAbnormally(StopReason.EXCEPTION_LOOP, new StopReport("exception loop: the same exception was taken " + sameExceptionCount
                        + how, cpu.el, cpu.ss, elr, esr, far, elr, cpu.engine.wordAt(elr), before));
                sameExceptionCount = 0;
                loopHadReturns = false;
                cpu.transitioned = true;
            }
        } else {
            prevExcEl = lastExcEl;
            prevExcFromEl = lastExcFromEl;
            prevExcSs = lastExcSs;
            prevExcEsr = lastExcEsr;
            prevExcElr = lastExcElr;
            lastExcEl = targetEl;
            lastExcFromEl = cpu.el;
            lastExcSs = cpu.ss;
            lastExcEsr = esr;
            lastExcElr = elr;
            sameExceptionCount = 1;
            loopHadReturns = false;
        }
    }


}
