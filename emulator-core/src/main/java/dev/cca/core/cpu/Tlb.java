package dev.cca.core.cpu;

import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.Page;
import dev.cca.core.mem.Pas;
import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.mmu.Mmu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * One PE's software TLB and the data-access paths through it: a direct-mapped table per translation regime whose
 * entries hold the backing {@link Page}, so that a hit is one compare and one array access; the fills (stage 1
 * and 2 walks by the {@link Mmu}, the granule protection check with its cache); invalidation by ASID and VA and
 * the inbox of broadcast invalidations posted by other PEs ({@link CoherenceDomain}), which only the owning
 * thread applies. Faults are recorded with the PE's {@link ExceptionModel} and thrown as {@link GuestFault}.
 */
public final class Tlb implements Mmu.Context {
    private final Cpu cpu;
    private final Mmu mmu = new Mmu();

    Tlb(Cpu cpu) {
        this.cpu = cpu;
    }

    // ---- Mmu.Context: what a table walk needs of the PE ---------------------------------------------------------

    @Override
    public long[] sysRegs() {
        return cpu.sr;
    }

    @Override
    public SecurityState securityState() {
        return cpu.ss;
    }

    @Override
    public boolean el2Enabled() {
        return cpu.el2Enabled();
    }

    @Override
    public PhysicalMemory memory() {
        return cpu.memory;
    }

    /** 1024 entries per regime: Linux's kernel working set thrashed a 256-entry direct-mapped TLB. */
    private static final int TLB_BITS = 10;
    private static final int TLB_SIZE = 1 << TLB_BITS;
    private static final int TLB_MASK = TLB_SIZE - 1;
    private static final long PAGE_TAG_MASK = ~Page.MASK;
    /** Tags for reads, writes and fetches: the page VA when that access is allowed, else -1. Bit 0 set = MMIO. */
    private final long[] tlbRead = new long[Cpu.MMU_COUNT * TLB_SIZE];
    private final long[] tlbWrite = new long[Cpu.MMU_COUNT * TLB_SIZE];
    private final long[] tlbExec = new long[Cpu.MMU_COUNT * TLB_SIZE];
    private final Page[] tlbPage = new Page[Cpu.MMU_COUNT * TLB_SIZE];
    private final long[] tlbPa = new long[Cpu.MMU_COUNT * TLB_SIZE];
    /** Per entry: bit 0 set = non-global (nG) entry; bits [15:8] = log2 of the size of the mapping it came from. */
    private final int[] tlbAttr = new int[Cpu.MMU_COUNT * TLB_SIZE];

    public void flushTlb() {
        if (tlbFilled) { // world switches flush often: skip the clearing when nothing was filled since
            java.util.Arrays.fill(gpcPassed, 0L);
            if (filledCount <= FILL_LIST_MAX) {
                // A world switch typically follows a few fills: clear those rather than all 8 regimes' arrays.
                for (int k = 0; k < filledCount; k++) {
                    int i = filledIdx[k];
                    invalidateEntry(i);
                    tlbAttr[i] = 0;
                }
            } else {
                java.util.Arrays.fill(tlbRead, -1L);
                java.util.Arrays.fill(tlbWrite, -1L);
                java.util.Arrays.fill(tlbExec, -1L);
                java.util.Arrays.fill(tlbPage, null);
                java.util.Arrays.fill(tlbAttr, 0);
            }
            filledCount = 0;
            tlbFilled = false;
        }
        blockEntries = 0;
        ngCount = 0;
        tlbAsid = currentAsid();
        cpu.engine.forgetCodePage();
        snapshotTranslationContext();
    }

    // =========================================================================================================
    // Data access
    // =========================================================================================================

    /**
     * Loads {@code size} bytes (1, 2, 4, 8) at virtual address {@code va}, zero-extended. {@code syn} is the
     * instruction's data-abort syndrome template (ISV, SAS, SSE, SRT, SF, AR) used if the access faults.
     */
    public long read(long va, int size, int syn) {
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        int off = (int) (va & Page.MASK);
        if (tlbRead[i] == (va & PAGE_TAG_MASK) && off <= Page.SIZE - size) {
            if (countMem) {
                memAccess();
            }
            return Bytes.get(tlbPage[i].data, off, size);
        }
        long v = readSlow(va, size, syn);
        if (countMem) {
            memAccess();
        }
        return v;
    }

    // ---- the PMU's MEM_ACCESS event (Pmu): one count per completed read or write call -------------------------

    /** A PMU counter counts data accesses in the current state (set by {@link Pmu}). */
    boolean countMem;
    /** Data accesses counted while {@link #countMem} was set. */
    long memAccesses;
    /** The value of {@link #memAccesses} at which a MEM_ACCESS counter overflows. */
    long memOverflowAt = Long.MAX_VALUE;

    private void memAccess() {
        if (++memAccesses >= memOverflowAt) {
            cpu.pmu.memOverflow();
        }
    }

    /**
     * A store into a RAM page the TLB maps: drops the decoded instructions it overwrites (and ends a translated
     * block, so self-modifying code is seen at the next instruction) and clears other PEs' exclusive reservations.
     */
    private void store(Page p, int off, int size, long value) {
        Bytes.put(p.data, off, size, value);
        afterAtomicStore(p, off, size);
    }

    public void write(long va, int size, long value, int syn) {
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        int off = (int) (va & Page.MASK);
        if (tlbWrite[i] == (va & PAGE_TAG_MASK) && off <= Page.SIZE - size) {
            Page p = tlbPage[i];
            store(p, off, size, value);
            if (countMem) {
                memAccess();
            }
            return;
        }
        writeSlow(va, size, value, syn);
        if (countMem) {
            memAccess();
        }
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
                v |= (readSlow(va + b, 1, syn) & 0xFF) << (8 * b);
            }
            return v;
        }
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        if (tlbRead[i] != vpage && tlbRead[i] != (vpage | 1)) {
            fill(va, Mmu.READ, syn);
        }
        long pa = tlbPa[i] | (va & Page.MASK);
        if (tlbRead[i] == vpage) {
            return Bytes.get(tlbPage[i].data, (int) (va & Page.MASK), size);
        }
        if (cpu.guestDebugArmed()) {
            cpu.debug.checkWatchpoint(va, size, true, false, unprivileged());
        }
        DebugHook hook = cpu.debugHook();
        if (hook != null) {
            hook.dataAccess(cpu, va, size, false);
        }
        Page p = tlbPage[i];
        if (p != null) {
            return Bytes.get(p.data, (int) (va & Page.MASK), size); // a watched RAM page
        }
        try {
            cpu.blockExit = true; // a device read may change interrupt state (an acknowledge)
            return cpu.memory.read(pa, size);
        } catch (BusErrorException e) {
            cpu.exceptions.recordAbort(false, va, syn, false, Esr.FSC_SEA, false, false, 0, false);
            throw GuestFault.INSTANCE;
        }
    }

    private void writeSlow(long va, int size, long value, int syn) {
        if ((va & (size - 1)) != 0 && alignmentChecked()) {
            throw alignmentFault(va, true, syn);
        }
        if ((va & Page.MASK) > Page.SIZE - size) {
            for (int b = 0; b < size; b++) {
                writeSlow(va + b, 1, value >>> (8 * b), syn);
            }
            return;
        }
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        if (tlbWrite[i] != vpage && tlbWrite[i] != (vpage | 1)) {
            fill(va, Mmu.WRITE, syn);
        }
        long pa = tlbPa[i] | (va & Page.MASK);
        if (tlbWrite[i] == vpage) {
            Page p = tlbPage[i];
            int off = (int) (va & Page.MASK);
            store(p, off, size, value);
            return;
        }
        if (cpu.guestDebugArmed()) {
            cpu.debug.checkWatchpoint(va, size, false, true, unprivileged());
        }
        DebugHook hook = cpu.debugHook();
        if (hook != null) {
            hook.dataAccess(cpu, va, size, true);
        }
        Page p = tlbPage[i];
        if (p != null) {
            store(p, (int) (va & Page.MASK), size, value); // a watched RAM page
            return;
        }
        try {
            cpu.blockExit = true; // a device write may assert an interrupt: taken at the next instruction
            cpu.memory.write(pa, size, value);
        } catch (BusErrorException e) {
            cpu.exceptions.recordAbort(false, va, syn, true, Esr.FSC_SEA, false, false, 0, false);
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
        if (!m.translate(this, va, access, cpu.mmuIdx)) {
            if (m.faultGpc != 0) {
                cpu.exceptions.recordGpcFault(fetch, va, syn, isWrite, m.faultGpc, m.faultStage2Regime, m.faultS1ptw,
                        m.faultIpa);
            } else {
                cpu.exceptions.recordAbort(fetch, va, syn, isWrite, m.faultFsc, m.faultStage2, m.faultS1ptw, m.faultIpa,
                        m.faultStage2Regime);
            }
            throw GuestFault.INSTANCE;
        }
        long pa = m.outPa & PAGE_TAG_MASK;
        int gpc = granuleCheck(pa, m.outPas);
        if (gpc != GranuleProtection.OK) {
            cpu.exceptions.recordGpcFault(fetch, va, syn, isWrite, gpc, m.stage2Used, false, m.outIpa);
            throw GuestFault.INSTANCE;
        }
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        PhysicalMemory.Region r = cpu.memory.find(pa);
        int perms = m.outPerms;
        invalidateEntry(i);
        noteTlbFill(i, m.outGlobal, m.outSizeShift);
        if (r instanceof PhysicalMemory.RamRegion) {
            tlbPage[i] = ((PhysicalMemory.RamRegion) r).page(pa);
            // With alignment checking on, data accesses stay on the slow path, which checks alignment; a page a
            // debugger watches gets the device tag (bit 0), so its data accesses take the slow path too.
            boolean data = !alignmentChecked();
            DebugHook hook = cpu.debugHook();
            boolean watched = (hook != null && hook.watchesPage(cpu, vpage)) || cpu.debug.watchesPage(vpage);
            long tag = watched ? vpage | 1 : vpage;
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
            cpu.exceptions.recordAbort(fetch, va, syn, isWrite, Esr.FSC_SEA, false, false, 0, false);
            throw GuestFault.INSTANCE;
        }
        tlbPa[i] = pa;
    }

    /** Translates a VA in the current regime without side effects; returns -1 on a fault (for debuggers). */
    public long translateForDebug(long va, boolean write) {
        mmu.hardwareUpdates = false; // a debugger's translation sets no access flag and no dirty state
        try {
            return mmu.translate(this, va, write ? Mmu.WRITE : Mmu.READ, cpu.mmuIdx) ? mmu.outPa : -1;
        } finally {
            mmu.hardwareUpdates = true;
        }
    }



    /** Operations posted by other PEs, applied by this PE's own thread (only the owner touches the TLB). */
    private final java.util.concurrent.ConcurrentLinkedQueue<TlbOp> tlbInbox =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong tlbPosted = new java.util.concurrent.atomic.AtomicLong();
    private long tlbAppliedLocal;
    private volatile long tlbAppliedPublished;

    /** Number of TLB entries that came from a block (larger than 4 KB) mapping since the last full flush. */
    private int blockEntries;
    /** Indices of the non-global entries filled since the last ASID change (each listed once: attr bit 1). */
    private final int[] ngIndices = new int[Cpu.MMU_COUNT * TLB_SIZE];
    private int ngCount;
    /** VA page of each entry, whatever its permissions (the tags are -1 for denied accesses). */
    private final long[] tlbVa = new long[Cpu.MMU_COUNT * TLB_SIZE];
    /** The ASID the non-global EL1&0 entries belong to. */
    private int tlbAsid;

    /** Entry attributes: non-global; listed in {@link #ngIndices}; listed in {@link #filledIdx}. */
    private static final int ATTR_NG = 1, ATTR_LISTED = 2, ATTR_FILLED = 4;
    /**
     * Indices of the entries filled since the last full flush, each once ({@link #ATTR_FILLED}); past
     * {@link #FILL_LIST_MAX} fills a flush clears every array instead.
     */
    private static final int FILL_LIST_MAX = 256;
    private final int[] filledIdx = new int[FILL_LIST_MAX];
    private int filledCount = FILL_LIST_MAX + 1; // the arrays start zeroed: the first flush clears them all
    private static final long VA_TAG_BITS = 0x00FF_FFFF_FFFF_F000L;

    long postTlbOp(TlbOp op) {
        tlbInbox.add(op);
        return tlbPosted.incrementAndGet();
    }

    /** Whether this PE has applied the operation with sequence number {@code seq}, or will before it executes. */
    boolean tlbOpApplied(long seq) {
        return !cpu.engine.executing || tlbAppliedPublished >= seq;
    }

    void drainInbox() {
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
        long tcr = cpu.sr[TCR_EL1];
        long ttbr = ((tcr >>> 22) & 1) != 0 ? cpu.sr[TTBR1_EL1] : cpu.sr[TTBR0_EL1];
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
        cpu.engine.forgetCodePage();
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
        int r = GranuleProtection.check(cpu.memory, cpu.sr[GPCCR_EL3], cpu.sr[GPTBR_EL3], cpu.memory.paBits(), pa, pas);
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
        int attr = (sizeShift << 8) | listed | ATTR_FILLED;
        if ((tlbAttr[i] & ATTR_FILLED) == 0) {
            if (filledCount < FILL_LIST_MAX) {
                filledIdx[filledCount] = i;
            }
            filledCount++;
        }
        if (sizeShift > Page.SHIFT) {
            blockEntries++;
        }
        if (!global && (i >>> TLB_BITS) <= Cpu.MMU_EL10_1_PAN) {
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
        tlbAttr[i] &= ATTR_LISTED | ATTR_FILLED;
    }

    /** The registers the TLB's entries were filled under (see {@link #revalidateTranslation}). */
    private final long[] tlbContext = new long[TLB_CONTEXT_SLOTS.length + 1];
    private static final int[] TLB_CONTEXT_SLOTS = {VTTBR_EL2, VTCR_EL2, SCTLR_EL1, TCR_EL1, MAIR_EL1, SCTLR_EL2,
        TCR_EL2, TTBR0_EL2, MAIR_EL2, SCTLR_EL3, TCR_EL3, TTBR0_EL3, MAIR_EL3, GPTBR_EL3, GPCCR_EL3};

    private void snapshotTranslationContext() {
        for (int k = 0; k < TLB_CONTEXT_SLOTS.length; k++) {
            tlbContext[k] = cpu.sr[TLB_CONTEXT_SLOTS[k]];
        }
        tlbContext[TLB_CONTEXT_SLOTS.length] = (cpu.sr[HCR_EL2] & HCR_TRANSLATION_BITS) | ((long) cpu.ss.ordinal() << 60);
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
                == ((cpu.sr[HCR_EL2] & HCR_TRANSLATION_BITS) | ((long) cpu.ss.ordinal() << 60));
        for (int k = 0; same && k < TLB_CONTEXT_SLOTS.length; k++) {
            same = tlbContext[k] == cpu.sr[TLB_CONTEXT_SLOTS[k]];
        }
        if (!same) {
            cpu.onTranslationRegimeChange();
            return;
        }
        onTtbrWrite();
        cpu.updateMmuIdx();
    }

    /** Applies one invalidation to this PE's TLB (called by the owning thread only). */
    void applyTlbOp(TlbOp op) {
        cpu.engine.forgetCodePage();
        if (op.kind() == TlbOp.ALL && op.regimes() == TlbOp.ALL_REGIMES) {
            flushTlb(); // every entry (a GPT change's TLBI RPAOS from EL3 comes here for each granule transition)
            return;
        }
        if (op.kind() == TlbOp.ALL && filledCount <= FILL_LIST_MAX) {
            // Only the entries filled since the last full flush can be valid.
            for (int k = 0; k < filledCount; k++) {
                int i = filledIdx[k];
                if ((op.regimes() & regimeOf(i >>> TLB_BITS)) != 0) {
                    invalidateEntry(i);
                }
            }
            return;
        }
        for (int r = 0; r < Cpu.MMU_COUNT; r++) {
            int regime = regimeOf(r);
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
    }

    /** The {@link TlbOp} regime bit of TLB index set {@code r} (a {@code Cpu.MMU_*} index), 0 for none. */
    private static int regimeOf(int r) {
        return r <= Cpu.MMU_EL10_1_PAN ? TlbOp.EL10 : r == Cpu.MMU_EL2 ? TlbOp.EL2 : r == Cpu.MMU_EL3 ? TlbOp.EL3 : 0;
    }

    /** TLB maintenance on this PE, and on every PE of the domain if {@code broadcast} (TLBI ...IS, HCR_EL2.FB). */
    public void tlbMaintenance(TlbOp op, boolean broadcast) {
        if (broadcast) {
            cpu.coherenceDomain().broadcast(cpu, op);
        } else {
            applyTlbOp(op);
        }
    }

    /**
     * Translates {@code va} for an access that needs write and/or read permission (an atomic or an exclusive) and
     * returns its TLB index; the page is {@link #tlbPageAt} (null for a device) and the PA {@link #tlbPaAt}.
     */
    public int translateData(long va, boolean needRead, boolean needWrite, int syn) {
        return translateData(va, 1, needRead, needWrite, syn);
    }

    /**
     * As {@link #translateData(long, boolean, boolean, int)} for an access of {@code size} bytes, which a guest
     * watchpoint may match (before the access is performed).
     */
    public int translateData(long va, int size, boolean needRead, boolean needWrite, int syn) {
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (va >>> Page.SHIFT) & TLB_MASK);
        long vpage = va & PAGE_TAG_MASK;
        // The read is checked first: a location that allows neither access faults as a read (WnR = 0), one that
        // is read-only faults on the write (WnR = 1), as when the read and the write are performed in order.
        if (needRead && tlbRead[i] != vpage && tlbRead[i] != (vpage | 1)) {
            fill(va, Mmu.READ, syn);
        }
        if (needWrite && tlbWrite[i] != vpage && tlbWrite[i] != (vpage | 1)) {
            fill(va, Mmu.WRITE, syn);
        }
        if (cpu.guestDebugArmed()) {
            cpu.debug.checkWatchpoint(va, size, needRead, needWrite, unprivileged());
        }
        DebugHook hook = cpu.debugHook();
        if (hook != null) {
            hook.dataAccess(cpu, va, 1, needWrite); // a watchpoint on the first byte of an atomic or exclusive
        }
        if (countMem) {
            memAccess();
        }
        return i;
    }

    public Page tlbPageAt(int i) {
        return tlbPage[i];
    }

    public long tlbPaAt(int i, long va) {
        return tlbPa[i] | (va & Page.MASK);
    }

    /**
     * After a store into {@code p} (this TLB's own stores, and the atomic and exclusive ones the instructions make
     * themselves): keep decoded code and other PEs' monitors coherent.
     */
    public void afterAtomicStore(Page p, int off, int size) {
        if (p.code != null) {
            if (p.translated != null) {
                Translator.INVALIDATIONS.incrementAndGet();
            }
            p.invalidateCode(off, size);
            cpu.blockExit = true;
        }
        if (p.monitors != 0) {
            cpu.coherenceDomain().onStore(cpu, p, off, size);
        }
    }


    /** An LDTR/STTR at EL1: the access uses the EL0 regime (and matches watchpoints as an EL0 access). */
    private boolean unprivileged() {
        return cpu.el == 1 && cpu.mmuIdx == Cpu.MMU_EL10_0;
    }

    /** Whether SCTLR_ELx.A of the current translation regime asks for alignment checks on every data access. */
    private boolean alignmentChecked() {
        return (cpu.sr[Cpu.sctlrSlot(cpu.el)] & SCTLR_A) != 0;
    }

    /** Records an alignment fault (DFSC 0b100001) on a data access to {@code va} and returns the fault to throw. */
    public GuestFault alignmentFault(long va, boolean write, int syn) {
        cpu.exceptions.recordAbort(false, va, syn, write, Esr.FSC_ALIGNMENT, false, false, 0, false);
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
            long sctlr = cpu.sr[Cpu.sctlrSlot(cpu.el)];
            if ((sctlr & (cpu.el == 0 ? 1L << 4 : SCTLR_SA)) != 0) {
                throw cpu.exceptions.pend(cpu.exceptions.syncTarget(), Esr.EC_SP_ALIGN, 0);
            }
        }
    }

    /**
     * An unprivileged load (LDTR family): at EL1 it is checked with EL0 permissions (Arm ARM C3.2.5); elsewhere it
     * is an ordinary load. PSTATE.UAO is not implemented, so there is no exception to that rule.
     */
    public long readUnprivileged(long va, int size, int syn) {
        if (cpu.el != 1) {
            return read(va, size, syn);
        }
        int saved = cpu.mmuIdx;
        cpu.mmuIdx = Cpu.MMU_EL10_0;
        try {
            return read(va, size, syn);
        } finally {
            cpu.mmuIdx = saved;
        }
    }

    public void writeUnprivileged(long va, int size, long value, int syn) {
        if (cpu.el != 1) {
            write(va, size, value, syn);
            return;
        }
        int saved = cpu.mmuIdx;
        cpu.mmuIdx = Cpu.MMU_EL10_0;
        try {
            write(va, size, value, syn);
        } finally {
            cpu.mmuIdx = saved;
        }
    }

    /** Records a data abort for a cache maintenance instruction by VA (ISS.CM = 1, WnR = 1). */
    public int translateForMaintenance(long va, boolean needWrite, boolean checkPerms) {
        if (!checkPerms) {
            // Permission faults are not generated (Arm ARM D7.5.9); translation and access flag faults are.
            if (!mmu.translate(this, va, Mmu.READ, cpu.mmuIdx) && !isPermissionFault(mmu.faultFsc) ) {
                cpu.exceptions.recordAbort(false, va, 0, true, mmu.faultFsc, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa,
                        mmu.faultStage2Regime);
                cpu.exceptions.pendIss |= Esr.CM;
                throw GuestFault.INSTANCE;
            }
            return 0;
        }
        try {
            translateData(va, !needWrite, needWrite, 0);
        } catch (GuestFault f) {
            cpu.exceptions.pendIss |= Esr.CM | Esr.WNR;
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

    /** Whether another PE posted an invalidation this PE has not applied yet (one volatile read). */
    boolean inboxPending() {
        return tlbPosted.get() != tlbAppliedLocal;
    }

    /**
     * The RAM page an instruction fetch from {@code pc} uses, filling the entry if needed; records and throws an
     * instruction abort (a fetch from a device is an external abort).
     */
    Page fetchPage(long pc) {
        int i = (cpu.mmuIdx << TLB_BITS) | ((int) (pc >>> Page.SHIFT) & TLB_MASK);
        long vpage = pc & PAGE_TAG_MASK;
        if (tlbExec[i] != vpage) {
            fill(pc, Mmu.EXEC, 0);
            if (tlbExec[i] != vpage) {
                cpu.exceptions.recordAbort(true, pc, 0, false, Esr.FSC_SEA, false, false, 0, false);
                throw GuestFault.INSTANCE;
            }
        }
        return tlbPage[i];
    }
}
