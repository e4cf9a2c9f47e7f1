package dev.cca.core.gic;

/** Offsets of the GICv3 distributor and redistributor registers (IHI 0069, chapter 12) that the model decodes. */
final class GicRegs {
    private GicRegs() {
    }

    /** Kinds of one-bit-per-INTID registers. */
    static final int GROUP = 0, ENABLE = 1, PENDING = 2, ACTIVE = 3, GROUPMOD = 4;

    static final int GICD_CTLR = 0x0, GICD_TYPER = 0x4, GICD_IIDR = 0x8, GICD_TYPER2 = 0xC;
    static final int IGROUPR = 0x80, ISENABLER = 0x100, ICENABLER = 0x180, ISPENDR = 0x200, ICPENDR = 0x280,
            ISACTIVER = 0x300, ICACTIVER = 0x380, IPRIORITYR = 0x400, ICFGR = 0xC00, IGRPMODR = 0xD00;
    static final int GICD_IROUTER = 0x6000;
    static final int PIDR2 = 0xFFE8;

    static final int GICR_CTLR = 0x0, GICR_IIDR = 0x4, GICR_TYPER = 0x8, GICR_WAKER = 0x14;
    /** The SGI_base frame of a redistributor follows its RD_base frame. */
    static final int SGI_BASE = 0x1_0000;
    /** Each PE's redistributor occupies two 64 KiB frames (GICv3, no VLPI frames). */
    static final int GICR_STRIDE = 0x2_0000;

    /** ARM as implementer (0x43B), product 0: the IIDR of Arm's GIC models. */
    static final int IIDR = 0x43B;
    /** PIDR2.ArchRev = 3: GICv3. */
    static final int PIDR2_GICV3 = 0x3B;
}
