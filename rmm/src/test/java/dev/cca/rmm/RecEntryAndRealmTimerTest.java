package dev.cca.rmm;

import dev.cca.core.cpu.GenericTimer;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What Arm's RMM conformance suite (cca-rmm-acs) checks of REC entry and exit: emul_mmio only after an emulatable
 * abort (cmd_rec_enter, rec_mmio), the realm's EL1 physical timer (gic_timer_*), and ICH_VMCR_EL2 as the realm
 * sees it (gic_obsv_vmcr).
 */
class RecEntryAndRealmTimerTest {
    /** MRS Xt, CNTP_CTL_EL0 / MSR CNTP_CTL_EL0, Xt / MSR CNTP_CVAL_EL0, Xt / MRS Xt, ICV_BPR0_EL1 (ICC_BPR0_EL1). */
    private static int mrsCntpCtl(int xt) {
        return 0xD53BE220 | xt;
    }

    private static int msrCntpCtl(int xt) {
        return 0xD51BE220 | xt;
    }

    private static int msrCntpCval(int xt) {
        return 0xD51BE240 | xt;
    }

    private static int mrsIcvBpr0(int xt) {
        return 0xD538C860 | xt;
    }

    @Test
    void emulMmioAfterAnAbortAtAProtectedIpaIsRefusedWithErrorRec() {
        // The realm writes to an IPA whose RIPAS is RAM but which has no page: a stage-2 abort the host cannot
        // emulate (it must map the page), even though the access itself has a valid syndrome (ISV).
        Asm p = new Asm().mov(9, RecExitsTest.HOLE).mov(10, 1).str(10, 9, 0).call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        assertEquals(Rmi.pack(Rmi.ERROR_REC, 0), f.h.enter(f.rec0, f.run, Rmi.REC_ENTER_EMUL_MMIO));
    }

    @Test
    void emulMmioAfterAHostCallIsRefusedWithErrorRec() {
        Asm p = new Asm().call(Rsi.HOST_CALL, RecExitsTest.DATA).call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        assertEquals(Rmi.pack(Rmi.ERROR_REC, 0), f.h.enter(f.rec0, f.run, Rmi.REC_ENTER_EMUL_MMIO));
    }

    @Test
    void realmProgramsTheEl1PhysicalTimerAndTheHostSeesItAtExit() {
        long cval = 0x7FFF_FFFF_FFFFL; // far in the future
        Asm p = new Asm()
                .mov(1, cval).word(msrCntpCval(1))
                .mov(2, GenericTimer.CTL_ENABLE).word(msrCntpCtl(2))
                .word(mrsCntpCtl(3))
                .mov(9, RecExitsTest.DATA).str(3, 9, 8) // host call gprs[0] = CNTP_CTL_EL0 as read
                .call(Rsi.HOST_CALL, RecExitsTest.DATA)
                .call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON), "CNTP_* accesses do not trap or fault");
        assertEquals(GenericTimer.CTL_ENABLE, f.exit(RecRun.EXIT_GPRS), "the realm read its own CNTP_CTL_EL0");
        assertEquals(GenericTimer.CTL_ENABLE, f.exit(RecRun.EXIT_CNTP_CTL));
        assertEquals(cval, f.exit(RecRun.EXIT_CNTP_CVAL));
    }

    @Test
    void vmcrBinaryPointReportedAtExitIsWhatTheRealmReads() {
        Asm p = new Asm()
                .word(mrsIcvBpr0(3))
                .mov(9, RecExitsTest.DATA).str(3, 9, 8) // host call gprs[0] = ICV_BPR0_EL1
                .call(Rsi.HOST_CALL, RecExitsTest.DATA)
                .call(Psci.SYSTEM_OFF);
        RecExitsTest.Fixture f = new RecExitsTest.Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        long bpr0 = f.exit(RecRun.EXIT_GPRS);
        assertEquals(2, bpr0, "the minimum binary point with 5 priority bits");
        assertEquals(bpr0, (f.exit(RecRun.EXIT_GICV3_VMCR) >>> 21) & 7, "ICH_VMCR_EL2.VBPR0");
    }
}
