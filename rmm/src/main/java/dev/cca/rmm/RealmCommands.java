package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Rmi;

/** RMI_REALM_CREATE, RMI_REALM_ACTIVATE, RMI_REALM_DESTROY, RMI_REC_AUX_COUNT (TF-RMM runtime/rmi/realm.c). */
final class RealmCommands {
    static final int NUM_REC_AUX = 16;
    private static final int VMID_BITS = 8;

    private final Rmm rmm;

    RealmCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    /**
     * Reads a host buffer granule (params_ptr, src) that {@link Rmm#nsGranule} accepted: null if the read faults
     * because the GPT does not give it to the Non-secure PAS (the *_pas failures).
     */
    static byte[] readNsGranule(RmmMemory mem, long pa) {
        try {
            return mem.readNs(pa, 4096);
        } catch (Cpu.PhysicalAccessException e) {
            return null;
        }
    }

    Failure create(RmmMemory mem, long rd, long paramsPtr) {
        // params_align, params_bound, params_pas
        Failure f = rmm.nsGranule(paramsPtr, "params");
        if (f != null) {
            return f;
        }
        byte[] page = readNsGranule(mem, paramsPtr);
        if (page == null) {
            return Rmm.nsFault("params", paramsPtr, "reading");
        }
        RealmParams p = new RealmParams(page);
        // params_supp / params_valid
        Features ft = rmm.features;
        if ((p.flags & Rmi.REALM_FLAG_LPA2) != 0) {
            return Rmm.input("params_supp", "params.flags %#x requests LPA2, which this RMM does not support",
                    p.flags);
        }
        if (p.s2sz < 32 || p.s2sz > ft.s2sz) {
            return Rmm.input("params_valid", "params.s2sz %d is outside [32, %d]", p.s2sz, ft.s2sz);
        }
        if (p.numBps == 0 || p.numBps > ft.numBps) {
            return Rmm.input("params_supp", "params.num_bps %d is outside [1, %d]", p.numBps, ft.numBps);
        }
        if (p.numWps == 0 || p.numWps > ft.numWps) {
            return Rmm.input("params_supp", "params.num_wps %d is outside [1, %d]", p.numWps, ft.numWps);
        }
        if ((p.flags & Rmi.REALM_FLAG_SVE) != 0) {
            return Rmm.input("params_supp", "params.flags %#x requests SVE, which this RMM does not support",
                    p.flags);
        }
        if ((p.flags & Rmi.REALM_FLAG_PMU) != 0) {
            return Rmm.input("params_supp", "params.flags %#x requests a PMU, which this RMM does not support",
                    p.flags);
        }
        if (!S2tt.validStartLevel(p.s2sz, p.rttLevelStart, mem.cpu.memory.paBits())) {
            return Rmm.input("rtt_num_level", "params.rtt_level_start %d cannot start an IPA space of %d bits",
                    p.rttLevelStart, p.s2sz);
        }
        int roots = S2tt.rootTables(p.s2sz, p.rttLevelStart);
        if (p.rttNumStart != roots) {
            return Rmm.input("rtt_num_level", "params.rtt_num_start %d, expected %d root tables for %d bits from"
                    + " level %d", p.rttNumStart, roots, p.s2sz, p.rttLevelStart);
        }
        if (p.hashAlgo != Rmi.HASH_SHA_256 && p.hashAlgo != Rmi.HASH_SHA_512) {
            return Rmm.input("params_valid", "params.hash_algo %d is neither SHA-256 (0) nor SHA-512 (1)",
                    p.hashAlgo);
        }
        if (p.vmid >= (1 << VMID_BITS)) {
            return Rmm.input("vmid_valid", "params.vmid %d is outside [0, %d] (%d-bit VMIDs)", p.vmid,
                    (1 << VMID_BITS) - 1, VMID_BITS);
        }
        if (rmm.vmids.get(p.vmid)) {
            return Rmm.input("vmid_valid", "VMID %d is in use by another realm", p.vmid);
        }
        // alias: the RD is one of the root RTTs
        long rttBytes = 4096L * p.rttNumStart;
        if (Long.compareUnsigned(rd - p.rttBase, rttBytes) < 0) {
            return Rmm.input("alias", "rd %#x is one of the %d root RTT granules from %#x", rd, p.rttNumStart,
                    p.rttBase);
        }
        // rd_align, rd_bound, rd_state
        f = rmm.granule(rd, GranuleState.DELEGATED, "rd", "rd_state");
        if (f != null) {
            return f;
        }
        // rtt_align, rtt_state
        if ((p.rttBase & 0xFFF) != 0) {
            return Rmm.input("rtt_align", "params.rtt_base %#x is not aligned to 4 KB", p.rttBase);
        }
        for (int i = 0; i < p.rttNumStart; i++) {
            long g = p.rttBase + 4096L * i;
            if (!rmm.granules.valid(g)) {
                return Rmm.input("rtt_state", "root RTT %#x is outside the delegable memory", g);
            }
            if (rmm.granules.state(g) != GranuleState.DELEGATED) {
                return Rmm.input("rtt_state", "root RTT granule %#x is %s, expected DELEGATED", g,
                        rmm.granules.state(g).specName());
            }
        }

        // Success: root RTTs, RD, VMID, RIM.
        Cpu cpu = mem.cpu;
        int shift = S2tt.levelShift(p.rttLevelStart);
        long entries = 1L << (p.s2sz - shift);
        long par = 1L << (p.s2sz - 1);
        for (long i = 0; i < entries; i++) {
            long ipa = i << shift;
            mem.write64(p.rttBase + 8 * i, ipa < par ? S2tt.UNASSIGNED_EMPTY : S2tt.UNASSIGNED_NS);
        }
        for (int i = 0; i < p.rttNumStart; i++) {
            long g = p.rttBase + 4096L * i;
            rmm.transition(cpu, g, GranuleState.RTT);
            rmm.granules.setRefcount(g, 0);
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        d.init(p);
        d.setRim(Measurement.rimInit(p.hashAlgo, p.flags, p.s2sz, p.sveVl, p.numBps, p.numWps, p.pmuNumCtrs));
        rmm.vmids.set(p.vmid);
        rmm.transition(cpu, rd, GranuleState.RD);
        rmm.granules.setRefcount(rd, 0);
        return null;
    }

    Failure activate(RmmMemory mem, long rd) {
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // realm_state
        if (d.state() != RealmDescriptor.STATE_NEW) {
            return Rmm.realmError(0, "realm_state", "realm %#x is %s, expected NEW", rd, stateName(d.state()));
        }
        d.setState(RealmDescriptor.STATE_ACTIVE);
        return null;
    }

    Failure destroy(RmmMemory mem, long rd) {
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        // realm_live: RECs, or anything below the root tables
        int recs = rmm.granules.refcount(rd);
        if (recs != 0) {
            return Rmm.realmError(0, "realm_live", "realm %#x has %d RECs", rd, recs);
        }
        long base = d.rttBase();
        int n = d.rttNumStart();
        for (int i = 0; i < n; i++) {
            int refs = rmm.granules.refcount(base + 4096L * i);
            if (refs != 0) {
                return Rmm.realmError(0, "realm_live", "root RTT %#x of realm %#x is live: %d tables or"
                        + " assigned entries below it", base + 4096L * i, rd, refs);
            }
        }
        rmm.vmids.clear(d.vmid());
        for (int i = 0; i < n; i++) {
            long g = base + 4096L * i;
            mem.zeroGranule(g);
            rmm.transition(mem.cpu, g, GranuleState.DELEGATED);
        }
        mem.zeroGranule(rd);
        rmm.transition(mem.cpu, rd, GranuleState.DELEGATED);
        return null;
    }

    Failure recAuxCount(RmmMemory mem, long rd, long[] out) {
        // rd_align, rd_bound, rd_state
        Failure f = rmm.rdGranule(rd);
        if (f != null) {
            return f;
        }
        out[1] = NUM_REC_AUX;
        return null;
    }

    /** A realm state by its spec name. */
    static String stateName(int state) {
        switch (state) {
            case RealmDescriptor.STATE_NEW: return "NEW";
            case RealmDescriptor.STATE_ACTIVE: return "ACTIVE";
            case RealmDescriptor.STATE_SYSTEM_OFF: return "SYSTEM_OFF";
            default: return "state " + state;
        }
    }
}
