package dev.cca.rmm.rsi;

import dev.cca.core.cpu.Cpu;
import dev.cca.rmm.RmmMemory;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.smc.FidTable;
import dev.cca.rmm.smc.Param;
import dev.cca.rmm.smc.Rsi;
import dev.cca.rmm.smc.SmcDecoder;

import java.util.List;

import static dev.cca.rmm.smc.Param.dec;
import static dev.cca.rmm.smc.Param.hex;
import static dev.cca.rmm.smc.Param.ipa;

/**
 * The RSI commands of RMM v1.0 (DEN0137 B4.3; TF-RMM {@code exit.c handle_realm_rsi}): for each, its function
 * identifier, spec name, argument registers (X1..) and result registers (X1.. after the status), and the handler
 * that serves it. {@link RsiHandler} dispatches through this table; the decoder of traces and debuggers reads the
 * same rows. PSCI and SMCCC calls from the realm are served by {@link RealmPsci} and {@link RsiHandler}.
 */
public enum RsiCommand {
    VERSION(Rsi.VERSION, "RSI_VERSION",
            regs(Param.of("req", Param.Kind.VERSION)),
            regs(Param.of("lower", Param.Kind.VERSION), Param.of("higher", Param.Kind.VERSION)),
            conditions("version"),
            (h, cpu, mem, rec, d, r, e) -> {
                r.x[0] = Rsi.SUCCESS;
                if (cpu.x[1] != Rsi.ABI_1_0) {
                    r.input("version", "version %s is not supported: this RMM implements RSI 1.0 only",
                            SmcDecoder.version(cpu.x[1]));
                }
                r.x[1] = Rsi.ABI_1_0;
                r.x[2] = Rsi.ABI_1_0;
            }),
    FEATURES(Rsi.FEATURES, "RSI_FEATURES",
            regs(dec("index")), regs(hex("value")),
            new String[0],
            (h, cpu, mem, rec, d, r, e) -> r.x[0] = Rsi.SUCCESS), // v1.0 defines no features: 0 for every index
    MEASUREMENT_READ(Rsi.MEASUREMENT_READ, "RSI_MEASUREMENT_READ",
            regs(dec("index")), regs(Param.of("value", Param.Kind.BYTES)),
            conditions("index_bound"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.measurementRead(cpu, d, r)),
    MEASUREMENT_EXTEND(Rsi.MEASUREMENT_EXTEND, "RSI_MEASUREMENT_EXTEND",
            regs(dec("index"), dec("size"), Param.of("value", Param.Kind.BYTES)), regs(),
            conditions("index_bound", "size_bound"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.measurementExtend(cpu, d, r)),
    ATTESTATION_TOKEN_INIT(Rsi.ATTESTATION_TOKEN_INIT, "RSI_ATTESTATION_TOKEN_INIT",
            regs(Param.of("challenge", Param.Kind.BYTES)), regs(dec("max_size")),
            conditions("attestation_key"),
            (h, cpu, mem, rec, d, r, e) -> h.attestation.tokenInit(cpu, mem, rec, d, r)),
    ATTESTATION_TOKEN_CONTINUE(Rsi.ATTESTATION_TOKEN_CONTINUE, "RSI_ATTESTATION_TOKEN_CONTINUE",
            regs(ipa("addr"), dec("offset"), dec("size")), regs(dec("len")),
            conditions("addr_align", "offset_bound", "size_overflow", "size_bound", "addr_bound",
                    "token_state", "addr_ripas", "token_size"),
            (h, cpu, mem, rec, d, r, e) -> h.attestation.tokenContinue(cpu, mem, rec, d, r, e)),
    REALM_CONFIG(Rsi.REALM_CONFIG, "RSI_REALM_CONFIG",
            regs(ipa("addr")), regs(),
            conditions("addr_align", "addr_bound", "addr_ripas"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.realmConfig(mem, d, cpu.x[1], r)),
    IPA_STATE_SET(Rsi.IPA_STATE_SET, "RSI_IPA_STATE_SET",
            regs(ipa("base"), ipa("top"), Param.of("ripas", Param.Kind.RIPAS), hex("flags")),
            regs(ipa("new_base"), dec("response")),
            conditions("ripas_valid", "base_align", "top_align", "size_valid", "rgn_bound"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.ipaStateSet(cpu, rec, d, r, e)),
    IPA_STATE_GET(Rsi.IPA_STATE_GET, "RSI_IPA_STATE_GET",
            regs(ipa("base"), ipa("end")), regs(ipa("top"), Param.of("ripas", Param.Kind.RIPAS)),
            conditions("base_align", "rgn_bound", "end_align", "size_valid"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.ipaStateGet(cpu, mem, d, r)),
    HOST_CALL(Rsi.HOST_CALL, "RSI_HOST_CALL",
            regs(ipa("addr")), regs(),
            conditions("addr_align", "addr_bound", "addr_ripas"),
            (h, cpu, mem, rec, d, r, e) -> RsiHandler.hostCall(cpu, mem, rec, d, r, e));

    /** Serves one call: the realm's X1.. in {@code cpu.x}, the outcome into {@code r} (and {@code e} to exit). */
    @FunctionalInterface
    interface Handler {
        void serve(RsiHandler h, Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RsiResult r, RecExit e);
    }

    private final long fid;
    private final String specName;
    private final List<Param> args;
    private final List<Param> results;
    private final List<String> conditions;
    final Handler handler;

    RsiCommand(long fid, String specName, Param[] args, Param[] results, String[] conditions, Handler handler) {
        this.fid = fid;
        this.specName = specName;
        this.args = List.of(args);
        this.results = List.of(results);
        this.conditions = List.of(conditions);
        this.handler = handler;
    }

    /**
     * The labels of the failure conditions this RMM checks, in order: the spec's and the ACS's, plus
     * {@code version}, {@code addr_ripas}, {@code attestation_key}, {@code token_state} and {@code token_size}
     * (docs/rmm.md).
     */
    public List<String> conditions() {
        return conditions;
    }

    public long fid() {
        return fid;
    }

    /** The name in the specification: {@code RSI_IPA_STATE_SET}. */
    public String specName() {
        return specName;
    }

    /** The argument registers X1, X2... in order (a BYTES value takes eight). */
    public List<Param> args() {
        return args;
    }

    /** The result registers X1, X2... after the status in X0. */
    public List<Param> results() {
        return results;
    }

    /** First and last FIDs of the RSI range (v1.0 uses 0x190..0x199 within it). */
    public static final long RANGE_FIRST = 0xC400_0190L, RANGE_LAST = 0xC400_01AFL;
    private static final FidTable<RsiCommand> BY_FID = new FidTable<>(RANGE_FIRST, RANGE_LAST,
            values(), RsiCommand::fid);

    /** The command of a function identifier (the SVE hint bit and bits [63:32] ignored), or null. */
    public static RsiCommand of(long fid) {
        return BY_FID.get(fid);
    }

    private static Param[] regs(Param... ps) {
        return ps;
    }

    private static String[] conditions(String... labels) {
        return labels;
    }
}
