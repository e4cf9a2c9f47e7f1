package dev.cca.rmm;

import dev.cca.core.mmu.GranuleProtection;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Param;
import dev.cca.rmm.smc.Rmi;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of RMI calls from a host that knows the interface but not the RMM's state: after every call the
 * RMM's invariants hold. Each granule is in one state that agrees with the GPT (DELEGATED and above are Realm,
 * UNDELEGATED is Non-secure); every RTT and DATA granule is referenced by exactly one table entry (root RTTs by
 * their RD) and every REC_AUX by one REC; reference counts are what the tables and RECs say; nothing a realm's
 * tables reach is undelegated; no call throws; and a call that fails changes nothing.
 */
class RmiSequencePropertyTest {
    /** The granules the host plays with: all commands pick their granule arguments from here. */
    static final int POOL = 48;
    /** A small realm: 36-bit IPA space, start level 1, one root table. */
    static final int S2SZ = 36, START_LEVEL = 1;
    /** Protected IPAs (the first four in the prepared level-3 table), unprotected ones, and bad ones. */
    static final long[] IPAS = {0x4000_0000L, 0x4000_1000L, 0x4000_2000L, 0x4000_3000L, 0x4020_0000L,
        0x4040_0000L, 0x0L, 0x8000_0000L, 0x8_0000_0000L, 0x8_0000_1000L, 0x8_0020_0000L, 0x8_4000_0000L,
        1L << 36, 0x4000_0008L};
    static final long NS_BASE = 0x8_0000_0000L;
    static final long[] SPECIAL = {0x0900_0000L, 1L << 48, -1L, 0};

    /** One host call: a function and argument selectors resolved against the pool when it runs. */
    record Call(int op, int[] sel) {
        @Override
        public String toString() {
            return OPS[op] + Arrays.toString(sel);
        }
    }

    /** The commands of ops 0..19 (their names come from the RMM's command table), then the two host patterns. */
    static final RmiCommand[] OP_COMMANDS = {RmiCommand.GRANULE_DELEGATE, RmiCommand.GRANULE_UNDELEGATE,
        RmiCommand.REALM_CREATE, RmiCommand.REALM_ACTIVATE, RmiCommand.REALM_DESTROY, RmiCommand.REC_CREATE,
        RmiCommand.REC_DESTROY, RmiCommand.RTT_CREATE, RmiCommand.RTT_DESTROY, RmiCommand.RTT_FOLD,
        RmiCommand.RTT_READ_ENTRY, RmiCommand.RTT_MAP_UNPROTECTED, RmiCommand.RTT_UNMAP_UNPROTECTED,
        RmiCommand.RTT_INIT_RIPAS, RmiCommand.RTT_SET_RIPAS, RmiCommand.DATA_CREATE, RmiCommand.DATA_CREATE_UNKNOWN,
        RmiCommand.DATA_DESTROY, RmiCommand.PSCI_COMPLETE, RmiCommand.REC_AUX_COUNT};
    static final String[] OPS = new String[OP_COMMANDS.length + 2];

    static {
        for (int i = 0; i < OP_COMMANDS.length; i++) {
            OPS[i] = OP_COMMANDS[i].specName().substring("RMI_".length());
        }
        OPS[OP_COMMANDS.length] = "ANY_FUNCTION";
        OPS[OP_COMMANDS.length + 1] = "DELEGATE_BATCH";
    }

    @Provide
    Arbitrary<List<Call>> sequences() {
        // Delegation and table building are weighted up so that sequences reach deep states.
        Arbitrary<Integer> op = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(6, 0),
                net.jqwik.api.Tuple.of(2, 1),
                net.jqwik.api.Tuple.of(2, 2),
                net.jqwik.api.Tuple.of(1, 3),
                net.jqwik.api.Tuple.of(3, 4),
                net.jqwik.api.Tuple.of(3, 5),
                net.jqwik.api.Tuple.of(2, 6),
                net.jqwik.api.Tuple.of(6, 7),
                net.jqwik.api.Tuple.of(4, 8),
                net.jqwik.api.Tuple.of(3, 9),
                net.jqwik.api.Tuple.of(2, 10),
                net.jqwik.api.Tuple.of(5, 11),
                net.jqwik.api.Tuple.of(3, 12),
                net.jqwik.api.Tuple.of(4, 13),
                net.jqwik.api.Tuple.of(1, 14),
                net.jqwik.api.Tuple.of(5, 15),
                net.jqwik.api.Tuple.of(7, 16),
                net.jqwik.api.Tuple.of(6, 17),
                net.jqwik.api.Tuple.of(1, 18),
                net.jqwik.api.Tuple.of(1, 19),
                net.jqwik.api.Tuple.of(1, 20),
                net.jqwik.api.Tuple.of(3, 21));
        Arbitrary<int[]> sel = Arbitraries.integers().between(0, 1 << 20).array(int[].class).ofSize(6);
        Arbitrary<Call> call = Combinators.combine(op, sel).as(Call::new);
        return call.list().ofMinSize(20).ofMaxSize(120);
    }

    /** The host side of a run: the platform, the pool, and helpers resolving selectors. */
    static final class Host {
        final TestHost h;
        final long[] pool = new long[POOL];
        final long params;
        final long src;
        final long secure;
        final List<Long> realms = new ArrayList<>();
        final List<Long> recs = new ArrayList<>();
        /** What the host believes it built: (rd, ipa, level) of data pages, tables and unprotected mappings. */
        final List<long[]> data = new ArrayList<>();
        final List<long[]> tables = new ArrayList<>();
        final List<long[]> nsMaps = new ArrayList<>();

        /** Half the time one of the host's own records, else arbitrary arguments. */
        long[] remembered(List<long[]> l, int s) {
            return l.isEmpty() || s % 2 == 0 ? null : l.get((s / 2) % l.size());
        }

        Host() {
            this(new TestHost());
        }

        Host(TestHost h) {
            this.h = h;
            params = h.alloc();
            src = h.alloc();
            secure = h.alloc();
            for (int i = 0; i < POOL; i++) {
                pool[i] = h.alloc();
                h.write64(pool[i], 0x5EED_0000L + i);
            }
            h.fw.monitor.gpt().setGranule(secure, GranuleProtection.GPI_SECURE);
            h.cpu.setBudget(Long.MAX_VALUE);
        }

        /** Half of the runs start from a realm with tables at 1 GB, as a host setting one up would leave it. */
        void prepare() {
            for (int i = 0; i < 30; i++) {
                assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.GRANULE_DELEGATE, pool[i]));
            }
            h.write64(params + RealmParams.S2SZ, S2SZ);
            h.write64(params + RealmParams.NUM_BPS, 1);
            h.write64(params + RealmParams.NUM_WPS, 1);
            h.write64(params + RealmParams.VMID, 1);
            h.write64(params + RealmParams.RTT_BASE, pool[1]);
            h.write64(params + RealmParams.RTT_LEVEL_START, START_LEVEL);
            h.write64(params + RealmParams.RTT_NUM_START, 1);
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REALM_CREATE, pool[0], params));
            realms.add(pool[0]);
            long[][] t = {{IPAS[0], 2}, {IPAS[0], 3}, {NS_BASE, 2}, {NS_BASE, 3}};
            for (int i = 0; i < t.length; i++) {
                assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_CREATE, pool[0], pool[2 + i], t[i][0], t[i][1]));
                tables.add(new long[] {pool[0], t[i][0], t[i][1]});
            }
        }

        /** A granule argument: usually a pool granule, sometimes a bad address. */
        long granule(int s) {
            int k = s % 20;
            if (k == 0) {
                return SPECIAL[(s / 20) % SPECIAL.length];
            }
            if (k == 1) {
                return pool[(s / 20) % POOL] + 8;
            }
            if (k == 2) {
                return secure;
            }
            if (k == 3 && !realms.isEmpty()) {
                return realms.get((s / 20) % realms.size());
            }
            if (k == 4 && !recs.isEmpty()) {
                return recs.get((s / 20) % recs.size());
            }
            return pool[s % POOL];
        }

        /** The n-th pool granule in {@code state} from a selector, or a pool granule if there is none. */
        long inState(int s, GranuleState state) {
            List<Long> l = new ArrayList<>();
            for (long g : pool) {
                if (h.inspector().granuleState(g) == state) {
                    l.add(g);
                }
            }
            return l.isEmpty() ? pool[s % POOL] : l.get(s % l.size());
        }

        long rd(int s) {
            return s % 16 == 0 ? granule(s / 16) : realms.isEmpty() ? pool[s % POOL] : realms.get(s % realms.size());
        }

        long ipa(int s) {
            return IPAS[s % IPAS.length];
        }

        /** Mostly level 3, sometimes anything from 0 to 5 or a huge value. */
        long level(int s) {
            if (s % 3 != 0) {
                return 3;
            }
            return s % 7 == 6 ? -1L : (s / 3) % 6;
        }

        /**
         * Any function of the RMI range: a command of the RMM's table gets arguments of the kinds its table row
         * gives (an RD, a REC, a granule, an IPA, a level...); a hole gets arbitrary values.
         */
        long[] anyFunction(int[] s) {
            long fid = Rmi.RANGE_FIRST + s[0] % 0x40;
            RmiCommand cmd = RmiCommand.of(fid);
            if (cmd == null || cmd == RmiCommand.REC_ENTER) {
                return h.rmi(fid, granule(s[1]), s[2], s[3]); // REC_ENTER runs realms only in RmiFuzzTest
            }
            long[] a = new long[cmd.args().size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = argument(cmd.args().get(i).kind(), s[1 + i % 5] + 7 * i);
            }
            return h.rmi(fid, a);
        }

        long argument(Param.Kind k, int s) {
            switch (k) {
                case RD: return rd(s);
                case REC: return recs.isEmpty() || s % 5 == 0 ? granule(s) : recs.get(s % recs.size());
                case GRANULE: return s % 4 == 0 ? granule(s / 4) : inState(s, GranuleState.DELEGATED);
                case NS_GRANULE: return s % 3 == 0 ? granule(s / 3) : src;
                case IPA: return ipa(s);
                case LEVEL: return level(s);
                case DATA_FLAGS: return s % 3;
                case VERSION: return s % 2 == 0 ? Rmi.ABI_1_0 : s;
                case PSCI_STATUS: return s % 2 == 0 ? 0 : -3;
                default: return s * 0x1001L;
            }
        }

        long[] run(Call c) {
            long[] r = dispatch(c);
            return r;
        }

        private long[] record(List<long[]> l, long[] r, long rd, long ipa, long level) {
            if (r[0] == Rmi.SUCCESS) {
                l.add(new long[] {rd, ipa, level});
            }
            return r;
        }

        private long[] dispatch(Call c) {
            int[] s = c.sel();
            switch (c.op()) {
                case 0: return h.rmi(Rmi.GRANULE_DELEGATE, s[1] % 4 == 0 ? granule(s[0]) : inState(s[0], GranuleState.NS));
                case 1: return h.rmi(Rmi.GRANULE_UNDELEGATE, s[1] % 4 == 0 ? granule(s[0])
                        : inState(s[0], GranuleState.DELEGATED));
                case 2: {
                    long rd = s[2] % 4 == 0 ? granule(s[0]) : inState(s[0], GranuleState.DELEGATED);
                    long rtt = s[3] % 4 == 0 ? granule(s[1]) : inState(s[1], GranuleState.DELEGATED);
                    h.write64(params + RealmParams.FLAGS, s[4] % 10 == 0 ? 1L << (s[4] % 3) : 0);
                    h.write64(params + RealmParams.S2SZ, s[4] % 11 == 0 ? 50 : S2SZ);
                    h.write64(params + RealmParams.NUM_BPS, 1 + s[5] % 3);
                    h.write64(params + RealmParams.NUM_WPS, 1);
                    h.write64(params + RealmParams.HASH_ALGO, s[5] % 13 == 0 ? 2 : s[5] % 2);
                    h.write64(params + RealmParams.VMID, 1 + s[4] % 4);
                    h.write64(params + RealmParams.RTT_BASE, rtt);
                    h.write64(params + RealmParams.RTT_LEVEL_START, s[5] % 9 == 0 ? 0 : START_LEVEL);
                    h.write64(params + RealmParams.RTT_NUM_START, 1);
                    long[] r = h.rmi(Rmi.REALM_CREATE, rd, s[3] % 17 == 0 ? granule(s[2]) : params);
                    if (r[0] == Rmi.SUCCESS) {
                        realms.add(rd);
                    }
                    return r;
                }
                case 3: return h.rmi(Rmi.REALM_ACTIVATE, rd(s[0]));
                case 4: {
                    long rd = s[1] % 2 == 0 && !realms.isEmpty() ? realms.get(realms.size() - 1) : rd(s[0]);
                    long[] r = h.rmi(Rmi.REALM_DESTROY, rd);
                    if (r[0] == Rmi.SUCCESS) {
                        realms.remove(rd);
                    }
                    return r;
                }
                case 5: {
                    long rd = rd(s[0]);
                    long rec = s[2] % 4 == 0 ? granule(s[1]) : inState(s[1], GranuleState.DELEGATED);
                    h.write64(params + RecParams.FLAGS, s[3] & 1);
                    long idx = h.inspector().granuleState(rd) != GranuleState.RD ? 0
                            : new dev.cca.rmm.realm.RealmDescriptor(new RmmMemory(h.cpu), rd).recCount();
                    h.write64(params + RecParams.MPIDR, s[3] % 7 == 0 ? s[4] % 5 : idx);
                    h.write64(params + RecParams.PC, 0x4000_0000L);
                    h.write64(params + RecParams.NUM_AUX, s[5] % 9 == 0 ? s[5] % 18 : 16);
                    // Mostly the next delegated granules other than rec, sometimes anything from the pool.
                    List<Long> free = new ArrayList<>();
                    for (long g : pool) {
                        if (g != rec && h.inspector().granuleState(g) == GranuleState.DELEGATED) {
                            free.add(g);
                        }
                    }
                    for (int i = 0; i < 16; i++) {
                        long a = s[4] % 5 == 0 || free.size() < 16 ? granule(s[4] + i * 7) : free.get(i);
                        h.write64(params + RecParams.AUX + 8L * i, a);
                    }
                    long[] r = h.rmi(Rmi.REC_CREATE, rd, rec, params);
                    if (r[0] == Rmi.SUCCESS) {
                        recs.add(rec);
                    }
                    return r;
                }
                case 6: {
                    long rec = recs.isEmpty() || s[1] % 5 == 0 ? granule(s[0]) : recs.get(s[0] % recs.size());
                    long[] r = h.rmi(Rmi.REC_DESTROY, rec);
                    if (r[0] == Rmi.SUCCESS) {
                        recs.remove(rec);
                    }
                    return r;
                }
                case 7: {
                    long rd = rd(s[0]);
                    long ipa = ipa(s[3]);
                    long level = s[4] % 5 == 0 ? level(s[5]) : 2 + s[4] % 2;
                    return record(tables, h.rmi(Rmi.RTT_CREATE, rd,
                            s[2] % 4 == 0 ? granule(s[1]) : inState(s[1], GranuleState.DELEGATED), ipa, level),
                            rd, ipa, level);
                }
                case 8: {
                    long[] t = remembered(tables, s[3]);
                    return t != null ? h.rmi(Rmi.RTT_DESTROY, t[0], t[1], t[2])
                            : h.rmi(Rmi.RTT_DESTROY, rd(s[0]), ipa(s[1]), level(s[2]));
                }
                case 9: {
                    long[] t = remembered(tables, s[3]);
                    return t != null ? h.rmi(Rmi.RTT_FOLD, t[0], t[1], t[2])
                            : h.rmi(Rmi.RTT_FOLD, rd(s[0]), ipa(s[1]), level(s[2]));
                }
                case 10: return h.rmi(Rmi.RTT_READ_ENTRY, rd(s[0]), ipa(s[1]), level(s[2]));
                case 11: {
                    long desc = s[3] % 6 == 0 ? s[4] * 0x1001L : (0x8000_0000L + (s[4] % 64) * 0x1000L) | 0xD8;
                    long rd = rd(s[0]);
                    // Mostly a page of the prepared unprotected table
                    long ipa = s[1] % 3 == 0 ? ipa(s[1] / 3) : NS_BASE + 0x1000L * (s[1] % 8);
                    long level = s[1] % 3 == 0 ? level(s[2]) : 3;
                    return record(nsMaps, h.rmi(Rmi.RTT_MAP_UNPROTECTED, rd, ipa, level, desc), rd, ipa, level);
                }
                case 12: {
                    long[] t = remembered(nsMaps, s[3]);
                    return t != null ? h.rmi(Rmi.RTT_UNMAP_UNPROTECTED, t[0], t[1], t[2])
                            : h.rmi(Rmi.RTT_UNMAP_UNPROTECTED, rd(s[0]), ipa(s[1]), level(s[2]));
                }
                case 13: {
                    long base = ipa(s[1]);
                    long[] sizes = {0x1000, 0x2000, 2L << 20, 1L << 30, 0, 0x800};
                    return h.rmi(Rmi.RTT_INIT_RIPAS, rd(s[0]), base, base + sizes[s[2] % sizes.length]);
                }
                case 14: {
                    long rec = recs.isEmpty() ? granule(s[1]) : recs.get(s[1] % recs.size());
                    long base = ipa(s[2]);
                    return h.rmi(Rmi.RTT_SET_RIPAS, rd(s[0]), rec, base, base + 0x1000);
                }
                case 15: {
                    long rd = rd(s[0]);
                    long ipa = ipa(s[3]);
                    return record(data, h.rmi(Rmi.DATA_CREATE, rd,
                            s[2] % 4 == 0 ? granule(s[1]) : inState(s[1], GranuleState.DELEGATED), ipa,
                            s[4] % 6 == 0 ? granule(s[4]) : src, s[5] % 5), rd, ipa, 3);
                }
                case 16: {
                    long rd = rd(s[0]);
                    long ipa = ipa(s[3]);
                    return record(data, h.rmi(Rmi.DATA_CREATE_UNKNOWN, rd,
                            s[2] % 4 == 0 ? granule(s[1]) : inState(s[1], GranuleState.DELEGATED), ipa),
                            rd, ipa, 3);
                }
                case 17: {
                    long[] t = remembered(data, s[3]);
                    return t != null ? h.rmi(Rmi.DATA_DESTROY, t[0], t[1]) : h.rmi(Rmi.DATA_DESTROY, rd(s[0]), ipa(s[1]));
                }
                case 18: return h.rmi(Rmi.PSCI_COMPLETE, granule(s[0]), granule(s[1]), s[2] % 3);
                case 19: return h.rmi(Rmi.REC_AUX_COUNT, rd(s[0]));
                case 20: return anyFunction(s);
                default: {
                    // A host preparing memory: delegate up to 20 of its undelegated pool granules.
                    long[] r = {Rmi.SUCCESS, 0, 0, 0, 0};
                    int n = 0;
                    for (long g : pool) {
                        if (n < 4 + s[0] % 17 && h.inspector().granuleState(g) == GranuleState.NS) {
                            r = h.rmi(Rmi.GRANULE_DELEGATE, g);
                            if (r[0] != Rmi.SUCCESS) {
                                return r;
                            }
                            n++;
                        }
                    }
                    return r;
                }
            }
        }
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void invariantsHoldAfterEveryCall(@ForAll("sequences") List<Call> calls, @ForAll boolean prepared) {
        Host host = new Host();
        host.h.fw.rmm.addObserver(new RmiFuzzTest.Explained(new RmiFuzzTest.Stats()));
        if (prepared) {
            host.prepare();
            checkInvariants(host, "after preparation");
        }
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            Map<Long, String> before = state(host);
            long[] r;
            try {
                r = host.run(c);
            } catch (RuntimeException e) {
                throw new AssertionError("call " + i + " " + c + " threw", e);
            }
            if (r[0] == Rmi.SUCCESS) {
                net.jqwik.api.statistics.Statistics.label("succeeded").collect(OPS[c.op()]);
            }
            int status = Rmi.status(r[0]);
            assertTrue(r[0] == -1L || (status <= Rmi.ERROR_RTT && (r[0] >>> 16) == 0),
                    "call " + i + " " + c + ": X0 " + Long.toHexString(r[0]) + " is no RMI status");
            if (r[0] != Rmi.SUCCESS) {
                Map<Long, String> after = state(host);
                if (!before.equals(after)) {
                    fail("call " + i + " " + c + " failed with " + Rmi.describe(r[0]) + " but changed state: "
                            + diff(before, after));
                }
            }
            checkInvariants(host, "after call " + i + " " + c);
        }
        // The sequences must reach the interesting states, not only bounce off the first checks: over all tries
        // each of these commands succeeds several times (the expected counts are well above the bound).
        net.jqwik.api.statistics.Statistics.label("succeeded").coverage(cov -> {
            for (String op : new String[] {"REC_CREATE", "RTT_CREATE", "DATA_CREATE_UNKNOWN",
                "RTT_MAP_UNPROTECTED", "RTT_DESTROY"}) {
                cov.check(op).count(n -> n > 0);
            }
        });
    }

    /** State and content of every pool granule, and every realm's measurements, for the no-partial-state check. */
    static Map<Long, String> state(Host host) {
        Map<Long, String> m = new HashMap<>();
        RmmInspector in = host.h.inspector();
        byte[] content = new byte[4096];
        for (long g : host.pool) {
            GranuleState s = in.granuleState(g);
            host.h.platform.machine.memory.readBytes(g, content, 0, content.length);
            m.put(g, s + "/" + in.refcount(g) + "/" + Arrays.hashCode(content));
        }
        return m;
    }

    static String diff(Map<Long, String> a, Map<Long, String> b) {
        StringBuilder sb = new StringBuilder();
        for (Long k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                sb.append(String.format("%#x: %s -> %s; ", k, a.get(k), b.get(k)));
            }
        }
        return sb.toString();
    }

    /** Walks every realm's tables and checks the structural invariants. */
    static void checkInvariants(Host host, String when) {
        RmmInspector in = host.h.inspector();
        RmmMemory mem = new RmmMemory(host.h.cpu);
        Map<Long, Integer> refs = new HashMap<>();
        Map<Long, Integer> auxRefs = new HashMap<>();
        Map<Long, Integer> recsPerRd = new HashMap<>();
        // Tracked granules of each state
        Map<GranuleState, List<Long>> byState = new HashMap<>();
        host.h.fw.rmm.granules().forEachDelegated((pa, s) -> byState.computeIfAbsent(s, k -> new ArrayList<>()).add(pa));
        for (long rd : byState.getOrDefault(GranuleState.RD, List.of())) {
            dev.cca.rmm.realm.RealmDescriptor info = new dev.cca.rmm.realm.RealmDescriptor(mem, rd);
            for (int i = 0; i < info.rttNumStart(); i++) {
                long root = info.rttBase() + 4096L * i;
                refs.merge(root, 1, Integer::sum);
                walk(host, mem, root, info.rttLevelStart(), refs, when);
            }
        }
        for (long rec : byState.getOrDefault(GranuleState.REC, List.of())) {
            Rec r = new Rec(mem, rec);
            assertEquals(GranuleState.RD, in.granuleState(r.owner()), () -> when + ": REC owner is not an RD");
            recsPerRd.merge(r.owner(), 1, Integer::sum);
            for (int i = 0; i < r.numAux(); i++) {
                auxRefs.merge(r.aux(i), 1, Integer::sum);
            }
        }
        for (Map.Entry<Long, Integer> e : refs.entrySet()) {
            assertEquals(1, e.getValue(), () -> when + String.format(": granule %#x referenced %d times", e.getKey(),
                    e.getValue()));
            GranuleState s = in.granuleState(e.getKey());
            assertTrue(s == GranuleState.RTT || s == GranuleState.DATA,
                    () -> when + String.format(": a realm reaches %#x, which is %s", e.getKey(), s));
        }
        for (GranuleState s : new GranuleState[] {GranuleState.RTT, GranuleState.DATA}) {
            for (long g : byState.getOrDefault(s, List.of())) {
                assertEquals(1, refs.getOrDefault(g, 0), () -> when + String.format(": %s granule %#x not referenced once",
                        s, g));
            }
        }
        for (long g : byState.getOrDefault(GranuleState.REC_AUX, List.of())) {
            assertEquals(1, auxRefs.getOrDefault(g, 0), () -> when + String.format(": REC_AUX %#x not owned once", g));
        }
        for (Map.Entry<Long, Integer> e : auxRefs.entrySet()) {
            assertEquals(GranuleState.REC_AUX, in.granuleState(e.getKey()), () -> when + ": an aux granule is not REC_AUX");
        }
        for (long rd : byState.getOrDefault(GranuleState.RD, List.of())) {
            assertEquals((int) recsPerRd.getOrDefault(rd, 0), in.refcount(rd), () -> when + ": RD refcount != its RECs");
        }
        // The GPT agrees with the granule states: only UNDELEGATED granules are the host's.
        for (long g : host.pool) {
            int gpi = host.h.fw.monitor.gpt().gpi(g);
            GranuleState s = in.granuleState(g);
            assertEquals(s == GranuleState.NS ? GranuleProtection.GPI_NON_SECURE : GranuleProtection.GPI_REALM, gpi,
                    () -> when + String.format(": %#x is %s but its GPI is %#x", g, s, gpi));
        }
    }

    /** Counts the references of one table and checks its refcount: child tables + protected ASSIGNED entries. */
    static void walk(Host host, RmmMemory mem, long table, int level, Map<Long, Integer> refs, String when) {
        int live = 0;
        // One physical read of the whole table (the inspector's view, as RmmMemory would read it entry by entry).
        byte[] raw = new byte[4096];
        host.h.platform.machine.memory.readBytes(table, raw, 0, raw.length);
        java.nio.ByteBuffer entries = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i++) {
            long desc = entries.getLong(8 * i);
            if (desc == 0) {
                continue; // an unassigned, RIPAS EMPTY entry: neither a table nor an assigned granule
            }
            S2tt.Kind k = S2tt.kind(desc, level);
            if (k == S2tt.Kind.TABLE) {
                assertTrue(level < 3, () -> when + ": a table entry at level 3");
                long child = S2tt.oa(desc);
                refs.merge(child, 1, Integer::sum);
                walk(host, mem, child, level + 1, refs, when);
                live++;
            } else if (k == S2tt.Kind.ASSIGNED_RAM || k == S2tt.Kind.ASSIGNED_EMPTY
                    || k == S2tt.Kind.ASSIGNED_DESTROYED) {
                long granules = 1L << (9 * (3 - level));
                for (long g = 0; g < granules; g++) {
                    refs.merge(S2tt.oa(desc) + g * 4096, 1, Integer::sum);
                }
                live++;
            }
        }
        assertEquals(live, host.h.inspector().refcount(table),
                () -> when + String.format(": RTT %#x (level %d) refcount", table, level));
    }

    static long dramBase() {
        return HostPlatform.DRAM_BASE;
    }
}
