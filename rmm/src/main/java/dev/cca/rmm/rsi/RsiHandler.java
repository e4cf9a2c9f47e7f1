package dev.cca.rmm.rsi;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.GuestExceptions;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.Esr;
import dev.cca.rmm.RmmMemory;
import dev.cca.rmm.RmmObserver;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.rtt.S2tt;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Realm Services Interface: the SMCs a realm makes to the RMM (TF-RMM runtime/rsi), served while its REC
 * is out of the realm on an SMC exit. PSCI calls go to {@link RealmPsci}, attestation to {@link Attestation}.
 */
public final class RsiHandler {
    static final long SMCCC_VERSION_1_2 = 0x10002L;
    /** Size of RsiHostCall: its IPA must be aligned to it. */
    static final int HOST_CALL_SIZE = 0x100;
    static final int MAX_EXTEND_BYTES = 64;

    private final List<RmmObserver> observers;
    final Attestation attestation;

    public RsiHandler(List<RmmObserver> observers, Attestation attestation) {
        this.observers = observers;
        this.attestation = attestation;
    }

    /** Serves an SMC from the realm (TF-RMM handle_realm_rsi). Returns true to resume the realm. */
    public boolean handle(Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RecExit e) {
        long fid = cpu.x[0] & 0xFFFF_FFFFL & ~(1L << 16); // the SMCCC SVE hint is ignored
        long[] args = new long[7];
        System.arraycopy(cpu.x, 0, args, 0, 7);
        for (RmmObserver o : observers) {
            o.rsiCall(cpu, rec.pa, fid, args);
        }
        // SMCCC: X0..X3 are results (X1..X3 zero unless written), X4 is preserved.
        RsiResult r = new RsiResult();
        r.x[4] = cpu.x[4];
        if (fid == Smccc.SMCCC_VERSION) {
            r.x[0] = SMCCC_VERSION_1_2;
        } else if (Psci.isPsci(fid)) {
            RealmPsci.call(cpu, rec, d, fid, r, e);
        } else {
            RsiCommand c = RsiCommand.of(fid);
            if (c != null) {
                c.handler.serve(this, cpu, mem, rec, d, r, e);
            } else {
                r.fail(Smccc.SMC_UNKNOWN, "fid", "%#x is not an RSI command of RMM v1.0", fid);
            }
        }
        if (r.action == RsiResult.Action.RETURN || r.action == RsiResult.Action.EXIT_UPDATED) {
            System.arraycopy(r.x, 0, cpu.x, 0, 5);
        }
        if (r.action == RsiResult.Action.STAGE2_ABORT) {
            emulateStage2DataAbort(e, r.abortIpa, r.abortLevel);
        } else {
            advancePc(cpu);
        }
        for (RmmObserver o : observers) {
            o.rsiReturn(cpu, rec.pa, fid, r.x, r.failure);
        }
        return r.action == RsiResult.Action.RETURN;
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
    static IpaWalk realmBuffer(RmmMemory mem, RealmDescriptor d, long ipa, RsiResult r) {
        IpaWalk w = ipaToPa(mem, d, ipa);
        if (w.mapped) {
            return w;
        }
        if (w.ripas == Rmi.RIPAS_EMPTY) {
            r.input("addr_ripas", "the buffer at IPA %#x has RIPAS EMPTY", ipa);
        } else {
            r.abort(ipa, w.level);
        }
        return null;
    }

    /** RSI_REALM_CONFIG: writes RsiRealmConfig (ipa_width, hash_algo, rpv) into the realm's page. */
    static void realmConfig(RmmMemory mem, RealmDescriptor d, long ipa, RsiResult r) {
        // addr_align, addr_bound
        if ((ipa & 0xFFF) != 0) {
            r.input("addr_align", "addr %#x is not aligned to 4 KB", ipa);
            return;
        }
        if (!d.inPar(ipa)) {
            r.input("addr_bound", "addr %#x is not in the protected range [0, %#x)", ipa, 1L << (d.s2sz() - 1));
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
    static void measurementRead(Cpu cpu, RealmDescriptor d, RsiResult r) {
        long index = cpu.x[1];
        // index_bound
        if (Long.compareUnsigned(index, RealmDescriptor.MEASUREMENT_SLOTS) >= 0) {
            r.input("index_bound", "index %d is outside [0, %d]", index, RealmDescriptor.MEASUREMENT_SLOTS - 1);
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
    static void measurementExtend(Cpu cpu, RealmDescriptor d, RsiResult r) {
        long index = cpu.x[1];
        // index_bound: the RIM (0) cannot be extended
        if (index == 0 || Long.compareUnsigned(index, RealmDescriptor.MEASUREMENT_SLOTS) >= 0) {
            r.input("index_bound", "index %d is outside [1, %d] (REM0-REM3)", index,
                    RealmDescriptor.MEASUREMENT_SLOTS - 1);
            return;
        }
        long size = cpu.x[2];
        // size_bound
        if (Long.compareUnsigned(size, MAX_EXTEND_BYTES) > 0) {
            r.input("size_bound", "size %d is more than %d bytes", size, MAX_EXTEND_BYTES);
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
    static void ipaStateSet(Cpu cpu, Rec rec, RealmDescriptor d, RsiResult r, RecExit e) {
        long base = cpu.x[1];
        long top = cpu.x[2];
        long ripas = cpu.x[3];
        long flags = cpu.x[4];
        // ripas_valid, base_align, top_align, size_valid, rgn_bound
        if (Long.compareUnsigned(ripas, Rmi.RIPAS_RAM) > 0) {
            r.input("ripas_valid", "ripas %d is neither EMPTY (0) nor RAM (1)", ripas);
            return;
        }
        if ((base & 0xFFF) != 0) {
            r.input("base_align", "base %#x is not aligned to 4 KB", base);
            return;
        }
        if ((top & 0xFFF) != 0) {
            r.input("top_align", "top %#x is not aligned to 4 KB", top);
            return;
        }
        if (Long.compareUnsigned(base, top) >= 0) {
            r.input("size_valid", "top %#x is not above base %#x", top, base);
            return;
        }
        if (!regionInPar(d, base, top)) {
            r.input("rgn_bound", "[%#x, %#x) is not inside the protected range [0, %#x)", base, top,
                    1L << (d.s2sz() - 1));
            return;
        }
        rec.setRipasRequest(base, top, (int) ripas, flags == Rsi.CHANGE_DESTROYED);
        rec.setFlag(Rec.FLAG_RIPAS_PENDING, true);
        e.reason = Rmi.EXIT_RIPAS_CHANGE;
        e.ripasBase = base;
        e.ripasTop = top;
        e.ripasValue = ripas;
        r.action = RsiResult.Action.EXIT_UPDATED;
        r.x[0] = Rsi.SUCCESS;
        r.x[1] = top;
    }

    /**
     * RSI_IPA_STATE_GET: X1 = top of the range from base (within one RTT, at most end) whose entries share the
     * first entry's RIPAS, X2 = that RIPAS.
     */
    static void ipaStateGet(Cpu cpu, RmmMemory mem, RealmDescriptor d, RsiResult r) {
        long start = cpu.x[1];
        long end = cpu.x[2];
        // base_align, end_align, size_valid, rgn_bound (checked in TF-RMM's order)
        long par = 1L << (d.s2sz() - 1);
        if ((start & 0xFFF) != 0) {
            r.input("base_align", "base %#x is not aligned to 4 KB", start);
            return;
        }
        if (!d.inPar(start)) {
            r.input("rgn_bound", "base %#x is not in the protected range [0, %#x)", start, par);
            return;
        }
        if ((end & 0xFFF) != 0) {
            r.input("end_align", "end %#x is not aligned to 4 KB", end);
            return;
        }
        if (!d.inPar(end - 1)) {
            r.input("rgn_bound", "end %#x is beyond the protected range [0, %#x)", end, par);
            return;
        }
        if (Long.compareUnsigned(start, end) >= 0) {
            r.input("size_valid", "end %#x is not above base %#x", end, start);
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
            r.input("rgn_bound", "the entry for base %#x has no RIPAS", start);
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
    static void hostCall(Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RsiResult r, RecExit e) {
        long ipa = cpu.x[1];
        // addr_align, (crosses a granule), addr_bound
        if ((ipa & (HOST_CALL_SIZE - 1)) != 0 || (ipa >>> 12) != ((ipa + HOST_CALL_SIZE - 1) >>> 12)) {
            r.input("addr_align", "addr %#x is not aligned to %d bytes (the size of RsiHostCall)", ipa,
                    HOST_CALL_SIZE);
            return;
        }
        if (!d.inPar(ipa)) {
            r.input("addr_bound", "addr %#x is not in the protected range [0, %#x)", ipa, 1L << (d.s2sz() - 1));
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
        r.action = RsiResult.Action.EXIT;
    }

    /**
     * Completes a pending host call on REC_ENTER: the host's gprs go into the realm's RsiHostCall (whose IPA is
     * still in the realm's X1) and X0 = RSI_SUCCESS. Returns the stage-2 abort exit to report instead if the
     * structure's page is not mapped, else null.
     */
    public RecExit completeHostCall(Cpu cpu, RmmMemory mem, RealmDescriptor d, long[] gprs) {
        long ipa = cpu.x[1];
        IpaWalk w = ipaToPa(mem, d, ipa);
        if (!w.mapped) {
            if (w.ripas != Rmi.RIPAS_EMPTY) {
                RecExit e = new RecExit();
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
    static void emulateStage2DataAbort(RecExit e, long ipa, int level) {
        e.reason = Rmi.EXIT_SYNC;
        e.esr = ((long) Esr.EC_DABT_LOWER << 26) | (Esr.FSC_TRANSLATION + level);
        e.far = 0;
        e.hpfar = (ipa & ~0xFFFL) >>> 8;
    }

    private static void advancePc(Cpu cpu) {
        GuestExceptions.skipInstruction(cpu.sr);
    }
}
