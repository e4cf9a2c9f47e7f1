package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.Pas;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Non-secure software executing on the CPU (not a Java shortcut) loads from a granule the RMM has populated for
 * a realm: the load takes a granule protection fault and the register never sees the data.
 */
class HostCannotReadRealmMemoryTest {
    @Test
    void nonSecureLoadFromPopulatedRealmPageIsAGranuleProtectionFault() {
        TestHost h = new TestHost();
        TestHost.Realm realm = h.new Realm();
        realm.create();
        realm.rttCreate(RealmLifecycleTest.IPA, 3);
        long data = realm.dataCreate(RealmLifecycleTest.IPA, RealmLifecycleTest.PROGRAM);

        // Host code at NS-EL1 (MMU off, no stage 2): ldr x2, [x1]; hvc #0. Vector: hvc #1.
        Cpu cpu = h.cpu;
        long code = h.alloc();
        long vbar = h.alloc();
        cpu.physWrite(code, 4, 0xf9400022L, Pas.NON_SECURE);
        cpu.physWrite(code + 4, 4, 0xd4000002L, Pas.NON_SECURE);
        cpu.physWrite(vbar + 0x200, 4, 0xd4000022L, Pas.NON_SECURE);
        cpu.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW;
        cpu.sr[SysRegs.SCTLR_EL1] = 0;
        cpu.sr[SysRegs.VBAR_EL1] = vbar;
        cpu.onTranslationRegimeChange();
        cpu.x[1] = data;
        cpu.x[2] = 0;
        cpu.sr[SysRegs.SPSR_EL2] = 0x3C5;
        cpu.sr[SysRegs.ELR_EL2] = code;
        cpu.eret();
        cpu.setBudget(1000);
        assertEquals(Cpu.StopReason.ARRIVED, cpu.runUntil(2, SecurityState.NON_SECURE));

        assertEquals(1, Esr.iss(cpu.sr[SysRegs.ESR_EL2]), "the fault vector's HVC #1 brought us back");
        long esr = cpu.sr[SysRegs.ESR_EL1];
        assertEquals(Esr.EC_DABT_CUR, Esr.ec(esr));
        assertEquals(Esr.FSC_GPF, Esr.iss(esr) & 0x3F, "granule protection fault");
        assertEquals(data, cpu.sr[SysRegs.FAR_EL1]);
        assertEquals(0, cpu.x[2], "no realm data reached the host's register");
    }
}
