package dev.cca.rmm;

import dev.cca.core.mmu.GranuleProtection;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A populated platform for the failure-condition tests: realms in each state, granules in each state, and the
 * addresses the ACS uses as bad stimuli (unaligned, device memory, outside the PA space, Secure PAS).
 *
 * <pre>
 *   realm A  NEW         level-3 RTT at IPA, DATA page at IPA, REC a0 (runnable), REC a1
 *   realm B  ACTIVE      REC b0 ran PSCI_CPU_ON(b1) and waits for PSCI_COMPLETE; b1 not runnable; b2 runnable
 *   realm C  SYSTEM_OFF  REC c0 ran PSCI_SYSTEM_OFF
 * </pre>
 */
final class World {
    static final long IPA = 0x4000_0000L;
    static final long IPA_FREE = 0x4000_1000L;
    /** Protected, but no level-3 table: the walk stops at level 2. */
    static final long IPA_NO_TABLE = 0x4020_0000L;
    /** The unprotected alias of 0x0900_0000 (33-bit IPA space). */
    static final long NS_IPA = (1L << 32) | 0x0900_0000L;
    static final long OOB_IPA = 1L << 33;
    /** A device (PL011-like) address: outside the delegable DRAM. */
    static final long DEV_MEM = 0x0900_0000L;
    /** Beyond the 48-bit PA space. */
    static final long OUTSIDE_PA = 1L << 48;

    final TestHost h = new TestHost();
    final TestHost.Realm a;
    final TestHost.Realm b;
    final TestHost.Realm c;
    final long rttA;
    final long dataA;
    final long a0;
    final long a1;
    final long b0;
    final long b1;
    final long b2;
    final long c0;
    final long undelegated;
    final long delegated;
    /** A granule the RMM tracks as UNDELEGATED but that EL3 gave to the Secure world. */
    final long secure;
    final long run;

    World() {
        a = h.new Realm(33, Rmi.HASH_SHA_256, 1);
        assertEquals(Rmi.SUCCESS, a.create());
        rttA = h.delegated();
        assertEquals(Rmi.SUCCESS, a.rttCreate(rttA, IPA, 3));
        dataA = a.dataCreate(IPA, 0xd503201f);
        a0 = a.recCreate(IPA, true, 0);
        a1 = a.recCreate(IPA, false, 1);

        b = h.new Realm(33, Rmi.HASH_SHA_256, 2);
        assertEquals(Rmi.SUCCESS, b.create());
        b.rttCreate(IPA, 3);
        b.dataCreate(IPA, new Asm().call(Psci.CPU_ON_64, 1, IPA + 0x1000, 0).hang().words());
        b.dataCreate(IPA + 0x1000, new Asm().hang().words());
        b0 = b.recCreate(IPA, true, 0);
        b1 = b.recCreate(IPA + 0x1000, false, 1);
        b2 = b.recCreate(IPA + 0x1000, true, 2);
        assertEquals(Rmi.SUCCESS, b.activate());

        c = h.new Realm(33, Rmi.HASH_SHA_256, 3);
        assertEquals(Rmi.SUCCESS, c.create());
        c.rttCreate(IPA, 3);
        c.dataCreate(IPA, new Asm().call(Psci.SYSTEM_OFF).words());
        c0 = c.recCreate(IPA, true, 0);
        assertEquals(Rmi.SUCCESS, c.activate());

        run = h.alloc();
        assertEquals(Rmi.SUCCESS, h.enter(b0, run));
        assertEquals(Rmi.EXIT_PSCI, h.exit(run, dev.cca.rmm.rec.RecRun.EXIT_REASON));
        assertEquals(Rmi.SUCCESS, h.enter(c0, run));
        assertEquals(Rmi.pack(Rmi.ERROR_REALM, 1), h.enter(c0, run));

        undelegated = h.alloc();
        delegated = h.delegated();
        secure = h.alloc();
        h.fw.monitor.gpt().setGranule(secure, GranuleProtection.GPI_SECURE);
        h.cpu.flushTlb();
        // A command that wrongly succeeded would run a spinning realm: bound it.
        h.cpu.setBudget(50_000_000);
    }

    /** One granule in each state, named as the ACS names the stimuli. */
    Map<String, Long> granulesNotIn(GranuleState... allowed) {
        Map<String, Long> all = new LinkedHashMap<>();
        all.put("UNDELEGATED", undelegated);
        all.put("DELEGATED", delegated);
        all.put("RD", a.rd);
        all.put("REC", a0);
        all.put("RTT", rttA);
        all.put("DATA", dataA);
        all.put("REC_AUX", h.inspector().rec(a0) == null ? -1 : auxOf(a0));
        for (GranuleState s : allowed) {
            all.remove(s == GranuleState.NS ? "UNDELEGATED" : s.name());
        }
        return all;
    }

    long auxOf(long rec) {
        // aux[0] of a REC: read through the inspector's view of the REC granule
        return new dev.cca.rmm.rec.Rec(new RmmMemory(h.cpu), rec).aux(0);
    }

    /** A snapshot of everything a failed command must leave alone. */
    record Snapshot(long[] census, String[] rims, long[] refcounts, long[] tables) {
    }

    Snapshot snapshot() {
        RmmInspector in = h.inspector();
        String[] rims = {in.realm(a.rd).measurements().toString(), in.realm(b.rd).measurements().toString(),
            in.realm(c.rd).measurements().toString(), String.valueOf(in.realm(a.rd).state()),
            String.valueOf(in.realm(b.rd).state())};
        long[] refs = {in.refcount(a.rd), in.refcount(rttA), in.refcount(a0), in.refcount(b0), in.refcount(b.rd)};
        long[] tables = new long[512];
        RmmMemory mem = new RmmMemory(h.cpu);
        for (int i = 0; i < 512; i++) {
            tables[i] = mem.read64(rttA + 8L * i);
        }
        return new Snapshot(in.census(), rims, refs, tables);
    }

    static void assertUnchanged(Snapshot before, Snapshot after, String what) {
        assertArrayEquals(before.census(), after.census(), what + ": granule states changed");
        assertArrayEquals(before.rims(), after.rims(), what + ": realm state or measurements changed");
        assertArrayEquals(before.refcounts(), after.refcounts(), what + ": reference counts changed");
        assertArrayEquals(before.tables(), after.tables(), what + ": an RTT changed");
    }

    /** A RmiRealmParams page for realm creation tests, filled with valid values. */
    long realmParams(long rtt, int vmid) {
        long p = h.alloc();
        h.write64(p + RealmParams.S2SZ, 33);
        h.write64(p + RealmParams.NUM_BPS, 2);
        h.write64(p + RealmParams.NUM_WPS, 2);
        h.write64(p + RealmParams.VMID, vmid);
        h.write64(p + RealmParams.RTT_BASE, rtt);
        h.write64(p + RealmParams.RTT_LEVEL_START, 2);
        h.write64(p + RealmParams.RTT_NUM_START, 8);
        return p;
    }

    /** A RmiRecParams page with 16 fresh delegated aux granules. */
    long recParams(long mpidr) {
        long p = h.alloc();
        h.write64(p + RecParams.FLAGS, 1);
        h.write64(p + RecParams.MPIDR, mpidr);
        h.write64(p + RecParams.PC, IPA);
        h.write64(p + RecParams.NUM_AUX, 16);
        for (int i = 0; i < 16; i++) {
            h.write64(p + RecParams.AUX + 8L * i, h.delegated());
        }
        return p;
    }

    static long[] args(long... a) {
        return Arrays.copyOf(a, a.length);
    }
}
