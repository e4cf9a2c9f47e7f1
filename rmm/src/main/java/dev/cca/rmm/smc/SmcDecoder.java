package dev.cca.rmm.smc;

import dev.cca.core.cpu.Smccc;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decodes RMI, RSI, PSCI and SMCCC calls for people and tools: the command's name, its arguments by their names in
 * the specifications (RMM v1.0 DEN0137 B3/B4, PSCI DEN0022, SMCCC DEN0028), and its results with the status
 * rendered by name. Values are rendered as strings: addresses in hex, levels and indexes in decimal, versions as
 * "major.minor", enumerations by their spec names. Used by {@code cca run --trace} and by the debuggers.
 */
public final class SmcDecoder {
    private SmcDecoder() {
    }

    /** Which interface a function identifier belongs to. */
    public enum Interface {
        RMI, RSI, PSCI, SMCCC, UNKNOWN
    }

    /** How a register value is shown. */
    enum Kind {
        HEX, DEC, VERSION, RIPAS, RTT_STATE, DATA_FLAGS, PSCI_STATUS, LEVEL, BYTES
    }

    private record Field(String name, Kind kind) {
    }

    /** What is known of one command: its name, its arguments (X1..) and its results after the status (X1..). */
    private record Spec(String name, Interface iface, Field[] args, Field[] results) {
    }

    private static final Map<Long, Spec> SPECS = new HashMap<>();

    private static Field f(String name, Kind k) {
        return new Field(name, k);
    }

    private static Field hex(String name) {
        return new Field(name, Kind.HEX);
    }

    private static Field[] of(Field... fs) {
        return fs;
    }

    private static void rmi(long fid, Field[] args, Field[] results) {
        SPECS.put(fid, new Spec(Rmi.name(fid), Interface.RMI, args, results));
    }

    private static void rsi(long fid, Field[] args, Field[] results) {
        SPECS.put(fid, new Spec(Rsi.name(fid), Interface.RSI, args, results));
    }

    private static void psci(long fid, Field[] args, Field[] results) {
        SPECS.put(fid, new Spec(Psci.name(fid), Interface.PSCI, args, results));
    }

    static {
        Field level = f("level", Kind.LEVEL);
        // RMM v1.0 B3.3: the RMI commands and their registers (see shared research table, TF-RMM smc-rmi.h).
        rmi(Rmi.VERSION, of(f("req", Kind.VERSION)), of(f("lower", Kind.VERSION), f("higher", Kind.VERSION)));
        rmi(Rmi.FEATURES, of(f("index", Kind.DEC)), of(hex("value")));
        rmi(Rmi.GRANULE_DELEGATE, of(hex("addr")), of());
        rmi(Rmi.GRANULE_UNDELEGATE, of(hex("addr")), of());
        rmi(Rmi.DATA_CREATE, of(hex("rd"), hex("data"), hex("ipa"), hex("src"), f("flags", Kind.DATA_FLAGS)), of());
        rmi(Rmi.DATA_CREATE_UNKNOWN, of(hex("rd"), hex("data"), hex("ipa")), of());
        rmi(Rmi.DATA_DESTROY, of(hex("rd"), hex("ipa")), of(hex("data"), hex("top")));
        rmi(Rmi.REALM_ACTIVATE, of(hex("rd")), of());
        rmi(Rmi.REALM_CREATE, of(hex("rd"), hex("params_ptr")), of());
        rmi(Rmi.REALM_DESTROY, of(hex("rd")), of());
        rmi(Rmi.REC_CREATE, of(hex("rd"), hex("rec"), hex("params_ptr")), of());
        rmi(Rmi.REC_DESTROY, of(hex("rec")), of());
        rmi(Rmi.REC_ENTER, of(hex("rec"), hex("run_ptr")), of());
        rmi(Rmi.RTT_CREATE, of(hex("rd"), hex("rtt"), hex("ipa"), level), of());
        rmi(Rmi.RTT_DESTROY, of(hex("rd"), hex("ipa"), level), of(hex("rtt"), hex("top")));
        rmi(Rmi.RTT_MAP_UNPROTECTED, of(hex("rd"), hex("ipa"), level, hex("desc")), of());
        rmi(Rmi.RTT_READ_ENTRY, of(hex("rd"), hex("ipa"), level),
                of(f("walk_level", Kind.LEVEL), f("state", Kind.RTT_STATE), hex("desc"), f("ripas", Kind.RIPAS)));
        rmi(Rmi.RTT_UNMAP_UNPROTECTED, of(hex("rd"), hex("ipa"), level), of(hex("top")));
        rmi(Rmi.PSCI_COMPLETE, of(hex("calling_rec"), hex("target_rec"), f("status", Kind.PSCI_STATUS)), of());
        rmi(Rmi.RTT_FOLD, of(hex("rd"), hex("ipa"), level), of(hex("rtt")));
        rmi(Rmi.REC_AUX_COUNT, of(hex("rd")), of(f("aux_count", Kind.DEC)));
        rmi(Rmi.RTT_INIT_RIPAS, of(hex("rd"), hex("base"), hex("top")), of(hex("top")));
        rmi(Rmi.RTT_SET_RIPAS, of(hex("rd"), hex("rec"), hex("base"), hex("top")), of(hex("top")));

        // RMM v1.0 B4.3: the RSI commands.
        rsi(Rsi.VERSION, of(f("req", Kind.VERSION)), of(f("lower", Kind.VERSION), f("higher", Kind.VERSION)));
        rsi(Rsi.FEATURES, of(f("index", Kind.DEC)), of(hex("value")));
        rsi(Rsi.MEASUREMENT_READ, of(f("index", Kind.DEC)), of(f("value", Kind.BYTES)));
        rsi(Rsi.MEASUREMENT_EXTEND, of(f("index", Kind.DEC), f("size", Kind.DEC), f("value", Kind.BYTES)), of());
        rsi(Rsi.ATTESTATION_TOKEN_INIT, of(f("challenge", Kind.BYTES)), of(f("max_size", Kind.DEC)));
        rsi(Rsi.ATTESTATION_TOKEN_CONTINUE, of(hex("addr"), f("offset", Kind.DEC), f("size", Kind.DEC)),
                of(f("len", Kind.DEC)));
        rsi(Rsi.REALM_CONFIG, of(hex("addr")), of());
        rsi(Rsi.IPA_STATE_SET, of(hex("base"), hex("top"), f("ripas", Kind.RIPAS), hex("flags")),
                of(hex("new_base"), f("response", Kind.DEC)));
        rsi(Rsi.IPA_STATE_GET, of(hex("base"), hex("end")), of(hex("top"), f("ripas", Kind.RIPAS)));
        rsi(Rsi.HOST_CALL, of(hex("addr")), of());

        // PSCI 1.1 (DEN0022) as a realm issues it; the RMM answers or forwards it (RMM v1.0 B5).
        psci(Psci.VERSION, of(), of());
        psci(Psci.FEATURES, of(hex("psci_func_id")), of());
        psci(Psci.CPU_SUSPEND_32, of(hex("power_state"), hex("entry_point"), hex("context_id")), of());
        psci(Psci.CPU_SUSPEND_64, of(hex("power_state"), hex("entry_point"), hex("context_id")), of());
        psci(Psci.CPU_OFF, of(), of());
        psci(Psci.CPU_ON_32, of(hex("target_cpu"), hex("entry_point"), hex("context_id")), of());
        psci(Psci.CPU_ON_64, of(hex("target_cpu"), hex("entry_point"), hex("context_id")), of());
        psci(Psci.AFFINITY_INFO_32, of(hex("target_affinity"), f("lowest_affinity_level", Kind.DEC)), of());
        psci(Psci.AFFINITY_INFO_64, of(hex("target_affinity"), f("lowest_affinity_level", Kind.DEC)), of());
        psci(Psci.SYSTEM_OFF, of(), of());
        psci(Psci.SYSTEM_RESET, of(), of());
        SPECS.put(Smccc.SMCCC_VERSION, new Spec("SMCCC_VERSION", Interface.SMCCC, of(), of()));
    }

    private static long key(long fid) {
        return fid & 0xFFFF_FFFFL & ~(1L << 16);
    }

    private static Spec spec(long fid) {
        return SPECS.get(key(fid));
    }

    /** The interface of {@code fid}. */
    public static Interface interfaceOf(long fid) {
        Spec s = spec(fid);
        if (s != null) {
            return s.iface;
        }
        long f = key(fid);
        if (Rmi.inRange(f)) {
            return Interface.RMI;
        }
        if (f >= Rsi.VERSION && f <= 0xC400_01AFL) {
            return Interface.RSI;
        }
        return Psci.isPsci(f) ? Interface.PSCI : Interface.UNKNOWN;
    }

    /** The command name: {@code RMI_DATA_CREATE}, {@code RSI_VERSION}, {@code PSCI_SYSTEM_OFF}, or the FID in hex. */
    public static String name(long fid) {
        Spec s = spec(fid);
        if (s != null) {
            return s.name;
        }
        if (Psci.isPsci(fid)) {
            return Psci.name(fid);
        }
        return String.format("SMC %#x", fid & 0xFFFF_FFFFL);
    }

    /**
     * The decoded arguments of a call whose registers are {@code x} ({@code x[0]} the FID, {@code x[1..]} X1..).
     * Unknown commands get no arguments.
     */
    public static Map<String, String> arguments(long fid, long[] x) {
        Map<String, String> m = new LinkedHashMap<>();
        Spec s = spec(fid);
        if (s == null) {
            return m;
        }
        int reg = 1;
        for (Field fl : s.args) {
            if (fl.kind == Kind.BYTES) {
                // 64-byte values travel in eight registers; an observer may hold fewer of them.
                m.put(fl.name, bytes(x, reg, Math.max(0, Math.min(8, x.length - reg))));
                reg += 8;
            } else if (reg < x.length) {
                m.put(fl.name, render(fl.kind, x[reg++]));
            }
        }
        return m;
    }

    /** The status of a result X0, rendered by name for the call's interface. */
    public static String status(long fid, long x0) {
        Interface i = interfaceOf(fid);
        long f = key(fid);
        switch (i) {
            case RMI:
                return Rmi.describe(x0);
            case RSI:
                return Rsi.statusName(x0);
            case PSCI:
                if (f == Psci.VERSION) {
                    return "version " + version(x0);
                }
                return psciStatus(x0);
            case SMCCC:
                return x0 < 0 ? "NOT_SUPPORTED" : "version " + version(x0);
            default:
                return x0 == Smccc.SMC_UNKNOWN ? "SMC_UNKNOWN" : String.format("%#x", x0);
        }
    }

    /** Whether a result X0 means success for this call's interface. */
    public static boolean succeeded(long fid, long x0) {
        switch (interfaceOf(fid)) {
            case RMI:
                return Rmi.status(x0) == Rmi.SUCCESS && x0 != Smccc.SMC_UNKNOWN;
            case RSI:
                return x0 == Rsi.SUCCESS;
            case PSCI:
                return key(fid) == Psci.VERSION || x0 >= 0;
            default:
                return x0 != Smccc.SMC_UNKNOWN;
        }
    }

    /** The decoded output registers after the status ({@code out[1..]}); empty when the call failed. */
    public static Map<String, String> results(long fid, long[] out) {
        Map<String, String> m = new LinkedHashMap<>();
        Spec s = spec(fid);
        if (s == null || out.length == 0) {
            return m;
        }
        boolean versionCall = key(fid) == Rmi.VERSION || key(fid) == Rsi.VERSION;
        if (!succeeded(fid, out[0]) && !versionCall) {
            return m; // only VERSION defines its outputs on failure
        }
        int reg = 1;
        for (Field fl : s.results) {
            if (fl.kind == Kind.BYTES) {
                m.put(fl.name, bytes(out, reg, out.length - reg));
                reg = out.length;
            } else if (reg < out.length) {
                m.put(fl.name, render(fl.kind, out[reg++]));
            }
        }
        return m;
    }

    /** One line: {@code RMI_DATA_CREATE rd=0x... data=0x... ipa=0x40000000 src=0x... flags=MEASURE}. */
    public static String formatCall(long fid, long[] x) {
        StringBuilder b = new StringBuilder(name(fid));
        arguments(fid, x).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.toString();
    }

    /** One line: {@code RMI_RTT_READ_ENTRY -> RMI_SUCCESS walk_level=3 state=ASSIGNED ...}. */
    public static String formatReturn(long fid, long[] out) {
        StringBuilder b = new StringBuilder(name(fid)).append(" -> ").append(status(fid, out[0]));
        results(fid, out).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.toString();
    }

    // ---- renderings --------------------------------------------------------------------------------------------

    static String render(Kind k, long v) {
        switch (k) {
            case DEC:
            case LEVEL:
                return Long.toString(v);
            case VERSION:
                return version(v);
            case RIPAS:
                return v == Rmi.RIPAS_EMPTY ? "EMPTY" : v == Rmi.RIPAS_RAM ? "RAM"
                        : v == Rmi.RIPAS_DESTROYED ? "DESTROYED" : "ripas " + v;
            case RTT_STATE:
                return v == Rmi.RTT_STATE_UNASSIGNED ? "UNASSIGNED" : v == Rmi.RTT_STATE_ASSIGNED ? "ASSIGNED"
                        : v == Rmi.RTT_STATE_TABLE ? "TABLE" : "state " + v;
            case DATA_FLAGS:
                return v == Rmi.DATA_MEASURE_CONTENT ? "MEASURE" : v == Rmi.DATA_NO_MEASURE_CONTENT ? "NO_MEASURE"
                        : String.format("%#x", v);
            case PSCI_STATUS:
                return psciStatus(v);
            default:
                return String.format("%#x", v);
        }
    }

    /** "major.minor" of an SMCCC-style version word (major in bits [30:16], minor in [15:0]). */
    public static String version(long v) {
        return ((v >>> 16) & 0x7FFF) + "." + (v & 0xFFFF);
    }

    public static String psciStatus(long v) {
        switch ((int) v) {
            case 0: return "PSCI_SUCCESS";
            case -1: return "PSCI_NOT_SUPPORTED";
            case -2: return "PSCI_INVALID_PARAMETERS";
            case -3: return "PSCI_DENIED";
            case -4: return "PSCI_ALREADY_ON";
            case -5: return "PSCI_ON_PENDING";
            case -6: return "PSCI_INTERNAL_FAILURE";
            case -7: return "PSCI_NOT_PRESENT";
            case -8: return "PSCI_DISABLED";
            case -9: return "PSCI_INVALID_ADDRESS";
            default: return v >= 0 ? Long.toString(v) : "PSCI status " + v;
        }
    }

    /** Registers {@code r[from..from+n)} as little-endian bytes in hex (how RSI passes measurements). */
    private static String bytes(long[] r, int from, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            long w = r[from + i];
            for (int j = 0; j < 8; j++) {
                b.append(String.format("%02x", (w >>> (8 * j)) & 0xFF));
            }
        }
        return b.toString();
    }

    /** REC exit reasons (RmiRecExit.exit_reason). */
    public static String exitReason(int reason) {
        switch (reason) {
            case Rmi.EXIT_SYNC: return "RMI_EXIT_SYNC";
            case Rmi.EXIT_IRQ: return "RMI_EXIT_IRQ";
            case Rmi.EXIT_FIQ: return "RMI_EXIT_FIQ";
            case Rmi.EXIT_PSCI: return "RMI_EXIT_PSCI";
            case Rmi.EXIT_RIPAS_CHANGE: return "RMI_EXIT_RIPAS_CHANGE";
            case Rmi.EXIT_HOST_CALL: return "RMI_EXIT_HOST_CALL";
            case Rmi.EXIT_SERROR: return "RMI_EXIT_SERROR";
            default: return "exit reason " + reason;
        }
    }
}
