package dev.cca.kvm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Structs;
import org.junit.jupiter.api.Test;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The architected timers' PPIs are level-sensitive, in normal VMs and in realms: when the timer condition drops
 * (ENABLE cleared, IMASK set, or CVAL moved into the future; Arm ARM D11.2.4: the interrupt is asserted while
 * ENABLE == 1, IMASK == 0 and ISTATUS == 1) the virtual interrupt stops pending, as kvm-unit-tests' timer test
 * checks ("interrupt signal no longer pending"). The guest keeps IRQs masked and looks with ICC_HPPIR1_EL1 and
 * ICC_IAR1_EL1; each step reports by an MMIO write, so KVM sees the timer state between the steps.
 */
class TimerLevelTest {
    static final long RAM = 0x4000_0000L;

    /** The program: enable PPI 27, then assert and drop the virtual timer three ways. */
    static RealmInterruptsTest.Prog program(long alias) {
        long gicd = 0x0800_0000L | alias, sgi = 0x080B_0000L | alias;
        RealmInterruptsTest.Prog p = new RealmInterruptsTest.Prog(alias);
        p.poke(sgi + 0x080, 0xFFFF_FFFFL).poke(sgi + 0x100, 1L << 27).poke(gicd, 2).cpuInterfaceOn();
        p.mov(1, 0).sys(3, 3, 14, 3, 2, 1, false); // CNTV_CVAL_EL0 = 0: the condition holds
        long[][] drops = {{0}, {3}, {1, -1}}; // CTL = 0; CTL = ENABLE|IMASK; CTL = ENABLE with CVAL far ahead
        for (long[] drop : drops) {
            p.mov(1, 1).sys(3, 3, 14, 3, 1, 1, false).word(0xD5033FDF); // CNTV_CTL_EL0 = ENABLE
            p.mov(2, 1).report(2).sys(3, 0, 12, 12, 2, 2, true).report(2); // ICC_HPPIR1_EL1
            if (drop.length == 2) {
                p.mov(1, 0x7FFF_FFFF_FFFF_FFFFL).sys(3, 3, 14, 3, 2, 1, false);
            } else {
                p.mov(1, drop[0]).sys(3, 3, 14, 3, 1, 1, false);
            }
            p.word(0xD5033FDF).mov(2, 2).report(2).iar1(3).report(3);
            p.mov(1, 0).sys(3, 3, 14, 3, 2, 1, false); // CVAL back to 0
        }
        return p.off();
    }

    static void checkReports(java.util.function.LongSupplier next) {
        String[] how = {"ENABLE cleared", "IMASK set", "CVAL moved into the future"};
        for (String h : how) {
            assertEquals(1, next.getAsLong());
            assertEquals(27, next.getAsLong(), "the asserted timer's interrupt is pending");
            assertEquals(2, next.getAsLong());
            assertEquals(1023, next.getAsLong(), "no interrupt once " + h);
        }
    }

    @Test
    void realmTimerInterruptStopsPendingWhenTheConditionDrops() {
        RealmInterruptsTest r = new RealmInterruptsTest();
        r.boot();
        r.load(program(RealmInterruptsTest.SHARED));
        checkReports(r::nextReport);
        r.runsToSystemOff();
    }

    @Test
    void normalVmTimerInterruptStopsPendingWhenTheConditionDrops() {
        CcaHost host = CcaHost.boot(1, 256L << 20);
        Process p = host.kernel.newProcess();
        long scratch = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        int kvm = p.open("/dev/kvm", Process.O_RDWR);
        int vm = (int) p.ioctl(kvm, KVM_CREATE_VM, 0);
        assertTrue(vm > 0);
        long mem = p.mmap(0, 1 << 20, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        RealmInterruptsTest.Prog prog = program(0);
        for (int i = 0; i < prog.w.size(); i++) {
            p.memory().write32(mem + 4L * i, prog.w.get(i));
        }
        p.memory().clear(scratch, Structs.MEMORY_REGION2_SIZE);
        p.memory().write64(scratch + Structs.MR2_GUEST_PHYS_ADDR, RAM);
        p.memory().write64(scratch + Structs.MR2_MEMORY_SIZE, 1 << 20);
        p.memory().write64(scratch + Structs.MR2_USERSPACE_ADDR, mem);
        assertEquals(0, p.ioctl(vm, KVM_SET_USER_MEMORY_REGION, scratch));
        int vcpu = (int) p.ioctl(vm, KVM_CREATE_VCPU, 0);
        p.memory().clear(scratch, 12);
        p.memory().write32(scratch + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_V3);
        assertEquals(0, p.ioctl(vm, KVM_CREATE_DEVICE, scratch));
        int gic = p.memory().read32(scratch + Structs.CD_FD);
        RealmVmTest t = new RealmVmTest();
        t.p = p;
        t.scratch = scratch;
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L);
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L);
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, -1);
        p.memory().clear(scratch, 32);
        p.memory().write32(scratch + Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
        p.memory().write32(scratch + Structs.VI_FEATURES, 1 << KVM_ARM_VCPU_PSCI_0_2);
        assertEquals(0, p.ioctl(vcpu, KVM_ARM_VCPU_INIT, scratch));
        p.memory().write64(scratch + 256, RAM);
        p.memory().write64(scratch + Structs.OR_ID, REG_PC);
        p.memory().write64(scratch + Structs.OR_ADDR, scratch + 256);
        assertEquals(0, p.ioctl(vcpu, KVM_SET_ONE_REG, scratch));
        long run = p.mmap(0, p.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3, Process.MAP_SHARED, vcpu, 0);
        checkReports(() -> {
            assertEquals(0, p.ioctl(vcpu, KVM_RUN, 0));
            assertEquals(KVM_EXIT_MMIO, p.memory().read32(run + Structs.RUN_EXIT_REASON));
            assertEquals(0x0900_0000L, p.memory().read64(run + Structs.RUN_MMIO_PHYS_ADDR));
            return p.memory().read32(run + Structs.RUN_MMIO_DATA);
        });
        assertEquals(0, p.ioctl(vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_SYSTEM_EVENT, p.memory().read32(run + Structs.RUN_EXIT_REASON));
    }
}
