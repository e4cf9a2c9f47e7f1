package dev.cca.core.cpu.fp;

/**
 * Bits of FPCR and FPSR (Arm ARM C5.2.8, C5.2.10) as this PE implements them. FPCR holds AHP, DN, FZ and RMode;
 * the exception trap enables (IOE..IXE, IDE) are RAZ/WI because trapped floating-point exceptions are not
 * implemented, FZ16 is RES0 because FEAT_FP16 is not, and Len/Stride are RES0 because AArch32 is not.
 * FPSR holds the cumulative flags and QC.
 */
public final class Fpcr {
    private Fpcr() {
    }

    // FPCR
    public static final int AHP = 1 << 26;
    public static final int DN = 1 << 25;
    public static final int FZ = 1 << 24;
    public static final int RMODE_SHIFT = 22;
    public static final long FPCR_WRITABLE = AHP | DN | FZ | (3L << RMODE_SHIFT);

    /** Rounding modes: FPCR.RMode values 0-3, and the two that only instructions select. */
    public static final int RN = 0, RP = 1, RM = 2, RZ = 3, RNA = 4, ODD = 5;

    // FPSR cumulative exception flags
    public static final int IOC = 1, DZC = 1 << 1, OFC = 1 << 2, UFC = 1 << 3, IXC = 1 << 4, IDC = 1 << 7;
    public static final int QC = 1 << 27;
    public static final long FPSR_WRITABLE = QC | IDC | IXC | UFC | OFC | DZC | IOC;

    public static int rmode(int fpcr) {
        return (fpcr >>> RMODE_SHIFT) & 3;
    }
}
