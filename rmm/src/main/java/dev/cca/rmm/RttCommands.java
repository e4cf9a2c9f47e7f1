package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Rmi;

/**
 * RTT commands (TF-RMM runtime/rmi/rtt.c): RTT_CREATE, RTT_DESTROY, RTT_FOLD, RTT_READ_ENTRY,
 * RTT_MAP_UNPROTECTED, RTT_UNMAP_UNPROTECTED, RTT_INIT_RIPAS, RTT_SET_RIPAS. Each handler checks the failure
 * conditions in the order TF-RMM R10 evaluates them (shared/research/rmm-spec.md 2.3); the spec's labels are in
 * the comments.
 */
final class RttCommands {
    private final Rmm rmm;

    RttCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    /** validate_map_addr(): inside the IPA space and aligned to an entry at {@code level}. */
    static boolean validMapAddr(RealmDescriptor d, long ipa, int level) {
        return d.inIpaSpace(ipa) && S2tt.aligned(ipa, level);
    }

    /** validate_rtt_structure_cmds(): level in [start+1, 3] and ipa a valid address at level-1. */
    static boolean validStructureArgs(RealmDescriptor d, long ipa, long levelArg) {
        if (levelArg < d.rttLevelStart() + 1 || levelArg > 3) {
            return false;
        }
        return validMapAddr(d, ipa, (int) levelArg - 1);
    }

    /** Level range of the map commands (S2TT_MIN_BLOCK_LEVEL = 1 to 3). */
    static boolean validMapLevel(long levelArg) {
        return levelArg >= 1 && levelArg <= 3;
    }

    long create(RmmMemory mem, long rd, long rtt, long ipa, long levelArg) {
        // rtt_align, rtt_bound, rtt_state, rd_align, rd_bound, rd_state
        if (!rmm.is(rtt, GranuleState.DELEGATED)) {
            return Rmi.ERROR_INPUT;
        }
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            return Rmi.ERROR_INPUT;
        }
        // level_bound, ipa_align, ipa_bound
        int start = d.rttLevelStart();
        if (levelArg < start + 1 || levelArg > 3) {
            return Rmi.ERROR_INPUT;
        }
        int level = (int) levelArg;
        if (!validMapAddr(d, ipa, level - 1)) {
            return Rmi.ERROR_INPUT;
        }
        // rtt_walk
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        if (w.level < level - 1) {
            return Rmi.pack(Rmi.ERROR_RTT, w.level);
        }
        // rtte_state: the parent already points to a table
        if (w.kind == S2tt.Kind.TABLE) {
            return Rmi.pack(Rmi.ERROR_RTT, level - 1);
        }
        long parent = w.desc;
        long childSize = S2tt.levelSize(level);
        int childRefs;
        boolean parentRef;
        switch (w.kind) {
            case UNASSIGNED_EMPTY:
            case UNASSIGNED_RAM:
            case UNASSIGNED_DESTROYED:
            case UNASSIGNED_NS:
                for (int i = 0; i < 512; i++) {
                    mem.write64(rtt + 8L * i, parent);
                }
                childRefs = 0;
                parentRef = true;
                break;
            case ASSIGNED_EMPTY:
            case ASSIGNED_DESTROYED:
            case ASSIGNED_RAM: {
                long pa = S2tt.oa(parent);
                for (int i = 0; i < 512; i++) {
                    long desc = w.kind == S2tt.Kind.ASSIGNED_RAM ? S2tt.assignedRam(pa + i * childSize, level)
                            : S2tt.withOa(parent, pa + i * childSize);
                    mem.write64(rtt + 8L * i, desc);
                }
                childRefs = 512;
                parentRef = false;
                break;
            }
            default: { // ASSIGNED_NS block
                long pa = S2tt.oa(parent);
                for (int i = 0; i < 512; i++) {
                    mem.write64(rtt + 8L * i, S2tt.assignedNs(parent, level) | (pa + i * childSize));
                }
                childRefs = 0;
                parentRef = true;
                break;
            }
        }
        mem.write64(w.entryPa, S2tt.table(rtt));
        if (parentRef) {
            rmm.granules.addRef(w.rttPa, 1);
        }
        rmm.transition(mem.cpu, rtt, GranuleState.RTT);
        rmm.granules.setRefcount(rtt, childRefs);
        mem.cpu.tlbInvalidate(true);
        return Rmi.SUCCESS;
    }

    void readEntry(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        if (levelArg < d.rttLevelStart() || levelArg > 3 || !validMapAddr(d, ipa, (int) levelArg)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, (int) levelArg);
        out[0] = Rmi.SUCCESS;
        out[1] = w.level;
        switch (w.kind) {
            case UNASSIGNED_EMPTY:
            case UNASSIGNED_RAM:
            case UNASSIGNED_DESTROYED:
            case UNASSIGNED_NS:
                out[2] = Rmi.RTT_STATE_UNASSIGNED;
                out[3] = 0;
                break;
            case ASSIGNED_EMPTY:
            case ASSIGNED_RAM:
                out[2] = Rmi.RTT_STATE_ASSIGNED;
                out[3] = S2tt.oa(w.desc);
                break;
            case ASSIGNED_DESTROYED:
                out[2] = Rmi.RTT_STATE_ASSIGNED;
                out[3] = 0; // TF-RMM R10 reports no address for ASSIGNED_DESTROYED
                break;
            case ASSIGNED_NS:
                out[2] = Rmi.RTT_STATE_ASSIGNED;
                out[3] = S2tt.hostNsDesc(w.desc, w.level);
                break;
            default:
                out[2] = Rmi.RTT_STATE_TABLE;
                out[3] = S2tt.oa(w.desc);
                break;
        }
        out[4] = w.kind.ripas();
    }

    void initRipas(RmmMemory mem, long rd, long base, long top, long[] out) {
        // size_valid
        if (Long.compareUnsigned(top, base) <= 0) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // top_bound and alignment
        if ((base & 0xFFF) != 0 || (top & 0xFFF) != 0 || !d.inIpaSpace(base) || !d.inPar(base)
                || !d.inPar(top - 4096)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // realm_state
        if (d.state() != RealmDescriptor.STATE_NEW) {
            out[0] = Rmi.pack(Rmi.ERROR_REALM, 0);
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, base, 3);
        // base_align
        if (!S2tt.aligned(base, w.level)) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            return;
        }
        long size = S2tt.levelSize(w.level);
        long tableEnd = (w.rttPa + 4096);
        long addr = base;
        long entryPa = w.entryPa;
        int hashAlgo = d.hashAlgo();
        byte[] rim = d.rim();
        while (entryPa < tableEnd && Long.compareUnsigned(addr + size, top) <= 0) {
            long desc = mem.read64(entryPa);
            S2tt.Kind k = S2tt.kind(desc, w.level);
            if (k == S2tt.Kind.UNASSIGNED_EMPTY) {
                mem.write64(entryPa, S2tt.UNASSIGNED_RAM);
            } else if (k != S2tt.Kind.UNASSIGNED_RAM) {
                break; // rtte_state: anything else stops the walk
            }
            rim = Measurement.extendRipas(hashAlgo, rim, addr, addr + size);
            addr += size;
            entryPa += 8;
        }
        if (addr == base) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            return;
        }
        d.setRim(rim);
        out[0] = Rmi.SUCCESS;
        out[1] = addr;
    }

    /** RMI_RTT_DESTROY: X1 = the RTT's PA, X2 = top of the non-live region (also on RTT errors). */
    void destroy(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        // rd_align, rd_bound, rd_state
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // level_bound, ipa_align, ipa_bound
        if (!validStructureArgs(d, ipa, levelArg)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        int level = (int) levelArg;
        boolean inPar = d.inPar(ipa);
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        // rtt_walk, rtte_state: the parent entry must be a table at level-1
        if (w.level != level - 1 || w.kind != S2tt.Kind.TABLE) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            out[2] = S2tt.skipNonLive(mem, w, ipa);
            return;
        }
        long child = S2tt.oa(w.desc);
        // rtt_live: child tables or protected ASSIGNED entries (ASSIGNED_NS entries hold no reference)
        if (rmm.granules.refcount(child) != 0) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, level);
            out[2] = ipa;
            return;
        }
        long parent = inPar ? S2tt.UNASSIGNED_DESTROYED : S2tt.UNASSIGNED_NS;
        mem.write64(w.entryPa, parent);
        rmm.granules.addRef(w.rttPa, -1);
        mem.cpu.tlbInvalidate(true);
        mem.zeroGranule(child);
        rmm.transition(mem.cpu, child, GranuleState.DELEGATED);
        w.desc = parent;
        w.kind = S2tt.kind(parent, w.level);
        out[0] = Rmi.SUCCESS;
        out[1] = child;
        out[2] = S2tt.skipNonLive(mem, w, ipa);
    }

    /** RMI_RTT_FOLD: replaces a homogeneous RTT by one entry in its parent. X1 = the folded RTT's PA. */
    void fold(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        if (!validStructureArgs(d, ipa, levelArg)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        int level = (int) levelArg;
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        // rtt_walk
        if (w.level != level - 1) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            return;
        }
        // rtte_state
        if (w.kind != S2tt.Kind.TABLE) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, level - 1);
            return;
        }
        long child = S2tt.oa(w.desc);
        long[] e = new long[512];
        for (int i = 0; i < 512; i++) {
            e[i] = mem.read64(child + 8L * i);
        }
        int refs = rmm.granules.refcount(child);
        long parent;
        if (refs == 0) {
            S2tt.Kind k0 = S2tt.kind(e[0], level);
            if ((k0.unassignedProtected() || k0 == S2tt.Kind.UNASSIGNED_NS) && allOfKind(e, level, k0)) {
                parent = S2tt.unassignedFor(k0);
            } else if (mapsBlock(e, level, S2tt.Kind.ASSIGNED_NS)) {
                // Block mappings below S2TT_MIN_BLOCK_LEVEL (1) are not allowed
                if (level <= 1) {
                    out[0] = Rmi.pack(Rmi.ERROR_RTT, level - 1);
                    return;
                }
                parent = S2tt.assignedNs(e[0], level - 1);
            } else {
                out[0] = Rmi.pack(Rmi.ERROR_RTT, level); // rtte_homo
                return;
            }
            rmm.granules.addRef(w.rttPa, -1);
        } else if (refs == 512) {
            if (level <= 1) {
                out[0] = Rmi.pack(Rmi.ERROR_RTT, level - 1);
                return;
            }
            S2tt.Kind k0 = S2tt.kind(e[0], level);
            if ((k0 == S2tt.Kind.ASSIGNED_EMPTY || k0 == S2tt.Kind.ASSIGNED_RAM
                    || k0 == S2tt.Kind.ASSIGNED_DESTROYED) && mapsBlock(e, level, k0)) {
                // The parent keeps the one reference the table entry held: the block is one ASSIGNED entry.
                parent = S2tt.assigned(k0, S2tt.oa(e[0]), level - 1);
            } else {
                out[0] = Rmi.pack(Rmi.ERROR_RTT, level);
                return;
            }
        } else {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, level);
            return;
        }
        // Break before make, then the block entry; the table granule is scrubbed and returned to DELEGATED.
        mem.write64(w.entryPa, S2tt.UNASSIGNED_EMPTY);
        mem.cpu.tlbInvalidate(true);
        mem.write64(w.entryPa, parent);
        mem.zeroGranule(child);
        rmm.granules.setRefcount(child, 0);
        rmm.transition(mem.cpu, child, GranuleState.DELEGATED);
        out[0] = Rmi.SUCCESS;
        out[1] = child;
    }

    private static boolean allOfKind(long[] e, int level, S2tt.Kind k) {
        for (long desc : e) {
            if (S2tt.kind(desc, level) != k) {
                return false;
            }
        }
        return true;
    }

    /**
     * table_maps_block(): every entry is of kind {@code k}, the first maps a PA aligned to the parent level, the
     * rest map the following contiguous PAs, and (for ASSIGNED_NS) all carry the same host attributes.
     */
    private static boolean mapsBlock(long[] e, int level, S2tt.Kind k) {
        if (S2tt.kind(e[0], level) != k) {
            return false;
        }
        long base = S2tt.oa(e[0]);
        if (!S2tt.aligned(base, level - 1)) {
            return false;
        }
        long size = S2tt.levelSize(level);
        long attrs = e[0] & S2tt.NS_ATTR_MASK;
        for (int i = 1; i < 512; i++) {
            if (S2tt.kind(e[i], level) != k || S2tt.oa(e[i]) != base + i * size) {
                return false;
            }
            if (k == S2tt.Kind.ASSIGNED_NS && (e[i] & S2tt.NS_ATTR_MASK) != attrs) {
                return false;
            }
        }
        return true;
    }

    /** RMI_RTT_MAP_UNPROTECTED: maps host memory (desc: OA, MemAttr, S2AP) at an unprotected IPA. */
    long mapUnprotected(RmmMemory mem, long rd, long ipa, long levelArg, long desc) {
        // level_bound (checked before the RD, as TF-RMM does)
        if (!validMapLevel(levelArg)) {
            return Rmi.ERROR_INPUT;
        }
        int level = (int) levelArg;
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            return Rmi.ERROR_INPUT;
        }
        // attr_valid, addr_align, addr_bound
        if (!S2tt.hostNsDescValid(desc, level)) {
            return Rmi.ERROR_INPUT;
        }
        // ipa_align, ipa_bound: aligned, inside the IPA space, and not protected
        if (!validMapAddr(d, ipa, level) || d.inPar(ipa)) {
            return Rmi.ERROR_INPUT;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level);
        // rtt_walk
        if (w.level != level) {
            return Rmi.pack(Rmi.ERROR_RTT, w.level);
        }
        // rtte_state
        if (w.kind != S2tt.Kind.UNASSIGNED_NS) {
            return Rmi.pack(Rmi.ERROR_RTT, level);
        }
        // No reference is taken: an NS granule mapped into a realm stays the host's (TF-RMM map_unmap_ns).
        mem.write64(w.entryPa, S2tt.assignedNs(desc, level));
        return Rmi.SUCCESS;
    }

    /** RMI_RTT_UNMAP_UNPROTECTED: X1 = top of the non-live region (also on RTT errors). */
    void unmapUnprotected(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        if (!validMapLevel(levelArg)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        int level = (int) levelArg;
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        if (!validMapAddr(d, ipa, level) || d.inPar(ipa)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level);
        // rtt_walk, rtte_state: both report the walk level
        if (w.level != level || w.kind != S2tt.Kind.ASSIGNED_NS) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            out[1] = S2tt.skipNonLive(mem, w, ipa);
            return;
        }
        mem.write64(w.entryPa, S2tt.UNASSIGNED_NS);
        mem.cpu.tlbInvalidate(true);
        w.desc = S2tt.UNASSIGNED_NS;
        w.kind = S2tt.Kind.UNASSIGNED_NS;
        out[0] = Rmi.SUCCESS;
        out[1] = S2tt.skipNonLive(mem, w, ipa);
    }

    /**
     * RMI_RTT_SET_RIPAS: completes (part of) the RIPAS change a REC requested with RSI_IPA_STATE_SET, over the
     * entries of one RTT starting at base. X1 = the address the change reached.
     */
    void setRipas(RmmMemory mem, long rd, long recPa, long base, long top, long[] out) {
        // size_valid
        if (Long.compareUnsigned(top, base) <= 0) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // top_gran_align (the spec's condition; TF-RMM R10 lets an unaligned top fail later as no_progress)
        if ((top & 0xFFF) != 0) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // rd_*, rec_align, rec_bound, rec_gran_state
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null || !rmm.is(recPa, GranuleState.REC)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // rec_state: running on another PE
        if (rmm.granules.refcount(recPa) != 0) {
            out[0] = Rmi.pack(Rmi.ERROR_REC, 0);
            return;
        }
        Rec rec = new Rec(mem, recPa);
        // rec_owner
        if (rec.owner() != rd) {
            out[0] = Rmi.pack(Rmi.ERROR_REC, 0);
            return;
        }
        // base_bound, top_bound: the next chunk of the REC's pending request
        if (!rec.flag(Rec.FLAG_RIPAS_PENDING) || base != rec.ripasAddr()
                || Long.compareUnsigned(top, rec.ripasTop()) > 0) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, base, 3);
        // base_align: base must be aligned to the level at which it is mapped
        if (!S2tt.aligned(base, w.level)) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            return;
        }
        int target = rec.ripasValue();
        boolean changeDestroyed = rec.ripasChangeDestroyed();
        long size = S2tt.levelSize(w.level);
        long addr = base;
        boolean tlbi = false;
        for (int i = w.index(); i < 512; i++) {
            if (Long.compareUnsigned(addr + size, top) > 0) {
                break;
            }
            long entryPa = w.rttPa + 8L * i;
            long desc = mem.read64(entryPa);
            long updated = updateRipas(desc, w.level, target, changeDestroyed);
            if (updated == NO_RIPAS) {
                break;
            }
            if (updated != desc) {
                mem.write64(entryPa, updated);
                tlbi |= S2tt.kind(desc, w.level) == S2tt.Kind.ASSIGNED_RAM;
            }
            addr += size;
        }
        if (tlbi) {
            mem.cpu.tlbInvalidate(true);
        }
        // no_progress
        if (addr == base) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            return;
        }
        rec.setRipasAddr(addr);
        out[0] = Rmi.SUCCESS;
        out[1] = addr;
    }

    private static final long NO_RIPAS = -1L;

    /**
     * update_ripas(): the entry with RIPAS {@code target}, the same entry if it already has it, or NO_RIPAS if the
     * walk must stop (no RIPAS: NS or table; DESTROYED without CHANGE_DESTROYED).
     */
    static long updateRipas(long desc, int level, int target, boolean changeDestroyed) {
        S2tt.Kind k = S2tt.kind(desc, level);
        if (k == S2tt.Kind.UNASSIGNED_NS || k == S2tt.Kind.ASSIGNED_NS || k == S2tt.Kind.TABLE) {
            return NO_RIPAS;
        }
        if (k.ripas() == target) {
            return desc;
        }
        if (k.ripas() == Rmi.RIPAS_DESTROYED && !changeDestroyed) {
            return NO_RIPAS;
        }
        if (k.unassignedProtected()) {
            return S2tt.unassigned(target);
        }
        long pa = S2tt.oa(desc);
        return target == Rmi.RIPAS_RAM ? S2tt.assignedRam(pa, level) : S2tt.assignedEmpty(pa);
    }
}
