package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Rmi;

/** RMI_DATA_CREATE, RMI_DATA_CREATE_UNKNOWN and RMI_DATA_DESTROY (TF-RMM runtime/rmi/rtt.c). */
final class DataCommands {
    private final Rmm rmm;

    DataCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    Failure create(RmmMemory mem, long rd, long data, long ipa, long src, long flags) {
        // flags_valid
        if (flags != Rmi.DATA_NO_MEASURE_CONTENT && flags != Rmi.DATA_MEASURE_CONTENT) {
            return Rmm.input("flags_valid", "flags %#x is neither NO_MEASURE_CONTENT (0) nor MEASURE_CONTENT (1)",
                    flags);
        }
        // src_align, src_bound, src_pas (a delegated granule; a GPT fault is found when the copy happens, as in
        // TF-RMM)
        Failure f = rmm.nsGranule(src, "src");
        if (f != null) {
            return f;
        }
        f = common(mem, rd, data, ipa, true);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        byte[] content = RealmCommands.readNsGranule(mem, src);
        if (content == null) {
            return Rmm.nsFault("src", src, "copying"); // src_pas (data stays zero)
        }
        mem.write(data, content);
        d.setRim(Measurement.extendData(d.hashAlgo(), d.rim(), ipa, flags, content));
        mem.write64(w.entryPa, S2tt.assignedRam(data, 3));
        rmm.granules.addRef(w.rttPa, 1);
        rmm.transition(mem.cpu, data, GranuleState.DATA);
        return null;
    }

    Failure createUnknown(RmmMemory mem, long rd, long data, long ipa) {
        Failure f = common(mem, rd, data, ipa, false);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        long desc;
        switch (w.kind) {
            case UNASSIGNED_RAM: desc = S2tt.assignedRam(data, 3); break;
            case UNASSIGNED_DESTROYED: desc = S2tt.assignedDestroyed(data); break;
            default: desc = S2tt.assignedEmpty(data); break;
        }
        mem.write64(w.entryPa, desc);
        rmm.granules.addRef(w.rttPa, 1);
        rmm.transition(mem.cpu, data, GranuleState.DATA);
        return null;
    }

    /** Checks shared by both commands, in the spec's order; null if the mapping can be made. */
    private Failure common(RmmMemory mem, long rd, long data, long ipa, boolean needNew) {
        // data_align, data_bound, data_state, rd_align, rd_bound, rd_state
        Failure f = rmm.granule(data, GranuleState.DELEGATED, "data", "data_state");
        if (f == null) {
            f = rmm.rdGranule(rd);
        }
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // realm_state
        if (needNew && d.state() != RealmDescriptor.STATE_NEW) {
            return Rmm.realmError(0, "realm_state", "realm %#x is %s, expected NEW", rd,
                    RealmCommands.stateName(d.state()));
        }
        // ipa_bound, ipa_align
        f = RttCommands.protectedIpa(d, ipa, 3);
        if (f != null) {
            return f;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        // rtt_walk
        if (w.level < 3) {
            return RttCommands.walkFailure(w, ipa, 3);
        }
        // rtte_state
        if (!w.kind.unassignedProtected()) {
            return Rmm.rttError(3, "rtte_state", "the level-3 entry for ipa %#x is %s, expected UNASSIGNED", ipa,
                    w.kind);
        }
        return null;
    }

    /**
     * RMI_DATA_DESTROY: unmaps the DATA granule at a level-3 entry, scrubs it and returns it to DELEGATED.
     * X1 = the granule's PA, X2 = top of the non-live region (also on RTT errors).
     */
    Failure destroy(RmmMemory mem, long rd, long ipa, long[] out) {
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // ipa_bound, ipa_align
        f = RttCommands.protectedIpa(d, ipa, 3);
        if (f != null) {
            return f;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        // rtt_walk
        if (w.level != 3) {
            out[2] = S2tt.skipNonLive(mem, w, ipa);
            return RttCommands.walkFailure(w, ipa, 3);
        }
        long next;
        switch (w.kind) {
            case ASSIGNED_RAM: next = S2tt.UNASSIGNED_DESTROYED; break;
            case ASSIGNED_EMPTY: next = S2tt.UNASSIGNED_EMPTY; break;
            case ASSIGNED_DESTROYED: next = S2tt.UNASSIGNED_DESTROYED; break;
            default:
                // rtte_state
                out[2] = S2tt.skipNonLive(mem, w, ipa);
                return Rmm.rttError(3, "rtte_state", "the level-3 entry for ipa %#x is %s, expected ASSIGNED", ipa,
                        w.kind);
        }
        long data = S2tt.oa(w.desc);
        mem.write64(w.entryPa, next);
        if (w.kind == S2tt.Kind.ASSIGNED_RAM) {
            mem.cpu.tlbInvalidate(true);
        }
        rmm.granules.addRef(w.rttPa, -1);
        mem.zeroGranule(data);
        rmm.transition(mem.cpu, data, GranuleState.DELEGATED);
        w.desc = next;
        w.kind = S2tt.kind(next, 3);
        out[1] = data;
        out[2] = S2tt.skipNonLive(mem, w, ipa);
        return null;
    }
}
