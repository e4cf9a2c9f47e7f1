package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Rmi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Exceptions taken from a running realm to Realm EL2 (TF-RMM runtime/core/exit.c): SMCs go to the RSI
 * ({@link dev.cca.rmm.rsi.RsiHandler}); aborts are resolved or reported, and everything else ends REC_ENTER with an
 * RmiRecExit.
 */
final class RealmExits {
    /** ESR bits passed to the host for a non-emulatable abort: EC, SET, FnV, EA, DFSC. */
    static final long ESR_NONEMULATED_MASK = (0x3FL << 26) | (3L << 11) | (1L << 10) | (1L << 9) | 0x3FL;
    /** For an emulatable abort the host also gets ISV, SAS, SF and WnR. */
    static final long ESR_EMULATED_MASK = ESR_NONEMULATED_MASK | Esr.ISV | (3L << Esr.SAS_SHIFT) | Esr.SF | Esr.WNR;
    /** SError syndrome bits the host sees: IDS, AET, EA, DFSC. */
    static final long ESR_SERROR_MASK = (0x3FL << 26) | (1L << 24) | (7L << 10) | (1L << 9) | 0x3FL;

    private final Rmm rmm;

    RealmExits(Rmm rmm) {
        this.rmm = rmm;
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
        RecExit e = new RecExit();
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
    private boolean handleSync(Cpu cpu, Rmm.PerCpu pc, Rec rec, RealmDescriptor d, RecExit e) {
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
                return rmm.rsi.handle(cpu, pc.mem, rec, d, e);
            case Esr.EC_IABT_LOWER:
                return handleInstructionAbort(cpu, d, e, esr);
            case Esr.EC_DABT_LOWER:
                return handleDataAbort(cpu, d, e, esr);
            case Esr.EC_SYSREG:
                return handleSysregTrap(cpu, d, e, esr);
            default:
                // Unknown synchronous exit: the host learns nothing beyond the exit reason.
                return false;
        }
    }

    /**
     * A trapped system register access (TF-RMM handle_sysreg_access_trap). Writes to ICC_SGI1R_EL1,
     * ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 (every IPI of the realm: SGI generation traps to EL2 under HCR_EL2.IMO/FMO)
     * exit to the host, which sends the SGIs: RMI_EXIT_SYNC with the trap's ESR and the written value in gprs[0];
     * the RMM steps over the instruction. Reads of the ID registers (HCR_EL2.TID3) are answered by the RMM
     * ({@link #idRegister}). Anything else (a PMU register of a realm without the PMU) is UNDEFINED for the realm.
     */
    private static boolean handleSysregTrap(Cpu cpu, RealmDescriptor d, RecExit e, long esr) {
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
        if (!write && op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7) {
            if (rt != 31) {
                cpu.x[rt] = idRegister(cpu, d, crm, op2);
            }
            advancePc(cpu);
            return true;
        }
        injectUndefined(cpu);
        return true;
    }

    /**
     * An ID register as the realm reads it (TF-RMM handle_id_sysreg_trap): the PE's value, with
     * ID_AA64DFR0_EL1 showing the breakpoints and watchpoints of the realm's parameters and PMUVer = 0 unless
     * the realm was created with the PMU flag.
     */
    static long idRegister(Cpu cpu, RealmDescriptor d, int crm, int op2) {
        long v = cpu.readSysReg(SysRegs.byEncoding(dev.cca.core.cpu.SysReg.encode(3, 0, 0, crm, op2)));
        if (crm == 5 && op2 == 0) {
            if (!RecPmu.enabled(d)) {
                v &= ~(0xFL << 8);
            }
            long brps = d.numBps() & 0xF, wrps = d.numWps() & 0xF;
            long ctx = Math.min((v >>> 28) & 0xF, brps);
            v = (v & ~((0xFL << 12) | (0xFL << 20) | (0xFL << 28))) | (brps << 12) | (wrps << 20) | (ctx << 28);
        }
        return v;
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

    private boolean handleDataAbort(Cpu cpu, RealmDescriptor d, RecExit e, long esr) {
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

    private boolean handleInstructionAbort(Cpu cpu, RealmDescriptor d, RecExit e, long esr) {
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

    // ---- exception injection into the realm ------------------------------------------------------------------

    private static void advancePc(Cpu cpu) {
        GuestExceptions.skipInstruction(cpu.sr);
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
    void exitToHost(Cpu cpu, Rmm.PerCpu pc, Rec rec, RecExit e) {
        RmmMemory mem = pc.mem;
        RecCommands.save(cpu, rec);
        long run = pc.runPa;
        long recPa = pc.currentRec;
        rmm.granules.setRefcount(recPa, 0);
        pc.currentRec = -1;
        Failure failure = null;
        try {
            ByteBuffer b = ByteBuffer.allocate(RecRun.EXIT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            RecVirtualState.save(cpu, pc.host, rec, b);
            b.putLong(RecRun.EXIT_PMU_OVF_STATUS - RecRun.EXIT,
                    RecPmu.exit(cpu, pc.host, rec, new RealmDescriptor(mem, rec.owner())));
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
            // the host made its run granule inaccessible while the REC ran
            failure = Rmm.nsFault("run", run, "writing RmiRecExit to");
        }
        // Leave nothing of the realm's register state on the PE (EL3 restores the host's).
        java.util.Arrays.fill(cpu.x, 0, 31, 0);
        for (RmmObserver o : rmm.observers()) {
            o.recExit(cpu, recPa, e.reason, e.esr);
        }
        long[] out = {failure == null ? Rmi.SUCCESS : failure.status(), 0, 0, 0, 0};
        rmm.complete(cpu, Rmi.REC_ENTER, new long[] {Rmi.REC_ENTER, recPa, run, 0, 0, 0, 0}, out, failure);
    }
}
