package dev.cca.core.mmu;

import dev.cca.core.mem.BusErrorException;
import dev.cca.core.mem.Pas;
import dev.cca.core.mem.PhysicalMemory;

/**
 * The granule protection check (Arm ARM, FEAT_RME, GranuleProtectionCheck()): looks up the GPI of a physical
 * granule in the GPT held in memory, in the architectural format selected by GPCCR_EL3, rooted at GPTBR_EL3.
 *
 * <p>Supported configuration: PGS 4 KB, 16 KB or 64 KB; L0GPTSZ 30..39; level-0 block and table descriptors;
 * level-1 granule and contiguous descriptors. GPT reads are Root-PAS reads that are not themselves checked.
 */
public final class GranuleProtection {
    private GranuleProtection() {
    }

    // GPI values (Arm ARM, "GPT descriptors").
    public static final int GPI_NO_ACCESS = 0b0000;
    public static final int GPI_SECURE = 0b1000;
    public static final int GPI_NON_SECURE = 0b1001;
    public static final int GPI_ROOT = 0b1010;
    public static final int GPI_REALM = 0b1011;
    public static final int GPI_ANY = 0b1111;

    // GPCCR_EL3 fields.
    public static final long GPCCR_GPC = 1L << 16;
    public static final int GPCCR_PGS_SHIFT = 14;
    public static final int GPCCR_SH_SHIFT = 12;
    public static final int GPCCR_L0GPTSZ_SHIFT = 20;
    public static final long GPCCR_NSPAD = 1L << 6;
    public static final long GPCCR_SPAD = 1L << 7;
    public static final long GPCCR_RLPAD = 1L << 5;

    /** Result of a check: {@link #OK}, or a fault packed as (type &lt;&lt; 8) | level. */
    public static final int OK = 0;
    public static final int FAIL = 1;          // GPCF_Fail: GPI forbids this PAS
    public static final int WALK = 2;          // GPCF_Walk: invalid/ill-formed GPT or GPCCR
    public static final int EABT = 3;          // GPCF_EABT: external abort reading the GPT
    public static final int ADDRESS_SIZE = 4;  // GPCF_AddressSize

    private static final int[] PA_BITS = {32, 36, 40, 42, 44, 48, 52, 52};

    public static int faultType(int result) {
        return result >>> 8;
    }

    public static int faultLevel(int result) {
        return result & 0xFF;
    }

    /** Physical address width selected by the PPS field of a GPCCR_EL3 value. */
    public static int protectedPaBits(long gpccr) {
        return PA_BITS[(int) (gpccr & 7)];
    }

    public static int granuleShift(long gpccr) {
        switch ((int) (gpccr >>> GPCCR_PGS_SHIFT) & 3) {
            case 0: return 12;
            case 1: return 16;
            case 2: return 14;
            default: return -1;
        }
    }

    public static int l0Shift(long gpccr) {
        return 30 + (int) ((gpccr >>> GPCCR_L0GPTSZ_SHIFT) & 0xF);
    }

    /**
     * Checks an access to {@code pa} in physical address space {@code pas}.
     *
     * @param implementedPaBits the PE's physical address size (PARange)
     */
    public static int check(PhysicalMemory mem, long gpccr, long gptbr, int implementedPaBits, long pa, Pas pas) {
        if ((gpccr & GPCCR_GPC) == 0) {
            return OK;
        }
        int level = 0;
        int ppsField = (int) (gpccr & 7);
        int pps = PA_BITS[ppsField];
        if (ppsField > 6 || pps > implementedPaBits) {
            return WALK << 8;
        }
        int sh = (int) (gpccr >>> GPCCR_SH_SHIFT) & 3;
        if (sh == 1) {
            return WALK << 8;
        }
        int pgs = granuleShift(gpccr);
        if (pgs < 0) {
            return WALK << 8;
        }
        if ((pas == Pas.NON_SECURE && (gpccr & GPCCR_NSPAD) != 0) || (pas == Pas.SECURE && (gpccr & GPCCR_SPAD) != 0)
                || (pas == Pas.REALM && (gpccr & GPCCR_RLPAD) != 0)) {
            return FAIL << 8;
        }
        int l0 = l0Shift(gpccr);
        long ppsMask = pps >= 64 ? -1L : (1L << pps) - 1;
        if ((pa & ~ppsMask) != 0) {
            // R_CPDSB: a Non-secure access beyond PPS is not checked.
            return pas == Pas.NON_SECURE ? OK : ADDRESS_SIZE << 8;
        }
        long table = (gptbr & ((1L << 40) - 1)) << 12;
        if ((table & ~ppsMask) != 0) {
            return ADDRESS_SIZE << 8;
        }
        long align = Math.max(pps - l0 + 3, 12);
        table &= ~((1L << align) - 1);
        long index = l0 >= pps ? 0 : (pa >>> l0) & ((1L << (pps - l0)) - 1);
        long entry;
        try {
            entry = mem.read(table + index * 8, 8);
        } catch (BusErrorException e) {
            return EABT << 8;
        }
        int gpi;
        switch ((int) (entry & 0xF)) {
            case 1: // block descriptor
                if ((entry >>> 8) != 0) {
                    return WALK << 8;
                }
                gpi = (int) (entry >>> 4) & 0xF;
                return decide(gpi, pas, level);
            case 3: { // table descriptor
                long t = entry & ~0xFL;
                long a = Math.max(l0 - pgs - 1, 12);
                if ((t & (~ppsMask | ((1L << a) - 1))) != 0) {
                    return WALK << 8;
                }
                table = t;
                break;
            }
            default:
                return WALK << 8;
        }
        level = 1;
        index = (pa >>> (pgs + 4)) & ((1L << (l0 - pgs - 4)) - 1);
        try {
            entry = mem.read(table + index * 8, 8);
        } catch (BusErrorException e) {
            return (EABT << 8) | level;
        }
        if ((entry & 0xF) == 1) { // contiguous descriptor
            if ((entry >>> 10) != 0 || ((entry >>> 8) & 3) == 0) {
                return (WALK << 8) | level;
            }
            gpi = (int) (entry >>> 4) & 0xF;
        } else {
            gpi = (int) (entry >>> (((pa >>> pgs) & 0xF) * 4)) & 0xF;
        }
        return decide(gpi, pas, level);
    }

    private static int decide(int gpi, Pas pas, int level) {
        switch (gpi) {
            case GPI_ANY:
                return OK;
            case GPI_NO_ACCESS:
                return (FAIL << 8) | level;
            case GPI_SECURE:
            case GPI_NON_SECURE:
            case GPI_ROOT:
            case GPI_REALM:
                return (gpi & 3) == pas.code() ? OK : (FAIL << 8) | level;
            default:
                return (WALK << 8) | level;
        }
    }

    /** The GPI for a PAS, as written into GPT entries. */
    public static int gpiFor(Pas pas) {
        return 0b1000 | pas.code();
    }
}
