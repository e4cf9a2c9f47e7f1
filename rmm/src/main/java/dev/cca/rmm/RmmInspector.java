package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rtt.S2tt;

import java.util.ArrayList;
import java.util.List;

/**
 * A debugger's view of the RMM: reads its granule table and the RD/REC/RTT granules as a hardware debugger would
 * read memory. It has no architectural effect and is not reachable by the host (only by tools that own the
 * emulated machine: cca run's summary, the debugger, tests).
 */
public final class RmmInspector {
    private final Rmm rmm;
    private final RmmMemory mem;

    RmmInspector(Rmm rmm, RmmMemory mem) {
        this.rmm = rmm;
        this.mem = mem;
    }

    public GranuleState granuleState(long pa) {
        return rmm.granules().stateOrNs(pa);
    }

    public int refcount(long pa) {
        return rmm.granules().valid(pa) ? rmm.granules().refcount(pa) : 0;
    }

    /** Number of granules in each state. */
    public long[] census() {
        return rmm.granules().census();
    }

    /** Addresses of all granules in state {@code state} (other than UNDELEGATED), in address order. */
    public List<Long> granulesIn(GranuleState state) {
        List<Long> l = new ArrayList<>();
        rmm.granules().forEachDelegated((pa, s) -> {
            if (s == state) {
                l.add(pa);
            }
        });
        return l;
    }

    /** Addresses of all Realm Descriptors. */
    public List<Long> realms() {
        List<Long> l = new ArrayList<>();
        rmm.granules().forEachDelegated((pa, s) -> {
            if (s == GranuleState.RD) {
                l.add(pa);
            }
        });
        return l;
    }

    /** A snapshot of one realm. */
    public record RealmInfo(long rd, int state, int s2sz, int hashAlgo, int vmid, long rttBase, int rttLevelStart,
                            int rttNumStart, long recCount, int liveRecs, List<String> measurements) {
        public String stateName() {
            switch (state) {
                case RealmDescriptor.STATE_NEW: return "NEW";
                case RealmDescriptor.STATE_ACTIVE: return "ACTIVE";
                case RealmDescriptor.STATE_SYSTEM_OFF: return "SYSTEM_OFF";
                default: return "state " + state;
            }
        }

        public String rim() {
            return measurements.get(0);
        }

        public String hashAlgoName() {
            return hashAlgo == 1 ? "SHA-512" : "SHA-256";
        }
    }

    public RealmInfo realm(long rd) {
        if (granuleState(rd) != GranuleState.RD) {
            return null;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        List<String> m = new ArrayList<>();
        for (int i = 0; i < RealmDescriptor.MEASUREMENT_SLOTS; i++) {
            m.add(Measurement.hex(d.measurement(i), d.hashAlgo()));
        }
        return new RealmInfo(rd, d.state(), d.s2sz(), d.hashAlgo(), d.vmid(), d.rttBase(), d.rttLevelStart(),
                d.rttNumStart(), d.recCount(), refcount(rd), m);
    }

    /** A snapshot of one REC. */
    public record RecInfo(long rec, long owner, long index, long mpidr, boolean runnable, boolean running,
                          long pc, long pstate, long[] gprs) {
    }

    public RecInfo rec(long recPa) {
        if (granuleState(recPa) != GranuleState.REC) {
            return null;
        }
        Rec r = new Rec(mem, recPa);
        long[] g = new long[31];
        for (int i = 0; i < 31; i++) {
            g[i] = r.gpr(i);
        }
        return new RecInfo(recPa, r.owner(), r.index(), r.mpidr(), r.flag(Rec.FLAG_RUNNABLE), refcount(recPa) != 0,
                r.pc(), r.pstate(), g);
    }

    /** One step of an RTT walk. */
    public record RttStep(int level, long entryPa, long descriptor, String kind) {
    }

    /** Walks a realm's RTTs for {@code ipa} down to level 3 (or the first non-table entry). */
    public List<RttStep> walk(long rd, long ipa) {
        if (granuleState(rd) != GranuleState.RD) {
            return List.of();
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        List<RttStep> steps = new ArrayList<>();
        for (int level = d.rttLevelStart(); level <= 3; level++) {
            S2tt.Walk w = S2tt.walk(mem, d, ipa, level);
            steps.add(new RttStep(w.level, w.entryPa, w.desc, w.kind.name()));
            if (w.level < level || w.kind != S2tt.Kind.TABLE) {
                break;
            }
        }
        return steps;
    }
}
