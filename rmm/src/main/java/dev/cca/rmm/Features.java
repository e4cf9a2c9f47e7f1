package dev.cca.rmm;

/**
 * RmiFeatureRegister0 (RMM spec B3.4.4): what this RMM supports, derived from the PE it runs on.
 */
public final class Features {
    public final int s2sz;
    public final int numBps;
    public final int numWps;
    public final int gicv3NumLrs;
    public final int maxRecsOrder;
    /** PMU_EN and PMU_NUM_CTRS: the PE's PMUv3 (ID_AA64DFR0_EL1.PMUVer) and PMCR_EL0.N. */
    public final boolean pmu;
    public final int pmuNumCtrs;

    public Features(int s2sz, int numBps, int numWps, int gicv3NumLrs) {
        this(s2sz, numBps, numWps, gicv3NumLrs, false, 0);
    }

    public Features(int s2sz, int numBps, int numWps, int gicv3NumLrs, boolean pmu, int pmuNumCtrs) {
        this.pmu = pmu;
        this.pmuNumCtrs = pmuNumCtrs;
        this.s2sz = s2sz;
        this.numBps = numBps;
        this.numWps = numWps;
        this.gicv3NumLrs = gicv3NumLrs;
        this.maxRecsOrder = 10;
    }

    /** Features of the emulated PE: 48-bit IPAs, no LPA2, no SVE, its PMU, SHA-256 and SHA-512. */
    public static Features forPe(long idAa64dfr0, long idAa64mmfr0) {
        int paRange = (int) (idAa64mmfr0 & 0xF);
        int[] bits = {32, 36, 40, 42, 44, 48, 52};
        int s2sz = bits[Math.min(paRange, 5)];
        int brps = (int) (idAa64dfr0 >>> 12) & 0xF;
        int wrps = (int) (idAa64dfr0 >>> 20) & 0xF;
        // GICV3_NUM_LRS: ICH_VTR_EL2.ListRegs (the number of list registers less one)
        boolean pmu = ((idAa64dfr0 >>> 8) & 0xF) != 0 && ((idAa64dfr0 >>> 8) & 0xF) != 0xF;
        return new Features(s2sz, brps, wrps, (int) (dev.cca.core.cpu.GicCpuInterface.VTR & 0x1F), pmu,
                pmu ? dev.cca.core.cpu.Pmu.COUNTERS : 0);
    }

    public long register0() {
        return (s2sz & 0xFFL)
                | ((long) (numBps & 0x3F) << 14)
                | ((long) (numWps & 0x3F) << 20)
                | (pmu ? 1L << 26 : 0) // PMU_EN
                | ((long) (pmuNumCtrs & 0x1F) << 27) // PMU_NUM_CTRS
                | (1L << 32) // HASH_SHA_256
                | (1L << 33) // HASH_SHA_512
                | ((long) (gicv3NumLrs & 0xF) << 34)
                | ((long) (maxRecsOrder & 0xF) << 38);
    }
}
