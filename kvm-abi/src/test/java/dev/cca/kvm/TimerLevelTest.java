package dev.cca.kvm;

import org.junit.jupiter.api.Test;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The architected timers' PPIs are level-sensitive, in normal VMs and in realms: when the timer condition drops
 * (ENABLE cleared, IMASK set, or CVAL moved into the future; Arm ARM D11.2.4: the interrupt is asserted while
 * ENABLE == 1, IMASK == 0 and ISTATUS == 1) the virtual interrupt stops pending, as kvm-unit-tests' timer test
 * checks ("interrupt signal no longer pending"). The guest keeps IRQs masked and looks with ICC_HPPIR1_EL1 and
 * ICC_IAR1_EL1; each step reports by an MMIO write, so KVM sees the timer state between the steps.
 */
class TimerLevelTest {
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
        NormalVmFixture n = new NormalVmFixture(1, program(0));
        checkReports(n::nextReport);
        assertEquals(KVM_EXIT_SYSTEM_EVENT, n.runToExit(0));
    }
}
