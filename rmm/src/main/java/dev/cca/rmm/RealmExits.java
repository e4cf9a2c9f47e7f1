package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
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
    static final long SMCCC_VERSION_1_2 = 0x10002L;

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
        /** Record ESR/FAR/HPFAR as the REC's last exit (synchronous exits). */
        boolean recordLast;
        long lastEsr, lastFar, lastHpfar;
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
                e.esr = cpu.sr[SysRegs.ESR_EL2] & ((0x3FL << 26) | (1L << 24) | (7L << 10) | (1L << 9) | 0x3FL);
                stay = false;
                break;
            default:
                e.reason = Rmi.EXIT_SYNC;
                stay = handleSync(cpu, pc, rec, d, e);
                if (!stay && e.recordLast) {
                    rec.setLastExit(e.lastEsr, e.lastFar, e.lastHpfar);
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
        e.recordLast = true;
        e.lastEsr = esr;
        e.lastFar = cpu.sr[SysRegs.FAR_EL2];
        e.lastHpfar = cpu.sr[SysRegs.HPFAR_EL2];
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
                injectUndefined(cpu);
                return true;
            default:
                // Unknown synchronous exit: the host learns nothing beyond the exit reason.
                return false;
        }
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

    private boolean handleRsi(Cpu cpu, Rmm.PerCpu pc, Rec rec, RealmDescriptor d, Exit e) {
        long fid = cpu.x[0] & 0xFFFF_FFFFL & ~(1L << 16);
        long[] args = new long[7];
        System.arraycopy(cpu.x, 0, args, 0, 7);
        for (RmmObserver o : rmm.observers()) {
            o.rsiCall(cpu, rec.pa, fid, args);
        }
        // SMCCC: X0..X3 are results (X1..X3 zero unless written), X4 and up are preserved.
        long[] res = {0, 0, 0, 0, cpu.x[4]};
        boolean toHost = false;
        RmmMemory mem = pc.mem;
        if (fid == Smccc.SMCCC_VERSION) {
            res[0] = SMCCC_VERSION_1_2;
        } else if (Psci.isPsci(fid)) {
            toHost = psci(cpu, rec, d, fid, res, e);
        } else if (fid == Rsi.VERSION) {
            res[0] = cpu.x[1] == Rsi.ABI_1_0 ? Rsi.SUCCESS : Rsi.ERROR_INPUT;
            res[1] = Rsi.ABI_1_0;
            res[2] = Rsi.ABI_1_0;
        } else if (fid == Rsi.FEATURES) {
            res[0] = Rsi.SUCCESS;
            res[1] = 0;
        } else if (fid == Rsi.REALM_CONFIG) {
            Boolean s2 = realmConfig(mem, d, cpu.x[1], res, e);
            if (s2 == null) {
                return false; // stage-2 fault emulated to the host; the SMC will be re-executed
            }
        } else if (fid == Rsi.MEASUREMENT_READ) {
            long index = cpu.x[1];
            if (Long.compareUnsigned(index, RealmDescriptor.MEASUREMENT_SLOTS) >= 0) {
                res[0] = Rsi.ERROR_INPUT;
            } else {
                ByteBuffer m = ByteBuffer.wrap(d.measurement((int) index)).order(ByteOrder.LITTLE_ENDIAN);
                res[0] = Rsi.SUCCESS;
                for (int i = 0; i < 4; i++) {
                    res[1 + i] = m.getLong(8 * i);
                }
                for (int i = 4; i < 8; i++) {
                    cpu.x[1 + i] = m.getLong(8 * i);
                }
            }
        } else {
            res[0] = Smccc.SMC_UNKNOWN;
        }
        System.arraycopy(res, 0, cpu.x, 0, 5);
        for (RmmObserver o : rmm.observers()) {
            o.rsiReturn(cpu, rec.pa, fid, res);
        }
        advancePc(cpu);
        return !toHost;
    }

    /**
     * RSI_REALM_CONFIG: writes RsiRealmConfig into the realm's page. Returns null if the page is not mapped and
     * the host must fault it in (the RMM then reports a stage-2 data abort on the buffer's IPA).
     */
    private Boolean realmConfig(RmmMemory mem, RealmDescriptor d, long ipa, long[] res, Exit e) {
        if ((ipa & 0xFFF) != 0 || !d.inPar(ipa)) {
            res[0] = Rsi.ERROR_INPUT;
            return Boolean.FALSE;
        }
        S2tt.Walk w = S2tt.walk(mem, d, ipa, 3);
        if (w.kind == S2tt.Kind.UNASSIGNED_EMPTY || w.kind == S2tt.Kind.ASSIGNED_EMPTY) {
            res[0] = Rsi.ERROR_INPUT;
            return Boolean.FALSE;
        }
        if (w.kind != S2tt.Kind.ASSIGNED_RAM) {
            emulateStage2DataAbort(e, ipa, w.level);
            return null;
        }
        long pa = S2tt.oa(w.desc) + (ipa & (S2tt.levelSize(w.level) - 1));
        mem.write64(pa, d.s2sz());
        byte[] h = mem.read(pa + 8, 8);
        h[0] = (byte) d.hashAlgo();
        mem.write(pa + 8, h);
        mem.write(pa + 0x200, d.rpv());
        res[0] = Rsi.SUCCESS;
        return Boolean.TRUE;
    }

    /** Reports a stage-2 translation fault on {@code ipa} as if the realm's access had faulted. */
    private static void emulateStage2DataAbort(Exit e, long ipa, int level) {
        e.reason = Rmi.EXIT_SYNC;
        e.esr = ((long) Esr.EC_DABT_LOWER << 26) | (Esr.FSC_TRANSLATION + level);
        e.far = 0;
        e.hpfar = ipa >>> 8;
        e.recordLast = false;
    }

    /** PSCI calls from the realm (RMM spec B5.3.x). Returns true if the REC must exit to the host. */
    private boolean psci(Cpu cpu, Rec rec, RealmDescriptor d, long fid, long[] res, Exit e) {
        long f = fid & 0xFFFF_FFFFL;
        if (f == Psci.VERSION) {
            res[0] = Psci.VERSION_1_1;
            return false;
        }
        if (f == Psci.FEATURES) {
            long q = cpu.x[1] & 0xFFFF_FFFFL;
            boolean supported = q == Psci.VERSION || q == Psci.FEATURES || q == Psci.SYSTEM_OFF
                    || q == Psci.SYSTEM_RESET || q == Smccc.SMCCC_VERSION;
            res[0] = supported ? Psci.SUCCESS : Psci.NOT_SUPPORTED;
            return false;
        }
        if (f == Psci.SYSTEM_OFF || f == Psci.SYSTEM_RESET) {
            d.setState(RealmDescriptor.STATE_SYSTEM_OFF);
            e.reason = Rmi.EXIT_PSCI;
            e.gprs[0] = f;
            for (int i = 1; i <= 3; i++) {
                e.gprs[i] = cpu.x[i];
            }
            e.recordLast = false;
            res[0] = Psci.SUCCESS;
            return true;
        }
        res[0] = Psci.NOT_SUPPORTED;
        return false;
    }

    // ---- exception injection into the realm ------------------------------------------------------------------

    private static void advancePc(Cpu cpu) {
        cpu.sr[SysRegs.ELR_EL2] += 4;
    }

    /**
     * Makes the realm take a synchronous exception at EL1, as if it had happened there: the realm's EL1
     * exception registers are written and the exception return from EL2 lands on its EL1 vector.
     */
    private static void injectToEl1(Cpu cpu, int ec, int iss, boolean hasFar, long far) {
        long spsr = cpu.sr[SysRegs.SPSR_EL2];
        int fromEl = (int) (spsr >>> 2) & 3;
        boolean fromSpx = (spsr & 1) != 0;
        cpu.sr[SysRegs.ELR_EL1] = cpu.sr[SysRegs.ELR_EL2];
        cpu.sr[SysRegs.SPSR_EL1] = spsr;
        cpu.sr[SysRegs.ESR_EL1] = ((long) ec << 26) | Esr.IL | iss;
        if (hasFar) {
            cpu.sr[SysRegs.FAR_EL1] = far;
        }
        long offset = fromEl == 0 ? 0x400 : fromSpx ? 0x200 : 0;
        cpu.sr[SysRegs.ELR_EL2] = cpu.sr[SysRegs.VBAR_EL1] + offset;
        long pan = (cpu.sr[SysRegs.SCTLR_EL1] & SysRegs.SCTLR_SPAN) == 0 ? 1L << 22 : spsr & (1L << 22);
        cpu.sr[SysRegs.SPSR_EL2] = 0x3C5 | pan; // EL1h, DAIF masked
    }

    static void injectUndefined(Cpu cpu) {
        injectToEl1(cpu, Esr.EC_UNKNOWN, 0, false, 0);
    }

    /** Injects a synchronous external abort (data or instruction) into the realm. */
    static void injectSyncAbort(Cpu cpu, int fsc, boolean instruction, long far) {
        int fromEl = (int) (cpu.sr[SysRegs.SPSR_EL2] >>> 2) & 3;
        int ec = instruction ? (fromEl == 0 ? Esr.EC_IABT_LOWER : Esr.EC_IABT_CUR)
                : (fromEl == 0 ? Esr.EC_DABT_LOWER : Esr.EC_DABT_CUR);
        injectToEl1(cpu, ec, fsc, true, far);
    }

    // ---- exit to the host ------------------------------------------------------------------------------------

    /** Saves the REC, writes RmiRecExit into the host's run granule and completes RMI_REC_ENTER. */
    private void exitToHost(Cpu cpu, Rmm.PerCpu pc, Rec rec, Exit e) {
        RmmMemory mem = pc.mem;
        RecCommands.save(cpu, rec);
        long run = pc.runPa;
        long recPa = pc.currentRec;
        rmm.granules.setRefcount(recPa, 0);
        pc.currentRec = -1;
        long result = Rmi.SUCCESS;
        try {
            ByteBuffer b = ByteBuffer.allocate(RecRun.EXIT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
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

    static String hex(byte[] slot, int algo) {
        return Measurement.hex(slot, algo);
    }
}
