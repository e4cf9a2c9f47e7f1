package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.mem.Pas;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A realm created, populated and run through RMI calls issued by SMC from Non-secure EL2. */
class RealmLifecycleTest {
    static final long IPA = 0x4000_0000L;
    /** RSI_VERSION, an MMIO write and read at the unprotected alias of 0x0900_0000, then PSCI SYSTEM_OFF. */
    static final int[] PROGRAM = {
        0xd2803200, 0xf2b88000, 0xd2a00021, 0xd4000003, 0xaa0103e5, 0xd2800823, 0xd2a12002, 0xf2c00022,
        0x39000043, 0xb9401844, 0xd2800100, 0xf2b08000, 0xd4000003, 0x14000000};

    @Test
    void versionAndFeaturesAnswerV10() {
        TestHost h = new TestHost();
        long[] r = h.rmi(Rmi.VERSION, Rmi.ABI_1_0);
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(Rmi.ABI_1_0, r[1]);
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.VERSION, 0x20000));
        long fr0 = h.rmi(Rmi.FEATURES, 0)[1];
        assertEquals(48, fr0 & 0xFF, "S2SZ");
        assertTrue((fr0 & (1L << 32)) != 0, "SHA-256 supported");
    }

    @Test
    void delegatedGranuleIsNoLongerReadableFromTheNonSecureSide() {
        TestHost h = new TestHost();
        long pa = h.alloc();
        h.write64(pa, 0x1234);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.GRANULE_DELEGATE, pa));
        Cpu.PhysicalAccessException e = assertThrows(Cpu.PhysicalAccessException.class, () -> h.read64(pa));
        assertTrue(e.granuleProtection);
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.GRANULE_DELEGATE, pa), "already delegated");
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.GRANULE_UNDELEGATE, pa));
        assertEquals(0, h.read64(pa), "delegation scrubbed the granule");
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.GRANULE_DELEGATE, pa + 8), "unaligned");
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.GRANULE_DELEGATE, 0x1000), "outside delegable memory");
    }

    @Test
    void realmRunsRsiCallMmioExitsAndSystemOff() {
        TestHost h = new TestHost();
        TestHost.Realm realm = h.new Realm();
        assertEquals(Rmi.SUCCESS, realm.create());
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 2), h.rmi0(Rmi.DATA_CREATE, realm.rd, h.delegated(), IPA, h.alloc(), 0),
                "no level-3 table yet: the walk stops at level 2");
        assertEquals(Rmi.SUCCESS, realm.rttCreate(IPA, 3));
        long data = realm.dataCreate(IPA, PROGRAM);
        assertThrows(Cpu.PhysicalAccessException.class, () -> h.cpu.physRead(data, 8, Pas.NON_SECURE),
                "the populated page is protected from the host");
        long rec = realm.recCreate(IPA, true, 0);
        long run = h.alloc();
        assertEquals(Rmi.pack(Rmi.ERROR_REALM, 0), h.rmi0(Rmi.REC_ENTER, rec, run), "realm not yet active");
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REALM_ACTIVATE, realm.rd));

        // 1: the MMIO write exits with a valid syndrome and the value
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REC_ENTER, rec, run));
        assertEquals(Rmi.EXIT_SYNC, h.read64(run + RecRun.EXIT_REASON));
        long esr = h.read64(run + RecRun.EXIT_ESR);
        assertEquals(Esr.EC_DABT_LOWER, Esr.ec(esr));
        assertTrue((esr & Esr.ISV) != 0 && (esr & Esr.WNR) != 0);
        assertEquals(0x1_0900_0000L >>> 8, h.read64(run + RecRun.EXIT_HPFAR));
        assertEquals(0x41, h.read64(run + RecRun.EXIT_GPRS));

        // 2: complete it; the read at offset 0x18 exits next, and the host supplies 0x90
        h.write64(run + RecRun.ENTER_FLAGS, Rmi.REC_ENTER_EMUL_MMIO);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REC_ENTER, rec, run));
        esr = h.read64(run + RecRun.EXIT_ESR);
        assertEquals(0, esr & Esr.WNR, "a read");
        assertEquals(0x18, h.read64(run + RecRun.EXIT_FAR));
        h.write64(run + RecRun.ENTER_GPRS, 0x90);

        // 3: SYSTEM_OFF
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REC_ENTER, rec, run));
        assertEquals(Rmi.EXIT_PSCI, h.read64(run + RecRun.EXIT_REASON));
        assertEquals(Psci.SYSTEM_OFF, h.read64(run + RecRun.EXIT_GPRS));
        RmmInspector.RecInfo info = h.fw.inspector(0).rec(rec);
        assertEquals(0x10000, info.gprs()[5], "RSI_VERSION returned 1.0 in X1");
        assertEquals(0x90, info.gprs()[4], "the host's MMIO read value reached W4");
        assertEquals(Rmi.pack(Rmi.ERROR_REALM, 1), h.rmi0(Rmi.REC_ENTER, rec, run), "realm is SYSTEM_OFF");
        assertEquals(0, h.cpu.x[5], "no realm register leaks to the host");
    }

    @Test
    void rimChangesWithEveryMeasuredStepAndDependsOnContent() {
        TestHost h1 = new TestHost();
        TestHost.Realm a = h1.new Realm();
        a.create();
        a.rttCreate(IPA, 3);
        String afterCreate = h1.fw.inspector(0).realm(a.rd).rim();
        a.dataCreate(IPA, PROGRAM);
        String afterData = h1.fw.inspector(0).realm(a.rd).rim();
        assertNotEquals(afterCreate, afterData);

        TestHost h2 = new TestHost();
        TestHost.Realm b = h2.new Realm();
        b.create();
        b.rttCreate(IPA, 3);
        assertEquals(afterCreate, h2.fw.inspector(0).realm(b.rd).rim(), "same parameters, same initial RIM");
        int[] other = PROGRAM.clone();
        other[0] ^= 1;
        b.dataCreate(IPA, other);
        assertNotEquals(afterData, h2.fw.inspector(0).realm(b.rd).rim(), "different content, different RIM");
    }

    @Test
    void realmCreateRejectsBadParametersWithInput() {
        TestHost h = new TestHost();
        TestHost.Realm r = h.new Realm();
        h.write64(r.params + 0x8, 60); // s2sz beyond the supported 48
        assertEquals(Rmi.ERROR_INPUT, r.create());
        h.write64(r.params + 0x8, 33);
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.REALM_CREATE, r.rtt, r.params), "RD aliases a root RTT");
        assertEquals(Rmi.SUCCESS, r.create());
        assertEquals(GranuleState.RD, h.fw.inspector(0).granuleState(r.rd));
        assertEquals(GranuleState.RTT, h.fw.inspector(0).granuleState(r.rtt));
        assertEquals(Rmi.ERROR_INPUT, r.create(), "RD is no longer DELEGATED");
    }
}
