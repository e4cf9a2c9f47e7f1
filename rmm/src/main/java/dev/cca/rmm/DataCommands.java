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

    long create(RmmMemory mem, long rd, long data, long ipa, long src, long flags) {
        if (flags != Rmi.DATA_NO_MEASURE_CONTENT && flags != Rmi.DATA_MEASURE_CONTENT) {
            return Rmi.ERROR_INPUT;
        }
        // src_align, src_bound (src_pas is checked when the copy happens, as in TF-RMM)
        if (!rmm.is(src, GranuleState.NS)) {
            return Rmi.ERROR_INPUT;
        }
        long r = common(mem, rd, data, ipa, true);
        if (r != Rmi.SUCCESS) {
            return r;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        byte[] content = RealmCommands.readNsGranule(rmm, mem, src);
        if (content == null) {
            return Rmi.ERROR_INPUT; // src_pas: the copy faulted (data stays zero)
        }
        mem.write(data, content);
        d.setRim(Measurement.extendData(d.hashAlgo(), d.rim(), ipa, flags, content));
        mem.write64(w.entryPa, S2tt.assignedRam(data, 3));
        rmm.granules.addRef(w.rttPa, 1);
        rmm.transition(mem.cpu, data, GranuleState.DATA);
        return Rmi.SUCCESS;
    }

    long createUnknown(RmmMemory mem, long rd, long data, long ipa) {
        long r = common(mem, rd, data, ipa, false);
        if (r != Rmi.SUCCESS) {
            return r;
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
        return Rmi.SUCCESS;
    }

    /** Checks shared by both commands, in the spec's order; returns RMI_SUCCESS if the mapping can be made. */
    private long common(RmmMemory mem, long rd, long data, long ipa, boolean needNew) {
        // data_align, data_bound, data_state, rd_align, rd_bound, rd_state
        if (!rmm.is(data, GranuleState.DELEGATED)) {
            return Rmi.ERROR_INPUT;
        }
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            return Rmi.ERROR_INPUT;
        }
        if (needNew && d.state() != RealmDescriptor.STATE_NEW) {
            return Rmi.pack(Rmi.ERROR_REALM, 0);
        }
        // ipa_bound, ipa_align
        if (!d.inPar(ipa) || !RttCommands.validMapAddr(d, ipa, 3)) {
            return Rmi.ERROR_INPUT;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        if (w.level < 3) {
            return Rmi.pack(Rmi.ERROR_RTT, w.level);
        }
        if (!w.kind.unassignedProtected()) {
            return Rmi.pack(Rmi.ERROR_RTT, 3);
        }
        return Rmi.SUCCESS;
    }

    /**
     * RMI_DATA_DESTROY: unmaps the DATA granule at a level-3 entry, scrubs it and returns it to DELEGATED.
     * X1 = the granule's PA, X2 = top of the non-live region (also on RTT errors).
     */
    void destroy(RmmMemory mem, long rd, long ipa, long[] out) {
        // rd_align, rd_bound, rd_state
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        // ipa_bound, ipa_align
        if (!d.inPar(ipa) || !RttCommands.validMapAddr(d, ipa, 3)) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        // rtt_walk
        if (w.level != 3) {
            out[0] = Rmi.pack(Rmi.ERROR_RTT, w.level);
            out[2] = S2tt.skipNonLive(mem, w, ipa);
            return;
        }
        long next;
        switch (w.kind) {
            case ASSIGNED_RAM: next = S2tt.UNASSIGNED_DESTROYED; break;
            case ASSIGNED_EMPTY: next = S2tt.UNASSIGNED_EMPTY; break;
            case ASSIGNED_DESTROYED: next = S2tt.UNASSIGNED_DESTROYED; break;
            default:
                // rtte_state
                out[0] = Rmi.pack(Rmi.ERROR_RTT, 3);
                out[2] = S2tt.skipNonLive(mem, w, ipa);
                return;
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
        out[0] = Rmi.SUCCESS;
        out[1] = data;
        out[2] = S2tt.skipNonLive(mem, w, ipa);
    }
}
