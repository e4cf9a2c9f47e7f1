package dev.cca.rmm.smc;

import dev.cca.core.cpu.Smccc;

import dev.cca.rmm.Failure;
import dev.cca.rmm.RmiCommand;
import dev.cca.rmm.rsi.RsiCommand;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.cca.rmm.smc.Param.dec;
import static dev.cca.rmm.smc.Param.hex;

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

    /** What is known of one command: its name, its arguments (X1..) and its results after the status (X1..). */
    private record Spec(String name, Interface iface, List<Param> args, List<Param> results) {
    }

    /** PSCI and SMCCC calls a realm makes; the RMI and RSI commands come from their tables. */
    private static final Map<Long, Spec> OTHER = new HashMap<>();

    private static void psci(long fid, Param... args) {
        OTHER.put(fid, new Spec(Psci.name(fid), Interface.PSCI, List.of(args), List.of()));
    }

    static {
        // PSCI 1.1 (DEN0022) as a realm issues it; the RMM answers or forwards it (RMM v1.0 B5).
        Param ep = hex("entry_point");
        Param ctx = hex("context_id");
        psci(Psci.VERSION);
        psci(Psci.FEATURES, hex("psci_func_id"));
        psci(Psci.CPU_SUSPEND_32, hex("power_state"), ep, ctx);
        psci(Psci.CPU_SUSPEND_64, hex("power_state"), ep, ctx);
        psci(Psci.CPU_OFF);
        psci(Psci.CPU_ON_32, hex("target_cpu"), ep, ctx);
        psci(Psci.CPU_ON_64, hex("target_cpu"), ep, ctx);
        psci(Psci.AFFINITY_INFO_32, hex("target_affinity"), dec("lowest_affinity_level"));
        psci(Psci.AFFINITY_INFO_64, hex("target_affinity"), dec("lowest_affinity_level"));
        psci(Psci.SYSTEM_OFF);
        psci(Psci.SYSTEM_RESET);
        OTHER.put(Smccc.SMCCC_VERSION, new Spec("SMCCC_VERSION", Interface.SMCCC, List.of(), List.of()));
    }

    private static long key(long fid) {
        return fid & 0xFFFF_FFFFL & ~(1L << 16);
    }

    private static Spec spec(long fid) {
        RmiCommand rmi = RmiCommand.of(fid);
        if (rmi != null) {
            return new Spec(rmi.specName(), Interface.RMI, rmi.args(), rmi.results());
        }
        RsiCommand rsi = RsiCommand.of(fid);
        if (rsi != null) {
            return new Spec(rsi.specName(), Interface.RSI, rsi.args(), rsi.results());
        }
        return OTHER.get(key(fid));
    }

    /** The interface of {@code fid}. */
    public static Interface interfaceOf(long fid) {
        Spec s = spec(fid);
        if (s != null) {
            return s.iface();
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
            return s.name();
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
        for (Param p : s.args) {
            if (p.kind() == Param.Kind.BYTES) {
                // 64-byte values travel in eight registers; an observer may hold fewer of them.
                m.put(p.name(), bytes(x, reg, Math.max(0, Math.min(8, x.length - reg))));
                reg += 8;
            } else if (reg < x.length) {
                m.put(p.name(), render(p.kind(), x[reg++]));
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
        for (Param p : s.results) {
            if (p.kind() == Param.Kind.BYTES) {
                m.put(p.name(), bytes(out, reg, out.length - reg));
                reg = out.length;
            } else if (reg < out.length) {
                m.put(p.name(), render(p.kind(), out[reg++]));
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
        return formatReturn(fid, out, null);
    }

    /**
     * One line, with the failure condition that fired after the status when there is one:
     * {@code RMI_DATA_CREATE -> RMI_ERROR_INPUT: data_state: granule 0x80042000 is UNDELEGATED, expected DELEGATED}.
     */
    public static String formatReturn(long fid, long[] out, Failure failure) {
        StringBuilder b = new StringBuilder(name(fid)).append(" -> ").append(status(fid, out[0]));
        results(fid, out).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        if (failure != null) {
            b.append(": ").append(failure.message());
        }
        return b.toString();
    }

    // ---- renderings --------------------------------------------------------------------------------------------

    static String render(Param.Kind k, long v) {
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
