package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.Pas;
import dev.cca.core.mmu.GptTables;
import dev.cca.core.mmu.GranuleProtection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Granule protection checks against a GPT held in memory (FEAT_RME). */
class GranuleProtectionTest {
    static final long CODE = Harness.RAM + 0x1000;
    static final long VBAR = Harness.RAM + 0x8000;
    static final long REALM_GRANULE = Harness.RAM + 0x3000;
    static final long NS_GRANULE = Harness.RAM + 0x4000;

    static GptTables buildGpt(Harness h) {
        GptTables gpt = new GptTables(h.mem, Harness.RAM + 0x20_0000, 32);
        for (int i = 0; i < gpt.l0Entries(); i++) {
            gpt.setBlock(i, GranuleProtection.GPI_ANY);
        }
        gpt.attachL1(1, Harness.RAM + 0x40_0000, GranuleProtection.GPI_NON_SECURE);
        gpt.setGranule(REALM_GRANULE, GranuleProtection.GPI_REALM);
        h.cpu.sr[SysRegs.GPCCR_EL3] = gpt.gpccr();
        h.cpu.sr[SysRegs.GPTBR_EL3] = gpt.gptbr();
        h.cpu.onTranslationRegimeChange();
        return gpt;
    }

    @Test
    void nonSecureLoadFromRealmGranuleTakesGranuleProtectionFault() {
        Harness h = new Harness();
        h.mem.write(REALM_GRANULE, 8, 0x5ec2e7L);
        h.load(CODE, 0xf9400022); // ldr x2, [x1]
        h.load(VBAR + 0x200, 0xd4000002); // hvc #0
        buildGpt(h);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = VBAR;
        h.cpu.x[1] = REALM_GRANULE;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long esr = h.cpu.sr[SysRegs.ESR_EL1];
        assertEquals(Esr.EC_DABT_CUR, Esr.ec(esr));
        assertEquals(Esr.FSC_GPF, Esr.iss(esr) & 0x3F);
        assertEquals(REALM_GRANULE, h.cpu.sr[SysRegs.FAR_EL1]);
        assertEquals(0, h.cpu.x[2], "the secret never reached the register");
    }

    @Test
    void realmLoadFromRealmGranuleSucceeds() {
        Harness h = new Harness();
        h.mem.write(REALM_GRANULE, 8, 0x5ec2e7L);
        h.load(CODE, 0xf9400022, 0xd4000002); // ldr x2, [x1]; hvc #0
        buildGpt(h);
        // Realm code itself must be fetched from a Realm granule.
        new GptTables(h.mem, Harness.RAM + 0x20_0000, 32).setGranule(CODE, GranuleProtection.GPI_REALM);
        h.enterEl1(SecurityState.REALM, CODE);
        h.cpu.x[1] = REALM_GRANULE;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.REALM));
        assertEquals(0x5ec2e7L, h.cpu.x[2]);
    }

    @Test
    void firmwarePhysicalAccessIsCheckedToo() {
        Harness h = new Harness();
        buildGpt(h);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        Cpu.PhysicalAccessException e = assertThrows(Cpu.PhysicalAccessException.class,
                () -> h.cpu.physRead(REALM_GRANULE, 8, Pas.NON_SECURE));
        assertTrue(e.granuleProtection);
        assertEquals(0, h.cpu.physRead(NS_GRANULE, 8, Pas.NON_SECURE));
        assertEquals(0, h.cpu.physRead(REALM_GRANULE, 8, Pas.REALM));
    }

    @Test
    void gptEncodingRoundTrips() {
        Harness h = new Harness();
        GptTables gpt = buildGpt(h);
        assertEquals(GranuleProtection.GPI_REALM, gpt.gpi(REALM_GRANULE));
        assertEquals(GranuleProtection.GPI_NON_SECURE, gpt.gpi(NS_GRANULE));
        assertEquals(GranuleProtection.GPI_ANY, gpt.gpi(0x0900_0000L));
        int r = GranuleProtection.check(h.mem, gpt.gpccr(), gpt.gptbr(), 48, REALM_GRANULE, Pas.NON_SECURE);
        assertEquals(GranuleProtection.FAIL, GranuleProtection.faultType(r));
        assertEquals(GranuleProtection.OK,
                GranuleProtection.check(h.mem, gpt.gpccr(), gpt.gptbr(), 48, REALM_GRANULE, Pas.REALM));
    }
}
