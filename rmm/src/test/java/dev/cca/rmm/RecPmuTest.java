package dev.cca.rmm;

import dev.cca.core.cpu.Pmu;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static dev.cca.rmm.RecExitsTest.CODE0;
import static dev.cca.rmm.RecExitsTest.DATA;
import static dev.cca.rmm.RecExitsTest.HOLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A realm's PMU (RecPmu): without the PMU flag the realm reads PMUVer 0 and its PMU accesses are UNDEFINED; with
 * it, the REC's counters keep counting across a REC exit, during which the host has its own PMU state back.
 */
class RecPmuTest {
    private static final int MRS_X22_ESR_EL1 = 0xd5385216, MSR_VBAR_EL1_X1 = 0xd518c001, ISB = 0xd5033fdf,
            MRS_X20_DFR0 = 0xd5380514, MRS_X21_PMCR = 0xd53b9c15, MSR_PMCR_X3 = 0xd51b9c03,
            MRS_X21_PMCCNTR = 0xd53b9d15, MSR_PMCNTENSET_X2 = 0xd51b9c22;

    /** One realm, REC 0 running {@code prog} at CODE0; {@code pmuCounters} > 0 creates it with the PMU flag. */
    private static final class Fixture {
        final TestHost h = new TestHost();
        final TestHost.Realm realm = h.new Realm();
        final long rec0;
        final long run = h.alloc();

        Fixture(Asm prog, int pmuCounters) {
            if (pmuCounters > 0) {
                h.write64(realm.params + RealmParams.FLAGS, Rmi.REALM_FLAG_PMU);
                h.write64(realm.params + RealmParams.PMU_NUM_CTRS, pmuCounters);
            }
            assertEquals(Rmi.SUCCESS, realm.create());
            realm.rttCreate(CODE0, 3);
            realm.dataCreate(CODE0, prog.words());
            realm.dataCreate(DATA);
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_INIT_RIPAS, realm.rd, HOLE, HOLE + 0x4000));
            rec0 = realm.recCreate(CODE0, true, 0);
            assertEquals(Rmi.SUCCESS, realm.activate());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void withoutThePmuFlagTheRealmSeesNoPmuAndItsAccessesAreUndefined() {
        // 0x000: b 0x400; 0x200 (synchronous exception, current EL with SPx): x22 = ESR_EL1, SYSTEM_OFF;
        // 0x400: VBAR_EL1 = CODE0, x20 = ID_AA64DFR0_EL1, then MRS PMCR_EL0.
        Asm p = new Asm().word(0x14000000 | (0x400 / 4));
        while (p.size() < 0x200) {
            p.word(0xd503201f);
        }
        p.word(MRS_X22_ESR_EL1).call(Psci.SYSTEM_OFF);
        while (p.size() < 0x400) {
            p.word(0xd503201f);
        }
        p.mov(1, CODE0).word(MSR_VBAR_EL1_X1).word(ISB).word(MRS_X20_DFR0).mov(21, 7).word(MRS_X21_PMCR)
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, 0);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.h.exit(f.run, RecRun.EXIT_REASON));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(0, (g[20] >>> 8) & 0xF, "PMUVer 0 for a realm without the PMU");
        assertEquals(2, (g[20] >>> 12) & 0xF, "BRPs = the realm's num_bps");
        assertEquals(0, g[22] >>> 26, "MRS PMCR_EL0 is UNDEFINED (EC 0)");
        assertEquals(7, g[21], "the MRS did not complete");
        assertEquals(Rmi.PMU_OVERFLOW_NOT_ACTIVE, f.h.exit(f.run, RecRun.EXIT_PMU_OVF_STATUS));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theRecsCountersSurviveARecExitDuringWhichTheHostHasItsOwnPmu() {
        Asm call = new Asm().call(Rsi.HOST_CALL, DATA);
        Asm p = new Asm().word(MRS_X20_DFR0).word(MRS_X21_PMCR).mov(2, 1L << Pmu.CYCLE).word(MSR_PMCNTENSET_X2)
                .mov(3, Pmu.PMCR_E).word(MSR_PMCR_X3);
        for (int w : call.words()) {
            p.word(w);
        }
        p.word(MRS_X21_PMCCNTR).call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, 4);
        // The host's own PMU state on this PE: counter 3 holds a value and the cycle counter is enabled.
        long[] host = new long[Pmu.CONTEXT_LENGTH];
        host[3] = 1L << Pmu.CYCLE;
        host[8 + 2 * 3 + 1] = 0x1234;
        f.h.cpu.pmu.restore(host, 0);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.h.exit(f.run, RecRun.EXIT_REASON));
        assertEquals(Rmi.PMU_OVERFLOW_NOT_ACTIVE, f.h.exit(f.run, RecRun.EXIT_PMU_OVF_STATUS));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(6, (g[20] >>> 8) & 0xF, "PMUVer 6 for a realm with the PMU");
        assertEquals(4, (g[21] >>> 11) & 0x1F, "PMCR_EL0.N = pmu_num_ctrs");
        long[] now = new long[Pmu.CONTEXT_LENGTH];
        f.h.cpu.pmu.save(now, 0);
        assertEquals(1L << Pmu.CYCLE, now[3], "the host's enables are back");
        assertEquals(0x1234, now[8 + 2 * 3 + 1], "the host's counter 3 is back");
        assertEquals(0, now[0] & Pmu.PMCR_E, "the realm's PMCR_EL0.E is not left in the PE");
        assertFalse(f.h.cpu.pmu.irqAsserted());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.h.exit(f.run, RecRun.EXIT_REASON));
        // Counted: the host call's instructions, SMC included; not the MSR that enabled counting nor the MRS.
        assertEquals(call.words().length, f.h.recGprs(f.rec0)[21]);
    }
}
