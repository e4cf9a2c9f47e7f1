package dev.cca.kvm;

import dev.cca.core.mem.PhysicalMemory;
import dev.cca.kvm.host.HostKernel;

import java.util.ArrayList;
import java.util.List;

/**
 * A normal VM's stage-2 translation tables (arch/arm64/kvm/mmu.c, hyp/pgtable.c), built by KVM in host pages in
 * the architectural VMSAv8-64 format with the 4 KB granule, so that the PE walks them directly. Pages are mapped
 * one at a time when the guest first touches them (a stage-2 translation fault), from the user pages that back
 * the memslot. Mappings are normal write-back memory, read-write unless the memslot is read-only.
 */
final class Stage2 {
    private static final long PAGE = 4096;
    private static final long OA_MASK = 0x0000_FFFF_FFFF_F000L;
    /** Level-3 page descriptor attributes: MemAttr Normal WB (0b1111), SH inner shareable, AF. */
    private static final long PAGE_ATTRS = 3 | (0xFL << 2) | (3L << 8) | (1L << 10);
    private static final long S2AP_R = 1L << 6, S2AP_W = 1L << 7;

    private final HostKernel kernel;
    private final PhysicalMemory mem;
    final int ipaBits;
    final int startLevel;
    final long root;
    final int rootPages;
    /** Every table page, freed when the VM goes away. */
    private final List<Long> tables = new ArrayList<>();

    Stage2(HostKernel kernel, int ipaBits) {
        this.kernel = kernel;
        this.mem = kernel.platform.machine.memory;
        this.ipaBits = ipaBits;
        // The shallowest start level whose (up to 16 concatenated) tables cover the IPA space (Arm ARM D8.2.4).
        startLevel = ipaBits <= 34 ? 2 : ipaBits <= 43 ? 1 : 0;
        int topShift = 12 + 9 * (4 - startLevel);
        rootPages = ipaBits > topShift ? 1 << (ipaBits - topShift) : 1;
        root = kernel.pages.allocContiguous(rootPages);
        if (root >= 0) {
            mem.zero(root, rootPages * PAGE);
            for (int i = 0; i < rootPages; i++) {
                tables.add(root + i * PAGE);
            }
        }
    }

    boolean valid() {
        return root >= 0;
    }

    /** VTCR_EL2 for these tables: T0SZ, SL0, write-back inner-shareable walks, 4 KB granule, 48-bit PS. */
    long vtcr() {
        long sl0 = startLevel == 2 ? 0 : startLevel == 1 ? 1 : 2;
        return (64 - ipaBits) | (sl0 << 6) | (1L << 8) | (1L << 10) | (3L << 12) | (5L << 16) | (1L << 31);
    }

    private static int shift(int level) {
        return 12 + 9 * (3 - level);
    }

    /** Maps the page at {@code ipa} to {@code pa}. Returns false if a table page cannot be allocated. */
    synchronized boolean map(long ipa, long pa, boolean writable) {
        long table = root;
        for (int level = startLevel; level < 3; level++) {
            int bits = level == startLevel ? ipaBits - shift(level) : 9;
            long idx = (ipa >>> shift(level)) & ((1L << bits) - 1);
            long slot = table + idx * 8;
            long desc = mem.read(slot, 8);
            if ((desc & 3) != 3) {
                long next = kernel.allocZeroedPage();
                if (next < 0) {
                    return false;
                }
                tables.add(next);
                desc = next | 3;
                mem.write(slot, 8, desc);
            }
            table = desc & OA_MASK;
        }
        long slot = table + ((ipa >>> 12) & 511) * 8;
        mem.write(slot, 8, (pa & OA_MASK) | PAGE_ATTRS | S2AP_R | (writable ? S2AP_W : 0));
        return true;
    }

    /** Gives every table page back to the host (the VM is gone and no PE uses the tables any more). */
    synchronized void free() {
        for (long t : tables) {
            kernel.pages.free(t);
        }
        tables.clear();
    }

    /** Removes the mappings of [start, end); the caller invalidates the TLBs. */
    synchronized void unmap(long start, long end) {
        for (long ipa = start; ipa < end; ipa += PAGE) {
            long table = root;
            boolean present = true;
            for (int level = startLevel; level < 3 && present; level++) {
                int bits = level == startLevel ? ipaBits - shift(level) : 9;
                long desc = mem.read(table + ((ipa >>> shift(level)) & ((1L << bits) - 1)) * 8, 8);
                present = (desc & 3) == 3;
                table = desc & OA_MASK;
            }
            if (present) {
                mem.write(table + ((ipa >>> 12) & 511) * 8, 8, 0);
            }
        }
    }
}
