package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Firmware;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.granule.Granules;
import dev.cca.rmm.realm.RealmDescriptor;
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
        boolean completed = dispatch(cpu, pc, fid, a, out);
        if (completed) {
            complete(cpu, fid, a, out);
        }
    }

    /** Returns an RMI result to the host through EL3. */
    void complete(Cpu cpu, long fid, long[] args, long[] out) {
        for (RmmObserver o : observers) {
            o.rmiReturn(cpu, fid, args, out);
        }
        cpu.pc = RMM_PC;
        cpu.x[0] = RmmEl3.REQ_COMPLETE;
        System.arraycopy(out, 0, cpu.x, 1, 5);
        cpu.smc(0);
    }

    /**
     * Runs one RMI command through {@link RmiCommand}'s table. Returns false when the command does not complete
     * now (REC_ENTER entered a realm; it completes when the REC exits).
     */
    private boolean dispatch(Cpu cpu, PerCpu pc, long fid, long[] a, long[] out) {
        RmiCommand c = RmiCommand.of(fid);
        if (c == null) {
            out[0] = Smccc.SMC_UNKNOWN;
            return true;
        }
        return c.handler.run(this, cpu, pc, a, out);
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

    /** The granule at {@code pa} is a valid delegable granule in state {@code s} (TF-RMM find_lock_granule). */
    boolean is(long pa, GranuleState s) {
        return granules.valid(pa) && granules.state(pa) == s;
    }

    /** The RD at {@code rd}, or null unless it is a granule in state RD. */
    RealmDescriptor rd(RmmMemory mem, long rd) {
        return is(rd, GranuleState.RD) ? new RealmDescriptor(mem, rd) : null;
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
