package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.mem.Pas;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.smc.Rmi;

/**
 * A minimal host for RMM tests: Java code at Non-secure EL2 that allocates pages from DRAM and issues RMI calls
 * through SMC, as the KVM model does.
 */
final class TestHost {
    final HostPlatform platform = new HostPlatform(1, 64L << 20);
    final CcaFirmware fw = CcaFirmware.install(platform);
    final Cpu cpu = platform.machine.cpu(0);
    private long next = HostPlatform.DRAM_BASE;

    long alloc() {
        long pa = next;
        next += 4096;
        return pa;
    }

    long[] rmi(long fid, long... args) {
        return Smccc.call(cpu, fid, args);
    }

    long rmi0(long fid, long... args) {
        return rmi(fid, args)[0];
    }

    long delegated() {
        long pa = alloc();
        long r = rmi0(Rmi.GRANULE_DELEGATE, pa);
        if (r != Rmi.SUCCESS) {
            throw new AssertionError("delegate failed: " + Rmi.describe(r));
        }
        return pa;
    }

    void write64(long pa, long v) {
        cpu.physWrite(pa, 8, v, Pas.NON_SECURE);
    }

    long read64(long pa) {
        return cpu.physRead(pa, 8, Pas.NON_SECURE);
    }

    /** A realm with a 33-bit IPA space: start level 2 with 8 concatenated root tables (as KVM v12 sets it up). */
    final class Realm {
        final long rd = delegated();
        final long rtt;
        final long params = alloc();

        Realm() {
            this(33, Rmi.HASH_SHA_256);
        }

        Realm(int s2sz, int hash) {
            int sl = 4 - ((s2sz - 8) / 9);
            int n = dev.cca.rmm.rtt.S2tt.rootTables(s2sz, sl);
            // Root tables: n contiguous delegated granules aligned to n * 4 KB.
            long a = next;
            long align = 4096L * n;
            next = (next + align - 1) & ~(align - 1);
            rtt = next;
            for (int i = 0; i < n; i++) {
                delegated();
            }
            if (a > 0 && a < rtt) {
                // the skipped gap is simply left unused
            }
            write64(params + RealmParams.FLAGS, 0);
            write64(params + RealmParams.S2SZ, s2sz);
            write64(params + RealmParams.NUM_BPS, 2);
            write64(params + RealmParams.NUM_WPS, 2);
            write64(params + RealmParams.HASH_ALGO, hash);
            write64(params + RealmParams.VMID, 1);
            write64(params + RealmParams.RTT_BASE, rtt);
            write64(params + RealmParams.RTT_LEVEL_START, sl);
            write64(params + RealmParams.RTT_NUM_START, n);
        }

        long create() {
            return rmi0(Rmi.REALM_CREATE, rd, params);
        }

        long rttCreate(long ipa, int level) {
            return rmi0(Rmi.RTT_CREATE, rd, delegated(), ipa, level);
        }

        /** Populates one page at {@code ipa} with {@code words}, measured. */
        long dataCreate(long ipa, int... words) {
            long src = alloc();
            for (int i = 0; i < words.length; i++) {
                cpu.physWrite(src + 4L * i, 4, words[i] & 0xFFFF_FFFFL, Pas.NON_SECURE);
            }
            long data = delegated();
            long r = rmi0(Rmi.DATA_CREATE, rd, data, ipa, src, Rmi.DATA_MEASURE_CONTENT);
            if (r != Rmi.SUCCESS) {
                throw new AssertionError("DATA_CREATE failed: " + Rmi.describe(r));
            }
            return data;
        }

        long recCreate(long pc, boolean runnable, long mpidr) {
            long p = alloc();
            write64(p + RecParams.FLAGS, runnable ? 1 : 0);
            write64(p + RecParams.MPIDR, mpidr);
            write64(p + RecParams.PC, pc);
            write64(p + RecParams.NUM_AUX, 16);
            for (int i = 0; i < 16; i++) {
                write64(p + RecParams.AUX + 8L * i, delegated());
            }
            long rec = delegated();
            long r = rmi0(Rmi.REC_CREATE, rd, rec, p);
            if (r != Rmi.SUCCESS) {
                throw new AssertionError("REC_CREATE failed: " + Rmi.describe(r));
            }
            return rec;
        }
    }
}
