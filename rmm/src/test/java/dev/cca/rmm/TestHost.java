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
    final CcaFirmware fw;
    final Cpu cpu = platform.machine.cpu(0);

    TestHost() {
        fw = CcaFirmware.install(platform);
    }

    /** A host whose platform uses the given attestation keys (generating keys is slow; the fuzzer shares them). */
    TestHost(dev.cca.rmm.el3.PlatformAttestation keys) {
        fw = CcaFirmware.install(platform, keys);
    }
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

    /** Aligns the allocator to {@code bytes} (a power of two), for block-sized contiguous ranges. */
    void alignTo(long bytes) {
        next = (next + bytes - 1) & ~(bytes - 1);
    }

    /** RMI_REC_ENTER with the given RmiRecEnter.flags; returns X0. */
    long enter(long rec, long run, long flags) {
        write64(run + dev.cca.rmm.rec.RecRun.ENTER_FLAGS, flags);
        return rmi0(Rmi.REC_ENTER, rec, run);
    }

    long enter(long rec, long run) {
        return enter(rec, run, 0);
    }

    /** A field of the RmiRecExit in {@code run} (offset from dev.cca.rmm.rec.RecRun). */
    long exit(long run, int offset) {
        return read64(run + offset);
    }

    /** The saved registers of a REC that is not running. */
    long[] recGprs(long rec) {
        return fw.inspector(0).rec(rec).gprs();
    }

    RmmInspector inspector() {
        return fw.inspector(0);
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
            this(s2sz, hash, 1);
        }

        Realm(int s2sz, int hash, int vmid) {
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
            write64(params + RealmParams.VMID, vmid);
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

        long rttCreate(long rtt, long ipa, int level) {
            return rmi0(Rmi.RTT_CREATE, rd, rtt, ipa, level);
        }

        /** RTT_READ_ENTRY: X0..X4. */
        long[] readEntry(long ipa, int level) {
            return rmi(Rmi.RTT_READ_ENTRY, rd, ipa, level);
        }

        /** Maps a zero page at {@code ipa} with DATA_CREATE_UNKNOWN; returns the data granule. */
        long dataCreateUnknown(long ipa) {
            long data = delegated();
            long r = rmi0(Rmi.DATA_CREATE_UNKNOWN, rd, data, ipa);
            if (r != Rmi.SUCCESS) {
                throw new AssertionError("DATA_CREATE_UNKNOWN failed: " + Rmi.describe(r));
            }
            return data;
        }

        long activate() {
            return rmi0(Rmi.REALM_ACTIVATE, rd);
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
