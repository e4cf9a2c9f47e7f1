package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Rmi;

/** RTT commands (TF-RMM runtime/rmi/rtt.c): RTT_CREATE, RTT_READ_ENTRY, RTT_INIT_RIPAS. */
final class RttCommands {
    private final Rmm rmm;

    RttCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    /** validate_map_addr(): inside the IPA space and aligned to an entry at {@code level}. */
    static boolean validMapAddr(RealmDescriptor d, long ipa, int level) {
        return d.inIpaSpace(ipa) && S2tt.aligned(ipa, level);
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
                out[3] = w.desc & (S2tt.OA_MASK | S2tt.NS_ATTR_MASK);
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
}
