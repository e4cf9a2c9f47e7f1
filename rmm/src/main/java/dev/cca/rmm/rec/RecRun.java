package dev.cca.rmm.rec;

/** Offsets in the host's RmiRecRun granule: RmiRecEnter at 0x000, RmiRecExit at 0x800 (RMM spec B3.4.13-15). */
public final class RecRun {
    private RecRun() {
    }

    // RmiRecEnter
    public static final int ENTER_FLAGS = 0x000;
    public static final int ENTER_GPRS = 0x200;
    public static final int ENTER_GICV3_HCR = 0x300;
    public static final int ENTER_GICV3_LRS = 0x308;
    /** Number of list register slots in RmiRecEnter and RmiRecExit (gicv3_lrs[16]). */
    public static final int GICV3_LRS = 16;
    public static final int ENTER_SIZE = 0x800;

    // RmiRecExit
    public static final int EXIT = 0x800;
    public static final int EXIT_REASON = EXIT;
    public static final int EXIT_ESR = EXIT + 0x100;
    public static final int EXIT_FAR = EXIT + 0x108;
    public static final int EXIT_HPFAR = EXIT + 0x110;
    public static final int EXIT_GPRS = EXIT + 0x200;
    public static final int EXIT_GICV3_HCR = EXIT + 0x300;
    public static final int EXIT_GICV3_LRS = EXIT + 0x308;
    public static final int EXIT_GICV3_MISR = EXIT + 0x388;
    public static final int EXIT_GICV3_VMCR = EXIT + 0x390;
    public static final int EXIT_CNTP_CTL = EXIT + 0x400;
    public static final int EXIT_CNTP_CVAL = EXIT + 0x408;
    public static final int EXIT_CNTV_CTL = EXIT + 0x410;
    public static final int EXIT_CNTV_CVAL = EXIT + 0x418;
    public static final int EXIT_RIPAS_BASE = EXIT + 0x500;
    public static final int EXIT_RIPAS_TOP = EXIT + 0x508;
    public static final int EXIT_RIPAS_VALUE = EXIT + 0x510;
    public static final int EXIT_IMM = EXIT + 0x600;
    public static final int EXIT_PMU_OVF_STATUS = EXIT + 0x700;
    public static final int EXIT_SIZE = 0x800;
}
