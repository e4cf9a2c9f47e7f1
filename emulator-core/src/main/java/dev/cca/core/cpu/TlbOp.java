package dev.cca.core.cpu;

/**
 * One TLB invalidation, as a TLBI instruction (or a firmware model) requests it.
 *
 * <p>The PE's TLB only ever holds entries of its current security state, VMID and ASID (plus global entries of
 * the current VMID): changing the VMID or security state flushes the EL1&amp;0 entries, changing the ASID drops the
 * non-global ones. So an operation names the regimes it affects and, for the by-VA and by-ASID forms, the VA and
 * ASID; the VMID and security state of the issuing PE need no matching on the receiving PE, where an operation
 * meant for another VMID at worst invalidates more than needed, which is always allowed.
 *
 * @param regimes bit set of {@link #EL10}, {@link #EL2}, {@link #EL3}
 * @param kind    {@link #ALL}, {@link #BY_ASID}, {@link #BY_VA} (VA and ASID, global entries included),
 *                {@link #BY_VA_ALL_ASID}
 * @param va      the virtual address (bits [55:12] are compared, the top byte ignored) for the by-VA kinds
 * @param asid    the ASID for {@link #BY_ASID} and {@link #BY_VA}
 */
public record TlbOp(int regimes, int kind, long va, int asid) {
    public static final int EL10 = 1, EL2 = 2, EL3 = 4, ALL_REGIMES = 7;
    public static final int ALL = 0, BY_ASID = 1, BY_VA = 2, BY_VA_ALL_ASID = 3;

    public static final TlbOp EVERYTHING = new TlbOp(ALL_REGIMES, ALL, 0, 0);
}
