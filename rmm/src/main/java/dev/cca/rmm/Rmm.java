package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Firmware;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.granule.Granules;
import dev.cca.rmm.rsi.Attestation;
import dev.cca.rmm.rsi.RsiHandler;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.RmmEl3;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Realm Management Monitor model (RMM v1.0, Arm DEN0137 1.0-rel0), running at Realm EL2.
 *
 * <p>The RMM is entered through the architecture only: by an exception return from EL3 carrying an RMI call in
 * X0..X6 (or the boot arguments), and by exceptions from a running realm. It answers RMI calls by issuing
 * {@code RMM_REQ_COMPLETE} to EL3, and it runs realms by returning to Realm EL1 with its stage-2 tables
 * installed. Its state lives in the granules it owns (RD, REC, RTT) plus the granule table.
 */
public final class Rmm implements Firmware {
    /** Notional address of the RMM's code, reported as the PC while the PE is in the RMM. */
    public static final long RMM_PC = 0xFFFF_A000_0000_0000L;

    final Granules granules;
    final Features features;
    final BitSet vmids = new BitSet();
    private final PerCpu[] perCpu;
    private final List<RmmObserver> observers = new CopyOnWriteArrayList<>();

    final GranuleCommands granuleCmds = new GranuleCommands(this);
    final RealmCommands realmCmds = new RealmCommands(this);
    final RecCommands recCmds = new RecCommands(this);
    final RttCommands rttCmds = new RttCommands(this);
    final DataCommands dataCmds = new DataCommands(this);
    final RealmExits exits = new RealmExits(this);
    final Attestation attestation = new Attestation();
    final RsiHandler rsi = new RsiHandler(observers, attestation);

    /** What the RMM knows about the PE it runs on while serving a call or running a REC. */
    static final class PerCpu {
        /** REC running on this PE (its granule address), or -1. */
        long currentRec = -1;
        /** The host's RmiRecRun granule for the running REC. */
        long runPa;
        RmmMemory mem;
        boolean booted;
        /** The host's timer and GIC registers, saved while a REC runs on this PE. */
        final RecVirtualState.HostState host = new RecVirtualState.HostState();
    }

    /**
     * @param delegableBase start of the physical range the host may delegate (the platform's DRAM)
     * @param delegableSize its size
     */
    public Rmm(int cpus, long delegableBase, long delegableSize, Features features) {
        this.granules = new Granules(delegableBase, delegableSize);
        this.features = features;
        this.perCpu = new PerCpu[cpus];
        for (int i = 0; i < cpus; i++) {
            perCpu[i] = new PerCpu();
        }
    }

    @Override
    public String name() {
        return "RMM";
    }

    @Override
    public long pc() {
        return RMM_PC;
    }

    public void addObserver(RmmObserver o) {
        observers.add(o);
    }

    public void removeObserver(RmmObserver o) {
        observers.remove(o);
    }

    List<RmmObserver> observers() {
        return observers;
    }

    PerCpu perCpu(Cpu cpu) {
        PerCpu p = perCpu[cpu.index];
        if (p.mem == null || p.mem.cpu != cpu) {
            p.mem = new RmmMemory(cpu);
        }
        return p;
    }

    @Override
    public void enter(Cpu cpu, Entry entry) {
        synchronized (this) {
            if (entry == Entry.RETURN) {
                if (!perCpu(cpu).booted) {
                    boot(cpu);
                } else {
                    handleRmi(cpu);
                }
            } else {
                exits.handle(cpu, perCpu(cpu));
            }
        }
    }

    /** Cold boot on the first PE: EL3 passed X0 cpuid, X1 interface version, X2 PEs, X3 shared buffer. */
    private void boot(Cpu cpu) {
        long version = cpu.x[1];
        long sharedBuf = cpu.x[3];
        long status = ((version >>> 16) == (RmmEl3.IFACE_VERSION >>> 16)) ? 0 : -1;
        if (status == 0 && !attestation.ready()) {
            // Cold boot: the realm attestation key and the platform token (TF-RMM attestation_init)
            status = attestation.init(cpu, perCpu(cpu).mem, sharedBuf);
        }
        perCpu(cpu).booted = status == 0;
        cpu.pc = RMM_PC;
        cpu.x[0] = RmmEl3.BOOT_COMPLETE;
        cpu.x[1] = status;
        cpu.smc(0);
    }

    /** Dispatches the RMI call in X0..X6 and returns the result to EL3 with RMM_REQ_COMPLETE. */
    private void handleRmi(Cpu cpu) {
        PerCpu pc = perCpu(cpu);
        long fid = cpu.x[0] & 0xFFFF_FFFFL & ~(1L << 16); // SVE hint bit ignored
        long[] a = new long[7];
        System.arraycopy(cpu.x, 0, a, 0, 7);
        long[] out = new long[5];
        for (RmmObserver o : observers) {
            o.rmiCall(cpu, fid, a);
        }
        RmiCommand c = RmiCommand.of(fid);
        Failure f;
        if (c == null) {
            out[0] = Smccc.SMC_UNKNOWN;
            f = new Failure(Smccc.SMC_UNKNOWN, "fid", "%#x is not an RMI command of RMM v1.0", fid);
        } else {
            f = c.handler.run(this, cpu, pc, a, out);
            if (f == null && c.completesOnExit()) {
                return; // REC_ENTER entered the realm: it completes when the REC exits
            }
            out[0] = f == null ? Rmi.SUCCESS : f.status();
        }
        complete(cpu, fid, a, out, f);
    }

    /**
     * Returns an RMI result to the host through EL3; {@code failure} (null on success) is the failure condition
     * that fired, for the observers.
     */
    void complete(Cpu cpu, long fid, long[] args, long[] out, Failure failure) {
        for (RmmObserver o : observers) {
            o.rmiReturn(cpu, fid, args, out, failure);
        }
        cpu.pc = RMM_PC;
        cpu.x[0] = RmmEl3.REQ_COMPLETE;
        System.arraycopy(out, 0, cpu.x, 1, 5);
        cpu.smc(0);
    }

    // ---- helpers shared by the command classes ---------------------------------------------------------------

    /** Changes a granule's state and tells observers. */
    void transition(Cpu cpu, long pa, GranuleState to) {
        GranuleState from = granules.state(pa);
        granules.setState(pa, to);
        for (RmmObserver o : observers) {
            o.granuleStateChanged(cpu, pa, from, to);
        }
    }

    // ---- failure conditions: the status, the spec's label and what was found (Failure) -------------------------

    static Failure input(String label, String format, Object... values) {
        return new Failure(Rmi.ERROR_INPUT, label, format, values);
    }

    static Failure realmError(int index, String label, String format, Object... values) {
        return new Failure(Rmi.pack(Rmi.ERROR_REALM, index), label, format, values);
    }

    static Failure recError(String label, String format, Object... values) {
        return new Failure(Rmi.pack(Rmi.ERROR_REC, 0), label, format, values);
    }

    static Failure rttError(int level, String label, String format, Object... values) {
        return new Failure(Rmi.pack(Rmi.ERROR_RTT, level), label, format, values);
    }

    /**
     * TF-RMM find_lock_granule(): the granule argument {@code arg} is 4 KB aligned ({@code arg_align}), inside the
     * delegable memory ({@code arg_bound}) and in state {@code want} ({@code stateLabel}); null if it is.
     */
    Failure granule(long pa, GranuleState want, String arg, String stateLabel) {
        Failure f = granuleAddress(pa, arg);
        if (f != null) {
            return f;
        }
        GranuleState got = granules.state(pa);
        if (got != want) {
            return input(stateLabel, "granule %#x is %s, expected %s", pa, got.specName(), want.specName());
        }
        return null;
    }

    /** find_granule(): {@code arg_align} (4 KB aligned) and {@code arg_bound} (inside the delegable memory). */
    private Failure granuleAddress(long pa, String arg) {
        if ((pa & (Granules.SIZE - 1)) != 0) {
            return input(arg + "_align", "%s %#x is not aligned to 4 KB", arg, pa);
        }
        if (!granules.valid(pa)) {
            return input(arg + "_bound", "%s %#x is outside the delegable memory [%#x, %#x)", arg, pa,
                    granules.base(), granules.end());
        }
        return null;
    }

    /** An RD argument: rd_align, rd_bound, rd_state. */
    Failure rdGranule(long rd) {
        return granule(rd, GranuleState.RD, "rd", "rd_state");
    }

    /**
     * A Non-secure buffer argument (params_ptr, src, run_ptr): aligned ({@code arg_align}), inside the tracked
     * memory ({@code arg_bound}) and UNDELEGATED ({@code arg_pas}: a delegated granule is in the Realm PAS).
     */
    Failure nsGranule(long pa, String arg) {
        Failure f = granuleAddress(pa, arg);
        if (f != null) {
            return f;
        }
        GranuleState got = granules.state(pa);
        if (got != GranuleState.NS) {
            return input(arg + "_pas", "granule %#x is %s (Realm PAS), expected UNDELEGATED", pa, got.specName());
        }
        return null;
    }

    /** The read or write of a Non-secure buffer faulted: the GPT gives it to another PAS ({@code arg_pas}). */
    static Failure nsFault(String arg, long pa, String what) {
        return input(arg + "_pas", "%s %s %#x faulted: the GPT does not give it to the Non-secure PAS", what, arg, pa);
    }

    /** The PE's reset value of SCTLR_EL1 for a new REC (RES1 bits, MMU and caches off). */
    static final long SCTLR_EL1_RESET = 0x30D0_0980L;

    // ---- inspection for debuggers and tools (no architectural effect) --------------------------------------

    /** Read-only view of the RMM's state for debuggers and reports (like a JTAG view of RMM memory). */
    public RmmInspector inspector(Cpu cpu) {
        return new RmmInspector(this, new RmmMemory(cpu));
    }

    Granules granules() {
        return granules;
    }

    /** The slot of {@code reg} in {@link SysRegs#EL1_CONTEXT}. */
    static int el1ContextIndex(int slot) {
        for (int i = 0; i < SysRegs.EL1_CONTEXT.length; i++) {
            if (SysRegs.EL1_CONTEXT[i] == slot) {
                return i;
            }
        }
        throw new IllegalArgumentException("not an EL1 context register: " + slot);
    }
}
