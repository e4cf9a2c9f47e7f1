package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * RMI_REC_CREATE, RMI_REC_DESTROY, RMI_REC_ENTER and RMI_PSCI_COMPLETE (TF-RMM runtime/rmi/rec.c, run.c and
 * runtime/rsi/psci.c).
 */
final class RecCommands {
    private static final int MAX_RECS = (1 << 10) - 1;
    /** ICH_HCR_EL2 bits the host may set: UIE, LRENPIE, NPIE, VGrp0EIE, VGrp0DIE, VGrp1EIE, VGrp1DIE, TDIR. */
    private static final long GICV3_HCR_ALLOWED = 0x40FEL;

    private final Rmm rmm;

    RecCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    Failure create(RmmMemory mem, long rd, long rec, long paramsPtr) {
        // params_align, params_bound, params_pas
        Failure f = rmm.nsGranule(paramsPtr, "params");
        if (f != null) {
            return f;
        }
        byte[] page = RealmCommands.readNsGranule(mem, paramsPtr);
        if (page == null) {
            return Rmm.nsFault("params", paramsPtr, "reading");
        }
        RecParams p = new RecParams(page);
        // num_aux
        if (Long.compareUnsigned(p.numAux, RecParams.MAX_AUX) > 0) {
            return Rmm.input("num_aux", "params.num_aux %d is more than %d", p.numAux, RecParams.MAX_AUX);
        }
        // aux_align, aux_alias, aux_state: each aux granule is claimed as it is checked (TF-RMM order), so an
        // aliased address fails as "not DELEGATED"; failures roll back.
        int numAux = (int) p.numAux;
        long[] aux = new long[numAux];
        Cpu cpu = mem.cpu;
        for (int i = 0; i < numAux; i++) {
            Failure a = auxCheck(p.aux[i], aux, i);
            if (a != null) {
                rollbackAux(cpu, aux, i);
                return a;
            }
            aux[i] = p.aux[i];
            rmm.transition(cpu, aux[i], GranuleState.REC_AUX);
        }
        f = createChecks(mem, rd, rec, p, aux);
        if (f != null) {
            rollbackAux(cpu, aux, numAux);
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        long index = d.recCount();
        long mpidr = p.mpidr;
        long vmpidr = (mpidr & 0xFF_FFFFL) | (((mpidr >>> 24) & 0xFF) << 32) | (1L << 31);
        Rec r2 = new Rec(mem, rec);
        r2.init(rd, index, vmpidr, p, aux, Rmm.SCTLR_EL1_RESET);
        RecVirtualState.init(r2);
        if ((p.flags & Rmi.REC_PARAMS_RUNNABLE) != 0) {
            d.setRim(Measurement.extendRec(d.hashAlgo(), d.rim(), p.flags, p.pc, p.gprs));
        }
        rmm.granules.addRef(rd, 1);
        d.setRecCount(index + 1);
        rmm.transition(cpu, rec, GranuleState.REC);
        rmm.granules.setRefcount(rec, 0);
        return null;
    }

    /**
     * aux_align, aux_bound, aux_alias, aux_state for params.aux[i]: each aux granule is claimed as it is checked
     * (TF-RMM order), so one named twice is found REC_AUX the second time: an alias of an earlier one.
     */
    private Failure auxCheck(long pa, long[] claimed, int i) {
        if ((pa & 0xFFF) != 0) {
            return Rmm.input("aux_align", "params.aux[%d] %#x is not aligned to 4 KB", i, pa);
        }
        if (!rmm.granules.valid(pa)) {
            return Rmm.input("aux_bound", "params.aux[%d] %#x is outside the delegable memory [%#x, %#x)", i, pa,
                    rmm.granules.base(), rmm.granules.end());
        }
        GranuleState s = rmm.granules.state(pa);
        if (s == GranuleState.DELEGATED) {
            return null;
        }
        for (int j = 0; j < i; j++) {
            if (claimed[j] == pa) {
                return Rmm.input("aux_alias", "params.aux[%d] %#x is also params.aux[%d]", i, pa, j);
            }
        }
        return Rmm.input("aux_state", "granule %#x (params.aux[%d]) is %s, expected DELEGATED", pa, i, s.specName());
    }

    private Failure createChecks(RmmMemory mem, long rd, long rec, RecParams p, long[] aux) {
        // rec_align, rec_bound, rec_state, rd_align, rd_bound, rd_state
        for (int i = 0; i < aux.length; i++) {
            if (aux[i] == rec) {
                return Rmm.input("aux_alias", "rec %#x is also params.aux[%d]", rec, i);
            }
        }
        Failure f = rmm.granule(rec, GranuleState.DELEGATED, "rec", "rec_state");
        if (f == null) {
            f = rmm.rdGranule(rd);
        }
        if (f != null) {
            return f;
        }
        RealmDescriptor d = new RealmDescriptor(mem, rd);
        if (rmm.granules.refcount(rd) >= MAX_RECS) {
            return Rmm.realmError(0, "rec_limit", "realm %#x has %d RECs, the most MAX_RECS_ORDER allows", rd,
                    MAX_RECS);
        }
        // realm_state
        if (d.state() != RealmDescriptor.STATE_NEW) {
            return Rmm.realmError(0, "realm_state", "realm %#x is %s, expected NEW", rd,
                    RealmCommands.stateName(d.state()));
        }
        // mpidr_index: RECs are created in index order 0, 1, 2...
        if (!RecParams.validMpidr(p.mpidr)) {
            return Rmm.input("mpidr_index", "params.mpidr %#x has bits outside Aff0[3:0], Aff1, Aff2, Aff3", p.mpidr);
        }
        if (RecParams.mpidrToIndex(p.mpidr) != d.recCount()) {
            return Rmm.input("mpidr_index", "params.mpidr %#x is REC index %d, expected %d (the next index)", p.mpidr,
                    RecParams.mpidrToIndex(p.mpidr), d.recCount());
        }
        // num_aux
        if (p.numAux != RealmCommands.NUM_REC_AUX) {
            return Rmm.input("num_aux", "params.num_aux %d, expected %d (RMI_REC_AUX_COUNT)", p.numAux,
                    RealmCommands.NUM_REC_AUX);
        }
        return null;
    }

    private void rollbackAux(Cpu cpu, long[] aux, int n) {
        for (int i = 0; i < n; i++) {
            rmm.transition(cpu, aux[i], GranuleState.DELEGATED);
        }
    }

    Failure destroy(RmmMemory mem, long recPa) {
        // rec_align, rec_bound, rec_gran_state
        Failure f = rmm.granule(recPa, GranuleState.REC, "rec", "rec_gran_state");
        if (f != null) {
            return f;
        }
        // rec_state
        if (rmm.granules.refcount(recPa) != 0) {
            return Rmm.recError("rec_state", "REC %#x is running", recPa);
        }
        Rec rec = new Rec(mem, recPa);
        long owner = rec.owner();
        int n = (int) rec.numAux();
        for (int i = 0; i < n; i++) {
            long a = rec.aux(i);
            mem.zeroGranule(a);
            rmm.transition(mem.cpu, a, GranuleState.DELEGATED);
        }
        mem.zeroGranule(recPa);
        rmm.transition(mem.cpu, recPa, GranuleState.DELEGATED);
        rmm.granules.addRef(owner, -1);
        return null;
    }

    /**
     * RMI_REC_ENTER: validates, completes the previous exit, loads the REC and returns to Realm EL1. Returns null
     * when the realm was entered (the command completes when the REC exits), else the failure.
     */
    Failure enter(Cpu cpu, Rmm.PerCpu pc, long recPa, long runPa) {
        RmmMemory mem = pc.mem;
        // run_align, run_bound, run_pas (a delegated granule)
        Failure f = rmm.nsGranule(runPa, "run");
        // rec_align, rec_bound, rec_gran_state
        if (f == null) {
            f = rmm.granule(recPa, GranuleState.REC, "rec", "rec_gran_state");
        }
        if (f != null) {
            return f;
        }
        // rec_state
        if (rmm.granules.refcount(recPa) != 0) {
            return Rmm.recError("rec_state", "REC %#x is running", recPa);
        }
        // run_pas
        ByteBuffer enter;
        try {
            enter = ByteBuffer.wrap(mem.readNs(runPa, RecRun.ENTER_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (Cpu.PhysicalAccessException e) {
            return Rmm.nsFault("run", runPa, "reading RmiRecEnter from");
        }
        Rec rec = new Rec(mem, recPa);
        RealmDescriptor d = new RealmDescriptor(mem, rec.owner());
        // realm_new, system_off
        if (d.state() == RealmDescriptor.STATE_NEW) {
            return Rmm.realmError(0, "realm_new", "realm %#x of REC %#x is NEW, expected ACTIVE", rec.owner(), recPa);
        }
        if (d.state() == RealmDescriptor.STATE_SYSTEM_OFF) {
            return Rmm.realmError(1, "system_off", "realm %#x of REC %#x is SYSTEM_OFF, expected ACTIVE", rec.owner(),
                    recPa);
        }
        // rec_runnable, rec_psci
        if (!rec.flag(Rec.FLAG_RUNNABLE)) {
            return Rmm.recError("rec_runnable", "REC %#x is not runnable", recPa);
        }
        if (rec.flag(Rec.FLAG_PSCI_PENDING)) {
            return Rmm.recError("rec_psci", "REC %#x waits for RMI_PSCI_COMPLETE of its PSCI request (FID %#x)",
                    recPa, rec.gpr(0));
        }
        // rec_gicv3
        f = gicStateCheck(enter);
        if (f != null) {
            return f;
        }
        long flags = enter.getLong(RecRun.ENTER_FLAGS);
        long lastEsr = rec.lastEsr();
        boolean lastWasDabt = Esr.ec(lastEsr) == Esr.EC_DABT_LOWER;
        long lastIpa = ((rec.lastHpfar() >>> 4) << 12) | (rec.lastFar() & 0xFFF);
        boolean injectSea = (flags & Rmi.REC_ENTER_INJECT_SEA) != 0;
        boolean emulMmio = (flags & Rmi.REC_ENTER_EMUL_MMIO) != 0;
        if (injectSea && (!lastWasDabt || d.inPar(lastIpa))) {
            return Rmm.recError("inject_sea", "RmiRecEnter.flags has INJECT_SEA, but REC %#x's last exit was %s",
                    recPa, lastWasDabt ? String.format("a data abort at protected IPA %#x", lastIpa)
                            : "not a data abort");
        }
        // Only an exit for an emulatable data abort (ISV, at an unprotected IPA) leaves an access to emulate.
        if (!injectSea && emulMmio && (!lastWasDabt || (Esr.iss(lastEsr) & Esr.ISV) == 0 || d.inPar(lastIpa))) {
            return Rmm.recError("rec_mmio", "RmiRecEnter.flags has EMUL_MMIO, but REC %#x's last exit was not an"
                    + " emulatable data abort (ESR %#x)", recPa, lastEsr);
        }

        // Enter: the REC is now running on this PE.
        rmm.granules.setRefcount(recPa, 1);
        pc.currentRec = recPa;
        pc.runPa = runPa;
        RecVirtualState.copyFromEntry(rec, enter);
        load(cpu, rec, d, flags);
        boolean timerChanged = RecVirtualState.restore(cpu, pc.host, rec);
        RecPmu.enter(cpu, pc.host, rec, d);
        if (injectSea) {
            RealmExits.injectSyncAbort(cpu, Esr.FSC_SEA, false, rec.lastFar());
        } else if (emulMmio) {
            completeMmioRead(cpu, lastEsr, enter.getLong(RecRun.ENTER_GPRS));
        }
        // The host's answer to a RIPAS change request (complete_set_ripas)
        if (rec.flag(Rec.FLAG_RIPAS_PENDING)) {
            completeSetRipas(cpu, rec, (flags & Rmi.REC_ENTER_RIPAS_RESPONSE) != 0);
        }
        // The host's results of an RSI_HOST_CALL, copied into the realm's RsiHostCall structure
        if (rec.flag(Rec.FLAG_HOST_CALL_PENDING)) {
            long[] gprs = new long[31];
            for (int i = 0; i < 31; i++) {
                gprs[i] = enter.getLong(RecRun.ENTER_GPRS + 8 * i);
            }
            RecExit abort = rmm.rsi.completeHostCall(cpu, mem, d, gprs);
            if (abort != null) {
                // The structure's page is no longer mapped: report a stage-2 abort on it without running the
                // realm; the host call stays pending and completes on a later entry.
                rmm.exits.exitToHost(cpu, pc, rec, abort);
                return null;
            }
            rec.setFlag(Rec.FLAG_HOST_CALL_PENDING, false);
        }
        rec.setLastExit(0, 0, 0);
        if (timerChanged) {
            // A timer's output changed while the REC was out: let the host inject it first (check_pending_timers).
            RecExit irq = new RecExit();
            irq.reason = Rmi.EXIT_IRQ;
            rmm.exits.exitToHost(cpu, pc, rec, irq);
            return null;
        }
        cpu.eret();
        return null;
    }

    /** X0 = RSI_SUCCESS, X1 = how far the change got, X2 = RSI_ACCEPT or RSI_REJECT (RMM spec B5.3.9). */
    private static void completeSetRipas(Cpu cpu, Rec rec, boolean reject) {
        cpu.x[0] = Rsi.SUCCESS;
        cpu.x[1] = rec.ripasAddr();
        // A reject is honoured only for a change to RAM that did not complete (TF-RMM complete_set_ripas).
        boolean rejected = reject && rec.ripasValue() == Rmi.RIPAS_RAM && rec.ripasAddr() != rec.ripasTop();
        cpu.x[2] = rejected ? Rsi.REJECT : Rsi.ACCEPT;
        rec.setFlag(Rec.FLAG_RIPAS_PENDING, false);
    }

    /**
     * RMI_PSCI_COMPLETE: the host's answer to a PSCI_CPU_ON or PSCI_AFFINITY_INFO the calling REC made about the
     * target REC (TF-RMM smc_psci_complete, psci_complete_request). All failures are RMI_ERROR_INPUT.
     */
    Failure psciComplete(RmmMemory mem, long callingPa, long targetPa, long status) {
        // calling_align, target_align
        if ((callingPa & 0xFFF) != 0) {
            return Rmm.input("calling_align", "calling_rec %#x is not aligned to 4 KB", callingPa);
        }
        if ((targetPa & 0xFFF) != 0) {
            return Rmm.input("target_align", "target_rec %#x is not aligned to 4 KB", targetPa);
        }
        // calling_bound, calling_state, target_bound, target_state, alias
        Failure f = rmm.granule(callingPa, GranuleState.REC, "calling", "calling_state");
        if (f == null) {
            f = rmm.granule(targetPa, GranuleState.REC, "target", "target_state");
        }
        if (f != null) {
            return f;
        }
        if (callingPa == targetPa) {
            return Rmm.input("alias", "calling_rec and target_rec are both %#x", callingPa);
        }
        // a running REC cannot have a pending request
        if (rmm.granules.refcount(callingPa) != 0) {
            return Rmm.input("calling_state", "calling REC %#x is running", callingPa);
        }
        Rec calling = new Rec(mem, callingPa);
        Rec target = new Rec(mem, targetPa);
        // pending
        if (!calling.flag(Rec.FLAG_PSCI_PENDING)) {
            return Rmm.input("pending", "calling REC %#x has no PSCI request pending", callingPa);
        }
        // owner
        if (calling.owner() != target.owner()) {
            return Rmm.input("owner", "target REC %#x belongs to realm %#x, the calling REC to realm %#x", targetPa,
                    target.owner(), calling.owner());
        }
        // target: the REC the realm named by MPIDR (MPIDR_EL1 layout, Aff3 in [39:32])
        long wanted = RecParams.mpidrEl1ToIndex(calling.gpr(1));
        if (wanted != target.index()) {
            return Rmm.input("target", "target REC %#x has index %d, but the request names MPIDR %#x (index %d)",
                    targetPa, target.index(), calling.gpr(1), wanted);
        }
        boolean targetOn = rmm.granules.refcount(targetPa) != 0 || target.flag(Rec.FLAG_RUNNABLE);
        long fid = calling.gpr(0) & 0xFFFF_FFFFL & ~(1L << 16);
        Failure result = null;
        long recRet;
        if (fid == Psci.CPU_ON_32 || fid == Psci.CPU_ON_64) {
            // status
            if (status != Psci.SUCCESS && status != Psci.DENIED) {
                return Rmm.input("status", "status %d for PSCI_CPU_ON is neither PSCI_SUCCESS nor PSCI_DENIED",
                        status);
            }
            if (targetOn) {
                recRet = Psci.ALREADY_ON;
                if (status == Psci.DENIED) {
                    // the caller is still answered (TF-RMM)
                    result = Rmm.input("status", "PSCI_DENIED for target REC %#x, which is already on (the caller"
                            + " is told PSCI_ALREADY_ON)", targetPa);
                }
            } else if (status == Psci.DENIED) {
                recRet = Psci.DENIED;
            } else {
                resetForCpuOn(target, calling.gpr(2), calling.gpr(3),
                        calling.sysreg(Rmm.el1ContextIndex(SysRegs.SCTLR_EL1)));
                recRet = Psci.SUCCESS;
            }
        } else if (fid == Psci.AFFINITY_INFO_32 || fid == Psci.AFFINITY_INFO_64) {
            if (status != Psci.SUCCESS) {
                return Rmm.input("status", "status %d for PSCI_AFFINITY_INFO is not PSCI_SUCCESS", status);
            }
            recRet = targetOn ? Psci.AFFINITY_ON : Psci.AFFINITY_OFF;
        } else {
            throw new IllegalStateException(String.format("REC %#x has a PSCI request pending for FID %#x",
                    callingPa, fid));
        }
        calling.setGpr(0, recRet);
        calling.setGpr(1, 0);
        calling.setGpr(2, 0);
        calling.setGpr(3, 0);
        calling.setFlag(Rec.FLAG_PSCI_PENDING, false);
        return result;
    }

    /** psci_reset_rec() plus the CPU_ON entry state: EL1h, DAIF masked, MMU off, the caller's endianness. */
    private static void resetForCpuOn(Rec target, long entry, long contextId, long callerSctlr) {
        target.setPstate(0x3C5);
        target.setSysreg(Rmm.el1ContextIndex(SysRegs.SCTLR_EL1), Rmm.SCTLR_EL1_RESET | (callerSctlr & SCTLR_EE));
        target.setGpr(0, contextId);
        target.setPc(entry);
        target.setFlag(Rec.FLAG_RUNNABLE, true);
    }

    private static final long SCTLR_EE = 1L << 25;

    /** Writes the host's emulated read value to Rt (for a read) and steps over the access. */
    private static void completeMmioRead(Cpu cpu, long esr, long value) {
        int iss = Esr.iss(esr);
        if ((iss & Esr.WNR) == 0) {
            int rt = (iss >>> Esr.SRT_SHIFT) & 31;
            int sas = (iss >>> Esr.SAS_SHIFT) & 3;
            int bits = 8 << sas;
            long v = bits == 64 ? value : value & ((1L << bits) - 1);
            if ((iss & Esr.SSE) != 0 && bits < 64) {
                v = (v << (64 - bits)) >> (64 - bits);
            }
            if ((iss & Esr.SF) == 0) {
                v &= 0xFFFF_FFFFL;
            }
            cpu.setX(rt, v);
        }
        GuestExceptions.skipInstruction(cpu.sr);
    }

    /** Checks the virtual GIC state the host passes (RMM spec rec_gicv3 failure condition); null if valid. */
    private Failure gicStateCheck(ByteBuffer enter) {
        long hcr = enter.getLong(RecRun.ENTER_GICV3_HCR);
        if ((hcr & ~GICV3_HCR_ALLOWED) != 0) {
            return Rmm.recError("rec_gicv3", "gicv3_hcr %#x sets bits outside %#x", hcr, GICV3_HCR_ALLOWED);
        }
        int lrs = rmm.features.gicv3NumLrs + 1;
        long[] seen = new long[lrs];
        int nseen = 0;
        for (int i = 0; i < lrs; i++) {
            long lr = enter.getLong(RecRun.ENTER_GICV3_LRS + 8 * i);
            if ((lr >>> 62) == 0) {
                continue; // invalid LR
            }
            String bad = null;
            long vintid = lr & 0xFFFF_FFFFL;
            if ((lr & (1L << 61)) != 0) {
                bad = "has HW = 1";
            } else if ((lr & (0x1FFFL << 32) & ~(1L << 41)) != 0) {
                bad = "has pINTID bits other than EOI set";
            } else if ((lr & (0x7L << 48)) != 0) {
                bad = "sets unimplemented priority bits"; // 5 priority bits are implemented; the rest are RES0
            } else if (!(vintid <= 1019 || (vintid >= 8192 && vintid < (1L << 16)))) {
                bad = "has an invalid vINTID";
            } else {
                for (int j = 0; j < nseen; j++) {
                    if (seen[j] == vintid) {
                        bad = "repeats a vINTID of an earlier list register";
                    }
                }
            }
            if (bad != null) {
                return Rmm.recError("rec_gicv3", "gicv3_lrs[%d] %#x %s", i, lr, bad);
            }
            seen[nseen++] = vintid;
        }
        return null;
    }

    /** Loads a REC's saved context into the PE and configures EL2 for it (stage 2 = the realm's RTTs). */
    static void load(Cpu cpu, Rec rec, RealmDescriptor d, long enterFlags) {
        rec.gprs(cpu.x);
        cpu.spEl[0] = rec.spEl0();
        cpu.spEl[1] = rec.spEl1();
        int[] ctx = SysRegs.EL1_CONTEXT;
        long[] sys = new long[ctx.length];
        rec.sysregs(sys);
        for (int i = 0; i < ctx.length; i++) {
            cpu.sr[ctx[i]] = sys[i];
        }
        rec.fpregs(cpu.v);
        cpu.sr[SysRegs.ELR_EL2] = rec.pc();
        cpu.sr[SysRegs.SPSR_EL2] = rec.pstate();
        // TID3: the realm reads the ID registers as the RMM sanitises them (RealmExits.idRegister).
        long hcr = SysRegs.HCR_VM | SysRegs.HCR_SWIO | SysRegs.HCR_FMO | SysRegs.HCR_IMO | SysRegs.HCR_AMO
                | SysRegs.HCR_TSC | SysRegs.HCR_RW | SysRegs.HCR_FWB | dev.cca.core.cpu.SysRegTraps.HCR_TID3;
        if ((enterFlags & Rmi.REC_ENTER_TRAP_WFI) != 0) {
            hcr |= SysRegs.HCR_TWI;
        }
        if ((enterFlags & Rmi.REC_ENTER_TRAP_WFE) != 0) {
            hcr |= SysRegs.HCR_TWE;
        }
        cpu.sr[SysRegs.HCR_EL2] = hcr;
        cpu.sr[SysRegs.VTTBR_EL2] = d.rttBase() | ((long) d.vmid() << 48);
        int sl = d.rttLevelStart();
        int sl0 = sl == 0 ? 2 : sl == 1 ? 1 : 0;
        // T0SZ, SL0, inner/outer write-back walks, inner shareable, 4 KB granule, 48-bit PS.
        cpu.sr[SysRegs.VTCR_EL2] = (64 - d.s2sz()) | ((long) sl0 << 6) | (1L << 8) | (1L << 10) | (3L << 12)
                | (5L << 16) | (1L << 31);
        cpu.sr[SysRegs.VMPIDR_EL2] = rec.mpidr();
        cpu.sr[SysRegs.VPIDR_EL2] = cpu.sr[SysRegs.MIDR_EL1]; // the realm reads the PE's MIDR_EL1
        cpu.onTranslationRegimeChange();
    }

    /**
     * Saves the PE's realm context into the REC. The SIMD&amp;FP registers are saved and then cleared, so that no
     * realm value stays in the PE for the host to see (FPCR/FPSR are switched with the EL1 context by EL3).
     */
    static void save(Cpu cpu, Rec rec) {
        rec.setGprs(cpu.x);
        rec.setFpregs(cpu.v);
        java.util.Arrays.fill(cpu.v, 0);
        rec.setSp(cpu.spEl[0], cpu.spEl[1]);
        int[] ctx = SysRegs.EL1_CONTEXT;
        long[] sys = new long[ctx.length];
        for (int i = 0; i < ctx.length; i++) {
            sys[i] = cpu.sr[ctx[i]];
        }
        rec.setSysregs(sys);
        rec.setPc(cpu.sr[SysRegs.ELR_EL2]);
        rec.setPstate(cpu.sr[SysRegs.SPSR_EL2]);
    }
}
