package dev.cca.rmm;

import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The RIM and REMs against a computation written here from the descriptor layouts of RMM spec A7.1 (TF-RMM
 * lib/measurement measurement_descs.h), independently of the RMM's Measurement class, in SHA-256 and SHA-512.
 */
class MeasurementTest {
    static final long IPA = 0x4000_0000L;

    /** The expected RIM, computed step by step. */
    static final class Rim {
        final String jca;
        final int len;
        byte[] value;

        Rim(int hashAlgo) {
            jca = hashAlgo == 1 ? "SHA-512" : "SHA-256";
            len = hashAlgo == 1 ? 64 : 32;
        }

        byte[] h(byte[] b) {
            try {
                return MessageDigest.getInstance(jca).digest(b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        /** RmiRealmParams with only flags, s2sz, sve_vl, num_bps, num_wps, pmu_num_ctrs, hash_algo kept. */
        void init(int s2sz, int bps, int wps, int hashAlgo) {
            ByteBuffer p = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            p.putInt(0x8, s2sz).putInt(0x18, bps).putInt(0x20, wps).put(0x30, (byte) hashAlgo);
            value = h(p.array());
        }

        private ByteBuffer desc(int type) {
            ByteBuffer d = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
            d.put(0, (byte) type).putLong(8, 256);
            d.position(0x10);
            d.put(value);
            return d;
        }

        void data(long ipa, boolean measured, byte[] page) {
            ByteBuffer d = desc(0).putLong(0x50, ipa).putLong(0x58, measured ? 1 : 0);
            if (measured) {
                d.position(0x60);
                d.put(h(page));
            }
            value = h(d.array());
        }

        void rec(long pc, long[] gprs) {
            ByteBuffer p = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            p.putLong(0, 1).putLong(0x200, pc);
            for (int i = 0; i < 8; i++) {
                p.putLong(0x300 + 8 * i, gprs[i]);
            }
            ByteBuffer d = desc(1);
            d.position(0x50);
            d.put(h(p.array()));
            value = h(d.array());
        }

        void ripas(long base, long top) {
            value = h(desc(2).putLong(0x50, base).putLong(0x58, top).array());
        }

        String hex() {
            return HexFormat.of().formatHex(value);
        }
    }

    @ParameterizedTest(name = "hash_algo {0}")
    @ValueSource(ints = {Rmi.HASH_SHA_256, Rmi.HASH_SHA_512})
    void rimFollowsTheSpecDescriptorsInTheOrderTheHostIssuesThem(int algo) {
        TestHost h = new TestHost();
        TestHost.Realm realm = h.new Realm(33, algo);
        Rim rim = new Rim(algo);
        assertEquals(Rmi.SUCCESS, realm.create());
        rim.init(33, 2, 2, algo);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "REALM_CREATE");

        realm.rttCreate(IPA, 3);
        int[] program = new Asm().mov(1, 0).call(Rsi.MEASUREMENT_READ, 0).movReg(20, 1).movReg(21, 2)
                .movReg(22, 3).movReg(23, 4).movReg(24, 5).movReg(25, 6).movReg(26, 7).movReg(27, 8)
                .call(Psci.SYSTEM_OFF).words();
        realm.dataCreate(IPA, program);
        byte[] page = new byte[4096];
        ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(program);
        rim.data(IPA, true, page);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "DATA_CREATE measured");

        long src = h.alloc();
        h.write64(src, 0x1122334455667788L);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.DATA_CREATE, realm.rd, h.delegated(), IPA + 0x1000, src,
                Rmi.DATA_NO_MEASURE_CONTENT));
        rim.data(IPA + 0x1000, false, null);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "DATA_CREATE without content");

        realm.dataCreateUnknown(IPA + 0x2000);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "DATA_CREATE_UNKNOWN is not measured");

        long rec = realm.recCreate(IPA, true, 0);
        rim.rec(IPA, new long[8]);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "REC_CREATE runnable");
        realm.recCreate(IPA, false, 1);
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "a REC that is not runnable is not measured");

        // RTT_INIT_RIPAS: one descriptor per entry, 4 KB entries in the level-3 table, 2 MB beyond it
        assertEquals(Rmi.SUCCESS, h.rmi(Rmi.RTT_INIT_RIPAS, realm.rd, IPA + 0x3000, IPA + 0x6000)[0]);
        for (long a = IPA + 0x3000; a < IPA + 0x6000; a += 0x1000) {
            rim.ripas(a, a + 0x1000);
        }
        long[] r = h.rmi(Rmi.RTT_INIT_RIPAS, realm.rd, IPA + (2L << 20), IPA + (6L << 20));
        assertEquals(IPA + (6L << 20), r[1]);
        for (long a = IPA + (2L << 20); a < IPA + (6L << 20); a += 2L << 20) {
            rim.ripas(a, a + (2L << 20));
        }
        assertEquals(rim.hex(), h.inspector().realm(realm.rd).rim(), "RTT_INIT_RIPAS");

        // The realm reads the same value with RSI_MEASUREMENT_READ: X1..X8, little-endian words
        assertEquals(Rmi.SUCCESS, realm.activate());
        long run = h.alloc();
        assertEquals(Rmi.SUCCESS, h.enter(rec, run));
        long[] g = h.recGprs(rec);
        ByteBuffer read = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 20; i <= 27; i++) {
            read.putLong(g[i]);
        }
        byte[] expected = java.util.Arrays.copyOf(rim.value, 64);
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(read.array()),
                "SHA-256 leaves X5..X8 zero; SHA-512 fills them");
    }

    @ParameterizedTest(name = "hash_algo {0}")
    @ValueSource(ints = {Rmi.HASH_SHA_256, Rmi.HASH_SHA_512})
    void remIsTheHashOfTheOldValueAndTheExtensionBytes(int algo) throws Exception {
        TestHost h = new TestHost();
        TestHost.Realm realm = h.new Realm(33, algo);
        realm.create();
        realm.rttCreate(IPA, 3);
        realm.dataCreate(IPA, new Asm()
                .mov(3, 0x0807060504030201L).mov(4, 0x100F0E0D0C0B0A09L)
                .call(Rsi.MEASUREMENT_EXTEND, 4, 12)
                .mov(3, 0xFFL).call(Rsi.MEASUREMENT_EXTEND, 4, 1)
                .call(Psci.SYSTEM_OFF).words());
        long rec = realm.recCreate(IPA, true, 0);
        realm.activate();
        assertEquals(Rmi.SUCCESS, h.enter(rec, h.alloc()));
        MessageDigest md = MessageDigest.getInstance(algo == 1 ? "SHA-512" : "SHA-256");
        int len = algo == 1 ? 64 : 32;
        md.update(new byte[len]);
        md.update(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        byte[] rem = md.digest();
        md.update(rem);
        md.update(new byte[] {(byte) 0xFF});
        rem = md.digest();
        assertEquals(HexFormat.of().formatHex(rem), h.inspector().realm(realm.rd).measurements().get(4));
        assertEquals("0".repeat(2 * len), h.inspector().realm(realm.rd).measurements().get(3));
    }
}
