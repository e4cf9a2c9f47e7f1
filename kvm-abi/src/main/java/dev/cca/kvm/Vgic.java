package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.KvmUapi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.cca.core.cpu.GicCpuInterface.*;

/**
 * The in-kernel GICv3 of a VM, normal or realm (arch/arm64/kvm/vgic): the distributor and redistributor registers
 * the guest reaches by MMIO (two devices on the VM's {@link IoBus}, so a realm's accesses at the unprotected alias
 * reach them too), the state of every virtual interrupt, the list register contents for the next guest entry
 * ({@link #flush}: ICH_LR&lt;n&gt;_EL2 of the PE for a normal VM, rec_enter.gicv3_lrs for a REC) and the folding of
 * what the guest did with them after each exit ({@link #sync}), SGIs ({@link #sendSgi}) and KVM_IRQ_LINE
 * ({@link #irqLine}).
 *
 * <p>Model: affinity routing only (GICD_CTLR.ARE RAO), a single security state (DS = 1), 5 bits of priority. With an
 * ITS ({@link VgicIts}) the distributor reports LPIs (GICD_TYPER.LPIS, 16 ID bits) and the redistributors take
 * GICR_PROPBASER (one property table for all, as KVM keeps it), GICR_PENDBASER and GICR_CTLR.EnableLPIs; the LPIs
 * the ITS maps live here ({@link #addLpi}), edge-triggered, group 1, configured from the property table in guest
 * memory when mapped and on INV/INVALL, and reach the list registers like every other interrupt. Redistributor {@code i} belongs to the vCPU with id {@code i}. The architected timer PPIs are
 * level-sensitive, their level set by KVM from the timer state ({@link #setTimerLevel}); for a normal VM they are
 * hardware-mapped (their list registers carry the physical INTID, so the guest's deactivation deactivates the
 * physical interrupt that KVM acknowledged); a REC's list registers cannot be (the RMM refuses LR.HW), so they
 * carry LR.EOI instead and the guest's deactivation raises a maintenance interrupt.
 */
final class Vgic {
    static final long DIST_SIZE = 0x1_0000;
    static final long REDIST_STRIDE = 0x2_0000;
    private static final long SGI_FRAME = 0x1_0000;
    /** GICD_IIDR / GICR_IIDR: implementer Arm (0x43B). */
    private static final int IIDR = 0x43B;
    /** PIDR2.ArchRev = 3 (GICv3). */
    private static final int PIDR2 = 0x3B;

    /** One virtual interrupt. */
    static final class Irq {
        final int intid;
        boolean enabled, latch, line, active, group1, levelSensitive;
        int priority;
        long router;
        /** Hardware-mapped (LR.HW): the physical INTID the guest's deactivation deactivates. */
        boolean hw;
        /** The list register it occupies while the vCPU runs, or -1. */
        int lr = -1;
        /** An LPI's target vCPU (-1: its collection is not mapped) and the ITS translations that map it. */
        int target = -1;
        int refs;

        Irq(int intid) {
            this.intid = intid;
        }

        boolean pending() {
            return latch || (levelSensitive && line);
        }
    }

    /** Per-vCPU state: the private interrupts and the list register assignment of the last flush. */
    static final class VcpuIrqs {
        final Irq[] priv = new Irq[32];
        final Irq[] placed = new Irq[GicCpuInterface.NUM_LRS];
        /** Scratch list registers for a normal VM's flush and sync (no allocation per entry). */
        final long[] lrs = new long[GicCpuInterface.NUM_LRS];
        boolean sleeping = true; // GICR_WAKER.ProcessorSleep
        /** ICH_VMCR_EL2 as the last REC exit reported it (KVM's vgic_v3.vgic_vmcr). */
        long vmcr;
        /** GICR_CTLR.EnableLPIs and GICR_PENDBASER. */
        boolean lpisEnabled;
        long pendbaser;

        VcpuIrqs() {
            for (int i = 0; i < 32; i++) {
                priv[i] = new Irq(i);
                priv[i].levelSensitive = i >= 16 && i != 16; // PPIs level, SGIs edge
            }
        }
    }

    /** kvm_vcpu_kick(): makes a vCPU notice newly pending interrupts (out of its guest or out of its wait). */
    interface Kicker {
        void kick(int vcpuId);
    }

    private final KvmVm vm;
    final long distBase;
    final long redistBase;
    final int nrIrqs;
    private final Irq[] spis;
    private final Map<Integer, VcpuIrqs> vcpus = new HashMap<>();
    private boolean grp0Enabled, grp1Enabled;
    private final Kicker kicker;
    /** The LPIs the ITS mapped, by INTID (vgic_dist.lpi_xa). */
    private final Map<Integer, Irq> lpis = new java.util.TreeMap<>();
    /** GICR_PROPBASER, shared by every redistributor (KVM keeps one: vgic_dist.propbaser). */
    private long propbaser;

    Vgic(KvmVm vm, long distBase, long redistBase, int nrIrqs, Kicker kicker) {
        if (distBase < 0 || redistBase < 0) {
            throw new IllegalArgumentException("GIC addresses not set");
        }
        this.vm = vm;
        this.distBase = distBase;
        this.redistBase = redistBase;
        this.nrIrqs = nrIrqs;
        this.kicker = kicker;
        spis = new Irq[nrIrqs];
        for (int i = 32; i < nrIrqs; i++) {
            spis[i] = new Irq(i);
        }
    }

    synchronized VcpuIrqs vcpu(int id) {
        return vcpus.computeIfAbsent(id, k -> new VcpuIrqs());
    }

    private Irq irq(int vcpuId, int intid) {
        if (intid < 32) {
            return intid >= 0 ? vcpu(vcpuId).priv[intid] : null;
        }
        return intid < nrIrqs ? spis[intid] : null;
    }

    private int redistCount() {
        synchronized (vm) {
            return vm.vcpus.isEmpty() ? 0 : vm.vcpus.keySet().stream().mapToInt(Integer::intValue).max().getAsInt() + 1;
        }
    }

    /** Whether {@code ipa} is in the distributor or a redistributor frame. */
    boolean handles(long ipa) {
        return (ipa >= distBase && ipa < distBase + DIST_SIZE)
                || (ipa >= redistBase && ipa < redistBase + REDIST_STRIDE * redistCount());
    }

    /** One MMIO region of this GIC on the VM's in-kernel bus (vgic_register_dist_iodev / redist_iodev). */
    private final class Region implements IoBus.Device {
        private final boolean dist;

        Region(boolean dist) {
            this.dist = dist;
        }

        @Override
        public long base() {
            return dist ? distBase : redistBase;
        }

        @Override
        public long size() {
            return dist ? DIST_SIZE : REDIST_STRIDE * redistCount();
        }

        @Override
        public long read(KvmVcpu vcpu, long gpa, int len) {
            return Vgic.this.read(vcpu.id, gpa, len);
        }

        @Override
        public void write(KvmVcpu vcpu, long gpa, int len, long value) {
            Vgic.this.write(vcpu.id, gpa, len, value);
        }
    }

    /** Registers the distributor and the redistributors on {@code bus} (KVM_DEV_ARM_VGIC_CTRL_INIT). */
    void register(IoBus bus) {
        bus.register(new Region(true));
        bus.register(new Region(false));
    }

    // =========================================================================================================
    // Injection
    // =========================================================================================================

    /** The vCPU an SPI is routed to (GICD_IROUTER; 1-of-N routing delivers to the lowest vCPU). */
    private int spiTarget(Irq q) {
        synchronized (vm) {
            if ((q.router & (1L << 31)) == 0) {
                long aff = q.router & 0xFF_FFFFL | ((q.router >>> 32) & 0xFF) << 24;
                for (KvmVcpu v : vm.vcpus.values()) {
                    if (v.mpidr == aff) {
                        return v.id;
                    }
                }
            }
            return vm.vcpus.isEmpty() ? 0 : vm.vcpus.keySet().iterator().next();
        }
    }

    /** KVM_IRQ_LINE for an SPI: drives its line (level) or pends it on a rising edge. */
    void setSpiLevel(int intid, boolean level) {
        int target;
        synchronized (this) {
            Irq q = spis[intid];
            if (!q.levelSensitive && level && !q.line) {
                q.latch = true;
            }
            q.line = level;
            target = spiTarget(q);
        }
        kicker.kick(target);
    }

    /** KVM_IRQ_LINE for a PPI of one vCPU. */
    void setPpiLevel(int vcpuId, int intid, boolean level) {
        synchronized (this) {
            Irq q = vcpu(vcpuId).priv[intid];
            if (!q.levelSensitive && level && !q.line) {
                q.latch = true;
            }
            q.line = level;
        }
        kicker.kick(vcpuId);
    }

    /**
     * KVM_IRQ_LINE with an in-kernel irqchip (kvm_vm_ioctl_irq_line): {@code irq} encodes type, vCPU and number
     * (arch/arm64/include/uapi/asm/kvm.h). 0 or a negative errno.
     */
    long irqLine(long irq, long level) {
        int type = (int) (irq >>> KvmUapi.KVM_ARM_IRQ_TYPE_SHIFT) & 0xF;
        int vcpu = (int) ((irq >>> KvmUapi.KVM_ARM_IRQ_VCPU_SHIFT) & 0xFF) | (int) (((irq >>> 28) & 0xF) << 8);
        int num = (int) irq & 0xFFFF;
        boolean high = level != 0;
        if (type == KvmUapi.KVM_ARM_IRQ_TYPE_SPI) {
            if (num < 32 || num >= nrIrqs) {
                return -Errno.EINVAL;
            }
            setSpiLevel(num, high);
            return 0;
        }
        if (type == KvmUapi.KVM_ARM_IRQ_TYPE_PPI) {
            if (num < 16 || num >= 32 || !vm.vcpus.containsKey(vcpu)) {
                return -Errno.EINVAL;
            }
            setPpiLevel(vcpu, num, high);
            return 0;
        }
        if (type == KvmUapi.KVM_ARM_IRQ_TYPE_CPU) {
            return -Errno.ENXIO; // the CPU's IRQ/FIQ lines are for VMs without an in-kernel irqchip
        }
        return -Errno.EINVAL;
    }

    /**
     * kvm_timer_update_irq(): the output level of one of {@code vcpuId}'s architected timers. The PPI is
     * level-sensitive: when the timer condition drops (disabled, masked, or CVAL moved into the future) its
     * pending state drops with it. {@code hw}: hardware-mapped (a normal VM's list register names the physical
     * PPI). Returns true if the level rose (the caller kicks the vCPU when another thread set it).
     */
    synchronized boolean setTimerLevel(int vcpuId, int intid, boolean level, boolean hw) {
        Irq q = vcpu(vcpuId).priv[intid];
        boolean rose = level && !q.line;
        q.line = level;
        q.latch = false;
        if (hw) {
            q.hw = true;
        } else if (q.hw && !q.active) {
            q.hw = false;
        }
        return rose;
    }

    /**
     * kvm_pmu_update_state(): the level of {@code vcpuId}'s PMU overflow interrupt {@code intid} (a PPI, or an SPI
     * the VMM gave it), level-sensitive and not hardware-mapped: a list register carries LR.EOI, so the guest's
     * deactivation brings the vCPU out for the line to be sampled again.
     */
    synchronized void setPmuLevel(int vcpuId, int intid, boolean level) {
        Irq q = irq(vcpuId, intid);
        if (q != null) {
            q.line = level;
            q.latch = false;
        }
    }

    /** Whether {@code intid} (private interrupt of {@code vcpuId}, or an SPI) is active in the vGIC. */
    synchronized boolean isActiveAny(int vcpuId, int intid) {
        Irq q = irq(vcpuId, intid);
        return q != null && q.active;
    }

    /** Whether the input line of private interrupt {@code intid} of {@code vcpuId} is high (a timer's level). */
    synchronized boolean isAsserted(int vcpuId, int intid) {
        return vcpu(vcpuId).priv[intid].line;
    }

    /** Whether {@code intid} of {@code vcpuId} is active in the vGIC (kvm_vgic_map_is_active). */
    synchronized boolean isActive(int vcpuId, int intid) {
        return vcpu(vcpuId).priv[intid].active;
    }

    /**
     * Whether a trapped system register access (ESR_EL2 ISS of EC 0x18) is a write to ICC_SGI1R_EL1,
     * ICC_ASGI1R_EL1 or ICC_SGI0R_EL1 (op0 3, op1 0, CRn 12, CRm 11, op2 5-7).
     */
    static boolean isSgiWrite(int iss) {
        int op0 = (iss >>> 20) & 3, op2 = (iss >>> 17) & 7, op1 = (iss >>> 14) & 7, crn = (iss >>> 10) & 15;
        int crm = (iss >>> 1) & 15;
        boolean read = (iss & 1) != 0;
        return !read && op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 >= 5;
    }

    /**
     * A write of {@code v} to ICC_SGI1R_EL1 by {@code fromVcpu} (vgic_v3_dispatch_sgi), trapped by a normal VM or
     * reported by the RMM in a REC exit: pends the SGI on every vCPU it names and kicks them.
     */
    void sendSgi(int fromVcpu, long v) {
        int intid = (int) (v >>> 24) & 0xF;
        boolean irm = ((v >>> 40) & 1) != 0;
        int targetList = (int) v & 0xFFFF;
        long aff321 = ((v >>> 48) & 0xFF) << 16 | ((v >>> 32) & 0xFF) << 8 | ((v >>> 16) & 0xFF);
        int rs = (int) (v >>> 44) & 0xF;
        List<Integer> targets = new ArrayList<>();
        synchronized (vm) {
            for (KvmVcpu t : vm.vcpus.values()) {
                long aff0 = t.mpidr & 0xFF;
                long upper = t.mpidr >>> 8;
                boolean hit = irm ? t.id != fromVcpu
                        : upper == aff321 && (aff0 >>> 4) == rs && ((targetList >>> (aff0 & 15)) & 1) != 0;
                if (hit) {
                    targets.add(t.id);
                }
            }
        }
        synchronized (this) {
            for (int t : targets) {
                vcpu(t).priv[intid].latch = true;
            }
        }
        for (int t : targets) {
            kicker.kick(t);
        }
    }

    private boolean deliverable(Irq q) {
        return q.pending() && q.enabled && (q.group1 ? grp1Enabled : grp0Enabled);
    }

    /** Whether {@code vcpuId} has an interrupt to take (what wakes a vCPU blocked in WFI). */
    synchronized boolean hasPending(int vcpuId) {
        VcpuIrqs s = vcpu(vcpuId);
        for (Irq q : s.priv) {
            if (deliverable(q) && !q.active) {
                return true;
            }
        }
        for (int i = 32; i < nrIrqs; i++) {
            Irq q = spis[i];
            if (deliverable(q) && !q.active && spiTarget(q) == vcpuId) {
                return true;
            }
        }
        if (s.lpisEnabled) {
            for (Irq q : lpis.values()) {
                if (q.target == vcpuId && deliverable(q)) {
                    return true;
                }
            }
        }
        return false;
    }

    // =========================================================================================================
    // List registers
    // =========================================================================================================

    /**
     * Before entering a normal VM's guest: the list registers of {@code pe} (see {@link #flush(int, long[],
     * boolean)}), ICH_HCR_EL2 with En.
     */
    synchronized void flush(int vcpuId, Cpu pe) {
        VcpuIrqs s = vcpu(vcpuId);
        long hcr = flush(vcpuId, s.lrs, true);
        System.arraycopy(s.lrs, 0, pe.sr, ICH_LR0_EL2, NUM_LRS);
        pe.sr[ICH_HCR_EL2] = HCR_EN | hcr;
    }

    /** After a normal VM's exit: folds the PE's list registers back ({@link #sync(int, long[])}). */
    synchronized void sync(int vcpuId, Cpu pe) {
        VcpuIrqs s = vcpu(vcpuId);
        System.arraycopy(pe.sr, ICH_LR0_EL2, s.lrs, 0, NUM_LRS);
        sync(vcpuId, s.lrs);
        for (int i = 0; i < NUM_LRS; i++) {
            pe.sr[ICH_LR0_EL2 + i] = 0;
        }
        pe.sr[ICH_HCR_EL2] = 0;
    }

    /**
     * vgic_flush_lr_state(): fills {@code lrs} (NUM_LRS entries) with the highest-priority active and deliverable
     * interrupts of {@code vcpuId}, and returns the ICH_HCR_EL2 bits the host asks for: UIE (an underflow
     * maintenance interrupt) when some do not fit. {@code hwMapped}: whether hardware-mapped interrupts may use
     * LR.HW (not in a REC: the RMM refuses it; they are then level-sensitive with LR.EOI).
     */
    synchronized long flush(int vcpuId, long[] lrs, boolean hwMapped) {
        VcpuIrqs s = vcpu(vcpuId);
        List<Irq> cands = new ArrayList<>();
        for (Irq q : s.priv) {
            if (q.active || deliverable(q)) {
                cands.add(q);
            }
        }
        for (int i = 32; i < nrIrqs; i++) {
            Irq q = spis[i];
            if ((q.active || deliverable(q)) && spiTarget(q) == vcpuId) {
                cands.add(q);
            }
        }
        if (s.lpisEnabled) {
            for (Irq q : lpis.values()) {
                if (q.target == vcpuId && deliverable(q)) {
                    cands.add(q);
                }
            }
        }
        // Active interrupts first (their deactivation must find them), then by priority.
        cands.sort((a, b) -> a.active != b.active ? (a.active ? -1 : 1) : Integer.compare(a.priority, b.priority));
        int n = Math.min(cands.size(), NUM_LRS);
        for (int i = 0; i < NUM_LRS; i++) {
            s.placed[i] = null;
            lrs[i] = 0;
        }
        for (int i = 0; i < n; i++) {
            Irq q = cands.get(i);
            boolean hw = q.hw && hwMapped;
            // A hardware-mapped interrupt is not made pending again while active: the physical one is active.
            boolean pend = deliverable(q) && !(hw && q.active);
            long lr = (q.intid & 0xFFFF_FFFFL) | ((long) (q.priority & 0xF8) << LR_PRIORITY_SHIFT)
                    | (q.group1 ? LR_GROUP1 : 0) | (pend ? LR_PENDING : 0) | (q.active ? LR_ACTIVE : 0);
            if (hw) {
                lr |= LR_HW | ((long) q.intid << LR_PINTID_SHIFT);
            } else if (q.levelSensitive) {
                lr |= LR_EOI; // resample the line when the guest deactivates it
            }
            lrs[i] = lr;
            if (pend && !q.levelSensitive) {
                q.latch = false; // the pending state now lives in the list register
            }
            q.lr = i;
            s.placed[i] = q;
        }
        return cands.size() > NUM_LRS ? HCR_UIE : 0;
    }

    /**
     * vgic_v3_fold_lr_state(): records what the guest did with the interrupts placed by the last flush, from
     * the list registers as the exit left them: acknowledged ones are active, deactivated ones retire, an edge
     * interrupt still pending stays pending. A level-sensitive interrupt's pending state is its line's.
     */
    synchronized void sync(int vcpuId, long[] lrs) {
        VcpuIrqs s = vcpu(vcpuId);
        for (int i = 0; i < NUM_LRS; i++) {
            Irq q = s.placed[i];
            if (q == null) {
                continue;
            }
            long lr = lrs[i];
            q.active = (lr & LR_ACTIVE) != 0;
            if (!q.levelSensitive) {
                q.latch |= (lr & LR_PENDING) != 0; // not acknowledged yet
            } else if ((lr & LR_PENDING) == 0) {
                q.latch = false; // acknowledged: a software pend (ISPENDR) of a level interrupt is consumed
            }
            q.lr = -1;
            s.placed[i] = null;
        }
    }

    /** Records ICH_VMCR_EL2 from a REC exit (the guest's priority mask and group enables). */
    synchronized void setVmcr(int vcpuId, long vmcr) {
        vcpu(vcpuId).vmcr = vmcr;
    }

    // =========================================================================================================
    // MMIO
    // =========================================================================================================

    synchronized long read(int vcpuId, long ipa, int size) {
        if (ipa >= distBase && ipa < distBase + DIST_SIZE) {
            return distRead((int) (ipa - distBase), size);
        }
        long off = ipa - redistBase;
        int r = (int) (off / REDIST_STRIDE);
        int o = (int) (off % REDIST_STRIDE);
        return o >= SGI_FRAME ? sgiRead(r, o - (int) SGI_FRAME, size) : rdRead(r, o, size);
    }

    synchronized void write(int vcpuId, long ipa, int size, long v) {
        List<Integer> kicks = new ArrayList<>();
        if (ipa >= distBase && ipa < distBase + DIST_SIZE) {
            distWrite((int) (ipa - distBase), size, v, kicks);
        } else {
            long off = ipa - redistBase;
            int r = (int) (off / REDIST_STRIDE);
            int o = (int) (off % REDIST_STRIDE);
            if (o >= SGI_FRAME) {
                sgiWrite(r, o - (int) SGI_FRAME, size, v, kicks);
            } else {
                rdWrite(r, o, size, v, kicks);
            }
        }
        for (int k : kicks) {
            kicker.kick(k);
        }
    }

    /** Reads a 1-bit-per-interrupt register for INTIDs first..first+31. */
    private long bits(int vcpuId, int first, java.util.function.Predicate<Irq> p) {
        long v = 0;
        for (int i = 0; i < 32; i++) {
            Irq q = irq(vcpuId, first + i);
            if (q != null && p.test(q)) {
                v |= 1L << i;
            }
        }
        return v;
    }

    private void setBits(int vcpuId, int first, long v, java.util.function.Consumer<Irq> f) {
        for (int i = 0; i < 32; i++) {
            if (((v >>> i) & 1) != 0) {
                Irq q = irq(vcpuId, first + i);
                if (q != null) {
                    f.accept(q);
                }
            }
        }
    }

    private long cfg(int vcpuId, int first) {
        long v = 0;
        for (int i = 0; i < 16; i++) {
            Irq q = irq(vcpuId, first + i);
            if (q != null && !q.levelSensitive) {
                v |= 2L << (2 * i);
            }
        }
        return v;
    }

    private void setCfg(int vcpuId, int first, long v) {
        for (int i = 0; i < 16; i++) {
            Irq q = irq(vcpuId, first + i);
            if (q != null && q.intid >= 16) { // SGI configuration is read-only (edge)
                q.levelSensitive = ((v >>> (2 * i)) & 2) == 0;
            }
        }
    }

    private long priorities(int vcpuId, int first, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            Irq q = irq(vcpuId, first + i);
            if (q != null) {
                v |= (long) q.priority << (8 * i);
            }
        }
        return v;
    }

    private void setPriorities(int vcpuId, int first, int size, long v) {
        for (int i = 0; i < size; i++) {
            Irq q = irq(vcpuId, first + i);
            if (q != null) {
                q.priority = (int) (v >>> (8 * i)) & 0xF8;
            }
        }
    }

    /**
     * The registers common to the distributor (SPIs, n >= 1) and the SGI frame (private, n = 0): IGROUPR,
     * IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER, IPRIORITYR, ICFGR. Returns null if {@code off} is none of them.
     */
    private Long commonRead(int vcpuId, int off, int size) {
        if (off >= 0x080 && off < 0x400) {
            int first = ((off & 0x7F) / 4) * 32;
            switch (off & ~0x7F) {
                case 0x080: return bits(vcpuId, first, q -> q.group1);
                case 0x100:
                case 0x180: return bits(vcpuId, first, q -> q.enabled);
                case 0x200:
                case 0x280: return bits(vcpuId, first, Irq::pending);
                case 0x300:
                case 0x380: return bits(vcpuId, first, q -> q.active);
                default: return null;
            }
        }
        if (off >= 0x400 && off < 0x800) {
            return priorities(vcpuId, off - 0x400, size);
        }
        if (off >= 0xC00 && off < 0xD00) {
            return cfg(vcpuId, ((off - 0xC00) / 4) * 16);
        }
        if (off >= 0xD00 && off < 0xF00) {
            return 0L; // IGRPMODR, NSACR: RAZ (single security state)
        }
        return null;
    }

    private boolean commonWrite(int vcpuId, int off, int size, long v, List<Integer> kicks, int target) {
        if (off >= 0x080 && off < 0x400) {
            int first = ((off & 0x7F) / 4) * 32;
            switch (off & ~0x7F) {
                case 0x080: {
                    for (int i = 0; i < 32; i++) {
                        Irq q = irq(vcpuId, first + i);
                        if (q != null) {
                            q.group1 = ((v >>> i) & 1) != 0;
                        }
                    }
                    break;
                }
                case 0x100: setBits(vcpuId, first, v, q -> q.enabled = true); break;
                case 0x180: setBits(vcpuId, first, v, q -> q.enabled = false); break;
                case 0x200: setBits(vcpuId, first, v, q -> q.latch = true); break;
                case 0x280: setBits(vcpuId, first, v, q -> q.latch = false); break;
                case 0x300: setBits(vcpuId, first, v, q -> q.active = true); break;
                case 0x380: setBits(vcpuId, first, v, q -> q.active = false); break;
                default: return false;
            }
            kicks.add(target);
            return true;
        }
        if (off >= 0x400 && off < 0x800) {
            setPriorities(vcpuId, off - 0x400, size, v);
            return true;
        }
        if (off >= 0xC00 && off < 0xD00) {
            setCfg(vcpuId, ((off - 0xC00) / 4) * 16, v);
            return true;
        }
        return off >= 0xD00 && off < 0xF00;
    }

    private long distRead(int off, int size) {
        switch (off) {
            case 0x0000: // GICD_CTLR: DS, ARE RAO; RWP 0
                return (grp0Enabled ? 1 : 0) | (grp1Enabled ? 2 : 0) | (1 << 4) | (1 << 6);
            case 0x0004: // GICD_TYPER: ITLinesNumber, IDbits = 9 (10 bits) or with an ITS 15 and LPIS, No1N
                return (nrIrqs / 32 - 1) | (hasIts() ? (15 << 19) | (1 << 17) : 9 << 19) | (1 << 25);
            case 0x0008: return IIDR;
            case 0x000C: return 0; // TYPER2
            case 0xFFE8: return PIDR2;
            default: break;
        }
        if (off >= 0x6100 && off < 0x6000 + 8 * nrIrqs) {
            Irq q = spis[(off - 0x6000) / 8];
            return (off & 4) != 0 ? q.router >>> 32 : size == 8 ? q.router : q.router & 0xFFFF_FFFFL;
        }
        if (off < 0x80 + 4 || (off >= 0x100 && off < 0x104) || (off >= 0x180 && off < 0x184)
                || (off >= 0x200 && off < 0x204) || (off >= 0x280 && off < 0x284)
                || (off >= 0x300 && off < 0x304) || (off >= 0x380 && off < 0x384)
                || (off >= 0x400 && off < 0x420) || (off >= 0xC00 && off < 0xC08)) {
            return 0; // private interrupts are in the redistributors (ARE): RAZ/WI here
        }
        Long v = commonRead(-1, off, size);
        return v == null ? 0 : v;
    }

    private void distWrite(int off, int size, long v, List<Integer> kicks) {
        if (off == 0) {
            grp0Enabled = (v & 1) != 0;
            grp1Enabled = (v & 2) != 0;
            synchronized (vm) {
                kicks.addAll(vm.vcpus.keySet());
            }
            return;
        }
        if (off >= 0x6100 && off < 0x6000 + 8 * nrIrqs) {
            Irq q = spis[(off - 0x6000) / 8];
            long mask = 0xFF_0000_80FF_FFFFL;
            if (size == 8) {
                q.router = v & mask;
            } else if ((off & 4) != 0) {
                q.router = (q.router & 0xFFFF_FFFFL) | ((v & 0xFF) << 32);
            } else {
                q.router = (q.router & ~0xFFFF_FFFFL) | (v & 0x80FF_FFFFL);
            }
            return;
        }
        if (off < 0x80 + 4 || (off >= 0x100 && off < 0x104) || (off >= 0x180 && off < 0x184)
                || (off >= 0x200 && off < 0x204) || (off >= 0x280 && off < 0x284)
                || (off >= 0x300 && off < 0x304) || (off >= 0x380 && off < 0x384)
                || (off >= 0x400 && off < 0x420) || (off >= 0xC00 && off < 0xC08)) {
            return;
        }
        int first = off >= 0x400 && off < 0x800 ? off - 0x400 : 32;
        Irq q = first < nrIrqs ? spis[Math.max(first, 32)] : null;
        commonWrite(-1, off, size, v, kicks, q == null ? 0 : spiTarget(q));
    }

    private long rdRead(int r, int off, int size) {
        switch (off) {
            case 0x0000: return vcpu(r).lpisEnabled ? 1 : 0; // GICR_CTLR: EnableLPIs, RWP 0
            case 0x0004: return IIDR;
            case 0x0008:
            case 0x000C: {
                long mpidr;
                synchronized (vm) {
                    KvmVcpu v = vm.vcpus.get(r);
                    mpidr = v == null ? r : v.mpidr;
                }
                long aff = (mpidr & 0xFF_FFFFL) | (((mpidr >>> 32) & 0xFF) << 24);
                long typer = (aff << 32) | ((long) r << 8) | (r == redistCount() - 1 ? 1 << 4 : 0)
                        | (hasIts() ? 1 : 0); // PLPIS
                return off == 0x000C ? typer >>> 32 : size == 8 ? typer : typer & 0xFFFF_FFFFL;
            }
            case 0x0014: { // GICR_WAKER: ProcessorSleep, ChildrenAsleep follows it at once
                boolean sl = vcpu(r).sleeping;
                return sl ? 6 : 0;
            }
            case 0x0070:
            case 0x0074: // GICR_PROPBASER
                return hasIts() ? part64(propbaser, off & 4, size) : 0;
            case 0x0078:
            case 0x007C: // GICR_PENDBASER: PTZ reads as zero
                return hasIts() ? part64(vcpu(r).pendbaser & ~PENDBASER_PTZ, off & 4, size) : 0;
            case 0xFFE8: return PIDR2;
            default: return 0;
        }
    }

    private void rdWrite(int r, int off, int size, long v, List<Integer> kicks) {
        VcpuIrqs s = vcpu(r);
        switch (off) {
            case 0x0014:
                s.sleeping = (v & 2) != 0;
                break;
            case 0x0000: // GICR_CTLR.EnableLPIs (vgic_mmio_write_v3r_ctlr)
                if (hasIts()) {
                    boolean en = (v & 1) != 0;
                    if (en && !s.lpisEnabled) {
                        s.lpisEnabled = true;
                        syncPendingTable(r);
                        kicks.add(r);
                    } else if (!en && s.lpisEnabled) {
                        s.lpisEnabled = false;
                        for (Irq q : lpis.values()) { // vgic_flush_pending_lpis
                            if (q.target == r) {
                                q.latch = false;
                            }
                        }
                    }
                }
                break;
            case 0x0070:
            case 0x0074: // GICR_PROPBASER: read-only while this redistributor has LPIs enabled
                if (hasIts() && !s.lpisEnabled) {
                    propbaser = update64(propbaser, off & 4, size, v) & ~PROPBASER_RES0;
                }
                break;
            case 0x0078:
            case 0x007C:
                if (hasIts() && !s.lpisEnabled) {
                    s.pendbaser = update64(s.pendbaser, off & 4, size, v) & ~PENDBASER_RES0;
                }
                break;
            default:
                break;
        }
    }

    private static long part64(long reg, int high, int size) {
        long v = reg >>> (8 * high);
        return size >= 8 ? v : v & 0xFFFF_FFFFL;
    }

    private static long update64(long reg, int high, int size, long v) {
        if (size >= 8) {
            return v;
        }
        long mask = 0xFFFF_FFFFL << (8 * high);
        return (reg & ~mask) | ((v & 0xFFFF_FFFFL) << (8 * high));
    }

    // =========================================================================================================
    // LPIs (vgic_add_lpi, update_lpi_config, vgic_its_trigger_msi's delivery)
    // =========================================================================================================

    private static final long PROPBASER_RES0 = 0xF800_0000_0000_0000L | 0x00F0_0000_0000_0000L | 0x60L;
    private static final long PENDBASER_RES0 = (1L << 63) | 0x3800_0000_0000_0000L | 0x00F0_0000_0000_0000L
            | 0xF000L | 0x7FL;
    private static final long PENDBASER_PTZ = 1L << 62;
    /** Physical address bits [51:12] (PROPBASER) and [51:16] (PENDBASER). */
    private static final long PROP_ADDR = 0x000F_FFFF_FFFF_F000L, PEND_ADDR = 0x000F_FFFF_FFFF_0000L;

    private boolean hasIts() {
        return vm.its != null;
    }

    private KvmGuestMemory lpiMemory() {
        VgicItsDevice d = vm.its;
        return d == null ? null : d.memory;
    }

    /** max_lpis_propbaser(): one past the largest LPI INTID the property table covers. */
    synchronized long maxLpis() {
        int idbits = (int) (propbaser & 0x1F) + 1;
        return 1L << Math.min(idbits, 16);
    }

    /** update_lpi_config(): the LPI's priority and enable from its byte of the property table; false if unreadable. */
    private boolean readLpiConfig(Irq q) {
        KvmGuestMemory m = lpiMemory();
        int b = m == null ? -1 : m.read8((propbaser & PROP_ADDR) + q.intid - LPI_MIN);
        if (b < 0) {
            return false;
        }
        q.priority = b & 0xFC;
        q.enabled = (b & 1) != 0;
        return true;
    }

    /** its_sync_lpi_pending_table(): on EnableLPIs, the pending state of vCPU {@code r}'s LPIs from its table. */
    private void syncPendingTable(int r) {
        KvmGuestMemory m = lpiMemory();
        if (m == null) {
            return;
        }
        long base = vcpu(r).pendbaser & PEND_ADDR;
        for (Irq q : lpis.values()) {
            if (q.target == r) {
                int b = m.read8(base + q.intid / 8);
                if (b >= 0) {
                    q.latch = ((b >>> (q.intid % 8)) & 1) != 0;
                }
            }
        }
    }

    /**
     * vgic_add_lpi(): the LPI {@code intid}, created with its configuration read from the property table (or
     * shared with the translations that already map it), targeting {@code target} (-1 for none). One reference
     * more; {@link #putLpi} drops it.
     */
    synchronized Irq addLpi(int intid, int target) {
        Irq q = lpis.get(intid);
        if (q == null) {
            q = new Irq(intid);
            q.group1 = true;
            lpis.put(intid, q);
        }
        q.refs++;
        q.target = target;
        readLpiConfig(q);
        return q;
    }

    /** vgic_put_irq(): a translation no longer maps the LPI; it goes (with its pending state) with the last. */
    synchronized void putLpi(Irq q) {
        if (--q.refs <= 0) {
            lpis.remove(q.intid, q);
            q.latch = false;
        }
    }

    /** update_affinity(): the LPI now targets {@code target}; a pending one is delivered there. */
    void setLpiTarget(Irq q, int target) {
        boolean kick;
        synchronized (this) {
            q.target = target;
            kick = q.latch && target >= 0;
        }
        if (kick) {
            kicker.kick(target);
        }
    }

    /** vgic_its_invall() / INV: re-reads the configuration of one LPI, or of every LPI targeting {@code vcpuId}. */
    void invalidateLpis(Irq one, int vcpuId) {
        List<Integer> kicks = new ArrayList<>();
        synchronized (this) {
            for (Irq q : one != null ? List.of(one) : new ArrayList<>(lpis.values())) {
                if (one != null || q.target == vcpuId) {
                    readLpiConfig(q);
                    if (q.target >= 0 && q.latch && q.enabled) {
                        kicks.add(q.target);
                    }
                }
            }
        }
        for (int k : kicks) {
            kicker.kick(k);
        }
    }

    /** MOVALL: every LPI targeting {@code from} now targets {@code to}. */
    void moveAllLpis(int from, int to) {
        synchronized (this) {
            for (Irq q : lpis.values()) {
                if (q.target == from) {
                    q.target = to;
                }
            }
        }
        kicker.kick(to);
    }

    /**
     * INT or a translated MSI: makes the LPI pending at its target. False (KVM: -EBUSY) when the target's
     * redistributor has LPIs disabled.
     */
    boolean pendLpi(Irq q) {
        int t;
        synchronized (this) {
            t = q.target;
            if (t < 0 || !vcpu(t).lpisEnabled) {
                return false;
            }
            q.latch = true;
        }
        kicker.kick(t);
        return true;
    }

    /** CLEAR: the LPI is no longer pending. */
    synchronized void clearLpi(Irq q) {
        q.latch = false;
    }

    /** Whether LPI {@code intid} is pending (for tests and the ITS's own checks). */
    synchronized boolean lpiPending(int intid) {
        Irq q = lpis.get(intid);
        return q != null && q.latch;
    }

    /** Whether vCPU {@code vcpuId}'s redistributor has LPIs enabled (vgic_lpis_enabled). */
    synchronized boolean lpisEnabled(int vcpuId) {
        return vcpu(vcpuId).lpisEnabled;
    }

    private long sgiRead(int r, int off, int size) {
        if (off >= 0x080 && off < 0xF00 && !(off >= 0x084 && off < 0x100) && !(off >= 0x104 && off < 0x180)
                && !(off >= 0x184 && off < 0x200) && !(off >= 0x204 && off < 0x280)
                && !(off >= 0x284 && off < 0x300) && !(off >= 0x304 && off < 0x380)
                && !(off >= 0x384 && off < 0x400) && !(off >= 0x420 && off < 0xC00)
                && !(off >= 0xC08 && off < 0xD00)) {
            Long v = commonRead(r, off, size);
            return v == null ? 0 : v;
        }
        return off == 0xFFE8 ? PIDR2 : 0;
    }

    private void sgiWrite(int r, int off, int size, long v, List<Integer> kicks) {
        if ((off >= 0x080 && off < 0x084) || (off >= 0x100 && off < 0x104) || (off >= 0x180 && off < 0x184)
                || (off >= 0x200 && off < 0x204) || (off >= 0x280 && off < 0x284) || (off >= 0x300 && off < 0x304)
                || (off >= 0x380 && off < 0x384) || (off >= 0x400 && off < 0x420) || (off >= 0xC00 && off < 0xC08)) {
            commonWrite(r, off, size, v, kicks, r);
        }
    }
}
