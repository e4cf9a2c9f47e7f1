package dev.cca.kvm;

import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Structs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupts in a realm, end to end through /dev/kvm, the RMM and the emulated PE: the vGIC reached at the
 * unprotected alias is emulated in the kernel, KVM_IRQ_LINE and SGIs reach the realm through the REC's list
 * registers, WFI traps to KVM and sleeps until the timer fires, and a disabled timer's interrupt stops pending.
 * Each program reports what it saw by an MMIO write to the UART's address (a KVM_EXIT_MMIO).
 */
class RealmInterruptsTest {
    static final long SHARED = 1L << 32; // IPA bit 32 of a 33-bit realm: the unprotected alias
    static final long GICD = 0x0800_0000L | SHARED;
    static final long GICR_SGI = 0x080A_0000L + 0x1_0000L | SHARED;
    static final long REPORT = 0x0900_0000L | SHARED;

    final RealmVmTest t = new RealmVmTest();
    long run;

    @BeforeEach
    void boot() {
        t.boot();
        t.setUpRealm();
    }

    /** A few A64 encodings (Arm ARM C6). */
    static final class Prog {
        final List<Integer> w = new ArrayList<>();
        /** The alias bit the report address carries (the unprotected alias for a realm, 0 for a normal VM). */
        final long alias;

        Prog() {
            this(SHARED);
        }

        Prog(long alias) {
            this.alias = alias;
        }

        Prog mov(int xd, long value) {
            w.add(0xD2800000 | (int) ((value & 0xFFFF) << 5) | xd);
            for (int hw = 1; hw < 4; hw++) {
                long part = (value >>> (16 * hw)) & 0xFFFF;
                if (part != 0) {
                    w.add(0xF2800000 | (hw << 21) | (int) (part << 5) | xd);
                }
            }
            return this;
        }

        /** STR Wt, [Xn]. */
        Prog str32(int wt, int xn) {
            w.add(0xB9000000 | (xn << 5) | wt);
            return this;
        }

        /** LDR Wt, [Xn]. */
        Prog ldr32(int wt, int xn) {
            w.add(0xB9400000 | (xn << 5) | wt);
            return this;
        }

        /** Stores the 32-bit constant {@code v} at {@code addr} (uses X9, X10). */
        Prog poke(long addr, long v) {
            return mov(9, addr).mov(10, v).str32(10, 9);
        }

        /** Reports W{@code wt} with a write to the report address (uses X9). */
        Prog report(int wt) {
            return mov(9, 0x0900_0000L | alias).str32(wt, 9);
        }

        Prog sys(int op0, int op1, int crn, int crm, int op2, int rt, boolean read) {
            w.add(0xD5000000 | (read ? 1 << 21 : 0) | ((op0 & 3) << 19) | (op1 << 16) | (crn << 12) | (crm << 8)
                    | (op2 << 5) | rt);
            return this;
        }

        /** The virtual CPU interface: priority mask open, group 1 enabled. */
        Prog cpuInterfaceOn() {
            mov(1, 0xF0).sys(3, 0, 4, 6, 0, 1, false); // ICC_PMR_EL1
            mov(1, 1).sys(3, 0, 12, 12, 7, 1, false); // ICC_IGRPEN1_EL1
            return word(0xD5033FDF); // ISB
        }

        /** MRS X{@code xt}, ICC_IAR1_EL1. */
        Prog iar1(int xt) {
            return sys(3, 0, 12, 12, 0, xt, true);
        }

        Prog word(int x) {
            w.add(x);
            return this;
        }

        /** PSCI SYSTEM_OFF. */
        Prog off() {
            return mov(0, 0x8400_0008L).word(0xD4000003).word(0x14000000);
        }
    }

    void load(Prog prog) {
        long src = t.p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < prog.w.size(); i++) {
            t.p.memory().write32(src + 4L * i, prog.w.get(i));
        }
        assertEquals(4096, t.populate(RealmVmTest.RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE));
        run = t.p.mmap(0, t.ioctl(t.kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3, Process.MAP_SHARED, t.vcpu, 0);
    }

    /** Runs to the next exit to user space, which must be an MMIO write to the report address: its value. */
    long nextReport() {
        assertEquals(0, t.ioctl(t.vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_MMIO, t.p.memory().read32(run + Structs.RUN_EXIT_REASON));
        assertEquals(REPORT & ~SHARED, t.p.memory().read64(run + Structs.RUN_MMIO_PHYS_ADDR),
                "only the report reaches user space");
        return t.p.memory().read32(run + Structs.RUN_MMIO_DATA);
    }

    void runsToSystemOff() {
        assertEquals(0, t.ioctl(t.vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_SYSTEM_EVENT, t.p.memory().read32(run + Structs.RUN_EXIT_REASON));
    }

    long irqLine(long irq, int level) {
        t.p.memory().write32(t.scratch + 3000, (int) irq);
        t.p.memory().write32(t.scratch + 3004, level);
        return t.ioctl(t.vm, KVM_IRQ_LINE, t.scratch + 3000);
    }

    @Test
    void realmDistributorAccessAtTheUnprotectedAliasIsEmulatedInTheKernel() {
        load(new Prog().mov(1, GICD + 4).ldr32(2, 1).report(2).off());
        long typer = nextReport();
        assertEquals(256 / 32 - 1, typer & 0x1F, "GICD_TYPER.ITLinesNumber of the in-kernel vGIC");
        assertEquals(9, (typer >>> 19) & 0x1F, "GICD_TYPER.IDbits");
        runsToSystemOff();
    }

    @Test
    void kvmIrqLineOnARealmDeliversTheSpiThroughTheRecListRegisters() {
        Prog prog = new Prog()
                .poke(GICD + 0x084, 0xFFFF_FFFFL) // GICD_IGROUPR1: SPIs 32-63 in group 1
                .poke(GICD + 0x104, 1L << 1) // GICD_ISENABLER1: SPI 33
                .poke(GICD, 2) // GICD_CTLR.EnableGrp1
                .cpuInterfaceOn()
                .mov(2, 0).report(2) // a first exit, so that KVM_IRQ_LINE comes while the realm is set up
                .iar1(3).report(3)
                .mov(1, 0).sys(3, 0, 12, 12, 1, 3, false) // ICC_EOIR1_EL1: priority drop and deactivation
                .iar1(3).report(3)
                .off();
        load(prog);
        assertEquals(0, nextReport());
        assertEquals(0, irqLine((KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | 33, 1), "KVM_IRQ_LINE on a realm");
        assertEquals(33, nextReport(), "ICC_IAR1_EL1 in the realm acknowledges the SPI from its list register");
        assertEquals(0, irqLine((KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | 33, 0));
        assertEquals(1023, nextReport(), "line low and deactivated: nothing pending");
        runsToSystemOff();
    }

    @Test
    void realmSgiWriteExitsToKvmWhichPendsTheSgi() {
        Prog prog = new Prog()
                .poke(GICR_SGI + 0x080, 0xFFFF_FFFFL) // GICR_IGROUPR0: group 1
                .poke(GICR_SGI + 0x100, 1L << 5) // GICR_ISENABLER0: SGI 5
                .poke(GICD, 2)
                .cpuInterfaceOn()
                .mov(1, (5L << 24) | 1).sys(3, 0, 12, 11, 5, 1, false) // ICC_SGI1R_EL1: SGI 5 to Aff0 0 (self)
                .word(0xD5033FDF)
                .iar1(3).report(3)
                .off();
        load(prog);
        assertEquals(5, nextReport(), "the SGI went through KVM and came back in a list register");
        runsToSystemOff();
    }

    @Test
    void realmWfiTrapsToKvmAndWakesWhenTheVirtualTimerFires() {
        Prog prog = new Prog()
                .poke(GICR_SGI + 0x080, 0xFFFF_FFFFL)
                .poke(GICR_SGI + 0x100, 1L << 27) // PPI 27: the virtual timer
                .poke(GICD, 2)
                .cpuInterfaceOn()
                .sys(3, 3, 14, 0, 2, 1, true) // MRS X1, CNTVCT_EL0
                .mov(2, 100_000).word(0x8B020021) // ADD X1, X1, X2
                .sys(3, 3, 14, 3, 2, 1, false) // MSR CNTV_CVAL_EL0, X1
                .word(0xAA0103E5) // MOV X5, X1
                .mov(1, 1).sys(3, 3, 14, 3, 1, 1, false) // MSR CNTV_CTL_EL0: ENABLE
                .word(0xD5033FDF)
                .word(0xD503207F) // WFI (PSTATE.I masked: the interrupt wakes it without being taken)
                .iar1(3).report(3)
                .sys(3, 3, 14, 0, 2, 4, true).word(0xCB050084) // X4 = CNTVCT - CVAL (SUB X4, X4, X5)
                .report(4)
                .off();
        load(prog);
        long before = t.host.platform.machine.cpu(0).instructions;
        assertEquals(27, nextReport(), "woken by the virtual timer's interrupt");
        long late = nextReport();
        assertTrue(late >= 0 && late < 50_000, "the counter jumped to the deadline, not past it: " + late);
        long ran = t.host.platform.machine.cpu(0).instructions - before;
        assertTrue(ran < 90_000, "the idle realm did not spin through the timer period: " + ran + " instructions");
        runsToSystemOff();
    }

    @Test
    void disabledTimerInterruptNoLongerPendsInTheRealm() {
        Prog prog = new Prog()
                .poke(GICR_SGI + 0x080, 0xFFFF_FFFFL)
                .poke(GICR_SGI + 0x100, 1L << 27)
                .poke(GICD, 2)
                .cpuInterfaceOn()
                .mov(1, 0).sys(3, 3, 14, 3, 2, 1, false) // CNTV_CVAL_EL0 = 0: the condition holds at once
                .mov(1, 1).sys(3, 3, 14, 3, 1, 1, false) // ENABLE
                .word(0xD5033FDF)
                .mov(2, 1).report(2) // an exit: KVM sees the timer asserted
                .sys(3, 0, 12, 12, 2, 2, true).report(2) // ICC_HPPIR1_EL1: entered with the interrupt pending
                .mov(1, 0).sys(3, 3, 14, 3, 1, 1, false) // CNTV_CTL_EL0 = 0: disabled
                .word(0xD5033FDF)
                .mov(2, 3).report(2) // an exit: KVM sees the timer disabled
                .iar1(3).report(3)
                .off();
        load(prog);
        assertEquals(1, nextReport());
        assertEquals(27, nextReport(), "the asserted timer's interrupt is pending in the realm");
        assertEquals(3, nextReport());
        assertEquals(1023, nextReport(), "a disabled timer's interrupt is no longer pending");
        runsToSystemOff();
    }

    @Test
    void interruptPendedForARunningRecKicksItOutAtOnce() throws Exception {
        Prog prog = new Prog()
                .poke(GICD + 0x084, 0xFFFF_FFFFL)
                .poke(GICD + 0x104, 1L << 1)
                .poke(GICD, 2)
                .cpuInterfaceOn()
                .mov(5, 0)
                .word(0x910004A5) // loop: ADD X5, X5, #1
                .iar1(3)
                .word(0xF10FFC7F) // CMP X3, #1023
                .word(0x54FFFFA0) // B.EQ loop
                .report(3)
                .off();
        load(prog);
        dev.cca.core.cpu.Cpu pe = t.host.platform.machine.cpu(0);
        long start = pe.instructions;
        long[] result = new long[1];
        Thread vcpu = new Thread(() -> result[0] = nextReport());
        vcpu.start();
        while (pe.instructions - start < 200_000 && vcpu.isAlive()) {
            Thread.sleep(1);
        }
        long t0 = pe.instructions;
        assertEquals(0, irqLine((KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | 33, 1));
        vcpu.join(60_000);
        assertEquals(33, result[0]);
        long after = pe.instructions - t0;
        assertTrue(after < RecExitHandler.TICK_INSTRUCTIONS / 2,
                "the REC exited for the kick, not at the host's tick: " + after + " instructions later");
        runsToSystemOff();
    }
}
