package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.Page;

import java.lang.invoke.VarHandle;

/**
 * Loads and stores with ordering or atomicity: load/store exclusive (LDXR/STXR, LDAXR/STLXR and the pair forms,
 * Arm ARM C3.2.6), load-acquire/store-release (LDAR/STLR, LDAPR of FEAT_LRCPC), compare-and-swap (CAS, CASP) and
 * the FEAT_LSE atomic memory operations (LDADD, LDCLR, LDEOR, LDSET, LD[SU]MAX, LD[SU]MIN, SWP).
 *
 * <p>Atomicity across PEs running on different threads: read-modify-writes on RAM are compare-and-set loops on the
 * backing page through VarHandles (8- and 16-bit operations on the aligned 32-bit word around them), so they are
 * atomic with respect to each other and to plain stores of other PEs. Device memory and the 128-bit forms (CASP
 * and STXP of two doublewords) take the domain's atomic lock instead. Ordering: the interpreter executes each PE's
 * accesses in program order; acquire and release semantics add the matching Java fences so that another thread
 * observes them in order.
 */
public final class Atomics {
    private Atomics() {
    }

    private static final int LDADD = 0, LDCLR = 1, LDEOR = 2, LDSET = 3, LDSMAX = 4, LDSMIN = 5, LDUMAX = 6,
            LDUMIN = 7, SWP = 8;

    static long mask(int bytes) {
        return bytes == 8 ? -1L : (1L << (8 * bytes)) - 1;
    }

    /** Compare-and-exchange of {@code size} bytes at {@code off}; returns the value found (zero-extended). */
    static long cas(byte[] a, int off, int size, long expect, long update) {
        switch (size) {
            case 8:
                return (long) Bytes.LONG.compareAndExchange(a, off, expect, update);
            case 4:
                return (int) Bytes.INT.compareAndExchange(a, off, (int) expect, (int) update) & 0xFFFF_FFFFL;
            default: {
                int aoff = off & ~3;
                int sh = (off & 3) * 8;
                long m = mask(size);
                while (true) {
                    int cur = (int) Bytes.INT.getVolatile(a, aoff);
                    long old = (cur >>> sh) & m;
                    if (old != (expect & m)) {
                        return old;
                    }
                    int nv = (int) ((cur & ~(m << sh)) | ((update & m) << sh));
                    if (Bytes.INT.compareAndSet(a, aoff, cur, nv)) {
                        return old;
                    }
                }
            }
        }
    }

    static long loadVolatile(byte[] a, int off, int size) {
        switch (size) {
            case 8: return (long) Bytes.LONG.getVolatile(a, off);
            case 4: return (int) Bytes.INT.getVolatile(a, off) & 0xFFFF_FFFFL;
            default: {
                int cur = (int) Bytes.INT.getVolatile(a, off & ~3);
                return (cur >>> ((off & 3) * 8)) & mask(size);
            }
        }
    }

    static long compute(int op, long old, long v, int size) {
        long m = mask(size);
        int sh = 64 - 8 * size;
        switch (op) {
            case LDADD: return (old + v) & m;
            case LDCLR: return old & ~v & m;
            case LDEOR: return (old ^ v) & m;
            case LDSET: return (old | v) & m;
            case LDSMAX: return ((old << sh) >> sh) >= ((v << sh) >> sh) ? old : v & m;
            case LDSMIN: return ((old << sh) >> sh) <= ((v << sh) >> sh) ? old : v & m;
            case LDUMAX: return Long.compareUnsigned(old, v & m) >= 0 ? old : v & m;
            case LDUMIN: return Long.compareUnsigned(old, v & m) <= 0 ? old : v & m;
            default: return v & m; // SWP
        }
    }

    private static long base(Cpu c, int rn) {
        if (rn == 31) {
            long sp = c.getSp();
            if ((sp & 15) != 0) { // the common aligned case stays out of the call
                c.checkSpAlignment(sp);
            }
            return sp;
        }
        return c.x[rn];
    }

    // ---- LSE atomic memory operations, SWP, LDAPR ------------------------------------------------------------

    /** LDADD..LDUMIN, SWP (o3 = 1, opc = 000) and LDAPR (A = 1, R = 0, Rs = 31, o3 = 1, opc = 100). */
    public static Insn atomicMemOp(Fields f) {
        int size = f.u('s');
        boolean acq = f.u('a') == 1, rel = f.u('r') == 1;
        int rs = f.u('m'), rn = f.u('n'), rt = f.u('t');
        int o3 = f.u('o'), opc = f.u('p');
        int bytes = 1 << size;
        if (o3 == 1 && opc == 4) {
            if (!acq || rel || rs != 31) {
                return null;
            }
            int syn = LoadStore.syndrome(size, LoadStore.LOAD, rt, true);
            return (c, pc) -> { // LDAPR: RCpc acquire load
                long va = base(c, rn);
                c.checkAligned(va, bytes, false, syn);
                long v = c.read(va, bytes, syn);
                VarHandle.acquireFence();
                c.setX(rt, v);
                return pc + 4;
            };
        }
        if (o3 == 1 && opc != 0) {
            return null;
        }
        int op = o3 == 1 ? SWP : opc;
        // A store alias (STADD etc., Rt = XZR) has no acquire semantics; that only weakens ordering we exceed.
        return (c, pc) -> {
            long va = base(c, rn);
            // WnR of a read-modify-write: 0 when a read of the location would fault too (alignment does).
            c.checkAligned(va, bytes, false, 0);
            long v = c.x[rs];
            int i = c.translateData(va, bytes, true, true, 0);
            Page p = c.tlbPageAt(i);
            if (rel) {
                VarHandle.releaseFence();
            }
            long old;
            if (p != null) {
                int off = (int) (va & Page.MASK);
                while (true) {
                    long cur = loadVolatile(p.data, off, bytes);
                    long nv = compute(op, cur, v, bytes);
                    if (cas(p.data, off, bytes, cur, nv) == cur) {
                        old = cur;
                        break;
                    }
                }
                c.afterAtomicStore(p, off, bytes);
            } else {
                synchronized (c.atomicLock()) {
                    old = c.read(va, bytes, 0);
                    c.write(va, bytes, compute(op, old, v, bytes), 0);
                }
            }
            if (acq) {
                VarHandle.acquireFence();
            }
            c.setX(rt, old);
            return pc + 4;
        };
    }

    // ---- load/store exclusive, load-acquire/store-release, CAS, CASP --------------------------------------------

    /** The "load/store exclusive" and "load/store ordered" groups and CAS/CASP (size 001000 o2 L o1 ...). */
    public static Insn exclusiveGroup(Fields f) {
        int size = f.u('s');
        boolean o2 = f.u('a') == 1, load = f.u('l') == 1, o1 = f.u('b') == 1, o0 = f.u('c') == 1;
        int rs = f.u('m'), rt2 = f.u('u'), rn = f.u('n'), rt = f.u('t');
        if (!o2 && !o1) {
            return load ? loadExclusive(size, false, o0, rn, rt, rt2) : storeExclusive(size, false, o0, rs, rn, rt, rt2);
        }
        if (!o2) { // o1 = 1
            if ((size & 2) != 0) {
                int esize = size & 1 | 2; // 2 (32-bit elements) or 3 (64-bit)
                return load ? loadExclusive(esize, true, o0, rn, rt, rt2)
                        : storeExclusive(esize, true, o0, rs, rn, rt, rt2);
            }
            if (rt2 != 31) {
                return null;
            }
            return casp(size == 1 ? 3 : 2, load, o0, rs, rn, rt);
        }
        if (!o1) {
            if (!o0 || rs != 31 || rt2 != 31) {
                return null; // LDLAR/STLLR: FEAT_LOR is not implemented
            }
            return load ? loadAcquire(size, rn, rt) : storeRelease(size, rn, rt);
        }
        if (rt2 != 31) {
            return null;
        }
        return cas(size, load, o0, rs, rn, rt);
    }

    private static Insn loadAcquire(int size, int rn, int rt) {
        int bytes = 1 << size;
        int syn = LoadStore.syndrome(size, LoadStore.LOAD, rt, true);
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, bytes, false, syn);
            long v = c.read(va, bytes, syn);
            VarHandle.fullFence(); // LDAR is RCsc: no later access, and no earlier STLR, passes it
            c.setX(rt, v);
            return pc + 4;
        };
    }

    private static Insn storeRelease(int size, int rn, int rt) {
        int bytes = 1 << size;
        int syn = LoadStore.syndrome(size, LoadStore.STORE, rt, true);
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, bytes, true, syn);
            VarHandle.fullFence();
            c.write(va, bytes, c.x[rt], syn);
            return pc + 4;
        };
    }

    private static Insn loadExclusive(int size, boolean pair, boolean acq, int rn, int rt, int rt2) {
        int bytes = 1 << size;
        int total = pair ? 2 * bytes : bytes;
        if (!pair && rt2 != 31) {
            return null;
        }
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, total, false, 0);
            int i = c.translateData(va, total, true, false, 0);
            Page p = c.tlbPageAt(i);
            long pa = c.tlbPaAt(i, va);
            long v1, v2 = 0;
            if (p != null) {
                int off = (int) (va & Page.MASK);
                if (pair && bytes == 8) {
                    synchronized (c.atomicLock()) {
                        v1 = loadVolatile(p.data, off, 8);
                        v2 = loadVolatile(p.data, off + 8, 8);
                    }
                } else if (pair) {
                    long v = loadVolatile(p.data, off, 8);
                    v1 = v & 0xFFFF_FFFFL;
                    v2 = v >>> 32;
                } else {
                    v1 = loadVolatile(p.data, off, bytes);
                }
            } else {
                v1 = c.read(va, bytes, 0);
                if (pair) {
                    v2 = c.read(va + bytes, bytes, 0);
                }
            }
            c.markExclusive(va, p, pa, total, v1, v2);
            if (acq) {
                VarHandle.fullFence();
            }
            c.setX(rt, v1);
            if (pair) {
                c.setX(rt2, v2);
            }
            return pc + 4;
        };
    }

    private static Insn storeExclusive(int size, boolean pair, boolean rel, int rs, int rn, int rt, int rt2) {
        int bytes = 1 << size;
        int total = pair ? 2 * bytes : bytes;
        if (!pair && rt2 != 31) {
            return null;
        }
        long m = mask(bytes);
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, total, true, 0);
            long d1 = c.x[rt] & m;
            long d2 = pair ? c.x[rt2] & m : 0;
            if (rel) {
                VarHandle.fullFence();
            }
            boolean ok = false;
            if (c.exclusiveVa() == va) {
                int i = c.translateData(va, total, false, true, 0);
                Page p = c.tlbPageAt(i);
                long pa = c.tlbPaAt(i, va);
                if (c.exclusivePasses(pa, total)) {
                    ok = storeIfUnchanged(c, p, va, bytes, pair, d1, d2);
                }
            }
            c.clearExclusiveMonitor();
            c.setX(rs, ok ? 0 : 1);
            return pc + 4;
        };
    }

    /** The store of a store-exclusive: succeeds only if memory still holds what the load-exclusive read. */
    private static boolean storeIfUnchanged(Cpu c, Page p, long va, int bytes, boolean pair, long d1, long d2) {
        long e1 = c.exclusiveValue(), e2 = c.exclusiveValue2();
        if (p == null) {
            synchronized (c.atomicLock()) {
                c.write(va, bytes, d1, 0);
                if (pair) {
                    c.write(va + bytes, bytes, d2, 0);
                }
            }
            return true;
        }
        int off = (int) (va & Page.MASK);
        boolean ok;
        if (pair && bytes == 8) {
            synchronized (c.atomicLock()) {
                ok = loadVolatile(p.data, off, 8) == e1 && loadVolatile(p.data, off + 8, 8) == e2
                        && cas(p.data, off, 8, e1, d1) == e1;
                if (ok && cas(p.data, off + 8, 8, e2, d2) != e2) {
                    cas(p.data, off, 8, d1, e1); // lost the second half to a plain store: undo, fail
                    ok = false;
                }
            }
        } else if (pair) {
            long e = e1 | (e2 << 32);
            ok = cas(p.data, off, 8, e, d1 | (d2 << 32)) == e;
        } else {
            ok = cas(p.data, off, bytes, e1, d1) == e1;
        }
        if (ok) {
            c.afterAtomicStore(p, off, pair ? 2 * bytes : bytes);
        }
        return ok;
    }

    /** CAS, CASA, CASL, CASAL (and the B/H forms): Rs is the expected value and receives the old one. */
    private static Insn cas(int size, boolean acq, boolean rel, int rs, int rn, int rt) {
        int bytes = 1 << size;
        long m = mask(bytes);
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, bytes, false, 0); // read-modify-write: WnR = 0, as for LDADD
            int i = c.translateData(va, bytes, true, true, 0);
            Page p = c.tlbPageAt(i);
            long expect = c.x[rs] & m, nv = c.x[rt] & m;
            if (rel) {
                VarHandle.fullFence();
            }
            long old;
            if (p != null) {
                int off = (int) (va & Page.MASK);
                old = cas(p.data, off, bytes, expect, nv);
                if (old == expect) {
                    c.afterAtomicStore(p, off, bytes);
                }
            } else {
                synchronized (c.atomicLock()) {
                    old = c.read(va, bytes, 0);
                    if (old == expect) {
                        c.write(va, bytes, nv, 0);
                    }
                }
            }
            if (acq) {
                VarHandle.fullFence();
            }
            c.setX(rs, old);
            return pc + 4;
        };
    }

    /** CASP, CASPA, CASPL, CASPAL: a pair of words or doublewords; Rs and Rt must be even. */
    private static Insn casp(int esize, boolean acq, boolean rel, int rs, int rn, int rt) {
        if ((rs & 1) != 0 || (rt & 1) != 0) {
            return null;
        }
        int bytes = 1 << esize;
        long m = mask(bytes);
        return (c, pc) -> {
            long va = base(c, rn);
            c.checkAligned(va, 2 * bytes, false, 0); // read-modify-write: WnR = 0, as for LDADD
            int i = c.translateData(va, 2 * bytes, true, true, 0);
            Page p = c.tlbPageAt(i);
            long e1 = c.x[rs] & m, e2 = c.x[rs + 1] & m;
            long n1 = c.x[rt] & m, n2 = c.x[rt + 1] & m;
            if (rel) {
                VarHandle.fullFence();
            }
            long o1, o2;
            if (p != null && bytes == 4) {
                int off = (int) (va & Page.MASK);
                long old = cas(p.data, off, 8, e1 | (e2 << 32), n1 | (n2 << 32));
                o1 = old & 0xFFFF_FFFFL;
                o2 = old >>> 32;
                if (o1 == e1 && o2 == e2) {
                    c.afterAtomicStore(p, off, 8);
                }
            } else {
                synchronized (c.atomicLock()) {
                    o1 = c.read(va, bytes, 0);
                    o2 = c.read(va + bytes, bytes, 0);
                    if (o1 == e1 && o2 == e2) {
                        c.write(va, bytes, n1, 0);
                        c.write(va + bytes, bytes, n2, 0);
                    }
                }
            }
            if (acq) {
                VarHandle.fullFence();
            }
            c.setX(rs, o1);
            c.setX(rs + 1, o2);
            return pc + 4;
        };
    }
}
