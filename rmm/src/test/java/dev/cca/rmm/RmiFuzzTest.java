package dev.cca.rmm;

import dev.cca.core.mem.Pas;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RMI fuzzing campaign (mvn -Pfuzz; {@code scripts/fuzz} for long runs): random RMI sequences from the host of
 * {@link RmiSequencePropertyTest}, with realms that are activated and entered (REC_ENTER) and run random guest code
 * — random words, loads and stores to random IPAs, and RSI and PSCI calls with random arguments — preempted by the
 * host's countdown IRQ. After every call the RMM's structural invariants hold (RmiSequencePropertyTest's walk),
 * every pool granule's GPI agrees with its state, a failed call changes no granule's state or reference count, X0
 * is an RMI status, no call throws, and every failed RMI, RSI and PSCI call names its failure condition, one of
 * those the RMM's command table lists for it ({@link Explained}).
 *
 * <p>Sized by system properties: {@code fuzz.rmi.calls} (default 1,000,000: about a minute on an idle 2-core machine), {@code fuzz.seed}
 * (default: new).
 * A failure names the seed, the episode and the call, and replays with {@code -Dfuzz.seed=S}.
 */
@Tag("fuzz")
class RmiFuzzTest {
    static final int OPS = 24; // RmiSequencePropertyTest's 22, REC_ENTER, and new guest code for DATA_CREATE
    static final int EPISODE_CALLS = 2000;
    private static final dev.cca.rmm.el3.PlatformAttestation KEYS = dev.cca.rmm.el3.PlatformAttestation.generated();

    @Test
    void randomRmiSequencesWithRealmsThatRunKeepTheInvariants() {
        long calls = Long.getLong("fuzz.rmi.calls", 1_000_000L);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Stats st = run(seed, calls);
        System.out.printf(Locale.ROOT, "RMI fuzz: seed %d: %d RMI calls (%d REC_ENTER, %d into a running realm, "
                        + "%d guest instructions, %d RSI calls) in %d episodes, %d guests (%d stopped in an exception loop), "
                        + "%.1f s%n", seed, st.calls, st.enters, st.entersRan, st.guestInstructions, st.rsiCalls,
                st.episodes, st.guests, st.stuck, st.nanos / 1e9);
        System.out.println("RMI fuzz: REC_ENTER results " + st.enterResults);
        System.out.println("RMI fuzz: every failure named its condition: " + st.failures.size()
                + " command/condition pairs, " + st.failures.values().stream().mapToLong(Integer::longValue).sum()
                + " failed calls");
        assertTrue(st.entersRan > 0 && st.rsiCalls > 0, "the campaign must run realms: " + st);
    }

    /** Ends an episode whose PE stopped inside a realm. */
    static final class GuestStuck extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GuestStuck() {
            super(null, null, false, false);
        }
    }

    static final class Stats {
        long calls, enters, entersRan, guestInstructions, rsiCalls, episodes, guests, stuck, nanos;
        final java.util.TreeMap<String, Integer> enterResults = new java.util.TreeMap<>();
        /** Failed calls by command and failure condition. */
        final java.util.TreeMap<String, Integer> failures = new java.util.TreeMap<>();

        @Override
        public String toString() {
            return calls + " calls, " + enters + " enters, " + entersRan + " ran, " + rsiCalls + " RSI";
        }
    }

    /** Runs {@code calls} RMI calls from {@code seed}; throws AssertionError naming the seed on any finding. */
    static Stats run(long seed, long calls) {
        Stats st = new Stats();
        long start = System.nanoTime();
        Random rnd = new Random(seed);
        int[] rsiSeen = {0};
        while (st.calls < calls) {
            long episodeSeed = rnd.nextLong();
            try {
                episode(episodeSeed, (int) Math.min(EPISODE_CALLS, calls - st.calls), st, rsiSeen);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(String.format("RMI fuzz finding: seed %d, episode %d (episode seed %d): %s"
                        + " -- replay with -Dfuzz.seed=%d", seed, st.episodes, episodeSeed, e.getMessage(), seed), e);
            }
            st.episodes++;
        }
        st.rsiCalls = rsiSeen[0];
        st.nanos = System.nanoTime() - start;
        return st;
    }

    private static void episode(long seed, int n, Stats st, int[] rsiSeen) {
        Random r = new Random(seed);
        RmiSequencePropertyTest.Host host = new RmiSequencePropertyTest.Host(new TestHost(KEYS));
        host.h.fw.rmm.addObserver(new RmmObserver() {
            @Override
            public void rsiCall(dev.cca.core.cpu.Cpu cpu, long recPa, long fid, long[] args) {
                rsiSeen[0]++;
            }
        });
        host.h.fw.rmm.addObserver(new Explained(st));
        long run = host.h.alloc();
        boolean guest = r.nextInt(4) != 0;
        if (guest) {
            // A host that builds a realm which can run: tables, four pages of random code, RECs, activation.
            host.prepare();
            for (int i = 0; i < 4; i++) {
                if (i == 1) {
                    vectors(host);
                } else {
                    fillCode(host, r, i == 0);
                }
                host.h.rmi(Rmi.DATA_CREATE, host.realms.get(0), host.inState(i, GranuleState.DELEGATED),
                        RmiSequencePropertyTest.IPAS[i], host.src, Rmi.DATA_MEASURE_CONTENT);
            }
            st.calls += 4;
            // Two runnable RECs (next MPIDRs, sixteen aux granules each when there are enough) and activation.
            int[] ok = {1, 1, 1, 1, 1, 1};
            host.run(new RmiSequencePropertyTest.Call(5, ok));
            host.run(new RmiSequencePropertyTest.Call(21, ok));
            host.run(new RmiSequencePropertyTest.Call(5, ok));
            host.run(new RmiSequencePropertyTest.Call(3, ok));
            st.calls += 4;
        }
        for (int i = 0; i < n; i++) {
            RmiSequencePropertyTest.Call c = new RmiSequencePropertyTest.Call(op(r, guest), sel(r));
            if (c.op() == 22 && host.recs.isEmpty() && !host.realms.isEmpty()) {
                // The random calls destroyed the RECs: a host would make new ones (delegate, create, activate).
                int[] ok = {1, 1, 1, 1, 1, 1};
                c = new RmiSequencePropertyTest.Call(new int[] {21, 5, 3}[r.nextInt(3)], ok);
            }
            Map<Long, String> before = states(host);
            long[] res;
            int at = i;
            RmiSequencePropertyTest.Call call = c;
            java.util.function.Supplier<String> what = () -> "call " + at + " " + (call.op() >= 22
                    ? (call.op() == 22 ? "REC_ENTER" : "DATA_CREATE(code)") + java.util.Arrays.toString(call.sel())
                    : call.toString());
            if (c.op() == 22) {
                try {
                    res = enter(host, run, r, st);
                } catch (GuestStuck e) {
                    st.calls++;
                    break;
                }
            } else if (c.op() == 23) {
                fillCode(host, r, r.nextBoolean());
                res = host.run(new RmiSequencePropertyTest.Call(15, c.sel()));
            } else {
                res = host.run(c);
            }
            st.calls++;
            int status = Rmi.status(res[0]);
            long x0 = res[0];
            assertTrue(x0 == -1L || (status <= Rmi.ERROR_RTT && (x0 >>> 16) == 0),
                    () -> what.get() + ": X0 " + Long.toHexString(x0) + " is no RMI status");
            if (res[0] != Rmi.SUCCESS && c.op() != 22 && c.op() != 21) {
                Map<Long, String> after = states(host);
                if (!before.equals(after)) {
                    throw new AssertionError(what.get() + " failed with " + Rmi.describe(res[0]) + " but changed state: "
                            + RmiSequencePropertyTest.diff(before, after));
                }
            }
            try {
                RmiSequencePropertyTest.checkInvariants(host, "");
            } catch (AssertionError e) {
                throw new AssertionError("after " + what.get() + e.getMessage(), e);
            }
        }
        if (guest) {
            st.guests++;
        }
    }

    /**
     * Checks that every failed RMI and RSI call (and every failed PSCI CPU_ON and AFFINITY_INFO) names the failure
     * condition that fired, that the label is one of the command's conditions in the RMM's table, and that a
     * success names none; counts the failures by label.
     */
    static final class Explained implements RmmObserver {
        private final Stats st;

        Explained(Stats st) {
            this.st = st;
        }

        @Override
        public void rmiReturn(dev.cca.core.cpu.Cpu cpu, long fid, long[] args, long[] out, Failure f) {
            RmiCommand c = RmiCommand.of(fid);
            check(c == null ? null : c.specName(), c == null ? null : c.conditions(), out[0] != Rmi.SUCCESS, out[0],
                    f, fid);
        }

        @Override
        public void rsiReturn(dev.cca.core.cpu.Cpu cpu, long recPa, long fid, long[] out, Failure f) {
            dev.cca.rmm.rsi.RsiCommand c = dev.cca.rmm.rsi.RsiCommand.of(fid);
            if (c != null) {
                check(c.specName(), c.conditions(), out[0] != Rsi.SUCCESS && out[0] != Rsi.INCOMPLETE, out[0], f,
                        fid);
                return;
            }
            long p = fid & 0xFFFF_FFFFL;
            boolean placeCall = p == Psci.CPU_ON_32 || p == Psci.CPU_ON_64 || p == Psci.AFFINITY_INFO_32
                    || p == Psci.AFFINITY_INFO_64;
            if (placeCall) {
                check(dev.cca.rmm.smc.SmcDecoder.name(fid), java.util.List.of("entry", "mpidr", "runnable",
                        "target_bound", "target_match"), out[0] < 0, out[0], f, fid);
            }
        }

        private void check(String name, java.util.List<String> conditions, boolean failed, long x0, Failure f,
                           long fid) {
            if (!failed) {
                if (f != null) {
                    throw new AssertionError(name + " succeeded but reported " + f.message());
                }
                return;
            }
            if (f == null) {
                throw new AssertionError(String.format("%s (FID %#x) failed with X0 %#x and no failure condition",
                        name, fid, x0));
            }
            if (f.status() != x0) {
                throw new AssertionError(name + " returned " + Long.toHexString(x0) + " but its failure says "
                        + Long.toHexString(f.status()) + ": " + f.message());
            }
            if (conditions != null && !conditions.contains(f.label())) {
                throw new AssertionError(name + " failed with " + f.label() + ", which is not one of its conditions "
                        + conditions);
            }
            f.detail(); // the explanation formats for every failure the campaign makes
            st.failures.merge((name == null ? "SMC_UNKNOWN" : name) + " " + f.label(), 1, Integer::sum);
        }
    }

    /** Mostly the commands that make a realm run; the property test's mix for the rest. */
    private static int op(Random r, boolean guest) {
        int k = r.nextInt(100);
        if (guest && k < 30) {
            return 22;
        }
        if (guest && k < 36) {
            return 3; // REALM_ACTIVATE
        }
        if (guest && k < 44) {
            return 5; // REC_CREATE
        }
        if (k < 50) {
            return 23;
        }
        return r.nextInt(22);
    }

    private static int[] sel(Random r) {
        int[] s = new int[6];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.nextInt(1 << 20);
        }
        return s;
    }

    /** REC_ENTER of one of the host's RECs (or anything) with random entry state, preempted after a while. */
    private static long[] enter(RmiSequencePropertyTest.Host host, long run, Random r, Stats st) {
        TestHost h = host.h;
        long rec = host.recs.isEmpty() || r.nextInt(10) == 0 ? host.granule(r.nextInt(1 << 20))
                : host.recs.get(r.nextInt(host.recs.size()));
        long flags = r.nextInt(16) == 0 ? r.nextLong() : r.nextInt(2);
        h.write64(run + RecRun.ENTER_FLAGS, flags);
        for (int i = 0; i < 8; i++) {
            h.write64(run + RecRun.ENTER_GPRS + 8L * i, r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(256));
        }
        boolean gic = r.nextInt(16) == 0;
        h.write64(run + RecRun.ENTER_GICV3_HCR, gic ? r.nextLong() : 0);
        for (int i = 0; i < 4; i++) {
            h.write64(run + RecRun.ENTER_GICV3_LRS + 8L * i, gic ? r.nextLong() : 0);
        }
        long before = h.cpu.instructions;
        h.cpu.setIrqCountdown(1 + r.nextInt(20_000));
        long[] res;
        try {
            res = h.rmi(Rmi.REC_ENTER, rec, r.nextInt(16) == 0 ? host.granule(r.nextInt(1 << 20)) : run);
        } catch (dev.cca.core.cpu.Smccc.CallInterruptedException e) {
            if (e.reason != dev.cca.core.cpu.Cpu.StopReason.EXCEPTION_LOOP) {
                throw e; // an emulator internal error is a finding
            }
            // The random code took the same exception over and over with no instruction completing (a fault
            // whose vector faults again): the PE stopped inside the realm, as KVM's hosts report it. The
            // episode ends here.
            st.enters++;
            st.stuck++;
            throw new GuestStuck();
        } finally {
            h.cpu.setIrqCountdown(Long.MAX_VALUE);
        }
        st.enters++;
        st.enterResults.merge(Rmi.describe(res[0]), 1, Integer::sum);
        long ran = h.cpu.instructions - before;
        if (res[0] == Rmi.SUCCESS) {
            st.entersRan++;
            st.guestInstructions += ran;
        }
        return res;
    }

    static final long[] RSI = {Rsi.VERSION, Rsi.FEATURES, Rsi.MEASUREMENT_READ, Rsi.MEASUREMENT_EXTEND,
        Rsi.ATTESTATION_TOKEN_INIT, Rsi.ATTESTATION_TOKEN_CONTINUE, Rsi.REALM_CONFIG, Rsi.IPA_STATE_SET,
        Rsi.IPA_STATE_GET, Rsi.HOST_CALL, 0xC400_019AL, Psci.VERSION, Psci.CPU_ON_64, Psci.CPU_OFF,
        Psci.AFFINITY_INFO_64, Psci.FEATURES, Psci.CPU_SUSPEND_64, Psci.SYSTEM_OFF, Psci.SYSTEM_RESET};

    /** Random guest code in the host's source page: RSI and PSCI calls with random arguments, memory accesses to
     *  random IPAs, and random instruction words. */
    private static void fillCode(RmiSequencePropertyTest.Host host, Random r, boolean setVbar) {
        Asm a = new Asm();
        if (setVbar) {
            a.mov(9, VECTORS).word(0xd518c009); // msr vbar_el1, x9
        }
        while (a.size() < 900) {
            switch (r.nextInt(6)) {
                case 0:
                case 1: {
                    long[] args = new long[r.nextInt(5)];
                    for (int i = 0; i < args.length; i++) {
                        args[i] = argument(r);
                    }
                    a.call(RSI[r.nextInt(RSI.length)], args);
                    break;
                }
                case 2:
                    a.mov(9, argument(r));
                    if (r.nextBoolean()) {
                        a.ldr(10, 9, 8 * r.nextInt(8));
                    } else {
                        a.str(10, 9, 8 * r.nextInt(8));
                    }
                    break;
                case 3:
                    a.word(r.nextInt());
                    break;
                case 4:
                    a.mov(r.nextInt(8), argument(r));
                    break;
                default:
                    if (r.nextInt(8) == 0) {
                        a.wfi();
                    } else {
                        a.hvc();
                    }
                    break;
            }
        }
        int[] w = a.words();
        for (int i = 0; i < 1024; i++) {
            host.h.cpu.physWrite(host.src + 4L * i, 4, i < w.length ? w[i] & 0xFFFF_FFFFL : 0x14000000L, Pas.NON_SECURE);
        }
    }

    /** The second page of a guest: a vector table whose every entry skips the instruction that trapped. */
    static final long VECTORS = 0x4000_1000L;

    private static void vectors(RmiSequencePropertyTest.Host host) {
        int[] skip = {0xd538402a, 0x9100114a, 0xd518402a, 0xd69f03e0}; // elr_el1 += 4; eret
        for (int i = 0; i < 1024; i++) {
            int w = (i % 32) < skip.length ? skip[i % 32] : 0x14000000; // b . in the unused slots
            host.h.cpu.physWrite(host.src + 4L * i, 4, w & 0xFFFF_FFFFL, Pas.NON_SECURE);
        }
    }

    /** Addresses a guest might pass: its own RAM, unprotected IPAs, page-crossing and wild values. */
    private static long argument(Random r) {
        switch (r.nextInt(6)) {
            case 0: return RmiSequencePropertyTest.IPAS[r.nextInt(RmiSequencePropertyTest.IPAS.length)]
                    + 8L * r.nextInt(512);
            case 1: return 0x4000_0000L + 0x1000L * r.nextInt(8);
            case 2: return r.nextLong();
            case 3: return r.nextInt(64);
            case 4: return 1L << r.nextInt(64);
            default: return 0x8_0000_0000L + 8L * r.nextInt(4096);
        }
    }

    /** State and reference count of every pool granule (the cheap form of the property test's no-change check). */
    private static Map<Long, String> states(RmiSequencePropertyTest.Host host) {
        Map<Long, String> m = new java.util.HashMap<>();
        RmmInspector in = host.h.inspector();
        for (long g : host.pool) {
            m.put(g, in.granuleState(g) + "/" + in.refcount(g));
        }
        return m;
    }
}
