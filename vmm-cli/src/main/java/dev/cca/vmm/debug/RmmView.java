package dev.cca.vmm.debug;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.Pas;
import dev.cca.core.mmu.GranuleProtection;
import dev.cca.rmm.RmmInspector;
import dev.cca.rmm.granule.GranuleState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The RMM-aware views both debuggers print ({@code monitor granule ...} in gdb, {@code granule ...} in
 * {@code cca debug}): granule states, RTT walks, realms, RECs, measurements and what each PE is doing. Everything is
 * read through {@link RmmInspector} and the granule protection table, without architectural effect.
 */
public final class RmmView {
    private final Debugger dbg;

    public RmmView(Debugger dbg) {
        this.dbg = dbg;
    }

    private RmmInspector inspector() {
        return dbg.firmware().inspector(0);
    }

    /** Parses an address or number: 0x-prefixed hex, or decimal. */
    public static long parseNumber(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("_", "");
        try {
            if (t.startsWith("0x")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a number (use 0x... for hex)");
        }
    }

    /** {@code granule PA}: the RMM's state for the granule holding {@code pa}, and what the GPT allows. */
    public String granule(long pa) {
        long g = pa & ~0xFFFL;
        RmmInspector in = inspector();
        GranuleState s = in.granuleState(g);
        StringBuilder b = new StringBuilder(String.format("granule %#x: %s", g, s.specName()));
        if (s != GranuleState.NS) {
            b.append(String.format(" (refcount %d)", in.refcount(g)));
        }
        b.append(", GPT: ").append(gptView(g));
        return b.toString();
    }

    private String gptView(long pa) {
        Cpu c = dbg.machine().cpu(0);
        List<String> ok = new ArrayList<>();
        for (Pas p : new Pas[] {Pas.NON_SECURE, Pas.REALM, Pas.SECURE, Pas.ROOT}) {
            int r = GranuleProtection.check(c.memory, c.sr[SysRegs.GPCCR_EL3], c.sr[SysRegs.GPTBR_EL3],
                    c.memory.paBits(), pa, p);
            if (r == GranuleProtection.OK) {
                ok.add(p.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
        }
        return ok.isEmpty() ? "no access" : String.join("/", ok) + " access";
    }

    private long defaultRealm() {
        List<Long> rs = inspector().realms();
        if (rs.isEmpty()) {
            throw new IllegalArgumentException("there is no realm yet (no granule in state RD)");
        }
        return rs.get(0);
    }

    /** {@code rtt IPA [RD]}: the walk of the realm's RTTs for {@code ipa}, one line per level. */
    public String rtt(long ipa, Long rd) {
        long r = rd != null ? rd : defaultRealm();
        RmmInspector in = inspector();
        if (in.realm(r) == null) {
            return String.format("%#x is not a Realm Descriptor (it is %s)", r, in.granuleState(r).specName());
        }
        List<RmmInspector.RttStep> steps = in.walk(r, ipa);
        StringBuilder b = new StringBuilder(String.format("RTT walk of realm %#x for IPA %#x:", r, ipa));
        for (RmmInspector.RttStep s : steps) {
            b.append(String.format("%n  level %d  entry @%#x = %#018x  %s", s.level(), s.entryPa(), s.descriptor(),
                    s.kind()));
        }
        if (steps.isEmpty()) {
            b.append(" no levels");
        }
        return b.toString();
    }

    /** {@code realm [RD]}: every realm, or one in detail. */
    public String realm(Long rd) {
        RmmInspector in = inspector();
        List<Long> all = in.realms();
        if (rd == null) {
            if (all.isEmpty()) {
                return "no realms";
            }
            StringBuilder b = new StringBuilder();
            for (long r : all) {
                if (b.length() > 0) {
                    b.append('\n');
                }
                b.append(realmDetail(in.realm(r)));
            }
            return b.toString();
        }
        RmmInspector.RealmInfo info = in.realm(rd);
        if (info == null) {
            return String.format("%#x is not a Realm Descriptor (it is %s)", rd, in.granuleState(rd).specName());
        }
        return realmDetail(info);
    }

    private String realmDetail(RmmInspector.RealmInfo i) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("realm %#x: %s, IPA width %d, %s, VMID %d%n", i.rd(), i.stateName(), i.s2sz(),
                i.hashAlgoName(), i.vmid()));
        b.append(String.format("  RTT base %#x, start level %d, %d start table(s)%n", i.rttBase(), i.rttLevelStart(),
                i.rttNumStart()));
        b.append(String.format("  RECs created: %d, RECs alive (RD refcount): %d%n", i.recCount(), i.liveRecs()));
        b.append("  RIM: ").append(i.rim());
        return b.toString();
    }

    /** {@code measurements [RD]}: the RIM and the four REMs. */
    public String measurements(Long rd) {
        long r = rd != null ? rd : defaultRealm();
        RmmInspector.RealmInfo i = inspector().realm(r);
        if (i == null) {
            return String.format("%#x is not a Realm Descriptor", r);
        }
        StringBuilder b = new StringBuilder(String.format("measurements of realm %#x (%s):", r, i.hashAlgoName()));
        for (int k = 0; k < i.measurements().size(); k++) {
            b.append(String.format("%n  %-5s %s", k == 0 ? "RIM" : "REM" + (k - 1), i.measurements().get(k)));
        }
        return b.toString();
    }

    /**
     * {@code rec [REC]}: one REC in detail; without an address, the REC running on PE {@code pe}, else every REC.
     * The registers shown are those saved in the REC granule: a REC that is running keeps its live registers in
     * the PE (see the PE's registers instead).
     */
    public String rec(Long rec, int pe) {
        RmmInspector in = inspector();
        List<Long> recs = new ArrayList<>();
        if (rec != null) {
            recs.add(rec);
        } else {
            long running = dbg.recRunningOn(pe);
            if (running >= 0) {
                recs.add(running);
            } else {
                recs.addAll(in.granulesIn(GranuleState.REC));
            }
        }
        if (recs.isEmpty()) {
            return "no RECs";
        }
        StringBuilder b = new StringBuilder();
        for (long r : recs) {
            RmmInspector.RecInfo i = in.rec(r);
            if (b.length() > 0) {
                b.append('\n');
            }
            if (i == null) {
                b.append(String.format("%#x is not a REC (it is %s)", r, in.granuleState(r).specName()));
                continue;
            }
            b.append(String.format("REC %#x of realm %#x: index %d, MPIDR %#x, %s, %s%n", i.rec(), i.owner(),
                    i.index(), i.mpidr(), i.runnable() ? "runnable" : "not runnable",
                    i.running() ? "running (live registers are in the PE)" : "not running"));
            b.append(String.format("  saved PC %#x, PSTATE %#x", i.pc(), i.pstate()));
            for (int k = 0; k < 31; k++) {
                b.append(k % 4 == 0 ? String.format("%n  ") : "  ");
                b.append(String.format("x%-2d %#018x", k, i.gprs()[k]));
            }
        }
        return b.toString();
    }

    /** {@code pe}: where each PE is (level, security state, firmware model or PC) and the calls in progress. */
    public String pes() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < dbg.peCount(); i++) {
            Cpu c = dbg.machine().cpu(i);
            if (b.length() > 0) {
                b.append('\n');
            }
            String fw = RegisterFile.firmwareName(c);
            b.append(String.format("PE%d: EL%d %s, %s, %s, %d instructions", i, c.el, stateName(c),
                    fw != null ? "in the " + fw + " model (pc " + String.format("%#x", RegisterFile.pc(c)) + ")"
                            : String.format("pc %#x", c.pc),
                    dbg.isParked(i) ? "stopped" : "not stopped (host code or idle)", c.instructions));
            for (Debugger.CallEvent e : dbg.callsInProgress(i)) {
                b.append("\n  in ").append(e.text());
            }
        }
        return b.toString();
    }

    /** Help lines of the commands {@link #command} understands. */
    public static final List<String> HELP = List.of(
            "granule PA            the RMM's state of the granule holding PA, and what the GPT allows",
            "rtt IPA [RD]          walk the realm's RTTs for IPA (default: the first realm)",
            "realm [RD]            a realm's state, IPA width, RTT base, RECs and RIM (default: every realm)",
            "rec [REC]             a REC's state and saved registers (default: the REC running on this PE)",
            "measurements [RD]     the RIM and REM0-REM3 of a realm",
            "pe                    what each PE is doing: level, security state, calls in progress");

    /**
     * Runs one of the inspection commands for PE {@code pe}; returns its output, or null if {@code words[0]} is
     * not one of them. Bad arguments throw {@link IllegalArgumentException} with a message for the user.
     */
    public String command(String[] words, int pe) {
        switch (words[0]) {
            case "granule":
                need(words, 2, "granule PA");
                return granule(parseNumber(words[1]));
            case "rtt":
                need(words, 2, "rtt IPA [RD]");
                return rtt(parseNumber(words[1]), words.length > 2 ? parseNumber(words[2]) : null);
            case "realm":
                return realm(words.length > 1 ? parseNumber(words[1]) : null);
            case "rec":
                return rec(words.length > 1 ? parseNumber(words[1]) : null, pe);
            case "measurements":
            case "rim":
                return measurements(words.length > 1 ? parseNumber(words[1]) : null);
            case "pe":
            case "pes":
                return pes();
            default:
                return null;
        }
    }

    static void need(String[] words, int n, String usage) {
        if (words.length < n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    /** "Realm", "Non-secure"... */
    public static String stateName(Cpu c) {
        switch (c.securityState()) {
            case REALM: return "Realm";
            case NON_SECURE: return "Non-secure";
            case SECURE: return "Secure";
            default: return "Root";
        }
    }
}
