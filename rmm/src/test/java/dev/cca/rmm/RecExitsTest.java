package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * REC exits a realm's code causes and the host's completions on the next REC_ENTER: host calls, RIPAS change
 * requests, and the PSCI calls the host must see (CPU_ON, AFFINITY_INFO with RMI_PSCI_COMPLETE; CPU_OFF,
 * CPU_SUSPEND as notifications).
 */
class RecExitsTest {
    static final long CODE0 = 0x4000_0000L;
    static final long CODE1 = 0x4000_1000L;
    static final long DATA = 0x4000_2000L;
    static final long FREE = 0x4000_8000L;
    /** RIPAS RAM before activation, but no page mapped: the host must map it when the realm touches it. */
    static final long HOLE = 0x4001_0000L;
    /** MPIDR of REC 1 in RmiRecParams and in MPIDR_EL1 layout (Aff0 = 1). */
    static final long MPIDR1 = 1;

    /** An active realm: REC 0 runs {@code prog0} at CODE0; REC 1 (not runnable) would run from CODE1. */
    static final class Fixture {
        final TestHost h = new TestHost();
        final TestHost.Realm realm = h.new Realm();
        final long rec0;
        final long rec1;
        final long run = h.alloc();

        Fixture(Asm prog0, Asm prog1) {
            assertEquals(Rmi.SUCCESS, realm.create());
            realm.rttCreate(CODE0, 3);
            realm.dataCreate(CODE0, prog0.words());
            realm.dataCreate(CODE1, prog1.words());
            realm.dataCreate(DATA);
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_INIT_RIPAS, realm.rd, HOLE, HOLE + 0x4000));
            rec0 = realm.recCreate(CODE0, true, 0);
            rec1 = realm.recCreate(CODE1, false, MPIDR1);
            assertEquals(Rmi.SUCCESS, realm.activate());
        }

        long exit(int off) {
            return h.exit(run, off);
        }
    }

    @Test
    void hostCallPassesImmAndRegistersBothWays() {
        Asm p = new Asm()
                .mov(9, DATA).mov(10, 0x1234).strW(10, 9, 0) // imm
                .mov(10, 0xAAAA).str(10, 9, 8) // gprs[0]
                .mov(10, 0xBBBB).str(10, 9, 8 + 8 * 30) // gprs[30]
                .call(Rsi.HOST_CALL, DATA)
                .movReg(20, 0) // X20 = RSI status
                .ldr(21, 9, 8) // X21 = gprs[0] after the call
                .ldr(22, 9, 16) // X22 = gprs[1]
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        assertEquals(0x1234, f.exit(RecRun.EXIT_IMM));
        assertEquals(0xAAAA, f.exit(RecRun.EXIT_GPRS));
        assertEquals(0xBBBB, f.exit(RecRun.EXIT_GPRS + 8 * 30));
        f.h.write64(f.run + RecRun.ENTER_GPRS, 0x5151);
        f.h.write64(f.run + RecRun.ENTER_GPRS + 8, 0x5252);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Rsi.SUCCESS, g[20]);
        assertEquals(0x5151, g[21]);
        assertEquals(0x5252, g[22]);
    }

    @Test
    void hostCallOnAnUnmappedStructureIsReportedAsAStage2AbortAndRetried() {
        Asm p = new Asm().call(Rsi.HOST_CALL, HOLE + 0x100).movReg(20, 0).call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        assertEquals((0x24L << 26) | 0x07, f.exit(RecRun.EXIT_ESR), "data abort, translation fault level 3");
        assertEquals(HOLE >>> 8, f.exit(RecRun.EXIT_HPFAR));
        assertEquals(0, f.exit(RecRun.EXIT_FAR));
        // the host maps the page; the SMC is re-executed
        f.realm.dataCreateUnknown(HOLE);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        // the host takes the page away before answering: the completion itself faults, the realm does not run
        assertEquals(Rmi.SUCCESS, f.h.rmi(Rmi.DATA_DESTROY, f.realm.rd, HOLE)[0]);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        assertEquals(HOLE >>> 8, f.exit(RecRun.EXIT_HPFAR));
        assertEquals(Rsi.HOST_CALL, f.h.recGprs(f.rec0)[0], "the realm has not been answered");
    }

    @Test
    void ripasChangeRequestExitsAndCompletesWithTheHostsProgress() {
        Asm p = new Asm()
                .call(Rsi.IPA_STATE_SET, FREE, FREE + 0x4000, Rmi.RIPAS_RAM, 0)
                .movReg(20, 0).movReg(21, 1).movReg(22, 2)
                .call(Rsi.IPA_STATE_GET, FREE, FREE + 0x8000)
                .movReg(23, 0).movReg(24, 1).movReg(25, 2)
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_RIPAS_CHANGE, f.exit(RecRun.EXIT_REASON));
        assertEquals(FREE, f.exit(RecRun.EXIT_RIPAS_BASE));
        assertEquals(FREE + 0x4000, f.exit(RecRun.EXIT_RIPAS_TOP));
        assertEquals(Rmi.RIPAS_RAM, f.exit(RecRun.EXIT_RIPAS_VALUE) & 0xFF);
        assertEquals(Rmi.ERROR_INPUT,
                f.h.rmi0(Rmi.RTT_SET_RIPAS, f.realm.rd, f.rec1, FREE, FREE + 0x4000), "REC 1 made no request");
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.RTT_SET_RIPAS, f.realm.rd, f.rec0, FREE + 0x1000, FREE + 0x4000),
                "base must be the next address of the request");
        // the host applies half of it
        long[] r = f.h.rmi(Rmi.RTT_SET_RIPAS, f.realm.rd, f.rec0, FREE, FREE + 0x2000);
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(FREE + 0x2000, r[1]);
        assertEquals(Rmi.RIPAS_RAM, f.realm.readEntry(FREE + 0x1000, 3)[4]);
        assertEquals(Rmi.RIPAS_EMPTY, f.realm.readEntry(FREE + 0x2000, 3)[4]);
        // and rejects the rest
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run, Rmi.REC_ENTER_RIPAS_RESPONSE));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Rsi.SUCCESS, g[20]);
        assertEquals(FREE + 0x2000, g[21], "X1 = how far the change got");
        assertEquals(Rsi.REJECT, g[22]);
        assertEquals(Rsi.SUCCESS, g[23]);
        assertEquals(FREE + 0x2000, g[24], "IPA_STATE_GET: the RAM range ends where the change stopped");
        assertEquals(Rmi.RIPAS_RAM, g[25]);
    }

    @Test
    void ripasChangeToEmptyIsAlwaysReportedAccepted() {
        Asm p = new Asm()
                .call(Rsi.IPA_STATE_SET, DATA, DATA + 0x1000, Rmi.RIPAS_EMPTY, 0)
                .movReg(20, 0).movReg(21, 1).movReg(22, 2)
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_RIPAS_CHANGE, f.exit(RecRun.EXIT_REASON));
        // the host does nothing and says reject: for EMPTY the RMM reports ACCEPT with no progress
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run, Rmi.REC_ENTER_RIPAS_RESPONSE));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(DATA, g[21]);
        assertEquals(Rsi.ACCEPT, g[22]);
    }

    @Test
    void ipaStateSetRejectsBadRangesWithoutExiting() {
        long par = 1L << 32;
        Asm p = new Asm()
                .call(Rsi.IPA_STATE_SET, FREE + 8, FREE + 0x1000, Rmi.RIPAS_RAM, 0).movReg(20, 0)
                .call(Rsi.IPA_STATE_SET, FREE, FREE, Rmi.RIPAS_RAM, 0).movReg(21, 0)
                .call(Rsi.IPA_STATE_SET, par - 0x1000, par + 0x1000, Rmi.RIPAS_RAM, 0).movReg(22, 0)
                .call(Rsi.IPA_STATE_SET, FREE, FREE + 0x1000, Rmi.RIPAS_DESTROYED, 0).movReg(23, 0)
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        long[] g = f.h.recGprs(f.rec0);
        for (int i = 20; i <= 23; i++) {
            assertEquals(Rsi.ERROR_INPUT, g[i], "X" + i);
        }
    }

    @Test
    void cpuOnIsCompletedByTheHostAndStartsTheTargetRec() {
        Asm p0 = new Asm()
                .call(Psci.CPU_ON_64, MPIDR1, CODE1, 0xC0DE)
                .movReg(20, 0)
                .call(Psci.CPU_ON_64, MPIDR1, CODE1, 0xC0DE) // again: already on
                .movReg(21, 0)
                .call(Psci.AFFINITY_INFO_64, MPIDR1, 0)
                .movReg(22, 0)
                .call(Psci.SYSTEM_OFF);
        Asm p1 = new Asm().movReg(20, 0).call(Psci.CPU_OFF);
        Fixture f = new Fixture(p0, p1);
        assertEquals(Rmi.pack(Rmi.ERROR_REC, 0), f.h.enter(f.rec1, f.run), "REC 1 is not runnable");

        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        assertEquals(Psci.CPU_ON_64, f.exit(RecRun.EXIT_GPRS));
        assertEquals(MPIDR1, f.exit(RecRun.EXIT_GPRS + 8));
        assertEquals(0, f.exit(RecRun.EXIT_GPRS + 16), "only FID and MPIDR are passed");
        assertEquals(Rmi.pack(Rmi.ERROR_REC, 0), f.h.enter(f.rec0, f.run), "PSCI request pending");
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, 5), "bad status");
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec1, f.rec0, 0), "REC 1 has no request");
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec0, 0), "alias");
        assertEquals(Rmi.SUCCESS, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, Psci.SUCCESS));
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, Psci.SUCCESS), "not pending now");

        // REC 1 starts at the entry point with the context id in X0
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec1, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        assertEquals(Psci.CPU_OFF, f.exit(RecRun.EXIT_GPRS));
        assertEquals(0xC0DE, f.h.recGprs(f.rec1)[20]);
        assertEquals(Rmi.pack(Rmi.ERROR_REC, 0), f.h.enter(f.rec1, f.run), "CPU_OFF made REC 1 not runnable");

        // REC 0 sees SUCCESS; REC 1 is off again, so the second CPU_ON exits to the host once more
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        assertEquals(Psci.SUCCESS, f.h.recGprs(f.rec0)[20]);
        assertEquals(Rmi.SUCCESS, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, Psci.DENIED));
        // AFFINITY_INFO of the (off) REC 1
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Psci.AFFINITY_INFO_64, f.exit(RecRun.EXIT_GPRS));
        assertEquals(Rmi.ERROR_INPUT, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, Psci.DENIED),
                "AFFINITY_INFO only takes SUCCESS");
        assertEquals(Rmi.SUCCESS, f.h.rmi0(Rmi.PSCI_COMPLETE, f.rec0, f.rec1, Psci.SUCCESS));
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Psci.SYSTEM_OFF, f.exit(RecRun.EXIT_GPRS));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Psci.DENIED, g[21], "the host denied the second CPU_ON");
        assertEquals(Psci.AFFINITY_OFF, g[22]);
    }

    @Test
    void psciCallsAboutSelfOrUnknownRecsAreAnsweredWithoutExiting() {
        Asm p = new Asm()
                .call(Psci.CPU_ON_64, 0, CODE1, 0).movReg(20, 0) // self
                .call(Psci.CPU_ON_64, 7, CODE1, 0).movReg(21, 0) // no REC 7
                .call(Psci.CPU_ON_64, MPIDR1, 1L << 40, 0).movReg(22, 0) // entry outside the PAR
                .call(Psci.AFFINITY_INFO_64, 0, 0).movReg(23, 0) // self
                .call(Psci.AFFINITY_INFO_64, MPIDR1, 1).movReg(24, 0) // level 1
                .call(Psci.FEATURES, Psci.CPU_ON_64).movReg(25, 0)
                .call(Psci.FEATURES, 0x8400000BL).movReg(26, 0) // CPU_FREEZE
                .call(Psci.VERSION).movReg(27, 0)
                .call(Psci.CPU_SUSPEND_64, 0).movReg(28, 0)
                .call(Psci.SYSTEM_RESET);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        assertEquals(Psci.CPU_SUSPEND_64, f.exit(RecRun.EXIT_GPRS), "CPU_SUSPEND is a notification");
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Psci.SYSTEM_RESET, f.exit(RecRun.EXIT_GPRS));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Psci.ALREADY_ON, g[20]);
        assertEquals(Psci.INVALID_PARAMETERS, g[21]);
        assertEquals(Psci.INVALID_ADDRESS, g[22]);
        assertEquals(Psci.AFFINITY_ON, g[23]);
        assertEquals(Psci.INVALID_PARAMETERS, g[24]);
        assertEquals(Psci.SUCCESS, g[25]);
        assertEquals(Psci.NOT_SUPPORTED, g[26]);
        assertEquals(Psci.VERSION_1_1, g[27]);
        assertEquals(Psci.SUCCESS, g[28]);
        assertEquals(Rmi.pack(Rmi.ERROR_REALM, 1), f.h.enter(f.rec0, f.run), "SYSTEM_RESET turned the realm off");
    }

    @Test
    void measurementExtendChangesOnlyTheChosenRem() {
        Asm p = new Asm()
                .mov(3, 0x0706050403020100L)
                .call(Rsi.MEASUREMENT_EXTEND, 2, 8).movReg(20, 0)
                .call(Rsi.MEASUREMENT_EXTEND, 0, 8).movReg(21, 0) // the RIM cannot be extended
                .call(Rsi.MEASUREMENT_EXTEND, 1, 65).movReg(22, 0) // too long
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        RmmInspector.RealmInfo before = f.h.inspector().realm(f.realm.rd);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        long[] g = f.h.recGprs(f.rec0);
        assertEquals(Rsi.SUCCESS, g[20]);
        assertEquals(Rsi.ERROR_INPUT, g[21]);
        assertEquals(Rsi.ERROR_INPUT, g[22]);
        RmmInspector.RealmInfo after = f.h.inspector().realm(f.realm.rd);
        assertEquals(before.rim(), after.rim());
        assertEquals(before.measurements().get(1), after.measurements().get(1));
        assertNotEquals(before.measurements().get(2), after.measurements().get(2));
        byte[] value = {0, 1, 2, 3, 4, 5, 6, 7};
        byte[] expected = dev.cca.rmm.measure.Measurement.extendRem(0, new byte[64], value, 8);
        assertEquals(dev.cca.rmm.measure.Measurement.hex(expected, 0), after.measurements().get(2));
    }

    @Test
    void destroyedRecGranulesReturnToDelegated() {
        Fixture f = new Fixture(new Asm().call(Psci.SYSTEM_OFF), new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.SUCCESS, f.h.rmi0(Rmi.REC_DESTROY, f.rec1));
        assertEquals(GranuleState.DELEGATED, f.h.inspector().granuleState(f.rec1));
    }

    @Test
    void timerAndGicStateAreReportedAtExitAndTheHostsOwnRegistersComeBack() {
        long cval = 0x1234_5678L;
        Asm p = new Asm()
                .mov(1, cval).msrCntvCval(1).mov(2, 1).msrCntvCtl(2) // virtual timer on, far in the future
                .call(Rsi.HOST_CALL, DATA)
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        dev.cca.core.cpu.Cpu pe = f.h.cpu;
        int lr0 = dev.cca.core.cpu.GicCpuInterface.ICH_LR0_EL2;
        pe.sr[lr0] = 0xABL; // the host's own list register
        long lr = (1L << 62) | (1L << 60) | (0xA0L << 48) | 40; // pending, group 1, priority 0xA0, vINTID 40
        f.h.write64(f.run + RecRun.ENTER_GICV3_LRS, lr);
        f.h.write64(f.run + RecRun.ENTER_GICV3_HCR, dev.cca.core.cpu.GicCpuInterface.HCR_UIE);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_HOST_CALL, f.exit(RecRun.EXIT_REASON));
        assertEquals(dev.cca.core.cpu.GenericTimer.CTL_ENABLE, f.exit(RecRun.EXIT_CNTV_CTL));
        assertEquals(cval, f.exit(RecRun.EXIT_CNTV_CVAL));
        assertEquals(lr, f.exit(RecRun.EXIT_GICV3_LRS), "the realm left the interrupt pending");
        assertEquals(dev.cca.core.cpu.GicCpuInterface.HCR_UIE, f.exit(RecRun.EXIT_GICV3_HCR),
                "the host's bits, not the RMM's En");
        assertEquals(0xABL, pe.sr[lr0], "the host's list register is restored");
        assertEquals(0, pe.sr[dev.cca.core.cpu.GenericTimer.CNTV_CTL_EL0], "the host's timer is restored");

        // Time passes in the host beyond the realm's deadline: the next entry exits at once with an IRQ.
        pe.timer.advanceTo(cval + 100);
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_IRQ, f.exit(RecRun.EXIT_REASON));
        assertEquals(dev.cca.core.cpu.GenericTimer.CTL_ENABLE | dev.cca.core.cpu.GenericTimer.CTL_ISTATUS,
                f.exit(RecRun.EXIT_CNTV_CTL), "the host sees the timer condition met");
        // The host has seen it; the realm runs on to SYSTEM_OFF.
        long reason = Rmi.EXIT_IRQ;
        for (int i = 0; i < 3 && reason == Rmi.EXIT_IRQ; i++) {
            assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
            reason = f.exit(RecRun.EXIT_REASON);
        }
        assertEquals(Rmi.EXIT_PSCI, reason);
        assertEquals(Psci.SYSTEM_OFF, f.exit(RecRun.EXIT_GPRS));
    }

    @Test
    void realmSgiWriteExitsToTheHostWithTheSyndromeAndValue() {
        long sgi = (3L << 24) | (1L << 40) | 0x5; // SGI 3, IRM, a target list the host decodes
        Asm p = new Asm()
                .mov(7, sgi).word(0xD518CBA7) // MSR ICC_SGI1R_EL1, X7
                .mov(20, 0x77) // runs after the host's answer
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        long esr = f.exit(RecRun.EXIT_ESR);
        assertEquals(0x18, (esr >>> 26) & 0x3F, "EC: trapped system register access");
        assertEquals((3L << 20) | (5L << 17) | (12L << 10) | (7L << 5) | (11L << 1), esr & 0x1FF_FFFFL, "ISS: MSR ICC_SGI1R_EL1, X7 (write)");
        assertEquals(sgi, f.exit(RecRun.EXIT_GPRS), "the written value in gprs[0]");
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON), "the RMM stepped over the MSR");
        assertEquals(0x77, f.h.recGprs(f.rec0)[20]);
    }

    @Test
    void wfeAndWfiExitWithTheirSyndromeWhenTheHostAsksForTheTrap() {
        Asm p = new Asm()
                .word(0xD503205F) // WFE: with TRAP_WFE it exits
                .word(0xD503207F) // WFI
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        long trap = Rmi.REC_ENTER_TRAP_WFI | Rmi.REC_ENTER_TRAP_WFE;
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run, trap));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        assertEquals((0x01L << 26) | 1, f.exit(RecRun.EXIT_ESR), "WFx exit, TI = WFE");
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run, trap));
        assertEquals(Rmi.EXIT_SYNC, f.exit(RecRun.EXIT_REASON));
        assertEquals(0x01L << 26, f.exit(RecRun.EXIT_ESR), "WFx exit, TI = WFI");
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run, trap));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
    }

    @Test
    void realmUsesThePhysicalTimerAndTheHostsCnthctlComesBack() {
        Asm p = new Asm()
                .mov(1, 0x1234).word(0xD51BE241) // MSR CNTP_CVAL_EL0, X1
                .word(0xD53BE242) // MRS X2, CNTP_CVAL_EL0
                .call(Psci.SYSTEM_OFF);
        Fixture f = new Fixture(p, new Asm().hang());
        f.h.cpu.sr[dev.cca.core.cpu.SysRegs.CNTHCTL_EL2] = 0; // the host traps EL1's physical timer accesses
        assertEquals(Rmi.SUCCESS, f.h.enter(f.rec0, f.run));
        assertEquals(Rmi.EXIT_PSCI, f.exit(RecRun.EXIT_REASON));
        assertEquals(0x1234, f.h.recGprs(f.rec0)[2], "the realm's EL1 reached CNTP_CVAL_EL0");
        assertEquals(0x1234, f.exit(RecRun.EXIT_CNTP_CVAL));
        assertEquals(0, f.h.cpu.sr[dev.cca.core.cpu.SysRegs.CNTHCTL_EL2], "the host's CNTHCTL_EL2 is restored");
    }
}
