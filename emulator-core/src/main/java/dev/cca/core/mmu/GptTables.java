package dev.cca.core.mmu;

import dev.cca.core.mem.Page;
import dev.cca.core.mem.PhysicalMemory;

/**
 * Builds and edits a Granule Protection Table in memory in the architectural format read by
 * {@link GranuleProtection}: a level-0 table of 1 GB entries (L0GPTSZ = 30), each either a block descriptor with
 * one GPI or a table descriptor pointing at a level-1 table of granule descriptors (sixteen 4-bit GPIs for
 * sixteen 4 KB granules per 64-bit entry). This is the format EL3 firmware maintains; the EL3 model uses it.
 */
public final class GptTables {
    public static final int L0_SHIFT = 30;
    public static final int GRANULE_SHIFT = 12;
    /** Bytes of level-1 table per level-0 entry: 2^30 / 4 KB granules x 4 bits. */
    public static final long L1_TABLE_BYTES = (1L << (L0_SHIFT - GRANULE_SHIFT)) / 2;

    private final PhysicalMemory mem;
    private final long l0Base;
    private final int ppsBits;

    /**
     * @param l0Base  physical address of the level-0 table, aligned to its size
     * @param ppsBits protected physical address size (32, 36, 40, 42, 44, 48 or 52)
     */
    public GptTables(PhysicalMemory mem, long l0Base, int ppsBits) {
        this.mem = mem;
        this.l0Base = l0Base;
        this.ppsBits = ppsBits;
        if ((l0Base & (l0Bytes() - 1)) != 0 && l0Bytes() >= Page.SIZE) {
            throw new IllegalArgumentException("GPT level-0 table must be aligned to its size");
        }
    }

    public long l0Base() {
        return l0Base;
    }

    public int l0Entries() {
        return 1 << (ppsBits - L0_SHIFT);
    }

    public long l0Bytes() {
        return 8L * l0Entries();
    }

    /** GPCCR_EL3 for this table: GPC on, 4 KB granules, L0GPTSZ 30, inner shareable write-back walks. */
    public long gpccr() {
        int pps;
        switch (ppsBits) {
            case 32: pps = 0; break;
            case 36: pps = 1; break;
            case 40: pps = 2; break;
            case 42: pps = 3; break;
            case 44: pps = 4; break;
            case 48: pps = 5; break;
            case 52: pps = 6; break;
            default: throw new IllegalArgumentException("PPS " + ppsBits);
        }
        return GranuleProtection.GPCCR_GPC | pps | (1L << 8) | (1L << 10) | (3L << GranuleProtection.GPCCR_SH_SHIFT);
    }

    /** GPTBR_EL3 for this table. */
    public long gptbr() {
        return l0Base >>> 12;
    }

    /** Makes level-0 entry {@code index} a block descriptor with one GPI for its whole 1 GB. */
    public void setBlock(int index, int gpi) {
        mem.write(l0Base + 8L * index, 8, ((long) gpi << 4) | 1);
    }

    /** Points level-0 entry {@code index} at a level-1 table at {@code l1Base} whose granules all get {@code gpi}. */
    public void attachL1(int index, long l1Base, int gpi) {
        long entry = 0;
        for (int i = 0; i < 16; i++) {
            entry |= (long) gpi << (4 * i);
        }
        for (long off = 0; off < L1_TABLE_BYTES; off += 8) {
            mem.write(l1Base + off, 8, entry);
        }
        mem.write(l0Base + 8L * index, 8, l1Base | 3);
    }

    /** The GPI of the granule holding {@code pa}. */
    public int gpi(long pa) {
        long l0 = mem.read(l0Base + 8 * (pa >>> L0_SHIFT), 8);
        if ((l0 & 0xF) == 1) {
            return (int) (l0 >>> 4) & 0xF;
        }
        long l1 = l0 & ~0xFL;
        long e = mem.read(l1 + 8 * ((pa & ((1L << L0_SHIFT) - 1)) >>> (GRANULE_SHIFT + 4)), 8);
        return (int) (e >>> (4 * ((pa >>> GRANULE_SHIFT) & 0xF))) & 0xF;
    }

    /**
     * Sets the GPI of one 4 KB granule. The granule's level-0 entry must be a table descriptor.
     *
     * @return false if the granule is covered by a level-0 block (it cannot be changed alone)
     */
    public boolean setGranule(long pa, int gpi) {
        long l0 = mem.read(l0Base + 8 * (pa >>> L0_SHIFT), 8);
        if ((l0 & 0xF) != 3) {
            return false;
        }
        long entryPa = (l0 & ~0xFL) + 8 * ((pa & ((1L << L0_SHIFT) - 1)) >>> (GRANULE_SHIFT + 4));
        int shift = (int) (4 * ((pa >>> GRANULE_SHIFT) & 0xF));
        long e = mem.read(entryPa, 8);
        e = (e & ~(0xFL << shift)) | ((long) gpi << shift);
        mem.write(entryPa, 8, e);
        return true;
    }
}
