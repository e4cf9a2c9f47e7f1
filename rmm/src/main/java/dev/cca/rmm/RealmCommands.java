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
     * Reads a host buffer granule (params_ptr, src): it must be a tracked granule in state NS whose GPT entry
     * gives it to the Non-secure PAS. Returns null on any of the *_align, *_bound, *_pas failures.
     */
    static byte[] readNsGranule(Rmm rmm, RmmMemory mem, long pa) {
        if (!rmm.is(pa, GranuleState.NS)) {
            return null;
        }
        try {
            return mem.readNs(pa, 4096);
        } catch (Cpu.PhysicalAccessException e) {
            return null;
        }
    }

    long create(RmmMemory mem, long rd, long paramsPtr) {
        // params_align, params_bound, params_pas
        byte[] page = readNsGranule(rmm, mem, paramsPtr);
        if (page == null) {
            return Rmi.ERROR_INPUT;
        }
        RealmParams p = new RealmParams(page);
        // params_supp / params_valid
        Features f = rmm.features;
        if ((p.flags & Rmi.REALM_FLAG_LPA2) != 0) {
            return Rmi.ERROR_INPUT; // FEAT_LPA2 not supported
        }
        if (p.s2sz < 32 || p.s2sz > f.s2sz) {
            return Rmi.ERROR_INPUT;
        }
        if (p.numBps == 0 || p.numBps > f.numBps || p.numWps == 0 || p.numWps > f.numWps) {
            return Rmi.ERROR_INPUT;
        }
        if ((p.flags & Rmi.REALM_FLAG_SVE) != 0) {
            return Rmi.ERROR_INPUT; // SVE not supported
        }
        // PMU: supported, with at most PMU_NUM_CTRS counters and at least one (no FEAT_HPMN0).
        if ((p.flags & Rmi.REALM_FLAG_PMU) != 0
                && (!f.pmu || p.pmuNumCtrs > f.pmuNumCtrs || p.pmuNumCtrs == 0)) {
            return Rmi.ERROR_INPUT;
        }
        if (!S2tt.validStartLevel(p.s2sz, p.rttLevelStart, mem.cpu.memory.paBits())) {
            return Rmi.ERROR_INPUT;
        }
        if (p.rttNumStart != S2tt.rootTables(p.s2sz, p.rttLevelStart)) {
            return Rmi.ERROR_INPUT;
        }
        if (p.hashAlgo != Rmi.HASH_SHA_256 && p.hashAlgo != Rmi.HASH_SHA_512) {
            return Rmi.ERROR_INPUT;
        }
        if (p.vmid >= (1 << VMID_BITS) || rmm.vmids.get(p.vmid)) {
            return Rmi.ERROR_INPUT;
        }
        // alias: the RD is one of the root RTTs
        long rttBytes = 4096L * p.rttNumStart;
        if (Long.compareUnsigned(rd - p.rttBase, rttBytes) < 0) {
            return Rmi.ERROR_INPUT;
        }
        // rd_align, rd_bound, rd_state
        if (!rmm.is(rd, GranuleState.DELEGATED)) {
            return Rmi.ERROR_INPUT;
        }
        // rtt_align, rtt_state
        if ((p.rttBase & 0xFFF) != 0) {
            return Rmi.ERROR_INPUT;
        }
        for (int i = 0; i < p.rttNumStart; i++) {
            if (!rmm.is(p.rttBase + 4096L * i, GranuleState.DELEGATED)) {
                return Rmi.ERROR_INPUT;
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
        return Rmi.SUCCESS;
    }

    long activate(RmmMemory mem, long rd) {
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            return Rmi.ERROR_INPUT;
        }
        if (d.state() != RealmDescriptor.STATE_NEW) {
            return Rmi.pack(Rmi.ERROR_REALM, 0);
        }
        d.setState(RealmDescriptor.STATE_ACTIVE);
        return Rmi.SUCCESS;
    }

    long destroy(RmmMemory mem, long rd) {
        RealmDescriptor d = rmm.rd(mem, rd);
        if (d == null) {
            return Rmi.ERROR_INPUT;
        }
        // realm_live: RECs, or anything below the root tables
        if (rmm.granules.refcount(rd) != 0) {
            return Rmi.pack(Rmi.ERROR_REALM, 0);
        }
        long base = d.rttBase();
        int n = d.rttNumStart();
        for (int i = 0; i < n; i++) {
            if (rmm.granules.refcount(base + 4096L * i) != 0) {
                return Rmi.pack(Rmi.ERROR_REALM, 0);
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
        return Rmi.SUCCESS;
    }

    void recAuxCount(RmmMemory mem, long rd, long[] out) {
        if (rmm.rd(mem, rd) == null) {
            out[0] = Rmi.ERROR_INPUT;
            return;
        }
        out[0] = Rmi.SUCCESS;
        out[1] = NUM_REC_AUX;
    }
}
