package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecRun;

import java.nio.ByteBuffer;

/**
 * A REC's EL1 timers (with CNTHCTL_EL2 giving the realm's EL1 the physical counter and timer, as TF-RMM
 * configures it) and virtual GIC CPU interface across REC_ENTER and the REC exit (TF-RMM runtime/core/run.c,
 * timers.c, lib/gic gic.c). The EL1 timer and ICH_*_EL2 registers are not part of the world switch EL3 performs,
 * so the RMM saves the host's values on entry and gives them back on exit; the realm's live in its REC granule.
 *
 * <ul>
 *   <li>Entry: the host's list registers and the host-controlled ICH_HCR_EL2 bits come from RmiRecEnter
 *       (gic_copy_state_from_rec_entry); the RMM keeps En, vSGIEOICount and DVIM set.</li>
 *   <li>Exit: RmiRecExit reports the list registers, ICH_MISR_EL2, ICH_VMCR_EL2, ICH_HCR_EL2 (EOIcount and the
 *       host's bits), and the timers' CTL and CVAL (the virtual one less CNTVOFF_EL2). The host's view is
 *       restored with ICH_HCR_EL2.En as it was.</li>
 *   <li>A change in a timer's asserted output since the last exit ends the REC_ENTER at once with RMI_EXIT_IRQ
 *       (check_pending_timers), so the host can inject the timer interrupt.</li>
 * </ul>
 * Not modelled: CNTHCTL_EL2.CNTVMASK/CNTPMASK (FEAT_RME's timer masks are not in the emulated PE), CNTPOFF_EL2
 * (no FEAT_ECV), the APR registers beyond AP0R0/AP1R0 (5 priority bits need only these).
 */
final class RecVirtualState {
    private RecVirtualState() {
    }

    /** ICH_HCR_EL2 bits the host controls (TF-RMM ICH_HCR_EL2_NS_MASK). */
    static final long HCR_NS_MASK = 0x40FEL;
    /** ICH_HCR_EL2 bits the RMM sets for a realm: En, vSGIEOICount (8), DVIM (15). */
    static final long HCR_RMM = GicCpuInterface.HCR_EN | (1L << 8) | (1L << 15);
    private static final long HCR_EOICOUNT_MASK = 0x1FL << 27;
    private static final int NUM_LRS = GicCpuInterface.NUM_LRS;
    private static final int[] TIMERS = GenericTimer.EL1_TIMER_CONTEXT;
    private static final int[] ICH = {GicCpuInterface.ICH_HCR_EL2, GicCpuInterface.ICH_VMCR_EL2,
        GicCpuInterface.ICH_AP0R0_EL2, GicCpuInterface.ICH_AP1R0_EL2};

    /** The host's timer and ICH state on one PE while a REC runs there (TF-RMM g_ns_data). */
    static final class HostState {
        final long[] timers = new long[TIMERS.length];
        final long[] ich = new long[ICH.length];
        final long[] lrs = new long[NUM_LRS];
        long cnthctl;
        /** The host's PMU registers (Pmu.save layout), and room for the REC's while they are copied. */
        final long[] pmu = new long[dev.cca.core.cpu.Pmu.CONTEXT_LENGTH];
        final long[] pmuScratch = new long[dev.cca.core.cpu.Pmu.CONTEXT_LENGTH];
    }

    /** CNTHCTL_EL2 while a REC runs: EL1PCTEN and EL1PCEN, the realm uses the physical counter and timer. */
    static final long CNTHCTL_REALM = 3;

    /** A new REC: the virtual interface enabled, timers off. */
    static void init(Rec rec) {
        rec.setGicReg(Rec.GIC_HCR, HCR_RMM);
    }

    private static boolean asserted(long ctl) {
        return (ctl & (GenericTimer.CTL_ENABLE | GenericTimer.CTL_ISTATUS | GenericTimer.CTL_IMASK))
                == (GenericTimer.CTL_ENABLE | GenericTimer.CTL_ISTATUS);
    }

    /** Takes the host's list registers and ICH_HCR_EL2 bits from RmiRecEnter into the REC. */
    static void copyFromEntry(Rec rec, ByteBuffer enter) {
        for (int i = 0; i < NUM_LRS; i++) {
            rec.setGicReg(Rec.GIC_LR0 + i, enter.getLong(RecRun.ENTER_GICV3_LRS + 8 * i));
        }
        long hcr = rec.gicReg(Rec.GIC_HCR);
        rec.setGicReg(Rec.GIC_HCR, (hcr & ~HCR_NS_MASK) | (enter.getLong(RecRun.ENTER_GICV3_HCR) & HCR_NS_MASK));
    }

    /**
     * Saves the host's registers and loads the REC's. Returns true if a timer's output changed while the REC
     * was not running: the entry then ends with RMI_EXIT_IRQ before the realm runs.
     */
    static boolean restore(Cpu cpu, HostState host, Rec rec) {
        long[] sr = cpu.sr;
        for (int i = 0; i < TIMERS.length; i++) {
            host.timers[i] = sr[TIMERS[i]];
            sr[TIMERS[i]] = rec.timerReg(i);
        }
        for (int i = 0; i < ICH.length; i++) {
            host.ich[i] = sr[ICH[i]];
            sr[ICH[i]] = rec.gicReg(i);
        }
        // As an MSR would: the PE holds the binary points at their implemented minimum (read back on exit).
        cpu.writeSysReg(GicCpuInterface.ICH_VMCR_EL2, rec.gicReg(Rec.GIC_VMCR));
        for (int i = 0; i < NUM_LRS; i++) {
            host.lrs[i] = sr[GicCpuInterface.ICH_LR0_EL2 + i];
            sr[GicCpuInterface.ICH_LR0_EL2 + i] = rec.gicReg(Rec.GIC_LR0 + i);
        }
        host.cnthctl = sr[SysRegs.CNTHCTL_EL2];
        sr[SysRegs.CNTHCTL_EL2] = CNTHCTL_REALM;
        cpu.timer.update();
        cpu.gic.sync();
        return asserted(sr[GenericTimer.CNTV_CTL_EL0]) != asserted(rec.timerReg(2))
                || asserted(sr[GenericTimer.CNTP_CTL_EL0]) != asserted(rec.timerReg(0));
    }

    /** Saves the REC's registers, reports them in RmiRecExit (offsets within the exit), restores the host's. */
    static void save(Cpu cpu, HostState host, Rec rec, ByteBuffer exit) {
        long[] sr = cpu.sr;
        cpu.timer.update(); // ISTATUS as of now
        for (int i = 0; i < TIMERS.length; i++) {
            rec.setTimerReg(i, sr[TIMERS[i]]);
        }
        long misr = cpu.gic.misr();
        for (int i = 0; i < ICH.length; i++) {
            rec.setGicReg(i, sr[ICH[i]]);
        }
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = sr[GicCpuInterface.ICH_LR0_EL2 + i];
            rec.setGicReg(Rec.GIC_LR0 + i, lr);
            exit.putLong(RecRun.EXIT_GICV3_LRS - RecRun.EXIT + 8 * i, lr);
        }
        long hcr = sr[GicCpuInterface.ICH_HCR_EL2];
        exit.putLong(RecRun.EXIT_GICV3_HCR - RecRun.EXIT, hcr & (HCR_EOICOUNT_MASK | HCR_NS_MASK));
        exit.putLong(RecRun.EXIT_GICV3_MISR - RecRun.EXIT, misr);
        exit.putLong(RecRun.EXIT_GICV3_VMCR - RecRun.EXIT, sr[GicCpuInterface.ICH_VMCR_EL2]);
        exit.putLong(RecRun.EXIT_CNTP_CTL - RecRun.EXIT, sr[GenericTimer.CNTP_CTL_EL0]);
        exit.putLong(RecRun.EXIT_CNTP_CVAL - RecRun.EXIT, sr[GenericTimer.CNTP_CVAL_EL0]);
        exit.putLong(RecRun.EXIT_CNTV_CTL - RecRun.EXIT, sr[GenericTimer.CNTV_CTL_EL0]);
        exit.putLong(RecRun.EXIT_CNTV_CVAL - RecRun.EXIT, sr[GenericTimer.CNTV_CVAL_EL0] - sr[SysRegs.CNTVOFF_EL2]);
        for (int i = 0; i < TIMERS.length; i++) {
            sr[TIMERS[i]] = host.timers[i];
        }
        for (int i = 0; i < ICH.length; i++) {
            sr[ICH[i]] = host.ich[i];
        }
        for (int i = 0; i < NUM_LRS; i++) {
            sr[GicCpuInterface.ICH_LR0_EL2 + i] = host.lrs[i];
        }
        sr[SysRegs.CNTHCTL_EL2] = host.cnthctl;
        cpu.timer.update();
        cpu.gic.sync();
    }
}
