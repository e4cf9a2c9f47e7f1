package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Exceptions taken from a running realm to Realm EL2 (TF-RMM runtime/core/exit.c): RSI and PSCI calls the RMM
 * serves itself, aborts it resolves or reports, and everything that ends REC_ENTER with an RmiRecExit.
 */
final class RealmExits {
    /** ESR bits passed to the host for a non-emulatable abort: EC, SET, FnV, EA, DFSC. */
    static final long ESR_NONEMULATED_MASK = (0x3FL << 26) | (3L << 11) | (1L << 10) | (1L << 9) | 0x3FL;
    /** For an emulatable abort the host also gets ISV, SAS, SF and WnR. */
    static final long ESR_EMULATED_MASK = ESR_NONEMULATED_MASK | Esr.ISV | (3L << Esr.SAS_SHIFT) | Esr.SF | Esr.WNR;
    /** SError syndrome bits the host sees: IDS, AET, EA, DFSC. */
    static final long ESR_SERROR_MASK = (0x3FL << 26) | (1L << 24) | (7L << 10) | (1L << 9) | 0x3FL;
    static final long SMCCC_VERSION_1_2 = 0x10002L;
    /** Size of RsiHostCall: its IPA must be aligned to it. */
    static final int HOST_CALL_SIZE = 0x100;
    static final int MAX_EXTEND_BYTES = 64;

    private final Rmm rmm;

    RealmExits(Rmm rmm) {
        this.rmm = rmm;
    }

    /** The information written to RmiRecExit when a REC exits to the host. */
    static final class Exit {
        int reason;
        long esr, far, hpfar;
        final long[] gprs = new long[31];
        long ripasBase, ripasTop, ripasValue;
        long imm;
    }

    /** What an RSI or PSCI handler asks for (TF-RMM enum rsi_action). */
    enum Action {
        /** Write the results to X0..X4 and resume the realm after the SMC. */
        RETURN,
        /** Write the results, step over the SMC, and exit to the host (a notification). */
        EXIT_UPDATED,
        /** Exit to the host leaving the registers alone; the host's answer completes the call later. */
        EXIT,
        /** Report a stage-2 fault on the call's buffer; the SMC is re-executed once the host has mapped it. */
        STAGE2_ABORT
    }

    /** The result of one RSI or PSCI call. */
    static final class RsiResult {
        Action action = Action.RETURN;
        final long[] x = new long[5];
        long abortIpa;
        int abortLevel;

        void abort(long ipa, int level) {
            action = Action.STAGE2_ABORT;
            abortIpa = ipa;
            abortLevel = level;
        }
    }

    void handle(Cpu cpu, Rmm.PerCpu pc) {
        if (pc.currentRec < 0) {
            throw new IllegalStateException(String.format(
                    "exception to Realm EL2 with no REC running (ESR_EL2 %#x, ELR_EL2 %#x)",
                    cpu.sr[SysRegs.ESR_EL2], cpu.sr[SysRegs.ELR_EL2]));
        }
        RmmMemory mem = pc.mem;
        Rec rec = new Rec(mem, pc.currentRec);
        RealmDescriptor d = new RealmDescriptor(mem, rec.owner());
        Exit e = new Exit();
        boolean stay;
        switch (cpu.lastExceptionKind()) {
            case 1:
                e.reason = Rmi.EXIT_IRQ;
                stay = false;
                break;
            case 2:
                e.reason = Rmi.EXIT_FIQ;
                stay = false;
                break;
            case 3:
                e.reason = Rmi.EXIT_SERROR;
                e.esr = cpu.sr[SysRegs.ESR_EL2] & ESR_SERROR_MASK;
                rec.setLastExit(cpu.sr[SysRegs.ESR_EL2], cpu.sr[SysRegs.FAR_EL2], cpu.sr[SysRegs.HPFAR_EL2]);
                stay = false;
                break;
            default:
                e.reason = Rmi.EXIT_SYNC;
                stay = handleSync(cpu, pc, rec, d, e);
                if (!stay) {
                    // The syndrome of the exit is what EMUL_MMIO and INJECT_SEA are checked against on the next
                    // REC_ENTER (TF-RMM last_run_info).
                    rec.setLastExit(cpu.sr[SysRegs.ESR_EL2], cpu.sr[SysRegs.FAR_EL2], cpu.sr[SysRegs.HPFAR_EL2]);
                }
                break;
        }
        if (stay) {
            cpu.eret();
        } else {
            exitToHost(cpu, pc, rec, e);
        }
    }

    /** Returns true to resume the realm, false to exit to the host. */
    private boolean handleSync(Cpu cpu, Rmm.PerCpu pc, Rec rec, RealmDescriptor d, Exit e) {
        long esr = cpu.sr[SysRegs.ESR_EL2];
        switch (Esr.ec(esr)) {
            case Esr.EC_WFX:
                e.esr = esr & ((0x3FL << 26) | 1);
                advancePc(cpu);
                return false;
            case Esr.EC_HVC64:
                injectUndefined(cpu);
                return true;
            case Esr.EC_SMC64:
                return handleRsi(cpu, pc, rec, d, e);
            case Esr.EC_IABT_LOWER:
                return handleInstructionAbort(cpu, d, e, esr);
            case Esr.EC_DABT_LOWER:
                return handleDataAbort(cpu, d, e, esr);
            case Esr.EC_SYSREG:
                return handleSysregTrap(cpu, e, esr);
            default:
                // Unknown synchronous exit: the host learns nothing beyond the exit reason.
                return false;
        }
    }

    /**
     * A trapped system register access (TF-RMM handle_sysreg_access_trap). Writes to ICC_SGI1R_EL1,
     * ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 (every IPI of the realm: SGI generation traps to EL2 under HCR_EL2.IMO/FMO)
     * exit to the host, which sends the SGIs: RMI_EXIT_SYNC with the trap's ESR and the written value in gprs[0];
     * the RMM steps over the instruction. Anything else is UNDEFINED for the realm.
     */
    private static boolean handleSysregTrap(Cpu cpu, Exit e, long esr) {
        int iss = Esr.iss(esr);
        int op0 = (iss >>> 20) & 3, op2 = (iss >>> 17) & 7, op1 = (iss >>> 14) & 7, crn = (iss >>> 10) & 15;
        int rt = (iss >>> 5) & 31, crm = (iss >>> 1) & 15;
        boolean write = (iss & 1) == 0;
        if (write && op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 >= 5) {
            e.esr = esr & ((0x3FL << 26) | Esr.IL | 0x1FF_FFFFL);
            e.gprs[0] = rt == 31 ? 0 : cpu.x[rt];
            advancePc(cpu);
            return false;
        }
        injectUndefined(cpu);
        return true;
    }

    private static long faultIpa(Cpu cpu) {
        return (cpu.sr[SysRegs.HPFAR_EL2] >>> 4) << 12;
    }

    private static boolean isExternalAbort(long esr) {
        int fsc = (int) esr & 0x3F;
        return fsc == Esr.FSC_SEA || (fsc >= 0x13 && fsc <= 0x17);
    }

    /** True if {@code ipa} is in the PAR and its RIPAS is EMPTY. */
    private static boolean ipaIsEmpty(RmmMemory mem, RealmDescriptor d, long ipa) {
        if (!d.inPar(ipa)) {
            return false;
        }
        S2tt.Kind k = S2tt.walk(mem, d, ipa & ~0xFFFL, 3).kind;
        return k == S2tt.Kind.UNASSIGNED_EMPTY || k == S2tt.Kind.ASSIGNED_EMPTY;
    }

    private boolean handleDataAbort(Cpu cpu, RealmDescriptor d, Exit e, long esr) {
        RmmMemory mem = new RmmMemory(cpu);
        if (isExternalAbort(esr)) {
            e.esr = esr & ESR_NONEMULATED_MASK;
            return false;
        }
        long ipa = faultIpa(cpu);
        if (!d.inIpaSpace(ipa) || ipaIsEmpty(mem, d, ipa)) {
            injectSyncAbort(cpu, Esr.FSC_SEA, false, cpu.sr[SysRegs.FAR_EL2]);
            return true;
        }
        e.hpfar = cpu.sr[SysRegs.HPFAR_EL2];
        if (d.inPar(ipa)) {
            e.esr = esr & ESR_NONEMULATED_MASK;
            return false;
        }
        // Unprotected IPA: an MMIO access the host may emulate.
        int iss = Esr.iss(esr);
        if ((iss & Esr.WNR) != 0 && (iss & Esr.ISV) != 0) {
            int rt = (iss >>> Esr.SRT_SHIFT) & 31;
            int sas = (iss >>> Esr.SAS_SHIFT) & 3;
            long v = rt == 31 ? 0 : cpu.x[rt];
            e.gprs[0] = sas == 3 ? v : v & ((1L << (8 << sas)) - 1);
        }
        e.far = cpu.sr[SysRegs.FAR_EL2] & 0xFFF;
        e.esr = esr & ESR_EMULATED_MASK;
        return false;
    }

    private boolean handleInstructionAbort(Cpu cpu, RealmDescriptor d, Exit e, long esr) {
        RmmMemory mem = new RmmMemory(cpu);
        if (isExternalAbort(esr)) {
            e.esr = esr & ESR_NONEMULATED_MASK;
            return false;
        }
        long ipa = faultIpa(cpu);
        if (!d.inIpaSpace(ipa) || !d.inPar(ipa) || ipaIsEmpty(mem, d, ipa)) {
            injectSyncAbort(cpu, Esr.FSC_SEA, true, cpu.sr[SysRegs.FAR_EL2]);
            return true;
        }
        e.hpfar = cpu.sr[SysRegs.HPFAR_EL2];
        e.esr = esr & ESR_NONEMULATED_MASK;
        return false;
    }

    // ---- RSI and PSCI ----------------------------------------------------------------------------------------

    /** Serves an SMC from the realm (TF-RMM handle_realm_rsi). Returns true to resume the realm. */
    private boolean handleRsi(Cpu cpu, Rmm.PerCpu pc, Rec rec, RealmDescriptor d, Exit e) {
        long fid = cpu.x[0] & 0xFFFF_FFFFL & ~(1L << 16); // the SMCCC SVE hint is ignored
        long[] args = new long[7];
        System.arraycopy(cpu.x, 0, args, 0, 7);
        for (RmmObserver o : rmm.observers()) {
            o.rsiCall(cpu, rec.pa, fid, args);
        }
        // SMCCC: X0..X3 are results (X1..X3 zero unless written), X4 is preserved.
        RsiResult r = new RsiResult();
        r.x[4] = cpu.x[4];
        RmmMemory mem = pc.mem;
        if (fid == Smccc.SMCCC_VERSION) {
            r.x[0] = SMCCC_VERSION_1_2;
        } else if (Psci.isPsci(fid)) {
            psci(cpu, rec, d, fid, r, e);
        } else if (fid == Rsi.VERSION) {
            r.x[0] = cpu.x[1] == Rsi.ABI_1_0 ? Rsi.SUCCESS : Rsi.ERROR_INPUT;
            r.x[1] = Rsi.ABI_1_0;
            r.x[2] = Rsi.ABI_1_0;
        } else if (fid == Rsi.FEATURES) {
            r.x[0] = Rsi.SUCCESS; // v1.0 defines no features: 0 for every index
        } else if (fid == Rsi.REALM_CONFIG) {
            realmConfig(mem, d, cpu.x[1], r);
        } else if (fid == Rsi.MEASUREMENT_READ) {
            measurementRead(cpu, d, r);
        } else if (fid == Rsi.MEASUREMENT_EXTEND) {
            measurementExtend(cpu, d, r);
        } else if (fid == Rsi.IPA_STATE_SET) {
            ipaStateSet(cpu, rec, d, r, e);
        } else if (fid == Rsi.IPA_STATE_GET) {
            ipaStateGet(cpu, mem, d, r);
        } else if (fid == Rsi.HOST_CALL) {
            hostCall(cpu, mem, rec, d, r, e);
        } else if (fid == Rsi.ATTESTATION_TOKEN_INIT) {
            rmm.attestation.tokenInit(cpu, mem, rec, d, r);
        } else if (fid == Rsi.ATTESTATION_TOKEN_CONTINUE) {
            rmm.attestation.tokenContinue(cpu, mem, rec, d, r, e);
        } else {
            r.x[0] = Smccc.SMC_UNKNOWN;
        }
        if (r.action == Action.RETURN || r.action == Action.EXIT_UPDATED) {
            System.arraycopy(r.x, 0, cpu.x, 0, 5);
        }
        if (r.action == Action.STAGE2_ABORT) {
            emulateStage2DataAbort(e, r.abortIpa, r.abortLevel);
        } else {
            advancePc(cpu);
        }
        for (RmmObserver o : rmm.observers()) {
            o.rsiReturn(cpu, rec.pa, fid, r.x);
        }
        return r.action == Action.RETURN;
    }

    /** The result of translating a protected IPA through the realm's RTTs (TF-RMM realm_ipa_to_pa). */
    static final class IpaWalk {
        /** True if the IPA is mapped (ASSIGNED with RIPAS RAM); then {@link #pa} is valid. */
        boolean mapped;
        long pa;
        int level;
        int ripas;
    }

    static IpaWalk ipaToPa(RmmMemory mem, RealmDescriptor d, long ipa) {
        S2tt.Walk w = S2tt.walk(mem, d, ipa & ~0xFFFL, 3);
        IpaWalk r = new IpaWalk();
        r.level = w.level;
        r.ripas = w.kind.ripas();
        if (w.kind == S2tt.Kind.ASSIGNED_RAM) {
            r.mapped = true;
            r.pa = S2tt.oa(w.desc) + (ipa & (S2tt.levelSize(w.level) - 1));
        }
        return r;
    }

    /**
     * Resolves a realm buffer for an RSI call: its PA, or null after recording the outcome in {@code r} (INPUT if
     * the RIPAS is EMPTY, else a stage-2 abort the host must resolve by mapping the page).
     */
    private static IpaWalk realmBuffer(RmmMemory mem, RealmDescriptor d, long ipa, RsiResult r) {
        IpaWalk w = ipaToPa(mem, d, ipa);
        if (w.mapped) {
            return w;
        }
        if (w.ripas == Rmi.RIPAS_EMPTY) {
            r.x[0] = Rsi.ERROR_INPUT;
        } else {
            r.abort(ipa, w.level);
        }
        return null;
    }

    /** RSI_REALM_CONFIG: writes RsiRealmConfig (ipa_width, hash_algo, rpv) into the realm's page. */
    private void realmConfig(RmmMemory mem, RealmDescriptor d, long ipa, RsiResult r) {
        // addr_align, addr_bound
        if ((ipa & 0xFFF) != 0 || !d.inPar(ipa)) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        IpaWalk w = realmBuffer(mem, d, ipa, r);
        if (w == null) {
            return;
        }
        mem.write64(w.pa, d.s2sz());
        byte[] h = mem.read(w.pa + 8, 8);
        h[0] = (byte) d.hashAlgo();
        mem.write(w.pa + 8, h);
        mem.write(w.pa + 0x200, d.rpv());
        r.x[0] = Rsi.SUCCESS;
    }

    /** RSI_MEASUREMENT_READ: X1..X8 = the 64-byte slot as little-endian words (X5..X8 written directly). */
    private static void measurementRead(Cpu cpu, RealmDescriptor d, RsiResult r) {
        long index = cpu.x[1];
        // index_bound
        if (Long.compareUnsigned(index, RealmDescriptor.MEASUREMENT_SLOTS) >= 0) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        ByteBuffer m = ByteBuffer.wrap(d.measurement((int) index)).order(ByteOrder.LITTLE_ENDIAN);
        r.x[0] = Rsi.SUCCESS;
        for (int i = 0; i < 4; i++) {
            r.x[1 + i] = m.getLong(8 * i);
        }
        for (int i = 4; i < 8; i++) {
            cpu.x[1 + i] = m.getLong(8 * i);
        }
    }

    /** RSI_MEASUREMENT_EXTEND: REM[X1] = H(REM[X1] || the first X2 bytes of X3..X10). */
    private static void measurementExtend(Cpu cpu, RealmDescriptor d, RsiResult r) {
        long index = cpu.x[1];
        // index_bound: the RIM (0) cannot be extended
        if (index == 0 || Long.compareUnsigned(index, RealmDescriptor.MEASUREMENT_SLOTS) >= 0) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        long size = cpu.x[2];
        // size_bound
        if (Long.compareUnsigned(size, MAX_EXTEND_BYTES) > 0) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        ByteBuffer v = ByteBuffer.allocate(MAX_EXTEND_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) {
            v.putLong(cpu.x[3 + i]);
        }
        int slot = (int) index;
        d.setMeasurement(slot, Measurement.extendRem(d.hashAlgo(), d.measurement(slot), v.array(), (int) size));
        r.x[0] = Rsi.SUCCESS;
    }

    /** [base, top) lies inside the protected address range. */
    private static boolean regionInPar(RealmDescriptor d, long base, long top) {
        long par = 1L << (d.s2sz() - 1);
        return Long.compareUnsigned(base, top) < 0 && Long.compareUnsigned(top, par) <= 0;
    }

    /**
     * RSI_IPA_STATE_SET: records the request in the REC and exits with RMI_EXIT_RIPAS_CHANGE. The host applies it
     * with RMI_RTT_SET_RIPAS; the next REC_ENTER answers the realm (X1 = progress, X2 = ACCEPT/REJECT).
     */
    private static void ipaStateSet(Cpu cpu, Rec rec, RealmDescriptor d, RsiResult r, Exit e) {
        long base = cpu.x[1];
        long top = cpu.x[2];
        long ripas = cpu.x[3];
        long flags = cpu.x[4];
        // ripas_valid, base_align, top_align, size_valid, rgn_bound
        if (Long.compareUnsigned(ripas, Rmi.RIPAS_RAM) > 0 || (base & 0xFFF) != 0 || (top & 0xFFF) != 0
                || !regionInPar(d, base, top)) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        rec.setRipasRequest(base, top, (int) ripas, flags == Rsi.CHANGE_DESTROYED);
        rec.setFlag(Rec.FLAG_RIPAS_PENDING, true);
        e.reason = Rmi.EXIT_RIPAS_CHANGE;
        e.ripasBase = base;
        e.ripasTop = top;
        e.ripasValue = ripas;
        r.action = Action.EXIT_UPDATED;
        r.x[0] = Rsi.SUCCESS;
        r.x[1] = top;
    }

    /**
     * RSI_IPA_STATE_GET: X1 = top of the range from base (within one RTT, at most end) whose entries share the
     * first entry's RIPAS, X2 = that RIPAS.
     */
    private static void ipaStateGet(Cpu cpu, RmmMemory mem, RealmDescriptor d, RsiResult r) {
        long start = cpu.x[1];
        long end = cpu.x[2];
        // base_align, end_align, size_valid, rgn_bound
        if ((start & 0xFFF) != 0 || !d.inPar(start) || (end & 0xFFF) != 0 || !d.inPar(end - 1)
                || Long.compareUnsigned(start, end) >= 0) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        S2tt.Walk w = S2tt.walk(mem, d, start, 3);
        long size = S2tt.levelSize(w.level);
        long first = start & ~(size - 1);
        long addr = first;
        int ripas = -1;
        for (int i = w.index(); i < 512; i++) {
            S2tt.Kind k = S2tt.kind(mem.read64(w.rttPa + 8L * i), w.level);
            if (k == S2tt.Kind.UNASSIGNED_NS || k == S2tt.Kind.ASSIGNED_NS || k == S2tt.Kind.TABLE) {
                break;
            }
            if (ripas < 0) {
                ripas = k.ripas();
            } else if (k.ripas() != ripas) {
                break;
            }
            addr += size;
            if (Long.compareUnsigned(addr, end) >= 0) {
                break;
            }
        }
        if (addr == first) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        r.x[0] = Rsi.SUCCESS;
        r.x[1] = Long.compareUnsigned(addr, end) > 0 ? end : addr;
        r.x[2] = ripas;
    }

    /**
     * RSI_HOST_CALL: copies imm and gprs[0..30] of the realm's RsiHostCall into RmiRecExit and exits with
     * RMI_EXIT_HOST_CALL; the next REC_ENTER copies the host's gprs back ({@link #completeHostCall}).
     */
    private static void hostCall(Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RsiResult r, Exit e) {
        long ipa = cpu.x[1];
        // addr_align, (crosses a granule), addr_bound
        if ((ipa & (HOST_CALL_SIZE - 1)) != 0 || (ipa >>> 12) != ((ipa + HOST_CALL_SIZE - 1) >>> 12)
                || !d.inPar(ipa)) {
            r.x[0] = Rsi.ERROR_INPUT;
            return;
        }
        IpaWalk w = realmBuffer(mem, d, ipa, r);
        if (w == null) {
            return;
        }
        byte[] raw = mem.read(w.pa, HOST_CALL_SIZE);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        e.imm = b.getInt(0) & 0xFFFF_FFFFL;
        for (int i = 0; i < 31; i++) {
            e.gprs[i] = b.getLong(8 + 8 * i);
        }
        rec.setFlag(Rec.FLAG_HOST_CALL_PENDING, true);
        e.reason = Rmi.EXIT_HOST_CALL;
        r.action = Action.EXIT;
    }

    /**
     * Completes a pending host call on REC_ENTER: the host's gprs go into the realm's RsiHostCall (whose IPA is
     * still in the realm's X1) and X0 = RSI_SUCCESS. Returns the stage-2 abort exit to report instead if the
     * structure's page is not mapped, else null.
     */
    Exit completeHostCall(Cpu cpu, RmmMemory mem, RealmDescriptor d, long[] gprs) {
        long ipa = cpu.x[1];
        IpaWalk w = ipaToPa(mem, d, ipa);
        if (!w.mapped) {
            if (w.ripas != Rmi.RIPAS_EMPTY) {
                Exit e = new Exit();
                emulateStage2DataAbort(e, ipa, w.level);
                return e;
            }
            // RIPAS EMPTY: the realm made its own buffer inaccessible; the call completes without results.
        } else {
            ByteBuffer b = ByteBuffer.allocate(31 * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long g : gprs) {
                b.putLong(g);
            }
            mem.write(w.pa + 8, b.array());
        }
        cpu.x[0] = Rsi.SUCCESS;
        return null;
    }

    /** Reports a stage-2 translation fault on {@code ipa} as if the realm's access had faulted. */
    static void emulateStage2DataAbort(Exit e, long ipa, int level) {
        e.reason = Rmi.EXIT_SYNC;
        e.esr = ((long) Esr.EC_DABT_LOWER << 26) | (Esr.FSC_TRANSLATION + level);
        e.far = 0;
        e.hpfar = (ipa & ~0xFFFL) >>> 8;
    }

    /** PSCI calls from the realm (RMM spec B5.3; TF-RMM runtime/rsi/psci.c). */
    private static void psci(Cpu cpu, Rec rec, RealmDescriptor d, long fid, RsiResult r, Exit e) {
        long f = fid & 0xFFFF_FFFFL;
        if (f == Psci.VERSION) {
            r.x[0] = Psci.VERSION_1_1;
        } else if (f == Psci.CPU_SUSPEND_32 || f == Psci.CPU_SUSPEND_64) {
            // Every power state is treated as a suspend: a notification, answered at once.
            toHost(cpu, e, 1);
            r.action = Action.EXIT_UPDATED;
            r.x[0] = Psci.SUCCESS;
        } else if (f == Psci.CPU_OFF) {
            rec.setFlag(Rec.FLAG_RUNNABLE, false);
            toHost(cpu, e, 1);
            r.action = Action.EXIT_UPDATED;
            r.x[0] = Psci.SUCCESS;
        } else if (f == Psci.CPU_ON_32 || f == Psci.CPU_ON_64) {
            long entry = cpu.x[2];
            long target = RecParams.mpidrEl1ToIndex(cpu.x[1]);
            if (!d.inPar(entry)) {
                r.x[0] = Psci.INVALID_ADDRESS;
            } else if (Long.compareUnsigned(target, d.recCount()) >= 0) {
                r.x[0] = Psci.INVALID_PARAMETERS;
            } else if (target == rec.index()) {
                r.x[0] = Psci.ALREADY_ON;
            } else {
                // The host answers with RMI_PSCI_COMPLETE, which writes the realm's X0..X3.
                rec.setFlag(Rec.FLAG_PSCI_PENDING, true);
                toHost(cpu, e, 2);
                r.action = Action.EXIT;
            }
        } else if (f == Psci.AFFINITY_INFO_32 || f == Psci.AFFINITY_INFO_64) {
            long target = RecParams.mpidrEl1ToIndex(cpu.x[1]);
            if (cpu.x[2] != 0) {
                r.x[0] = Psci.INVALID_PARAMETERS; // only the lowest affinity level 0 is supported
            } else if (Long.compareUnsigned(target, d.recCount()) >= 0) {
                r.x[0] = Psci.INVALID_PARAMETERS;
            } else if (target == rec.index()) {
                r.x[0] = Psci.AFFINITY_ON;
            } else {
                rec.setFlag(Rec.FLAG_PSCI_PENDING, true);
                toHost(cpu, e, 2);
                r.action = Action.EXIT;
            }
        } else if (f == Psci.SYSTEM_OFF || f == Psci.SYSTEM_RESET) {
            // No REC of the realm runs again; a reset is the host building a new realm.
            d.setState(RealmDescriptor.STATE_SYSTEM_OFF);
            toHost(cpu, e, 1);
            r.action = Action.EXIT;
        } else if (f == Psci.FEATURES) {
            long q = cpu.x[1] & 0xFFFF_FFFFL;
            boolean supported = q == Psci.CPU_SUSPEND_32 || q == Psci.CPU_SUSPEND_64 || q == Psci.CPU_OFF
                    || q == Psci.CPU_ON_32 || q == Psci.CPU_ON_64 || q == Psci.AFFINITY_INFO_32
                    || q == Psci.AFFINITY_INFO_64 || q == Psci.SYSTEM_OFF || q == Psci.SYSTEM_RESET
                    || q == Psci.FEATURES || q == Smccc.SMCCC_VERSION;
            r.x[0] = supported ? Psci.SUCCESS : Psci.NOT_SUPPORTED;
        } else {
            r.x[0] = Psci.NOT_SUPPORTED;
        }
    }

    /** An RMI_EXIT_PSCI carrying the first {@code count} of the realm's X0..X3 (the rest of gprs zero). */
    private static void toHost(Cpu cpu, Exit e, int count) {
        e.reason = Rmi.EXIT_PSCI;
        for (int i = 0; i < count; i++) {
            e.gprs[i] = cpu.x[i];
        }
    }

    // ---- exception injection into the realm ------------------------------------------------------------------

    private static void advancePc(Cpu cpu) {
        cpu.sr[SysRegs.ELR_EL2] += 4;
    }

    static void injectUndefined(Cpu cpu) {
        GuestExceptions.injectUndefined(cpu);
    }

    /** Injects a synchronous external abort (data or instruction) into the realm. */
    static void injectSyncAbort(Cpu cpu, int fsc, boolean instruction, long far) {
        GuestExceptions.injectAbort(cpu, instruction, fsc, far);
    }

    // ---- exit to the host ------------------------------------------------------------------------------------

    /** Saves the REC, writes RmiRecExit into the host's run granule and completes RMI_REC_ENTER. */
    void exitToHost(Cpu cpu, Rmm.PerCpu pc, Rec rec, Exit e) {
        RmmMemory mem = pc.mem;
        RecCommands.save(cpu, rec);
        long run = pc.runPa;
        long recPa = pc.currentRec;
        rmm.granules.setRefcount(recPa, 0);
        pc.currentRec = -1;
        long result = Rmi.SUCCESS;
        try {
            ByteBuffer b = ByteBuffer.allocate(RecRun.EXIT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            RecVirtualState.save(cpu, pc.host, rec, b);
            b.putLong(RecRun.EXIT_REASON - RecRun.EXIT, e.reason);
            b.putLong(RecRun.EXIT_ESR - RecRun.EXIT, e.esr);
            b.putLong(RecRun.EXIT_FAR - RecRun.EXIT, e.far);
            b.putLong(RecRun.EXIT_HPFAR - RecRun.EXIT, e.hpfar);
            for (int i = 0; i < 31; i++) {
                b.putLong(RecRun.EXIT_GPRS - RecRun.EXIT + 8 * i, e.gprs[i]);
            }
            b.putLong(RecRun.EXIT_RIPAS_BASE - RecRun.EXIT, e.ripasBase);
            b.putLong(RecRun.EXIT_RIPAS_TOP - RecRun.EXIT, e.ripasTop);
            b.put(RecRun.EXIT_RIPAS_VALUE - RecRun.EXIT, (byte) e.ripasValue);
            b.putLong(RecRun.EXIT_IMM - RecRun.EXIT, e.imm);
            mem.writeNs(run + RecRun.EXIT, b.array());
        } catch (Cpu.PhysicalAccessException ex) {
            result = Rmi.ERROR_INPUT; // the host made its run granule inaccessible while the REC ran
        }
        // Leave nothing of the realm's register state on the PE (EL3 restores the host's).
        java.util.Arrays.fill(cpu.x, 0, 31, 0);
        for (RmmObserver o : rmm.observers()) {
            o.recExit(cpu, recPa, e.reason, e.esr);
        }
        long[] out = {result, 0, 0, 0, 0};
        rmm.complete(cpu, Rmi.REC_ENTER, new long[] {Rmi.REC_ENTER, recPa, run, 0, 0, 0, 0}, out);
    }
}
