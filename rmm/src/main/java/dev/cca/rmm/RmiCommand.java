package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.rmm.smc.FidTable;
import dev.cca.rmm.smc.Param;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.SmcDecoder;

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
            conditions("version"),
            (rmm, cpu, pc, a, out) -> {
                // RMM v1.0 only: X1 lower and X2 higher supported revision.
                out[1] = Rmi.ABI_1_0;
                out[2] = Rmi.ABI_1_0;
                return a[1] == Rmi.ABI_1_0 ? null : Rmm.input("version", "version %s is not supported: this RMM"
                        + " implements RMI 1.0 only", SmcDecoder.version(a[1]));
            }),
    GRANULE_DELEGATE(Rmi.GRANULE_DELEGATE, "RMI_GRANULE_DELEGATE",
            regs(granule("addr")), regs(),
            conditions("gran_align", "gran_bound", "gran_state", "gran_gpt"),
            (rmm, cpu, pc, a, out) -> rmm.granuleCmds.delegate(pc.mem, a[1])),
    GRANULE_UNDELEGATE(Rmi.GRANULE_UNDELEGATE, "RMI_GRANULE_UNDELEGATE",
            regs(granule("addr")), regs(),
            conditions("gran_align", "gran_bound", "gran_state"),
            (rmm, cpu, pc, a, out) -> rmm.granuleCmds.undelegate(pc.mem, a[1])),
    DATA_CREATE(Rmi.DATA_CREATE, "RMI_DATA_CREATE",
            regs(rd("rd"), granule("data"), ipa("ipa"), nsGranule("src"), Param.of("flags", Param.Kind.DATA_FLAGS)),
            regs(),
            conditions("flags_valid", "src_align", "src_bound", "src_pas", "data_align", "data_bound", "data_state",
                    "rd_align", "rd_bound", "rd_state", "realm_state", "ipa_bound", "ipa_align", "rtt_walk", "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.dataCmds.create(pc.mem, a[1], a[2], a[3], a[4], a[5])),
    DATA_CREATE_UNKNOWN(Rmi.DATA_CREATE_UNKNOWN, "RMI_DATA_CREATE_UNKNOWN",
            regs(rd("rd"), granule("data"), ipa("ipa")), regs(),
            conditions("data_align", "data_bound", "data_state", "rd_align", "rd_bound", "rd_state", "ipa_bound",
                    "ipa_align", "rtt_walk", "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.dataCmds.createUnknown(pc.mem, a[1], a[2], a[3])),
    DATA_DESTROY(Rmi.DATA_DESTROY, "RMI_DATA_DESTROY",
            regs(rd("rd"), ipa("ipa")), regs(granule("data"), ipa("top")),
            conditions("rd_align", "rd_bound", "rd_state", "ipa_bound", "ipa_align", "rtt_walk", "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.dataCmds.destroy(pc.mem, a[1], a[2], out)),
    REALM_ACTIVATE(Rmi.REALM_ACTIVATE, "RMI_REALM_ACTIVATE",
            regs(rd("rd")), regs(),
            conditions("rd_align", "rd_bound", "rd_state", "realm_state"),
            (rmm, cpu, pc, a, out) -> rmm.realmCmds.activate(pc.mem, a[1])),
    REALM_CREATE(Rmi.REALM_CREATE, "RMI_REALM_CREATE",
            regs(granule("rd"), nsGranule("params_ptr")), regs(),
            conditions("params_align", "params_bound", "params_pas", "params_supp", "params_valid", "rtt_num_level",
                    "vmid_valid", "alias", "rd_align", "rd_bound", "rd_state", "rtt_align", "rtt_state"),
            (rmm, cpu, pc, a, out) -> rmm.realmCmds.create(pc.mem, a[1], a[2])),
    REALM_DESTROY(Rmi.REALM_DESTROY, "RMI_REALM_DESTROY",
            regs(rd("rd")), regs(),
            conditions("rd_align", "rd_bound", "rd_state", "realm_live"),
            (rmm, cpu, pc, a, out) -> rmm.realmCmds.destroy(pc.mem, a[1])),
    REC_CREATE(Rmi.REC_CREATE, "RMI_REC_CREATE",
            regs(rd("rd"), granule("rec"), nsGranule("params_ptr")), regs(),
            conditions("params_align", "params_bound", "params_pas", "num_aux", "aux_align", "aux_bound", "aux_alias",
                    "aux_state", "rec_align", "rec_bound", "rec_state", "rd_align", "rd_bound", "rd_state", "rec_limit",
                    "realm_state", "mpidr_index"),
            (rmm, cpu, pc, a, out) -> rmm.recCmds.create(pc.mem, a[1], a[2], a[3])),
    REC_DESTROY(Rmi.REC_DESTROY, "RMI_REC_DESTROY",
            regs(rec("rec")), regs(),
            conditions("rec_align", "rec_bound", "rec_gran_state", "rec_state"),
            (rmm, cpu, pc, a, out) -> rmm.recCmds.destroy(pc.mem, a[1])),
    /** Completes when the REC exits to the host; its results are in the run granule's RmiRecExit. */
    REC_ENTER(Rmi.REC_ENTER, "RMI_REC_ENTER",
            regs(rec("rec"), nsGranule("run_ptr")), regs(),
            conditions("run_align", "run_bound", "run_pas", "rec_align", "rec_bound", "rec_gran_state", "rec_state",
                    "realm_new", "system_off", "rec_runnable", "rec_psci", "rec_gicv3", "inject_sea", "rec_mmio"),
            (rmm, cpu, pc, a, out) -> rmm.recCmds.enter(cpu, pc, a[1], a[2])),
    RTT_CREATE(Rmi.RTT_CREATE, "RMI_RTT_CREATE",
            regs(rd("rd"), granule("rtt"), ipa("ipa"), level("level")), regs(),
            conditions("rtt_align", "rtt_bound", "rtt_state", "rd_align", "rd_bound", "rd_state", "level_bound", "ipa_bound",
                    "ipa_align", "rtt_walk", "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.create(pc.mem, a[1], a[2], a[3], a[4])),
    RTT_DESTROY(Rmi.RTT_DESTROY, "RMI_RTT_DESTROY",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(granule("rtt"), ipa("top")),
            conditions("rd_align", "rd_bound", "rd_state", "level_bound", "ipa_bound", "ipa_align", "rtt_walk",
                    "rtte_state", "rtt_live"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.destroy(pc.mem, a[1], a[2], a[3], out)),
    RTT_MAP_UNPROTECTED(Rmi.RTT_MAP_UNPROTECTED, "RMI_RTT_MAP_UNPROTECTED",
            regs(rd("rd"), ipa("ipa"), level("level"), hex("desc")), regs(),
            conditions("level_bound", "rd_align", "rd_bound", "rd_state", "attr_valid", "addr_align", "addr_bound",
                    "ipa_bound", "ipa_align", "rtt_walk", "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.mapUnprotected(pc.mem, a[1], a[2], a[3], a[4])),
    RTT_READ_ENTRY(Rmi.RTT_READ_ENTRY, "RMI_RTT_READ_ENTRY",
            regs(rd("rd"), ipa("ipa"), level("level")),
            regs(level("walk_level"), Param.of("state", Param.Kind.RTT_STATE), hex("desc"),
                    Param.of("ripas", Param.Kind.RIPAS)),
            conditions("rd_align", "rd_bound", "rd_state", "level_bound", "ipa_bound", "ipa_align"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.readEntry(pc.mem, a[1], a[2], a[3], out)),
    RTT_UNMAP_UNPROTECTED(Rmi.RTT_UNMAP_UNPROTECTED, "RMI_RTT_UNMAP_UNPROTECTED",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(ipa("top")),
            conditions("level_bound", "rd_align", "rd_bound", "rd_state", "ipa_bound", "ipa_align", "rtt_walk",
                    "rtte_state"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.unmapUnprotected(pc.mem, a[1], a[2], a[3], out)),
    PSCI_COMPLETE(Rmi.PSCI_COMPLETE, "RMI_PSCI_COMPLETE",
            regs(rec("calling_rec"), rec("target_rec"), Param.of("status", Param.Kind.PSCI_STATUS)), regs(),
            conditions("calling_align", "target_align", "calling_bound", "calling_state", "target_bound",
                    "target_state", "alias", "pending", "owner", "target", "status"),
            (rmm, cpu, pc, a, out) -> rmm.recCmds.psciComplete(pc.mem, a[1], a[2], a[3])),
    FEATURES(Rmi.FEATURES, "RMI_FEATURES",
            regs(dec("index")), regs(hex("value")),
            new String[0],
            (rmm, cpu, pc, a, out) -> {
                out[1] = a[1] == 0 ? rmm.features.register0() : 0;
                return null;
            }),
    RTT_FOLD(Rmi.RTT_FOLD, "RMI_RTT_FOLD",
            regs(rd("rd"), ipa("ipa"), level("level")), regs(granule("rtt")),
            conditions("rd_align", "rd_bound", "rd_state", "level_bound", "ipa_bound", "ipa_align", "rtt_walk", "rtte_state",
                    "rtte_homo"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.fold(pc.mem, a[1], a[2], a[3], out)),
    REC_AUX_COUNT(Rmi.REC_AUX_COUNT, "RMI_REC_AUX_COUNT",
            regs(rd("rd")), regs(dec("aux_count")),
            conditions("rd_align", "rd_bound", "rd_state"),
            (rmm, cpu, pc, a, out) -> rmm.realmCmds.recAuxCount(pc.mem, a[1], out)),
    RTT_INIT_RIPAS(Rmi.RTT_INIT_RIPAS, "RMI_RTT_INIT_RIPAS",
            regs(rd("rd"), ipa("base"), ipa("top")), regs(ipa("top")),
            conditions("size_valid", "rd_align", "rd_bound", "rd_state", "base_align", "top_gran_align", "base_bound",
                    "top_bound", "realm_state", "rtte_state", "no_progress"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.initRipas(pc.mem, a[1], a[2], a[3], out)),
    RTT_SET_RIPAS(Rmi.RTT_SET_RIPAS, "RMI_RTT_SET_RIPAS",
            regs(rd("rd"), rec("rec"), ipa("base"), ipa("top")), regs(ipa("top")),
            conditions("size_valid", "top_gran_align", "rd_align", "rd_bound", "rd_state", "rec_align", "rec_bound",
                    "rec_gran_state", "rec_state", "rec_owner", "base_bound", "top_bound", "base_align", "no_progress"),
            (rmm, cpu, pc, a, out) -> rmm.rttCmds.setRipas(pc.mem, a[1], a[2], a[3], a[4], out));

    /** Runs one command: X1.. in {@code a[1..]}, results X1..X4 into {@code out[1..4]}. */
    @FunctionalInterface
    interface Handler {
        /**
         * Returns null on success (for REC_ENTER: the realm was entered, and the command completes when the REC
         * exits), else the failure condition that fired.
         */
        Failure run(Rmm rmm, Cpu cpu, Rmm.PerCpu pc, long[] a, long[] out);
    }

    private final long fid;
    private final String specName;
    private final List<Param> args;
    private final List<Param> results;
    private final List<String> conditions;
    final Handler handler;

    RmiCommand(long fid, String specName, Param[] args, Param[] results, String[] conditions, Handler handler) {
        this.fid = fid;
        this.specName = specName;
        this.args = List.of(args);
        this.results = List.of(results);
        this.conditions = List.of(conditions);
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

    /**
     * The labels of the failure conditions this RMM checks, in the order it checks them (a label may stand for
     * several checks): the spec's and the ACS's labels, plus {@code version}, {@code flags_valid},
     * {@code aux_bound}, {@code rec_limit}, {@code rec_state} of REC_ENTER and SET_RIPAS, and {@code inject_sea},
     * which name conditions the ACS does not list (docs/rmm.md).
     */
    public List<String> conditions() {
        return conditions;
    }

    /** Whether RMM_REQ_COMPLETE for this command comes later, when the REC exits (REC_ENTER). */
    boolean completesOnExit() {
        return this == REC_ENTER;
    }

    private static final FidTable<RmiCommand> BY_FID = new FidTable<>(Rmi.RANGE_FIRST, Rmi.RANGE_LAST,
            values(), RmiCommand::fid);

    /** The command of a function identifier (the SVE hint bit and bits [63:32] ignored), or null. */
    public static RmiCommand of(long fid) {
        return BY_FID.get(fid);
    }

    private static Param[] regs(Param... ps) {
        return ps;
    }

    private static String[] conditions(String... labels) {
        return labels;
    }
}
