package dev.cca.kvm;

import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;
import org.junit.jupiter.api.Test;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * KVM's one PSCI implementation (arch/arm64/kvm/psci.c) for both VM types: the version the VMM chose, Linux's MPIDR
 * checks, AFFINITY_INFO at every affinity level, SYSTEM_OFF powering every vCPU off, SYSTEM_RESET2, and the SMCCC
 * filter in front of it. Guests make the calls (HVC from a normal VM; RSI_HOST_CALL or a forwarded PSCI call from a
 * realm) and report X0 by an MMIO write.
 */
class PsciTest {
    static final long RAM = 0x4000_0000L;
    static final int HVC = 0xD4000002, SMC = 0xD4000003;

    /** A PSCI call by HVC with up to three arguments, then a report of W0. */
    static RealmInterruptsTest.Prog hvc(RealmInterruptsTest.Prog prog, long fid, long... args) {
        prog.mov(0, fid);
        for (int i = 0; i < args.length; i++) {
            prog.mov(1 + i, args[i]);
        }
        return prog.word(HVC).report(0);
    }

    static RealmInterruptsTest.Prog normal() {
        return new RealmInterruptsTest.Prog(0);
    }

    /** The normal VM's program ends with SYSTEM_OFF by HVC. */
    static RealmInterruptsTest.Prog offByHvc(RealmInterruptsTest.Prog prog) {
        return prog.mov(0, Psci.SYSTEM_OFF).word(HVC).word(0x14000000);
    }

    @Test
    void normalVmAnswersWithThePsciVersionTheVmmChose() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.VERSION);
        hvc(prog, Psci.FEATURES, Psci.SYSTEM_RESET2_64);
        hvc(prog, Psci.FEATURES, Psci.FEATURES);
        NormalVmFixture n = new NormalVmFixture(1, offByHvc(prog), Psci.VERSION_1_0);
        assertEquals(Psci.VERSION_1_0, n.nextReport(), "PSCI_VERSION is KVM_REG_ARM_PSCI_VERSION");
        assertEquals(Psci.NOT_SUPPORTED, n.nextReport(), "no SYSTEM_RESET2 in PSCI 1.0");
        assertEquals(Psci.SUCCESS, n.nextReport());
        assertEquals(KVM_EXIT_SYSTEM_EVENT, n.runToExit(0));
    }

    @Test
    void normalVmPsci02HasNoPsciFeatures() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.VERSION);
        hvc(prog, Psci.FEATURES, Psci.VERSION);
        NormalVmFixture n = new NormalVmFixture(1, offByHvc(prog), Psci.VERSION_0_2);
        assertEquals(Psci.VERSION_0_2, n.nextReport());
        assertEquals(Psci.NOT_SUPPORTED, n.nextReport(), "PSCI_FEATURES is a PSCI 1.0 call");
    }

    @Test
    void cpuOnRejectsMpidrBitsOutsideTheAffinityFields() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.CPU_ON_64, (1L << 24) | 1, RAM, 0); // bit 24 is MPIDR_EL1.MT, not an affinity field
        hvc(prog, Psci.CPU_ON_64, 1L << 32, RAM, 0); // Aff3 = 1: no such vCPU
        hvc(prog, Psci.AFFINITY_INFO_64, 1L << 31, 0); // bit 31 (RES1 in MPIDR_EL1) is not part of the affinity
        NormalVmFixture n = new NormalVmFixture(2, offByHvc(prog));
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport(), "bits outside MPIDR_HWID_BITMASK");
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport(), "Aff3 is bits 32..39 and names no vCPU");
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport());
        assertEquals(KVM_MP_STATE_STOPPED, n.mpState(1), "vCPU 1 was never started");
    }

    @Test
    void affinityInfoAnswersForEveryAffinityLevelAndSaysOnOnceCpuOnSucceeded() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.AFFINITY_INFO_64, 1, 0); // vCPU 1, powered off
        hvc(prog, Psci.AFFINITY_INFO_64, 1, 1); // every vCPU with Aff1..3 = 0: vCPU 0 is on
        hvc(prog, Psci.AFFINITY_INFO_64, 0x100, 1); // Aff1 = 1: no vCPU
        hvc(prog, Psci.AFFINITY_INFO_64, 0, 4); // no affinity level 4
        hvc(prog, Psci.CPU_ON_64, 1, RAM + 0x1000, 0);
        hvc(prog, Psci.AFFINITY_INFO_64, 1, 0); // on, although its thread has not run it yet
        hvc(prog, Psci.CPU_ON_64, 1, RAM + 0x1000, 0);
        NormalVmFixture n = new NormalVmFixture(2, offByHvc(prog));
        assertEquals(Psci.AFFINITY_OFF, n.nextReport());
        assertEquals(Psci.AFFINITY_ON, n.nextReport(), "level 1 covers vCPU 0 and vCPU 1");
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport(), "no vCPU matches");
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport(), "levels above 3");
        assertEquals(Psci.SUCCESS, n.nextReport());
        assertEquals(Psci.AFFINITY_ON, n.nextReport(), "no ON_PENDING: the vCPU is runnable");
        assertEquals(Psci.ALREADY_ON, n.nextReport());
    }

    @Test
    void normalVmSystemOffPowersEveryVcpuOffAndPreloadsInternalFailure() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.CPU_ON_64, 1, RAM + 0x1000, 0);
        NormalVmFixture n = new NormalVmFixture(2, offByHvc(prog));
        assertEquals(Psci.SUCCESS, n.nextReport());
        assertEquals(KVM_MP_STATE_RUNNABLE, n.mpState(1));
        assertEquals(KVM_EXIT_SYSTEM_EVENT, n.runToExit(0));
        assertEquals(KVM_SYSTEM_EVENT_SHUTDOWN, n.p.memory().read32(n.runs[0] + Structs.RUN_SYSTEM_EVENT_TYPE));
        assertEquals(1, n.p.memory().read32(n.runs[0] + Structs.RUN_SYSTEM_EVENT_NDATA));
        assertEquals(0, n.p.memory().read64(n.runs[0] + Structs.RUN_SYSTEM_EVENT_DATA));
        assertEquals(KVM_MP_STATE_STOPPED, n.mpState(1), "kvm_prepare_system_event() powers every vCPU off");
        assertEquals(KVM_MP_STATE_STOPPED, n.mpState(0));
        assertEquals(Psci.INTERNAL_FAILURE, n.getReg(0, REG_X0), "what the guest sees if the VMM resumes it");
    }

    @Test
    void normalVmSystemReset2IsAResetEventWithThePsciReset2Flag() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.FEATURES, Psci.SYSTEM_RESET2_64);
        hvc(prog, Psci.SYSTEM_RESET2_64, 1, 0); // reset type 1: architectural and undefined
        prog.mov(0, Psci.SYSTEM_RESET2_32).mov(1, Psci.RESET_TYPE_VENDOR_START | 7).word(HVC).word(0x14000000);
        NormalVmFixture n = new NormalVmFixture(1, prog);
        assertEquals(Psci.SUCCESS, n.nextReport(), "PSCI 1.1 has SYSTEM_RESET2");
        assertEquals(Psci.INVALID_PARAMETERS, n.nextReport());
        assertEquals(KVM_EXIT_SYSTEM_EVENT, n.runToExit(0));
        assertEquals(KVM_SYSTEM_EVENT_RESET, n.p.memory().read32(n.runs[0] + Structs.RUN_SYSTEM_EVENT_TYPE));
        assertEquals(KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2,
                n.p.memory().read64(n.runs[0] + Structs.RUN_SYSTEM_EVENT_DATA));
        assertEquals(Psci.INTERNAL_FAILURE, n.getReg(0, REG_X0));
    }

    @Test
    void normalVmHonoursTheSmcccFilter() {
        RealmInterruptsTest.Prog prog = normal();
        hvc(prog, Psci.FEATURES, Psci.VERSION); // denied
        prog.mov(0, Psci.VERSION).word(SMC).report(0); // forwarded, as a trapped SMC
        NormalVmFixture n = new NormalVmFixture(1, offByHvc(prog));
        assertEquals(0, n.filter(Psci.FEATURES, 1, KVM_SMCCC_FILTER_DENY));
        assertEquals(0, n.filter(Psci.VERSION, 1, KVM_SMCCC_FILTER_FWD_TO_USER));
        assertEquals(Psci.NOT_SUPPORTED, n.nextReport(), "a DENY range answers NOT_SUPPORTED");
        assertEquals(KVM_EXIT_HYPERCALL, n.runToExit(0));
        assertEquals(Psci.VERSION, n.p.memory().read64(n.runs[0] + Structs.RUN_HYPERCALL_NR));
        assertEquals(KVM_HYPERCALL_EXIT_SMC, n.p.memory().read64(n.runs[0] + Structs.RUN_HYPERCALL_FLAGS));
        assertEquals(0, n.setReg(0, REG_X0, 0x1234), "the VMM answers in X0");
        assertEquals(0x1234, n.nextReport());
    }

    // ---- realms: the same PSCI code, completed through the RMM ----------------------------------------------

    /** RSI_HOST_CALL with the RsiHostCall structure at {@code struct}: gprs[0..] = fid, args; reports gprs[0]. */
    static RealmInterruptsTest.Prog hostCall(RealmInterruptsTest.Prog prog, long struct, long fid, long... args) {
        prog.mov(9, struct).mov(10, fid).word(0xF9000000 | (1 << 10) | (9 << 5) | 10); // STR X10, [X9, #8]
        for (int i = 0; i < args.length; i++) {
            prog.mov(10, args[i]).word(0xF9000000 | ((2 + i) << 10) | (9 << 5) | 10); // STR X10, [X9, #8 * (2 + i)]
        }
        prog.mov(0, 0xC400_0199L).mov(1, struct).word(SMC);
        prog.mov(9, struct).word(0xF9400000 | (1 << 10) | (9 << 5) | 3); // LDR X3, [X9, #8]
        return prog.report(3);
    }

    @Test
    void realmSystemReset2ThroughAHostCallIsAResetEventWithThePsciReset2Flag() {
        RealmInterruptsTest r = new RealmInterruptsTest();
        r.boot();
        long struct = RAM + 0xF00;
        RealmInterruptsTest.Prog prog = new RealmInterruptsTest.Prog();
        hostCall(prog, struct, Psci.FEATURES, Psci.SYSTEM_RESET2_64);
        hostCall(prog, struct, Psci.SYSTEM_RESET2_64, 1);
        hostCall(prog, struct, Psci.SYSTEM_RESET2_64, Psci.RESET_TYPE_SYSTEM_WARM_RESET);
        r.load(prog.off());
        assertEquals(Psci.SUCCESS, (int) r.nextReport(), "PSCI_FEATURES advertises SYSTEM_RESET2");
        assertEquals(Psci.INVALID_PARAMETERS, (int) r.nextReport());
        assertEquals(0, r.t.ioctl(r.t.vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_SYSTEM_EVENT, r.t.p.memory().read32(r.run + Structs.RUN_EXIT_REASON));
        assertEquals(KVM_SYSTEM_EVENT_RESET, r.t.p.memory().read32(r.run + Structs.RUN_SYSTEM_EVENT_TYPE));
        assertEquals(KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2,
                r.t.p.memory().read64(r.run + Structs.RUN_SYSTEM_EVENT_DATA));
        assertEquals(KVM_MP_STATE_STOPPED, mpState(r.t), "kvm_prepare_system_event() powers the vCPUs off");
    }

    @Test
    void realmPsciCallThroughAHostCallChecksTheMpidrLikeANormalVm() {
        RealmInterruptsTest r = new RealmInterruptsTest();
        r.boot();
        long struct = RAM + 0xF00;
        RealmInterruptsTest.Prog prog = new RealmInterruptsTest.Prog();
        hostCall(prog, struct, Psci.AFFINITY_INFO_64, 1L << 31, 0);
        hostCall(prog, struct, Psci.AFFINITY_INFO_64, 0, 1);
        hostCall(prog, struct, Psci.MIGRATE_INFO_TYPE);
        r.load(prog.off());
        assertEquals(Psci.INVALID_PARAMETERS, (int) r.nextReport(), "bits outside MPIDR_HWID_BITMASK");
        assertEquals(Psci.AFFINITY_ON, (int) r.nextReport(), "affinity level 1 in KVM's PSCI");
        assertEquals(Psci.TOS_MP, (int) r.nextReport());
        r.runsToSystemOff();
    }

    static int mpState(RealmVmTest t) {
        assertEquals(0, t.ioctl(t.vcpu, KVM_GET_MP_STATE, t.scratch + 3072));
        return t.p.memory().read32(t.scratch + 3072);
    }
}
