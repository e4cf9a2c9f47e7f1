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

    // ---- failure conditions shared by the commands -------------------------------------------------------------

    static String sizeName(int level) {
        switch (level) {
            case 3: return "4 KB";
            case 2: return "2 MB";
            case 1: return "1 GB";
            default: return "512 GB";
        }
    }

    /** level_bound: {@code levelArg} in [lo, 3]. */
    static Failure levelBound(long levelArg, int lo) {
        if (levelArg < lo || levelArg > 3) {
            return Rmm.input("level_bound", "level %d is outside [%d, 3]", levelArg, lo);
        }
        return null;
    }

    /** validate_map_addr(): ipa_bound (inside the IPA space), ipa_align (aligned to an entry at {@code level}). */
    static Failure mapAddr(RealmDescriptor d, long ipa, int level) {
        if (!d.inIpaSpace(ipa)) {
            return Rmm.input("ipa_bound", "ipa %#x is outside the realm's IPA space of %d bits", ipa, d.s2sz());
        }
        if (!S2tt.aligned(ipa, level)) {
            return Rmm.input("ipa_align", "ipa %#x is not aligned to a level-%d entry (%s)", ipa, level,
                    sizeName(level));
        }
        return null;
    }

    /** A protected IPA mapped at {@code level}: ipa_bound (in the PAR), then ipa_align. */
    static Failure protectedIpa(RealmDescriptor d, long ipa, int level) {
        if (!d.inPar(ipa)) {
            return Rmm.input("ipa_bound", "ipa %#x is not in the protected range [0, %#x)", ipa,
                    1L << (d.s2sz() - 1));
        }
        return mapAddr(d, ipa, level);
    }

    /** An unprotected IPA mapped at {@code level}: ipa_bound, ipa_align, then ipa_bound (not in the PAR). */
    static Failure unprotectedIpa(RealmDescriptor d, long ipa, int level) {
        Failure f = mapAddr(d, ipa, level);
        if (f == null && d.inPar(ipa)) {
            f = Rmm.input("ipa_bound", "ipa %#x is in the protected range [0, %#x)", ipa, 1L << (d.s2sz() - 1));
        }
        return f;
    }

    /** rtt_walk: the walk towards {@code level} stopped at a shallower entry that is not a table. */
    static Failure walkFailure(S2tt.Walk w, long ipa, int level) {
        return Rmm.rttError(w.level, "rtt_walk", "the walk for ipa %#x stopped at level %d (%s), above level %d",
                ipa, w.level, w.kind, level);
    }

    /** rtte_state: the entry the command works on is not in the state it needs. */
    static Failure entryState(S2tt.Walk w, long ipa, String expected) {
        return Rmm.rttError(w.level, "rtte_state", "the level-%d entry for ipa %#x is %s, expected %s", w.level, ipa,
                w.kind, expected);
    }

    Failure create(RmmMemory mem, long rd, long rtt, long ipa, long levelArg) {
        // rtt_align, rtt_bound, rtt_state, rd_align, rd_bound, rd_state
        Failure f = rmm.granule(rtt, GranuleState.DELEGATED, "rtt", "rtt_state");
        if (f == null) {
            f = rmm.rdGranule(rd);
        }
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // level_bound, ipa_bound, ipa_align
        f = levelBound(levelArg, d.rttLevelStart() + 1);
        if (f != null) {
            return f;
        }
        int level = (int) levelArg;
        f = mapAddr(d, ipa, level - 1);
        if (f != null) {
            return f;
        }
        // rtt_walk
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        if (w.level < level - 1) {
            return walkFailure(w, ipa, level - 1);
        }
        // rtte_state: the parent already points to a table
        if (w.kind == S2tt.Kind.TABLE) {
            return Rmm.rttError(level - 1, "rtte_state", "the level-%d entry for ipa %#x is already a TABLE (RTT %#x)",
                    level - 1, ipa, S2tt.oa(w.desc));
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
        return null;
    }

    Failure readEntry(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // level_bound, ipa_bound, ipa_align
        f = levelBound(levelArg, d.rttLevelStart());
        if (f == null) {
            f = mapAddr(d, ipa, (int) levelArg);
        }
        if (f != null) {
            return f;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, (int) levelArg);
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
        return null;
    }

    Failure initRipas(RmmMemory mem, long rd, long base, long top, long[] out) {
        // size_valid
        if (Long.compareUnsigned(top, base) <= 0) {
            return Rmm.input("size_valid", "top %#x is not above base %#x", top, base);
        }
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // base_align, top_gran_align, base_bound, top_bound
        if ((base & 0xFFF) != 0) {
            return Rmm.input("base_align", "base %#x is not aligned to 4 KB", base);
        }
        if ((top & 0xFFF) != 0) {
            return Rmm.input("top_gran_align", "top %#x is not aligned to 4 KB", top);
        }
        long par = 1L << (d.s2sz() - 1);
        if (!d.inIpaSpace(base) || !d.inPar(base)) {
            return Rmm.input("base_bound", "base %#x is not in the protected range [0, %#x)", base, par);
        }
        if (!d.inPar(top - 4096)) {
            return Rmm.input("top_bound", "top %#x is beyond the protected range [0, %#x)", top, par);
        }
        // realm_state
        if (d.state() != RealmDescriptor.STATE_NEW) {
            return Rmm.realmError(0, "realm_state", "realm %#x is %s, expected NEW", rd,
                    RealmCommands.stateName(d.state()));
        }
        S2tt.Walk w = S2tt.walk(mem, d, base, 3);
        // base_align
        if (!S2tt.aligned(base, w.level)) {
            return Rmm.rttError(w.level, "base_align", "base %#x is not aligned to the level-%d entry (%s) that maps"
                    + " it", base, w.level, sizeName(w.level));
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
            S2tt.Kind k = S2tt.kind(mem.read64(w.entryPa), w.level);
            if (Long.compareUnsigned(base + size, top) <= 0) {
                // rtte_state: the first entry is neither UNASSIGNED_EMPTY nor UNASSIGNED_RAM
                return Rmm.rttError(w.level, "rtte_state", "the level-%d entry for base %#x is %s, expected"
                        + " UNASSIGNED_EMPTY or UNASSIGNED_RAM", w.level, base, k);
            }
            return Rmm.rttError(w.level, "no_progress", "the level-%d entry at base %#x (%s) ends beyond top %#x",
                    w.level, base, sizeName(w.level), top);
        }
        d.setRim(rim);
        out[1] = addr;
        return null;
    }

    /** RMI_RTT_DESTROY: X1 = the RTT's PA, X2 = top of the non-live region (also on RTT errors). */
    /** rd_*, then validate_rtt_structure_cmds(): level_bound (in [start+1, 3]), ipa_bound, ipa_align. */
    private Failure structureArgs(RmmMemory mem, long rd, long ipa, long levelArg) {
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        f = levelBound(levelArg, d.rttLevelStart() + 1);
        if (f == null) {
            f = mapAddr(d, ipa, (int) levelArg - 1);
        }
        return f;
    }

    Failure destroy(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        // rd_align, rd_bound, rd_state, level_bound, ipa_bound, ipa_align
        Failure f = structureArgs(mem, rd, ipa, levelArg);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        int level = (int) levelArg;
        boolean inPar = d.inPar(ipa);
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        // rtt_walk, rtte_state: the parent entry must be a table at level-1
        if (w.level != level - 1 || w.kind != S2tt.Kind.TABLE) {
            out[2] = S2tt.skipNonLive(mem, w, ipa);
            return w.level != level - 1 ? walkFailure(w, ipa, level - 1) : entryState(w, ipa, "TABLE");
        }
        long child = S2tt.oa(w.desc);
        // rtt_live: child tables or protected ASSIGNED entries (ASSIGNED_NS entries hold no reference)
        int refs = rmm.granules.refcount(child);
        if (refs != 0) {
            out[2] = ipa;
            return Rmm.rttError(level, "rtt_live", "RTT %#x (level %d) is live: %d tables or assigned entries in it",
                    child, level, refs);
        }
        long parent = inPar ? S2tt.UNASSIGNED_DESTROYED : S2tt.UNASSIGNED_NS;
        mem.write64(w.entryPa, parent);
        rmm.granules.addRef(w.rttPa, -1);
        mem.cpu.tlbInvalidate(true);
        mem.zeroGranule(child);
        rmm.transition(mem.cpu, child, GranuleState.DELEGATED);
        w.desc = parent;
        w.kind = S2tt.kind(parent, w.level);
        out[1] = child;
        out[2] = S2tt.skipNonLive(mem, w, ipa);
        return null;
    }

    /** RMI_RTT_FOLD: replaces a homogeneous RTT by one entry in its parent. X1 = the folded RTT's PA. */
    Failure fold(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        // rd_align, rd_bound, rd_state, level_bound, ipa_bound, ipa_align
        Failure f = structureArgs(mem, rd, ipa, levelArg);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        int level = (int) levelArg;
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level - 1);
        // rtt_walk
        if (w.level != level - 1) {
            return walkFailure(w, ipa, level - 1);
        }
        // rtte_state
        if (w.kind != S2tt.Kind.TABLE) {
            return entryState(w, ipa, "TABLE");
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
                    return Rmm.rttError(level - 1, "rtte_homo", "RTT %#x maps one contiguous unprotected block, but"
                            + " a level-%d entry cannot be a block", child, level - 1);
                }
                parent = S2tt.assignedNs(e[0], level - 1);
            } else {
                return Rmm.rttError(level, "rtte_homo", "the entries of RTT %#x (level %d) are neither all one"
                        + " unassigned state nor one contiguous unprotected block", child, level);
            }
            rmm.granules.addRef(w.rttPa, -1);
        } else if (refs == 512) {
            if (level <= 1) {
                return Rmm.rttError(level - 1, "rtte_homo", "RTT %#x maps 512 assigned entries, but a level-%d entry"
                        + " cannot be a block", child, level - 1);
            }
            S2tt.Kind k0 = S2tt.kind(e[0], level);
            if ((k0 == S2tt.Kind.ASSIGNED_EMPTY || k0 == S2tt.Kind.ASSIGNED_RAM
                    || k0 == S2tt.Kind.ASSIGNED_DESTROYED) && mapsBlock(e, level, k0)) {
                // The parent keeps the one reference the table entry held: the block is one ASSIGNED entry.
                parent = S2tt.assigned(k0, S2tt.oa(e[0]), level - 1);
            } else {
                return Rmm.rttError(level, "rtte_homo", "the 512 assigned entries of RTT %#x (level %d) are not one"
                        + " contiguous aligned block of one RIPAS", child, level);
            }
        } else {
            return Rmm.rttError(level, "rtte_homo", "RTT %#x (level %d) has %d live entries of 512", child, level,
                    refs);
        }
        // Break before make, then the block entry; the table granule is scrubbed and returned to DELEGATED.
        mem.write64(w.entryPa, S2tt.UNASSIGNED_EMPTY);
        mem.cpu.tlbInvalidate(true);
        mem.write64(w.entryPa, parent);
        mem.zeroGranule(child);
        rmm.granules.setRefcount(child, 0);
        rmm.transition(mem.cpu, child, GranuleState.DELEGATED);
        out[1] = child;
        return null;
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
    Failure mapUnprotected(RmmMemory mem, long rd, long ipa, long levelArg, long desc) {
        // level_bound (checked before the RD, as TF-RMM does)
        Failure f = levelBound(levelArg, 1);
        if (f == null) {
            f = rmm.rdGranule(rd);
        }
        if (f != null) {
            return f;
        }
        int level = (int) levelArg;
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // attr_valid, addr_align, addr_bound
        switch (S2tt.hostNsDescFault(desc, level)) {
            case S2tt.NS_DESC_ATTR:
                return Rmm.input("attr_valid", "desc %#x has bits other than the OA, MemAttr[4:2] and S2AP set, or"
                        + " the reserved MemAttr 0b100", desc);
            case S2tt.NS_DESC_ALIGN:
                return Rmm.input("addr_align", "the address in desc %#x is not aligned to a level-%d entry (%s)",
                        desc, level, sizeName(level));
            case S2tt.NS_DESC_BOUND:
                return Rmm.input("addr_bound", "the address in desc %#x is at or above 2^48 (no LPA2)", desc);
            default:
                break;
        }
        // ipa_bound, ipa_align: aligned, inside the IPA space, and not protected
        f = unprotectedIpa(d, ipa, level);
        if (f != null) {
            return f;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level);
        // rtt_walk
        if (w.level != level) {
            return walkFailure(w, ipa, level);
        }
        // rtte_state
        if (w.kind != S2tt.Kind.UNASSIGNED_NS) {
            return entryState(w, ipa, "UNASSIGNED_NS");
        }
        // No reference is taken: an NS granule mapped into a realm stays the host's (TF-RMM map_unmap_ns).
        mem.write64(w.entryPa, S2tt.assignedNs(desc, level));
        return null;
    }

    /** RMI_RTT_UNMAP_UNPROTECTED: X1 = top of the non-live region (also on RTT errors). */
    Failure unmapUnprotected(RmmMemory mem, long rd, long ipa, long levelArg, long[] out) {
        // level_bound, rd_align, rd_bound, rd_state
        Failure f = levelBound(levelArg, 1);
        if (f == null) {
            f = rmm.rdGranule(rd);
        }
        if (f != null) {
            return f;
        }
        int level = (int) levelArg;
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // ipa_bound, ipa_align
        f = unprotectedIpa(d, ipa, level);
        if (f != null) {
            return f;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, level);
        // rtt_walk, rtte_state: both report the walk level
        if (w.level != level || w.kind != S2tt.Kind.ASSIGNED_NS) {
            out[1] = S2tt.skipNonLive(mem, w, ipa);
            return w.level != level ? walkFailure(w, ipa, level) : entryState(w, ipa, "ASSIGNED_NS");
        }
        mem.write64(w.entryPa, S2tt.UNASSIGNED_NS);
        mem.cpu.tlbInvalidate(true);
        w.desc = S2tt.UNASSIGNED_NS;
        w.kind = S2tt.Kind.UNASSIGNED_NS;
        out[1] = S2tt.skipNonLive(mem, w, ipa);
        return null;
    }

    /**
     * RMI_RTT_SET_RIPAS: completes (part of) the RIPAS change a REC requested with RSI_IPA_STATE_SET, over the
     * entries of one RTT starting at base. X1 = the address the change reached.
     */
    Failure setRipas(RmmMemory mem, long rd, long recPa, long base, long top, long[] out) {
        // size_valid
        if (Long.compareUnsigned(top, base) <= 0) {
            return Rmm.input("size_valid", "top %#x is not above base %#x", top, base);
        }
        // top_gran_align (the spec's condition; TF-RMM R10 lets an unaligned top fail later as no_progress)
        if ((top & 0xFFF) != 0) {
            return Rmm.input("top_gran_align", "top %#x is not aligned to 4 KB", top);
        }
        // rd_*, rec_align, rec_bound, rec_gran_state
        Failure f = rmm.rdGranule(rd);
        if (f == null) {
            f = rmm.granule(recPa, GranuleState.REC, "rec", "rec_gran_state");
        }
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // rec_state: running on another PE
        if (rmm.granules.refcount(recPa) != 0) {
            return Rmm.recError("rec_state", "REC %#x is running", recPa);
        }
        Rec rec = new Rec(mem, recPa);
        // rec_owner
        if (rec.owner() != rd) {
            return Rmm.recError("rec_owner", "REC %#x belongs to realm %#x, not %#x", recPa, rec.owner(), rd);
        }
        // base_bound, top_bound: the next chunk of the REC's pending request
        if (!rec.flag(Rec.FLAG_RIPAS_PENDING)) {
            return Rmm.input("base_bound", "REC %#x has no RIPAS change pending", recPa);
        }
        if (base != rec.ripasAddr()) {
            return Rmm.input("base_bound", "base %#x, expected %#x: where the REC's RIPAS change has got to", base,
                    rec.ripasAddr());
        }
        if (Long.compareUnsigned(top, rec.ripasTop()) > 0) {
            return Rmm.input("top_bound", "top %#x is beyond %#x, the top of the REC's RIPAS change", top,
                    rec.ripasTop());
        }
        S2tt.Walk w = S2tt.walk(mem, d, base, 3);
        // base_align: base must be aligned to the level at which it is mapped
        if (!S2tt.aligned(base, w.level)) {
            return Rmm.rttError(w.level, "base_align", "base %#x is not aligned to the level-%d entry (%s) that maps"
                    + " it", base, w.level, sizeName(w.level));
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
            if (Long.compareUnsigned(base + size, top) > 0) {
                return Rmm.rttError(w.level, "no_progress", "the level-%d entry at base %#x (%s) ends beyond top %#x",
                        w.level, base, sizeName(w.level), top);
            }
            S2tt.Kind k = S2tt.kind(mem.read64(w.entryPa), w.level);
            return Rmm.rttError(w.level, "no_progress", "the level-%d entry at base %#x is %s, which %s", w.level,
                    base, k, k.ripas() == Rmi.RIPAS_DESTROYED ? "changes only with CHANGE_DESTROYED"
                            : "has no RIPAS");
        }
        rec.setRipasAddr(addr);
        out[1] = addr;
        return null;
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
