package dev.cca.core.cpu;

import dev.cca.core.gic.Gic;
import dev.cca.core.gic.Redistributor;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The GICv3 CPU interface of one PE (Arm IHI 0069, chapters 8-12): the physical interface (ICC_* system
 * registers, reading the PE's {@link Redistributor}) and the virtual interface that a hypervisor drives through the
 * ICH_* registers and that EL1 sees through the same ICC_* encodings when HCR_EL2.IMO/FMO route interrupts to EL2
 * (the ICV_* behaviour).
 *
 * <p>Implementation choices, as advertised in ICC_CTLR_EL1 and ICH_VTR_EL2: 5 bits of priority and of
 * preemption (so one active-priority register, AP0R0/AP1R0), 16-bit INTIDs, no Affinity 3, 4 list registers
 * (ListRegs = 3, the RMM's GICV3_NUM_LRS), system register interface only (SRE RAO/WI), no Secure state.
 *
 * <p>State lives in the PE's system register slots so that a hypervisor or the RMM can save and restore a
 * vCPU's interface with plain slot copies; the signalled lines are recomputed by {@link #sync} (run by
 * {@link Cpu#eret} from EL2 and EL3) and by every register access that changes them. The physical IRQ output is
 * the {@link #IRQ_SOURCE_GIC} source of the PE; virtual IRQ and FIQ are {@link Cpu}'s virtual lines, taken at EL1.
 */
public final class GicCpuInterface {
    // ---- storage slots (range 256-383; 256-271 are the generic timer's) ------------------------------------
    public static final int ICC_PMR_EL1 = 272, ICC_BPR0_EL1 = 273, ICC_BPR1_EL1 = 274, ICC_CTLR_EL1 = 275,
            ICC_IGRPEN0_EL1 = 276, ICC_IGRPEN1_EL1 = 277, ICC_AP0R0_EL1 = 278, ICC_AP1R0_EL1 = 279;
    public static final int ICH_HCR_EL2 = 288, ICH_VMCR_EL2 = 289, ICH_AP0R0_EL2 = 290, ICH_AP1R0_EL2 = 291,
            ICH_LR0_EL2 = 292;
    /** Slots 292..307 are reserved for ICH_LR0..15_EL2; {@link #NUM_LRS} of them are implemented. */
    public static final int MAX_LRS = 16;
    public static final int NUM_LRS = 4;
    /** The virtual interface state a hypervisor switches per vCPU (MISR, EISR, ELRSR are computed from it). */
    public static final int[] ICH_CONTEXT = {ICH_HCR_EL2, ICH_VMCR_EL2, ICH_AP0R0_EL2, ICH_AP1R0_EL2,
        ICH_LR0_EL2, ICH_LR0_EL2 + 1, ICH_LR0_EL2 + 2, ICH_LR0_EL2 + 3};

    /** The PE's IRQ source bit driven by the physical CPU interface. */
    public static final int IRQ_SOURCE_GIC = 1 << 8;
    /** Bits of {@link Cpu}'s virtual lines. */
    public static final int VIRQ = 1, VFIQ = 2;

    public static final int SPURIOUS = 1023;
    private static final int PRIORITY_MASK = 0xF8;

    // ICH_HCR_EL2
    public static final long HCR_EN = 1, HCR_UIE = 1 << 1, HCR_LRENPIE = 1 << 2, HCR_NPIE = 1 << 3,
            HCR_VGRP0EIE = 1 << 4, HCR_VGRP0DIE = 1 << 5, HCR_VGRP1EIE = 1 << 6, HCR_VGRP1DIE = 1 << 7,
            HCR_TC = 1 << 10, HCR_TALL0 = 1 << 11, HCR_TALL1 = 1 << 12, HCR_TDIR = 1 << 14;
    private static final int HCR_EOICOUNT_SHIFT = 27;
    // ICH_VMCR_EL2
    public static final long VMCR_VENG0 = 1, VMCR_VENG1 = 2, VMCR_VCBPR = 1 << 4, VMCR_VEOIM = 1 << 9;
    private static final int VMCR_VBPR1_SHIFT = 18, VMCR_VBPR0_SHIFT = 21, VMCR_VPMR_SHIFT = 24;
    // ICH_LR<n>_EL2
    /** The first LPI INTID. */
    public static final long LPI_MIN = 8192;
    public static final long LR_PENDING = 1L << 62, LR_ACTIVE = 1L << 63, LR_HW = 1L << 61, LR_GROUP1 = 1L << 60,
            LR_EOI = 1L << 41;
    public static final int LR_PRIORITY_SHIFT = 48, LR_PINTID_SHIFT = 32;
    private static final long LR_WRITABLE = 0xF000_0000_0000_0000L | ((long) PRIORITY_MASK << LR_PRIORITY_SHIFT)
            | (0x1FFFL << LR_PINTID_SHIFT) | 0xFFFF_FFFFL;
    /** ICH_VTR_EL2: PRIbits = 4 and PREbits = 4 (5 bits), IDbits = 0 (16), ListRegs = NUM_LRS - 1. */
    public static final long VTR = (4L << 29) | (4L << 26) | (NUM_LRS - 1);
    /** ICC_CTLR_EL1 read-only fields: PRIbits = 4 (5 bits of priority), IDbits = 0. */
    private static final long CTLR_RO = 4L << 8;

    private static final int GROUP0 = 0, GROUP1 = 1, COMMON = 2;

    private final Cpu cpu;
    private Gic gic;
    private Redistributor redist;
    private boolean maintenanceLine;

    GicCpuInterface(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Connects this interface to its redistributor in the machine's GIC. */
    public void connect(Gic g) {
        gic = g;
        redist = g.redistributor(cpu.index);
        redist.setListener(this::updatePhysical);
    }

    public Gic gic() {
        return gic;
    }

    /** This PE's redistributor, or null if the PE is not connected to a GIC. */
    public Redistributor redistributor() {
        return redist;
    }

    /** Drives a PPI input line of this PE's redistributor (timers, the maintenance interrupt). */
    void setPpiLine(int ppi, boolean level) {
        if (redist != null) {
            redist.setLine(ppi, level);
        }
    }

    /** Recomputes the physical IRQ output and the virtual lines after state was restored into the slots. */
    public void sync() {
        updatePhysical();
        updateVirtual();
    }

    // =========================================================================================================
    // Priorities
    // =========================================================================================================

    private static int bpr0(long stored) {
        return Math.max((int) stored & 7, 2); // minimum binary point with 5 preemption bits
    }

    private static int bpr1(long stored) {
        return Math.max((int) stored & 7, 3);
    }

    /** The group-priority mask: bits [7:N+1] for Group 0 (or CBPR), [7:N] for Group 1 (IHI 0069 4.8.3). */
    private static int groupMask(int group, int bpr0, int bpr1, boolean cbpr) {
        int shift = group == GROUP0 || cbpr ? bpr0 + 1 : bpr1;
        return (0xFF << shift) & 0xFF;
    }

    /** Running priority from active-priority bits: the highest (lowest-numbered) active group priority. */
    private static int runningPriority(long ap0, long ap1) {
        long ap = (ap0 | ap1) & 0xFFFF_FFFFL;
        return ap == 0 ? 0xFF : Long.numberOfTrailingZeros(ap) << 3;
    }

    // =========================================================================================================
    // Physical interface
    // =========================================================================================================

    private int physMask(int group) {
        long[] sr = cpu.sr;
        return groupMask(group, bpr0(sr[ICC_BPR0_EL1]), bpr1(sr[ICC_BPR1_EL1]), (sr[ICC_CTLR_EL1] & 1) != 0);
    }

    /**
     * Recomputes the IRQ signal to the PE (may run on another thread, when an SGI arrives). Reading the
     * redistributor and driving the line are one step under the redistributor's lock: otherwise a PE thread that
     * read "nothing pending" (acknowledging, ending an interrupt) could lower the line after another PE's SGI had
     * raised it, and that SGI would stay pending with the line low until the next change.
     */
    void updatePhysical() {
        Redistributor r = redist;
        if (r == null) {
            return;
        }
        synchronized (r) {
            long[] sr = cpu.sr;
            int h = r.highestPending();
            boolean signal = false;
            if (h != Redistributor.NONE && (sr[ICC_IGRPEN1_EL1] & 1) != 0) {
                int prio = h >>> 8;
                signal = prio < (sr[ICC_PMR_EL1] & 0xFF)
                        && (prio & physMask(GROUP1)) < runningPriority(sr[ICC_AP0R0_EL1], sr[ICC_AP1R0_EL1]);
            }
            cpu.setIrqSource(IRQ_SOURCE_GIC, signal);
        }
    }

    private long iccIar(int group) {
        long[] sr = cpu.sr;
        if (group != GROUP1 || redist == null) {
            return SPURIOUS; // every physical interrupt is Non-secure Group 1
        }
        int h = redist.highestPending();
        if (h == Redistributor.NONE || (sr[ICC_IGRPEN1_EL1] & 1) == 0) {
            return SPURIOUS;
        }
        int prio = h >>> 8;
        int intid = h & 0xFF;
        int g = prio & physMask(GROUP1);
        if (prio >= (sr[ICC_PMR_EL1] & 0xFF) || g >= runningPriority(sr[ICC_AP0R0_EL1], sr[ICC_AP1R0_EL1])) {
            return SPURIOUS;
        }
        redist.acknowledge(intid);
        sr[ICC_AP1R0_EL1] |= 1L << (g >>> 3);
        updatePhysical();
        return intid;
    }

    private long iccHppir(int group) {
        if (group != GROUP1 || redist == null) {
            return SPURIOUS;
        }
        int h = redist.highestPending();
        return h == Redistributor.NONE ? SPURIOUS : h & 0xFF;
    }

    private void iccEoir(int group, long v) {
        int intid = (int) (v & 0xFF_FFFF);
        if (intid >= 1020 && intid <= 1023) {
            return;
        }
        int ap = group == GROUP0 ? ICC_AP0R0_EL1 : ICC_AP1R0_EL1;
        long bits = cpu.sr[ap];
        cpu.sr[ap] = bits & (bits - 1); // priority drop: clear the highest active priority
        if ((cpu.sr[ICC_CTLR_EL1] & 2) == 0 && intid < dev.cca.core.gic.Distributor.LIMIT && redist != null) {
            redist.deactivate(intid);
        }
        updatePhysical();
    }

    private void iccDir(long v) {
        int intid = (int) (v & 0xFF_FFFF);
        if (intid < dev.cca.core.gic.Distributor.LIMIT && redist != null) {
            redist.deactivate(intid);
        }
        updatePhysical();
    }

    /** ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (IHI 0069 12.2.21): SGIs to the PEs it names. */
    private void iccSgi(long v) {
        if (gic == null) {
            return;
        }
        int intid = (int) (v >>> 24) & 0xF;
        boolean irm = ((v >>> 40) & 1) != 0;
        int targetList = (int) v & 0xFFFF;
        long aff321 = ((v >>> 48) & 0xFF) << 16 | ((v >>> 32) & 0xFF) << 8 | ((v >>> 16) & 0xFF);
        int rs = (int) (v >>> 44) & 0xF;
        for (int i = 0; i < gic.peCount(); i++) {
            long aff = gic.redistributor(i).affinity(); // Aff3.Aff2.Aff1.Aff0
            long aff0 = aff & 0xFF;
            long upper = aff >>> 8;
            boolean hit = irm ? i != cpu.index
                    : upper == aff321 && (aff0 >>> 4) == rs && ((targetList >>> (aff0 & 15)) & 1) != 0;
            if (hit) {
                gic.sendSgi(i, intid);
            }
        }
    }

    // =========================================================================================================
    // Virtual interface
    // =========================================================================================================

    private static int state(long lr) {
        return (int) (lr >>> 62);
    }

    private int vMask(int group) {
        long vmcr = cpu.sr[ICH_VMCR_EL2];
        return groupMask(group, bpr0(vmcr >>> VMCR_VBPR0_SHIFT), bpr1(vmcr >>> VMCR_VBPR1_SHIFT),
                (vmcr & VMCR_VCBPR) != 0);
    }

    private int vRunningPriority() {
        return runningPriority(cpu.sr[ICH_AP0R0_EL2], cpu.sr[ICH_AP1R0_EL2]);
    }

    /**
     * The list register holding the highest-priority pending virtual interrupt that the virtual interface can
     * signal (enabled group, priority above VPMR and the running priority), or -1.
     */
    private int signalable() {
        long[] sr = cpu.sr;
        if ((sr[ICH_HCR_EL2] & HCR_EN) == 0) {
            return -1;
        }
        long vmcr = sr[ICH_VMCR_EL2];
        int pmr = (int) (vmcr >>> VMCR_VPMR_SHIFT) & 0xFF;
        int rp = vRunningPriority();
        int best = -1;
        int bestPrio = 0x100;
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = sr[ICH_LR0_EL2 + i];
            if (state(lr) != 1) {
                continue;
            }
            int group = (lr & LR_GROUP1) != 0 ? GROUP1 : GROUP0;
            if ((vmcr & (group == GROUP1 ? VMCR_VENG1 : VMCR_VENG0)) == 0) {
                continue;
            }
            int prio = (int) (lr >>> LR_PRIORITY_SHIFT) & PRIORITY_MASK;
            if (prio < pmr && (prio & vMask(group)) < rp && prio < bestPrio) {
                best = i;
                bestPrio = prio;
            }
        }
        return best;
    }

    /** Recomputes the virtual IRQ/FIQ lines and the maintenance interrupt from the ICH_* state and HCR_EL2. */
    public void updateVirtual() {
        long[] sr = cpu.sr;
        int lines = 0;
        int lr = signalable();
        if (lr >= 0) {
            lines |= (sr[ICH_LR0_EL2 + lr] & LR_GROUP1) != 0 ? VIRQ : VFIQ;
        }
        long hcr = sr[HCR_EL2];
        if ((hcr & (1L << 7)) != 0) { // HCR_EL2.VI
            lines |= VIRQ;
        }
        if ((hcr & (1L << 6)) != 0) { // HCR_EL2.VF
            lines |= VFIQ;
        }
        cpu.setVirtualLines(lines);
        boolean maint = (sr[ICH_HCR_EL2] & HCR_EN) != 0 && misr() != 0;
        if (maint != maintenanceLine) {
            maintenanceLine = maint;
            setPpiLine(Gic.PPI_MAINTENANCE, maint);
        }
    }

    private long icvIar(int group) {
        int i = signalable();
        if (i < 0) {
            return SPURIOUS;
        }
        long[] sr = cpu.sr;
        long lr = sr[ICH_LR0_EL2 + i];
        int lrGroup = (lr & LR_GROUP1) != 0 ? GROUP1 : GROUP0;
        if (lrGroup != group) {
            return SPURIOUS;
        }
        int prio = (int) (lr >>> LR_PRIORITY_SHIFT) & PRIORITY_MASK;
        // LPIs have no active state: an acknowledged vLPI leaves its list register invalid.
        boolean lpi = (lr & 0xFFFF_FFFFL) >= LPI_MIN;
        sr[ICH_LR0_EL2 + i] = lpi ? lr & ~(LR_PENDING | LR_ACTIVE) : (lr & ~LR_PENDING) | LR_ACTIVE;
        int ap = group == GROUP1 ? ICH_AP1R0_EL2 : ICH_AP0R0_EL2;
        sr[ap] |= 1L << ((prio & vMask(group)) >>> 3);
        updateVirtual();
        return lr & 0xFFFF_FFFFL;
    }

    private long icvHppir(int group) {
        long[] sr = cpu.sr;
        int best = -1;
        int bestPrio = 0x100;
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = sr[ICH_LR0_EL2 + i];
            int g = (lr & LR_GROUP1) != 0 ? GROUP1 : GROUP0;
            int prio = (int) (lr >>> LR_PRIORITY_SHIFT) & PRIORITY_MASK;
            if (state(lr) == 1 && g == group && prio < bestPrio) {
                best = i;
                bestPrio = prio;
            }
        }
        return best < 0 ? SPURIOUS : sr[ICH_LR0_EL2 + best] & 0xFFFF_FFFFL;
    }

    /** Deactivates the virtual interrupt {@code intid} (and its physical interrupt if hardware-mapped). */
    private void icvDeactivate(long intid) {
        long[] sr = cpu.sr;
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = sr[ICH_LR0_EL2 + i];
            if ((lr & 0xFFFF_FFFFL) == intid && (lr & LR_ACTIVE) != 0) {
                sr[ICH_LR0_EL2 + i] = lr & ~LR_ACTIVE;
                if ((lr & LR_HW) != 0) {
                    int pintid = (int) (lr >>> LR_PINTID_SHIFT) & 0x1FFF;
                    if (pintid < 32 && redist != null) {
                        redist.deactivate(pintid);
                    }
                }
                return;
            }
        }
        if (intid >= LPI_MIN) {
            return; // an LPI has nothing to deactivate and is not counted in EOIcount
        }
        // No list register holds it: count it for the hypervisor (ICH_HCR_EL2.EOIcount).
        long hcr = sr[ICH_HCR_EL2];
        long count = ((hcr >>> HCR_EOICOUNT_SHIFT) + 1) & 0x1F;
        sr[ICH_HCR_EL2] = (hcr & ~(0x1FL << HCR_EOICOUNT_SHIFT)) | (count << HCR_EOICOUNT_SHIFT);
    }

    private void icvEoir(int group, long v) {
        long intid = v & 0xFF_FFFF;
        if (intid >= 1020 && intid <= 1023) {
            return;
        }
        long[] sr = cpu.sr;
        int ap = group == GROUP1 ? ICH_AP1R0_EL2 : ICH_AP0R0_EL2;
        long bits = sr[ap];
        sr[ap] = bits & (bits - 1);
        if ((sr[ICH_VMCR_EL2] & VMCR_VEOIM) == 0) {
            icvDeactivate(intid);
        }
        updateVirtual();
    }

    private void icvDir(long v) {
        if ((cpu.sr[ICH_HCR_EL2] & HCR_TDIR) != 0) {
            throw cpu.trapCurrentSysRegAccess(2);
        }
        long intid = v & 0xFF_FFFF;
        if ((cpu.sr[ICH_VMCR_EL2] & VMCR_VEOIM) != 0 && intid < 1020) {
            icvDeactivate(intid);
        }
        updateVirtual();
    }

    /** ICH_EISR_EL2: list registers with a completed EOI maintenance request. */
    public long eisr() {
        long r = 0;
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = cpu.sr[ICH_LR0_EL2 + i];
            if (state(lr) == 0 && (lr & LR_HW) == 0 && (lr & LR_EOI) != 0) {
                r |= 1L << i;
            }
        }
        return r;
    }

    /** ICH_ELRSR_EL2: empty list registers. */
    public long elrsr() {
        long r = 0;
        for (int i = 0; i < NUM_LRS; i++) {
            long lr = cpu.sr[ICH_LR0_EL2 + i];
            if (state(lr) == 0 && !((lr & LR_HW) == 0 && (lr & LR_EOI) != 0)) {
                r |= 1L << i;
            }
        }
        return r;
    }

    /** ICH_MISR_EL2: the maintenance interrupt conditions (IHI 0069 12.5.? ICH_MISR_EL2). */
    public long misr() {
        long[] sr = cpu.sr;
        long hcr = sr[ICH_HCR_EL2];
        long vmcr = sr[ICH_VMCR_EL2];
        long m = 0;
        if (eisr() != 0) {
            m |= 1;
        }
        int valid = 0;
        boolean anyPending = false;
        for (int i = 0; i < NUM_LRS; i++) {
            int s = state(sr[ICH_LR0_EL2 + i]);
            if (s != 0) {
                valid++;
            }
            if (s == 1) {
                anyPending = true;
            }
        }
        if ((hcr & HCR_UIE) != 0 && valid <= 1) {
            m |= 1 << 1;
        }
        if ((hcr & HCR_LRENPIE) != 0 && (hcr >>> HCR_EOICOUNT_SHIFT) != 0) {
            m |= 1 << 2;
        }
        if ((hcr & HCR_NPIE) != 0 && !anyPending) {
            m |= 1 << 3;
        }
        boolean eng0 = (vmcr & VMCR_VENG0) != 0;
        boolean eng1 = (vmcr & VMCR_VENG1) != 0;
        if ((hcr & HCR_VGRP0EIE) != 0 && eng0) {
            m |= 1 << 4;
        }
        if ((hcr & HCR_VGRP0DIE) != 0 && !eng0) {
            m |= 1 << 5;
        }
        if ((hcr & HCR_VGRP1EIE) != 0 && eng1) {
            m |= 1 << 6;
        }
        if ((hcr & HCR_VGRP1DIE) != 0 && !eng1) {
            m |= 1 << 7;
        }
        return m;
    }

    private static long vmcrField(Cpu c, int shift, int bits) {
        return (c.sr[ICH_VMCR_EL2] >>> shift) & ((1L << bits) - 1);
    }

    private static void setVmcrField(Cpu c, int shift, int bits, long v) {
        long mask = ((1L << bits) - 1) << shift;
        c.sr[ICH_VMCR_EL2] = (c.sr[ICH_VMCR_EL2] & ~mask) | ((v << shift) & mask);
    }

    // =========================================================================================================
    // Register definitions
    // =========================================================================================================

    /** Whether an EL1 access to an ICC_* register of {@code kind} gets the virtual (ICV_*) behaviour. */
    private static boolean virtual(Cpu c, int kind) {
        if (c.el != 1 || !c.el2Enabled()) {
            return false;
        }
        long hcr = c.sr[HCR_EL2];
        if ((hcr & HCR_TGE) != 0) {
            return false;
        }
        long bits = kind == GROUP0 ? HCR_FMO : kind == GROUP1 ? HCR_IMO : HCR_IMO | HCR_FMO;
        return (hcr & bits) != 0;
    }

    /** ICH_HCR_EL2 traps of ICV accesses (TALL0, TALL1, TC). */
    private static void virtualTraps(Cpu c, int kind) {
        long ich = c.sr[ICH_HCR_EL2];
        long trap = kind == GROUP0 ? HCR_TALL0 : kind == GROUP1 ? HCR_TALL1 : HCR_TC;
        if ((ich & trap) != 0) {
            throw c.trapCurrentSysRegAccess(2);
        }
    }

    private static void icc(String name, int crm, int op2, int kind, SysReg.Reader phys, SysReg.Reader virt,
                            SysReg.Writer physW, SysReg.Writer virtW) {
        SysReg.Reader r = phys == null ? null : c -> {
            if (virtual(c, kind)) {
                virtualTraps(c, kind);
                return virt.read(c);
            }
            return phys.read(c);
        };
        SysReg.Writer w = physW == null ? null : (c, v) -> {
            if (virtual(c, kind)) {
                virtualTraps(c, kind);
                virtW.write(c, v);
                return;
            }
            physW.write(c, v);
        };
        SysRegs.define(name, 3, 0, 12, crm, op2, -1, 1, r, w);
    }

    private static long ctlrRead(long eoimode, long cbpr) {
        return CTLR_RO | (eoimode != 0 ? 2 : 0) | (cbpr != 0 ? 1 : 0);
    }

    /** Registers the ICC_* and ICH_* system registers; called once from the static block of {@link SysRegs}. */
    static void defineRegisters() {
        // PMR (CRn 4): common to both groups.
        SysRegs.define("ICC_PMR_EL1", 3, 0, 4, 6, 0, -1, 1,
                c -> {
                    if (virtual(c, COMMON)) {
                        virtualTraps(c, COMMON);
                        return vmcrField(c, VMCR_VPMR_SHIFT, 8);
                    }
                    return c.sr[ICC_PMR_EL1];
                },
                (c, v) -> {
                    if (virtual(c, COMMON)) {
                        virtualTraps(c, COMMON);
                        setVmcrField(c, VMCR_VPMR_SHIFT, 8, v & PRIORITY_MASK);
                        c.gic.updateVirtual();
                        return;
                    }
                    c.sr[ICC_PMR_EL1] = v & PRIORITY_MASK;
                    c.gic.updatePhysical();
                });
        // Group 0 registers (CRm 8).
        icc("ICC_IAR0_EL1", 8, 0, GROUP0, c -> c.gic.iccIar(GROUP0), c -> c.gic.icvIar(GROUP0), null, null);
        icc("ICC_EOIR0_EL1", 8, 1, GROUP0, null, null, (c, v) -> c.gic.iccEoir(GROUP0, v),
                (c, v) -> c.gic.icvEoir(GROUP0, v));
        icc("ICC_HPPIR0_EL1", 8, 2, GROUP0, c -> c.gic.iccHppir(GROUP0), c -> c.gic.icvHppir(GROUP0), null, null);
        icc("ICC_BPR0_EL1", 8, 3, GROUP0, c -> (long) bpr0(c.sr[ICC_BPR0_EL1]),
                c -> (long) bpr0(vmcrField(c, VMCR_VBPR0_SHIFT, 3)),
                (c, v) -> {
                    c.sr[ICC_BPR0_EL1] = bpr0(v);
                    c.gic.updatePhysical();
                },
                (c, v) -> {
                    setVmcrField(c, VMCR_VBPR0_SHIFT, 3, bpr0(v));
                    c.gic.updateVirtual();
                });
        icc("ICC_AP0R0_EL1", 8, 4, GROUP0, c -> c.sr[ICC_AP0R0_EL1], c -> c.sr[ICH_AP0R0_EL2],
                (c, v) -> {
                    c.sr[ICC_AP0R0_EL1] = v & 0xFFFF_FFFFL;
                    c.gic.updatePhysical();
                },
                (c, v) -> {
                    c.sr[ICH_AP0R0_EL2] = v & 0xFFFF_FFFFL;
                    c.gic.updateVirtual();
                });
        // Group 1 active priorities (CRm 9).
        icc("ICC_AP1R0_EL1", 9, 0, GROUP1, c -> c.sr[ICC_AP1R0_EL1], c -> c.sr[ICH_AP1R0_EL2],
                (c, v) -> {
                    c.sr[ICC_AP1R0_EL1] = v & 0xFFFF_FFFFL;
                    c.gic.updatePhysical();
                },
                (c, v) -> {
                    c.sr[ICH_AP1R0_EL2] = v & 0xFFFF_FFFFL;
                    c.gic.updateVirtual();
                });
        // Common registers (CRm 11).
        icc("ICC_DIR_EL1", 11, 1, COMMON, null, null, (c, v) -> c.gic.iccDir(v), (c, v) -> c.gic.icvDir(v));
        icc("ICC_RPR_EL1", 11, 3, COMMON,
                c -> (long) runningPriority(c.sr[ICC_AP0R0_EL1], c.sr[ICC_AP1R0_EL1]),
                c -> (long) c.gic.vRunningPriority(), null, null);
        // SGI generation: not virtualised; EL1 writes trap to EL2 when IMO or FMO is set (IHI 0069 12.2.21).
        for (int op2 : new int[] {5, 6, 7}) {
            String name = op2 == 5 ? "ICC_SGI1R_EL1" : op2 == 6 ? "ICC_ASGI1R_EL1" : "ICC_SGI0R_EL1";
            SysRegs.define(name, 3, 0, 12, 11, op2, -1, 1, null, (c, v) -> {
                if (virtual(c, COMMON)) {
                    throw c.trapCurrentSysRegAccess(2);
                }
                c.gic.iccSgi(v);
            });
        }
        // Group 1 and control registers (CRm 12).
        icc("ICC_IAR1_EL1", 12, 0, GROUP1, c -> c.gic.iccIar(GROUP1), c -> c.gic.icvIar(GROUP1), null, null);
        icc("ICC_EOIR1_EL1", 12, 1, GROUP1, null, null, (c, v) -> c.gic.iccEoir(GROUP1, v),
                (c, v) -> c.gic.icvEoir(GROUP1, v));
        icc("ICC_HPPIR1_EL1", 12, 2, GROUP1, c -> c.gic.iccHppir(GROUP1), c -> c.gic.icvHppir(GROUP1), null, null);
        icc("ICC_BPR1_EL1", 12, 3, GROUP1,
                c -> (c.sr[ICC_CTLR_EL1] & 1) != 0 ? Math.min(bpr0(c.sr[ICC_BPR0_EL1]) + 1, 7)
                        : bpr1(c.sr[ICC_BPR1_EL1]),
                c -> (c.sr[ICH_VMCR_EL2] & VMCR_VCBPR) != 0
                        ? Math.min(bpr0(vmcrField(c, VMCR_VBPR0_SHIFT, 3)) + 1, 7)
                        : bpr1(vmcrField(c, VMCR_VBPR1_SHIFT, 3)),
                (c, v) -> {
                    if ((c.sr[ICC_CTLR_EL1] & 1) == 0) {
                        c.sr[ICC_BPR1_EL1] = bpr1(v);
                        c.gic.updatePhysical();
                    }
                },
                (c, v) -> {
                    if ((c.sr[ICH_VMCR_EL2] & VMCR_VCBPR) == 0) {
                        setVmcrField(c, VMCR_VBPR1_SHIFT, 3, bpr1(v));
                        c.gic.updateVirtual();
                    }
                });
        icc("ICC_CTLR_EL1", 12, 4, COMMON, c -> ctlrRead(c.sr[ICC_CTLR_EL1] & 2, c.sr[ICC_CTLR_EL1] & 1),
                c -> ctlrRead(c.sr[ICH_VMCR_EL2] & VMCR_VEOIM, c.sr[ICH_VMCR_EL2] & VMCR_VCBPR),
                (c, v) -> {
                    c.sr[ICC_CTLR_EL1] = v & 3;
                    c.gic.updatePhysical();
                },
                (c, v) -> {
                    long vmcr = c.sr[ICH_VMCR_EL2] & ~(VMCR_VEOIM | VMCR_VCBPR);
                    c.sr[ICH_VMCR_EL2] = vmcr | ((v & 2) != 0 ? VMCR_VEOIM : 0) | ((v & 1) != 0 ? VMCR_VCBPR : 0);
                    c.gic.updateVirtual();
                });
        // System register interface always enabled, FIQ and IRQ bypass disabled: SRE, DFB, DIB are RAO/WI.
        SysRegs.define("ICC_SRE_EL1", 3, 0, 12, 12, 5, -1, 1, c -> 0x7L, (c, v) -> { });
        icc("ICC_IGRPEN0_EL1", 12, 6, GROUP0, c -> c.sr[ICC_IGRPEN0_EL1], c -> c.sr[ICH_VMCR_EL2] & VMCR_VENG0,
                (c, v) -> c.sr[ICC_IGRPEN0_EL1] = v & 1,
                (c, v) -> {
                    c.sr[ICH_VMCR_EL2] = (c.sr[ICH_VMCR_EL2] & ~VMCR_VENG0) | (v & 1);
                    c.gic.updateVirtual();
                });
        icc("ICC_IGRPEN1_EL1", 12, 7, GROUP1, c -> c.sr[ICC_IGRPEN1_EL1],
                c -> (c.sr[ICH_VMCR_EL2] & VMCR_VENG1) >>> 1,
                (c, v) -> {
                    c.sr[ICC_IGRPEN1_EL1] = v & 1;
                    c.gic.updatePhysical();
                },
                (c, v) -> {
                    c.sr[ICH_VMCR_EL2] = (c.sr[ICH_VMCR_EL2] & ~VMCR_VENG1) | ((v & 1) << 1);
                    c.gic.updateVirtual();
                });
        // SRE, DFB, DIB, Enable (EL1 may access ICC_SRE_EL1): RAO/WI.
        SysRegs.define("ICC_SRE_EL2", 3, 4, 12, 9, 5, -1, 2, c -> 0xFL, (c, v) -> { });
        SysRegs.define("ICC_SRE_EL3", 3, 6, 12, 12, 5, -1, 3, c -> 0xFL, (c, v) -> { });

        // Virtual interface control (EL2).
        SysRegs.define("ICH_AP0R0_EL2", 3, 4, 12, 8, 0, ICH_AP0R0_EL2, 2, c -> c.sr[ICH_AP0R0_EL2],
                (c, v) -> {
                    c.sr[ICH_AP0R0_EL2] = v & 0xFFFF_FFFFL;
                    c.gic.updateVirtual();
                });
        SysRegs.define("ICH_AP1R0_EL2", 3, 4, 12, 9, 0, ICH_AP1R0_EL2, 2, c -> c.sr[ICH_AP1R0_EL2],
                (c, v) -> {
                    c.sr[ICH_AP1R0_EL2] = v & 0xFFFF_FFFFL;
                    c.gic.updateVirtual();
                });
        SysRegs.define("ICH_HCR_EL2", 3, 4, 12, 11, 0, ICH_HCR_EL2, 2, c -> c.sr[ICH_HCR_EL2],
                (c, v) -> {
                    c.sr[ICH_HCR_EL2] = v & ((0x1FL << HCR_EOICOUNT_SHIFT) | 0x7CFFL);
                    c.gic.updateVirtual();
                });
        SysRegs.define("ICH_VTR_EL2", 3, 4, 12, 11, 1, -1, 2, c -> VTR, null);
        SysRegs.define("ICH_MISR_EL2", 3, 4, 12, 11, 2, -1, 2, c -> c.gic.misr(), null);
        SysRegs.define("ICH_EISR_EL2", 3, 4, 12, 11, 3, -1, 2, c -> c.gic.eisr(), null);
        SysRegs.define("ICH_ELRSR_EL2", 3, 4, 12, 11, 5, -1, 2, c -> c.gic.elrsr(), null);
        SysRegs.define("ICH_VMCR_EL2", 3, 4, 12, 11, 7, ICH_VMCR_EL2, 2, c -> c.sr[ICH_VMCR_EL2],
                (c, v) -> {
                    long bp0 = bpr0(v >>> VMCR_VBPR0_SHIFT);
                    long bp1 = bpr1(v >>> VMCR_VBPR1_SHIFT);
                    long vmcr = (v & ((0xF8L << VMCR_VPMR_SHIFT) | VMCR_VEOIM | VMCR_VCBPR | VMCR_VENG0 | VMCR_VENG1))
                            | (bp0 << VMCR_VBPR0_SHIFT) | (bp1 << VMCR_VBPR1_SHIFT)
                            | 8; // VFIQEn is RES1 with the system register interface
                    c.sr[ICH_VMCR_EL2] = vmcr;
                    c.gic.updateVirtual();
                });
        for (int n = 0; n < NUM_LRS; n++) {
            int slot = ICH_LR0_EL2 + n;
            SysRegs.define("ICH_LR" + n + "_EL2", 3, 4, 12, n < 8 ? 12 : 13, n & 7, slot, 2, c -> c.sr[slot],
                    (c, v) -> {
                        // Priority bits [50:48] are not implemented (5 bits of priority) and RES0 bits stay 0.
                        c.sr[slot] = v & LR_WRITABLE;
                        c.gic.updateVirtual();
                    });
        }
    }
}
