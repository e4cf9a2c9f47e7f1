package dev.cca.rmm.rec;

import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.RmmMemory;

/**
 * A Realm Execution Context: a view of the REC granule where the RMM saves a vCPU's state while it does not run.
 * The layout is this model's own.
 */
public final class Rec {
    private static final int OWNER = 0x000, INDEX = 0x008, FLAGS = 0x010, MPIDR = 0x018, PC = 0x020,
            PSTATE = 0x028, SP_EL0 = 0x030, SP_EL1 = 0x038, LAST_ESR = 0x040, LAST_FAR = 0x048,
            LAST_HPFAR = 0x050, RIPAS_BASE = 0x060, RIPAS_TOP = 0x068, RIPAS_ADDR = 0x070, RIPAS_VALUE = 0x078,
            RIPAS_DESTROYED = 0x080, HOST_CALL_IPA = 0x090, NUM_AUX = 0x098, AUX = 0x0A0, GPRS = 0x200,
            SYSREGS = 0x300, TIMERS = 0x600, GIC = 0x640, FPREGS = 0x800, PMU = 0xE00;
    /** Indexes of the saved virtual GIC registers: ICH_HCR, ICH_VMCR, ICH_AP0R0, ICH_AP1R0, then the LRs. */
    public static final int GIC_HCR = 0, GIC_VMCR = 1, GIC_AP0R0 = 2, GIC_AP1R0 = 3, GIC_LR0 = 4;
    public static final long FLAG_RUNNABLE = 1, FLAG_PSCI_PENDING = 2, FLAG_RIPAS_PENDING = 4,
            FLAG_HOST_CALL_PENDING = 8;

    private final RmmMemory mem;
    public final long pa;

    public Rec(RmmMemory mem, long pa) {
        this.mem = mem;
        this.pa = pa;
    }

    private long get(int off) {
        return mem.read64(pa + off);
    }

    private void set(int off, long v) {
        mem.write64(pa + off, v);
    }

    /** Doublewords {@code src[0..n)} stored from {@code off} in one access (one granule protection check). */
    private void setAll(int off, long[] src, int n) {
        byte[] b = new byte[8 * n];
        for (int i = 0; i < n; i++) {
            dev.cca.core.mem.Bytes.putLong(b, 8 * i, src[i]);
        }
        mem.write(pa + off, b);
    }

    /** Doublewords loaded from {@code off} into {@code dst[0..n)} in one access. */
    private void getAll(int off, long[] dst, int n) {
        byte[] b = mem.read(pa + off, 8 * n);
        for (int i = 0; i < n; i++) {
            dst[i] = dev.cca.core.mem.Bytes.getLong(b, 8 * i);
        }
    }

    /** X0-X30 from {@code x[0..31)} (a REC exit saves them all at once). */
    public void setGprs(long[] x) {
        setAll(GPRS, x, 31);
    }

    /** X0-X30 into {@code x[0..31)}. */
    public void gprs(long[] x) {
        getAll(GPRS, x, 31);
    }

    /** All EL1 context registers, in the order of SysRegs.EL1_CONTEXT. */
    public void setSysregs(long[] values) {
        setAll(SYSREGS, values, values.length);
    }

    public void sysregs(long[] values) {
        getAll(SYSREGS, values, values.length);
    }

    /**
     * The realm's SIMD&amp;FP registers V0-V31 as {@code v.length} (64) doublewords, in the layout of {@code Cpu.v}
     * (FPCR and FPSR travel with the EL1 system registers).
     */
    public void setFpregs(long[] v) {
        setAll(FPREGS, v, v.length);
    }

    public void fpregs(long[] v) {
        getAll(FPREGS, v, v.length);
    }

    /** Saved PMU register {@code i} (dev.cca.core.cpu.Pmu#save layout, Pmu.CONTEXT_LENGTH of them). */
    public long pmuReg(int i) {
        return get(PMU + 8 * i);
    }

    public void setPmuReg(int i, long v) {
        set(PMU + 8 * i, v);
    }

    public long owner() {
        return get(OWNER);
    }

    public long index() {
        return get(INDEX);
    }

    public long mpidr() {
        return get(MPIDR);
    }

    public long flags() {
        return get(FLAGS);
    }

    public boolean flag(long f) {
        return (get(FLAGS) & f) != 0;
    }

    public void setFlag(long f, boolean on) {
        long v = get(FLAGS);
        set(FLAGS, on ? v | f : v & ~f);
    }

    public long pc() {
        return get(PC);
    }

    public void setPc(long v) {
        set(PC, v);
    }

    public long pstate() {
        return get(PSTATE);
    }

    public void setPstate(long v) {
        set(PSTATE, v);
    }

    public long gpr(int i) {
        return get(GPRS + 8 * i);
    }

    public void setGpr(int i, long v) {
        set(GPRS + 8 * i, v);
    }

    public long spEl0() {
        return get(SP_EL0);
    }

    public long spEl1() {
        return get(SP_EL1);
    }

    public void setSp(long el0, long el1) {
        set(SP_EL0, el0);
        set(SP_EL1, el1);
    }

    /** EL1 system register {@code slot} (an {@link SysRegs} slot listed in {@link SysRegs#EL1_CONTEXT}). */
    public long sysreg(int contextIndex) {
        return get(SYSREGS + 8 * contextIndex);
    }

    public void setSysreg(int contextIndex, long v) {
        set(SYSREGS + 8 * contextIndex, v);
    }

    /** Saved EL1 timer register {@code i}: CNTP_CTL, CNTP_CVAL, CNTV_CTL, CNTV_CVAL. */
    public long timerReg(int i) {
        return get(TIMERS + 8 * i);
    }

    public void setTimerReg(int i, long v) {
        set(TIMERS + 8 * i, v);
    }

    /** Saved virtual GIC register {@code i} (GIC_HCR ... GIC_LR0 + n). */
    public long gicReg(int i) {
        return get(GIC + 8 * i);
    }

    public void setGicReg(int i, long v) {
        set(GIC + 8 * i, v);
    }

    public long lastEsr() {
        return get(LAST_ESR);
    }

    public long lastFar() {
        return get(LAST_FAR);
    }

    public long lastHpfar() {
        return get(LAST_HPFAR);
    }

    public void setLastExit(long esr, long far, long hpfar) {
        set(LAST_ESR, esr);
        set(LAST_FAR, far);
        set(LAST_HPFAR, hpfar);
    }

    public long numAux() {
        return get(NUM_AUX);
    }

    public long aux(int i) {
        return get(AUX + 8 * i);
    }

    public long ripasBase() {
        return get(RIPAS_BASE);
    }

    public long ripasTop() {
        return get(RIPAS_TOP);
    }

    public long ripasAddr() {
        return get(RIPAS_ADDR);
    }

    public int ripasValue() {
        return (int) get(RIPAS_VALUE);
    }

    public boolean ripasChangeDestroyed() {
        return get(RIPAS_DESTROYED) != 0;
    }

    public void setRipasRequest(long base, long top, int value, boolean changeDestroyed) {
        set(RIPAS_BASE, base);
        set(RIPAS_TOP, top);
        set(RIPAS_ADDR, base);
        set(RIPAS_VALUE, value);
        set(RIPAS_DESTROYED, changeDestroyed ? 1 : 0);
    }

    public void setRipasAddr(long addr) {
        set(RIPAS_ADDR, addr);
    }

    public long hostCallIpa() {
        return get(HOST_CALL_IPA);
    }

    public void setHostCallIpa(long ipa) {
        set(HOST_CALL_IPA, ipa);
    }

    /**
     * Initialises a new REC: owner, index, MPIDR, entry state, and the reset values of its EL1 registers.
     */
    public void init(long owner, long index, long vmpidr, RecParams p, long[] auxGranules, long sctlrReset) {
        set(OWNER, owner);
        set(INDEX, index);
        set(FLAGS, (p.flags & 1) != 0 ? FLAG_RUNNABLE : 0);
        set(MPIDR, vmpidr);
        set(PC, p.pc);
        set(PSTATE, 0x3C5); // EL1h, DAIF masked
        for (int i = 0; i < 31; i++) {
            setGpr(i, i < 8 ? p.gprs[i] : 0);
        }
        setSp(0, 0);
        for (int i = 0; i < SysRegs.EL1_CONTEXT.length; i++) {
            setSysreg(i, SysRegs.EL1_CONTEXT[i] == SysRegs.SCTLR_EL1 ? sctlrReset : 0);
        }
        set(NUM_AUX, auxGranules.length);
        for (int i = 0; i < auxGranules.length; i++) {
            set(AUX + 8 * i, auxGranules[i]);
        }
    }
}
