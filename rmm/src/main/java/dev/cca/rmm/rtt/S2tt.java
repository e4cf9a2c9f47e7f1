package dev.cca.rmm.rtt;

import dev.cca.rmm.RmmMemory;
import dev.cca.rmm.realm.RealmDescriptor;

/**
 * Realm Translation Table entries in the architectural stage-2 descriptor format, with the RMM's private state
 * (HIPAS, RIPAS) kept in the software bits of invalid entries, as TF-RMM v1.0 does (lib/s2tt):
 *
 * <pre>
 *   unassigned_empty      0x0                 invalid
 *   unassigned_ram        0x20                invalid, RIPAS RAM in [6:5]
 *   unassigned_destroyed  0x40                invalid, RIPAS DESTROYED
 *   unassigned_ns         bit 55              invalid
 *   assigned_empty        PA | 0x4            invalid, HIPAS ASSIGNED in [4:2]
 *   assigned_destroyed    PA | 0x44           invalid
 *   assigned_ram          PA | 0x7DB (page) / PA | 0x7D9 (block): AF, inner shareable, S2AP RW, FWB normal WB
 *   assigned_ns           host attributes | AF | NS (bit 55) | XN | valid
 *   table                 PA | 0b11
 * </pre>
 * The CPU's stage-2 walker reads these tables directly when a REC runs.
 */
public final class S2tt {
    private S2tt() {
    }

    public static final long OA_MASK = 0x0000_FFFF_FFFF_F000L;
    public static final long UNASSIGNED_EMPTY = 0x0L;
    public static final long UNASSIGNED_RAM = 0x20L;
    public static final long UNASSIGNED_DESTROYED = 0x40L;
    public static final long NS_BIT = 1L << 55;
    public static final long UNASSIGNED_NS = NS_BIT;
    private static final long HIPAS_ASSIGNED = 0x4L;
    private static final long RIPAS_SHIFT = 5;
    private static final long AF = 1L << 10;
    private static final long SH_INNER = 3L << 8;
    private static final long S2AP_RW = 3L << 6;
    private static final long MEMATTR_NORMAL_WB_FWB = 0x6L << 2;
    private static final long XN = 1L << 54;
    /**
     * Host-controlled bits of an unprotected mapping: MemAttr[4:2] (with HCR_EL2.FWB) and S2AP[7:6]. TF-RMM's
     * S2TTE_NS_ATTR_MASK; MemAttr[3] (bit 5) is RES0 in the FWB encoding and rejected.
     */
    public static final long NS_ATTR_MASK = 0xDCL;
    private static final long MEMATTR_MASK = 0x7L << 2;
    /** MemAttr 0b100 under FWB is reserved: a host descriptor with it is invalid. */
    private static final long MEMATTR_FWB_RESERVED = 0x4L << 2;


    /** RTT entry kinds (HIPAS x RIPAS as the host sees them). */
    public enum Kind {
        UNASSIGNED_EMPTY, UNASSIGNED_RAM, UNASSIGNED_DESTROYED, UNASSIGNED_NS,
        ASSIGNED_EMPTY, ASSIGNED_RAM, ASSIGNED_DESTROYED, ASSIGNED_NS, TABLE;

        public boolean assigned() {
            return this == ASSIGNED_EMPTY || this == ASSIGNED_RAM || this == ASSIGNED_DESTROYED
                    || this == ASSIGNED_NS;
        }

        public boolean unassignedProtected() {
            return this == UNASSIGNED_EMPTY || this == UNASSIGNED_RAM || this == UNASSIGNED_DESTROYED;
        }

        /** RIPAS as RTT_READ_ENTRY reports it (EMPTY for entries without a RIPAS). */
        public int ripas() {
            switch (this) {
                case UNASSIGNED_RAM:
                case ASSIGNED_RAM: return 1;
                case UNASSIGNED_DESTROYED:
                case ASSIGNED_DESTROYED: return 2;
                default: return 0;
            }
        }
    }

    public static Kind kind(long desc, int level) {
        if ((desc & 1) != 0) {
            if (level < 3 && (desc & 3) == 3) {
                return Kind.TABLE;
            }
            return (desc & NS_BIT) != 0 ? Kind.ASSIGNED_NS : Kind.ASSIGNED_RAM;
        }
        if ((desc & NS_BIT) != 0) {
            return Kind.UNASSIGNED_NS;
        }
        int ripas = (int) (desc >>> RIPAS_SHIFT) & 3;
        boolean assigned = (desc & HIPAS_ASSIGNED) != 0;
        if (assigned) {
            return ripas == 2 ? Kind.ASSIGNED_DESTROYED : Kind.ASSIGNED_EMPTY;
        }
        return ripas == 1 ? Kind.UNASSIGNED_RAM : ripas == 2 ? Kind.UNASSIGNED_DESTROYED : Kind.UNASSIGNED_EMPTY;
    }

    public static long unassigned(int ripas) {
        return (long) ripas << RIPAS_SHIFT;
    }

    public static long assignedEmpty(long pa) {
        return pa | HIPAS_ASSIGNED;
    }

    public static long assignedDestroyed(long pa) {
        return pa | HIPAS_ASSIGNED | (2L << RIPAS_SHIFT);
    }

    public static long assignedRam(long pa, int level) {
        return pa | AF | SH_INNER | S2AP_RW | MEMATTR_NORMAL_WB_FWB | (level == 3 ? 3 : 1);
    }

    /** An unprotected mapping from the host's descriptor (only its OA, MemAttr and S2AP are used). */
    public static long assignedNs(long hostDesc, int level) {
        return (hostDesc & (OA_MASK | NS_ATTR_MASK)) | AF | NS_BIT | XN | SH_INNER | (level == 3 ? 3 : 1);
    }

    /** OA bits [47:lsb] of an entry at {@code level} (no LPA2). */
    public static long levelOaMask(int level) {
        return OA_MASK & ~(levelSize(level) - 1);
    }

    /** Results of {@link #hostNsDescFault}: valid, attributes, OA alignment, OA at or above 2^48. */
    public static final int NS_DESC_VALID = 0, NS_DESC_ATTR = 1, NS_DESC_ALIGN = 2, NS_DESC_BOUND = 3;
    private static final long OA_HIGH = 0xFL << 48;

    /**
     * What is wrong with the host's descriptor for RTT_MAP_UNPROTECTED, in the order of the spec's conditions:
     * attr_valid (a bit other than OA, MemAttr and S2AP, or the reserved MemAttr), addr_align (OA bits below the
     * level's block size), addr_bound (OA bits [51:48] without LPA2).
     */
    public static int hostNsDescFault(long desc, int level) {
        long bad = desc & ~(levelOaMask(level) | NS_ATTR_MASK);
        if ((bad & ~(OA_MASK | OA_HIGH)) != 0 || (desc & MEMATTR_MASK) == MEMATTR_FWB_RESERVED) {
            return NS_DESC_ATTR;
        }
        if ((bad & OA_MASK) != 0) {
            return NS_DESC_ALIGN;
        }
        return (bad & OA_HIGH) != 0 ? NS_DESC_BOUND : NS_DESC_VALID;
    }

    /** The host-controlled part of an ASSIGNED_NS entry (what RTT_READ_ENTRY reports). */
    public static long hostNsDesc(long desc, int level) {
        return desc & (levelOaMask(level) | NS_ATTR_MASK);
    }

    /** True if the entry holds a PA (ASSIGNED*, ASSIGNED_NS, TABLE): TF-RMM's s2tte_is_live(). */
    public static boolean live(long desc, int level) {
        Kind k = kind(desc, level);
        return k.assigned() || k == Kind.TABLE;
    }

    /** The descriptor for an unassigned protected entry with the RIPAS of {@code k}. */
    public static long unassignedFor(Kind k) {
        switch (k) {
            case UNASSIGNED_RAM: return UNASSIGNED_RAM;
            case UNASSIGNED_DESTROYED: return UNASSIGNED_DESTROYED;
            case UNASSIGNED_NS: return UNASSIGNED_NS;
            default: return UNASSIGNED_EMPTY;
        }
    }

    /** An ASSIGNED entry of kind {@code k} (EMPTY, RAM or DESTROYED) mapping {@code pa} at {@code level}. */
    public static long assigned(Kind k, long pa, int level) {
        switch (k) {
            case ASSIGNED_RAM: return assignedRam(pa, level);
            case ASSIGNED_DESTROYED: return assignedDestroyed(pa);
            case ASSIGNED_EMPTY: return assignedEmpty(pa);
            default: throw new IllegalArgumentException("not a protected assigned kind: " + k);
        }
    }

    public static long table(long pa) {
        return pa | 3;
    }

    public static long oa(long desc) {
        return desc & OA_MASK;
    }

    /** The descriptor of the same kind as {@code desc} mapping {@code pa} (for splitting blocks). */
    public static long withOa(long desc, long pa) {
        return (desc & ~OA_MASK) | pa;
    }

    public static int levelShift(int level) {
        return 12 + 9 * (3 - level);
    }

    public static long levelSize(int level) {
        return 1L << levelShift(level);
    }

    public static boolean aligned(long ipa, int level) {
        return (ipa & (levelSize(level) - 1)) == 0;
    }

    /** Result of a table walk. */
    public static final class Walk {
        /** Level of the entry the walk stopped at. */
        public int level;
        /** Physical address of that entry. */
        public long entryPa;
        public long desc;
        /** The RTT granule holding the entry. */
        public long rttPa;
        public Kind kind;

        /** Index of the entry within its 4 KB table granule. */
        public int index() {
            return (int) ((entryPa & 0xFFF) >>> 3);
        }
    }

    /**
     * s2tt_skip_non_live_entries(): {@code addr} if the walk's entry is live, else the base address of the next
     * live entry in the same table, or the end of the range the table maps if there is none.
     */
    public static long skipNonLive(RmmMemory mem, Walk w, long addr) {
        if (live(w.desc, w.level)) {
            return addr;
        }
        long size = levelSize(w.level);
        long base = addr & ~(size - 1);
        int index = w.index();
        int i = index + 1;
        for (; i < 512; i++) {
            if (live(mem.read64(w.rttPa + 8L * i), w.level)) {
                break;
            }
        }
        return base + (i - index) * size;
    }

    /**
     * Walks the realm's RTTs towards {@code level} for {@code ipa}, stopping early at any entry that is not a
     * table (TF-RMM s2tt_walk_lock_unlock).
     */
    public static Walk walk(RmmMemory mem, RealmDescriptor rd, long ipa, int level) {
        int s2sz = rd.s2sz();
        int start = rd.rttLevelStart();
        long table = rd.rttBase();
        Walk w = new Walk();
        int l = start;
        while (true) {
            int shift = levelShift(l);
            int bits = l == start ? s2sz - shift : 9;
            long idx = (ipa >>> shift) & ((1L << bits) - 1);
            long entryPa = table + idx * 8;
            long desc = mem.read64(entryPa);
            Kind k = kind(desc, l);
            if (l >= level || k != Kind.TABLE) {
                w.level = l;
                w.entryPa = entryPa;
                w.desc = desc;
                w.rttPa = entryPa & ~0xFFFL;
                w.kind = k;
                return w;
            }
            table = oa(desc);
            l++;
        }
    }

    /** Start level valid for an IPA width (RMM spec: 4 KB granule, up to 16 concatenated tables). */
    public static boolean validStartLevel(int s2sz, int sl, int paBits) {
        if (sl < 0 || sl > 3 || s2sz < 32 || s2sz > 48) {
            return false;
        }
        int min = 12 + 9 * (3 - sl) + 1;
        int max = 12 + 9 * (4 - sl) + (sl > 0 ? 4 : 0);
        if (sl == 0 && paBits < 44) {
            return false;
        }
        return s2sz >= min && s2sz <= max;
    }

    /** Number of concatenated root tables for an IPA width and start level. */
    public static int rootTables(int s2sz, int sl) {
        int extra = s2sz - (12 + 9 * (4 - sl));
        return extra > 0 ? 1 << extra : 1;
    }
}
