package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.rmm.smc.Param;
import dev.cca.rmm.smc.Rmi;

import java.util.List;

import static dev.cca.rmm.smc.Param.dec;
import static dev.cca.rmm.smc.Param.granule;
import static dev.cca.rmm.smc.Param.hex;
import static dev.cca.rmm.smc.Param.ipa;
import static dev.cca.rmm.smc.Param.level;
import static dev.cca.rmm.smc.Param.nsGranule;
import static dev.cca.rmm.smc.Param.rd;
import static dev.cca.rmm.smc.Param.rec;

/**
 * The RMI commands of RMM v1.0 (DEN0137 B3.3; TF-RMM {@code handler.c}'s {@code smc_handlers[]}): for each, its
 * function identifier, spec name, argument registers (X1..) and result registers (X1.. after the status), and the
 * handler that runs it. {@link Rmm} dispatches through this table; the decoder of traces and debuggers
 * ({@link dev.cca.rmm.smc.SmcDecoder}) and the fuzzer read the same rows.
 */
public enum RmiCommand {
    VERSION(Rmi.VERSION, "RMI_VERSION",
            regs(Param.of("req", Param.Kind.VERSION)),
            regs(Param.of("lower", Param.Kind.VERSION), Param.of("higher", Param.Kind.VERSION)),
            (rmm, cpu, pc, a, out) -> {
                // RMM v1.0 only: X1 lower and X2 higher supported revision.
                out[0] = a[1] == Rmi.ABI_1_0 ? Rmi.SUCCESS : Rmi.ERROR_INPUT;
                out[1] = Rmi.ABI_1_0;
                out[2] = Rmi.ABI_1_0;
                return true;
            }),
    GRANULE_DELEGATE(Rmi.GRANULE_DELEGATE, "RMI_GRANULE_DELEGATE",
            regs(granule("addr")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.granuleCmds.delegate(pc.mem, a[1]))),
    GRANULE_UNDELEGATE(Rmi.GRANULE_UNDELEGATE, "RMI_GRANULE_UNDELEGATE",
            regs(granule("addr")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.granuleCmds.undelegate(pc.mem, a[1]))),
    DATA_CREATE(Rmi.DATA_CREATE, "RMI_DATA_CREATE",
            regs(rd("rd"), granule("data"), ipa("ipa"), nsGranule("src"), Param.of("flags", Param.Kind.DATA_FLAGS)),
            regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.dataCmds.create(pc.mem, a[1], a[2], a[3], a[4], a[5]))),
    DATA_CREATE_UNKNOWN(Rmi.DATA_CREATE_UNKNOWN, "RMI_DATA_CREATE_UNKNOWN",
            regs(rd("rd"), granule("data"), ipa("ipa")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.dataCmds.createUnknown(pc.mem, a[1], a[2], a[3]))),
    DATA_DESTROY(Rmi.DATA_DESTROY, "RMI_DATA_DESTROY",
            regs(rd("rd"), ipa("ipa")), regs(granule("data"), ipa("top")),
            (rmm, cpu, pc, a, out) -> {
                rmm.dataCmds.destroy(pc.mem, a[1], a[2], out);
                return true;
            }),
    REALM_ACTIVATE(Rmi.REALM_ACTIVATE, "RMI_REALM_ACTIVATE",
            regs(rd("rd")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.realmCmds.activate(pc.mem, a[1]))),
    REALM_CREATE(Rmi.REALM_CREATE, "RMI_REALM_CREATE",
            regs(granule("rd"), nsGranule("params_ptr")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.realmCmds.create(pc.mem, a[1], a[2]))),
    REALM_DESTROY(Rmi.REALM_DESTROY, "RMI_REALM_DESTROY",
            regs(rd("rd")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.realmCmds.destroy(pc.mem, a[1]))),
    REC_CREATE(Rmi.REC_CREATE, "RMI_REC_CREATE",
            regs(rd("rd"), granule("rec"), nsGranule("params_ptr")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.recCmds.create(pc.mem, a[1], a[2], a[3]))),
    REC_DESTROY(Rmi.REC_DESTROY, "RMI_REC_DESTROY",
            regs(rec("rec")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.recCmds.destroy(pc.mem, a[1]))),
    /** Completes when the REC exits to the host; its results are in the run granule's RmiRecExit. */
    REC_ENTER(Rmi.REC_ENTER, "RMI_REC_ENTER",
            regs(rec("rec"), nsGranule("run_ptr")), regs(),
            (rmm, cpu, pc, a, out) -> {
                long r = rmm.recCmds.enter(cpu, pc, a[1], a[2]);
                if (r == RecCommands.ENTERED) {
                    return false;
                }
                out[0] = r;
                return true;
            }),
    RTT_CREATE(Rmi.RTT_CREATE, "RMI_RTT_CREATE",
            regs(rd("rd"), granule("rtt"), ipa("ipa"), level("level")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.rttCmds.create(pc.mem, a[1], a[2], a[3], a[4]))),
    RTT_DESTROY(Rmi.RTT_DESTROY, "RMI_RTT_DESTROY",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(granule("rtt"), ipa("top")),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.destroy(pc.mem, a[1], a[2], a[3], out);
                return true;
            }),
    RTT_MAP_UNPROTECTED(Rmi.RTT_MAP_UNPROTECTED, "RMI_RTT_MAP_UNPROTECTED",
            regs(rd("rd"), ipa("ipa"), level("level"), hex("desc")), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.rttCmds.mapUnprotected(pc.mem, a[1], a[2], a[3], a[4]))),
    RTT_READ_ENTRY(Rmi.RTT_READ_ENTRY, "RMI_RTT_READ_ENTRY",
            regs(rd("rd"), ipa("ipa"), level("level")),
            regs(level("walk_level"), Param.of("state", Param.Kind.RTT_STATE), hex("desc"),
                    Param.of("ripas", Param.Kind.RIPAS)),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.readEntry(pc.mem, a[1], a[2], a[3], out);
                return true;
            }),
    RTT_UNMAP_UNPROTECTED(Rmi.RTT_UNMAP_UNPROTECTED, "RMI_RTT_UNMAP_UNPROTECTED",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(ipa("top")),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.unmapUnprotected(pc.mem, a[1], a[2], a[3], out);
                return true;
            }),
    PSCI_COMPLETE(Rmi.PSCI_COMPLETE, "RMI_PSCI_COMPLETE",
            regs(rec("calling_rec"), rec("target_rec"), Param.of("status", Param.Kind.PSCI_STATUS)), regs(),
            (rmm, cpu, pc, a, out) -> set(out, rmm.recCmds.psciComplete(pc.mem, a[1], a[2], a[3]))),
    FEATURES(Rmi.FEATURES, "RMI_FEATURES",
            regs(dec("index")), regs(hex("value")),
            (rmm, cpu, pc, a, out) -> {
                out[0] = Rmi.SUCCESS;
                out[1] = a[1] == 0 ? rmm.features.register0() : 0;
                return true;
            }),
    RTT_FOLD(Rmi.RTT_FOLD, "RMI_RTT_FOLD",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(granule("rtt")),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.fold(pc.mem, a[1], a[2], a[3], out);
                return true;
            }),
    REC_AUX_COUNT(Rmi.REC_AUX_COUNT, "RMI_REC_AUX_COUNT",
            regs(rd("rd")), regs(dec("aux_count")),
            (rmm, cpu, pc, a, out) -> {
                rmm.realmCmds.recAuxCount(pc.mem, a[1], out);
                return true;
            }),
    RTT_INIT_RIPAS(Rmi.RTT_INIT_RIPAS, "RMI_RTT_INIT_RIPAS",
            regs(rd("rd"), ipa("base"), ipa("top")), regs(ipa("top")),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.initRipas(pc.mem, a[1], a[2], a[3], out);
                return true;
            }),
    RTT_SET_RIPAS(Rmi.RTT_SET_RIPAS, "RMI_RTT_SET_RIPAS",
            regs(rd("rd"), rec("rec"), ipa("base"), ipa("top")), regs(ipa("top")),
            (rmm, cpu, pc, a, out) -> {
                rmm.rttCmds.setRipas(pc.mem, a[1], a[2], a[3], a[4], out);
                return true;
            });

    /** Runs one command: X1.. in {@code a[1..]}, results into {@code out[0..4]}. */
    @FunctionalInterface
    interface Handler {
        /** Returns false when the command completes later (REC_ENTER entered the realm). */
        boolean run(Rmm rmm, Cpu cpu, Rmm.PerCpu pc, long[] a, long[] out);
    }

    private final long fid;
    private final String specName;
    private final List<Param> args;
    private final List<Param> results;
    final Handler handler;

    RmiCommand(long fid, String specName, Param[] args, Param[] results, Handler handler) {
        this.fid = fid;
        this.specName = specName;
        this.args = List.of(args);
        this.results = List.of(results);
        this.handler = handler;
    }

    /** The function identifier (SMC64, without the SVE hint). */
    public long fid() {
        return fid;
    }

    /** The name in the specification: {@code RMI_DATA_CREATE}. */
    public String specName() {
        return specName;
    }

    /** The argument registers X1, X2... in order. */
    public List<Param> args() {
        return args;
    }

    /** The result registers X1, X2... after the status in X0. */
    public List<Param> results() {
        return results;
    }

    private static final RmiCommand[] BY_NUMBER = new RmiCommand[(int) (Rmi.RANGE_LAST - Rmi.RANGE_FIRST + 1)];

    static {
        for (RmiCommand c : values()) {
            BY_NUMBER[(int) (c.fid - Rmi.RANGE_FIRST)] = c;
        }
    }

    /** The command of a function identifier (the SVE hint bit and bits [63:32] ignored), or null. */
    public static RmiCommand of(long fid) {
        long f = fid & 0xFFFF_FFFFL & ~(1L << 16);
        if (f < Rmi.RANGE_FIRST || f > Rmi.RANGE_LAST) {
            return null;
        }
        return BY_NUMBER[(int) (f - Rmi.RANGE_FIRST)];
    }

    private static Param[] regs(Param... ps) {
        return ps;
    }

    private static boolean set(long[] out, long x0) {
        out[0] = x0;
        return true;
    }
}
