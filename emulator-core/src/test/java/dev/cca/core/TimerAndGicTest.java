package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.gic.Gic;
import dev.cca.core.gic.Redistributor;
import org.junit.jupiter.api.Test;

import static dev.cca.core.cpu.GicCpuInterface.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generic timer and GICv3 CPU interface semantics (physical and virtual), on one PE. */
class TimerAndGicTest {
    private static final long CODE = Harness.RAM + 0x1000;
    private static final long VBAR = Harness.RAM + 0x8000;
    private static final int B_SELF = 0x14000000, WFI = 0xd503207f, HVC0 = 0xd4000002, DAIFCLR_I = 0xd50342ff,
            MRS_X0_IAR1 = 0xd538cc00, MSR_EOIR1_X0 = 0xd518cc20, MRS_X3_CNTVCT = 0xd53be043,
            MSR_SGI1R_X4 = 0xd518cba4;

    private static Harness el1(int... code) {
        Harness h = new Harness();
        h.load(CODE, code);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = VBAR;
        return h;
    }

    private static long read(Cpu c, String reg) {
        return c.readSysReg(SysRegs.byName(reg));
    }

    private static void write(Cpu c, String reg, long v) {
        c.writeSysReg(SysRegs.byName(reg), v);
    }

    /** Lets physical PPIs and SGIs reach the PE: enabled in the redistributor, PMR open, Group 1 enabled. */
    private static void enablePhysical(Harness h, int... intids) {
        Redistributor r = h.machine.gic.redistributor(0);
        for (int i : intids) {
            r.setPriority(i, 0xA0);
            r.setEnabled(i, true);
        }
        write(h.cpu, "ICC_PMR_EL1", 0xF8);
        write(h.cpu, "ICC_IGRPEN1_EL1", 1);
    }

    @Test
    void virtualTimerAssertsItsPpiExactlyWhenTheVirtualCountReachesCval() {
        Harness h = el1(B_SELF);
        Cpu c = h.cpu;
        c.sr[SysRegs.CNTVOFF_EL2] = -100; // virtual count = physical count + 100
        write(c, "CNTV_CVAL_EL0", 1000);
        write(c, "CNTV_CTL_EL0", GenericTimer.CTL_ENABLE);
        Redistributor r = h.machine.gic.redistributor(0);
        c.setBudget(899);
        c.runUntil(2, SecurityState.NON_SECURE);
        assertFalse(r.line(GenericTimer.PPI_VIRT));
        assertEquals(GenericTimer.CTL_ENABLE, read(c, "CNTV_CTL_EL0"));
        c.setBudget(1);
        c.runUntil(2, SecurityState.NON_SECURE);
        assertTrue(r.line(GenericTimer.PPI_VIRT), "asserted at physical count 900 = CVAL + CNTVOFF");
        assertEquals(GenericTimer.CTL_ENABLE | GenericTimer.CTL_ISTATUS, read(c, "CNTV_CTL_EL0"));
        write(c, "CNTV_CTL_EL0", GenericTimer.CTL_ENABLE | GenericTimer.CTL_IMASK);
        assertFalse(r.line(GenericTimer.PPI_VIRT), "IMASK deasserts the output but keeps ISTATUS");
        assertEquals(7, read(c, "CNTV_CTL_EL0"));
    }

    @Test
    void tvalIsASigned32BitViewOfCvalMinusTheCount() {
        Harness h = el1(B_SELF);
        Cpu c = h.cpu;
        c.sr[SysRegs.CNTHCTL_EL2] = 3; // EL1PCTEN, EL1PCEN: EL1 may use the physical timer
        write(c, "CNTP_TVAL_EL0", -5 & 0xFFFF_FFFFL);
        long cval = read(c, "CNTP_CVAL_EL0");
        assertEquals(c.timer.localCount() - 5, cval);
        assertEquals(-5 & 0xFFFF_FFFFL, read(c, "CNTP_TVAL_EL0"));
    }

    @Test
    void el1PhysicalTimerAccessTrapsToEl2UnlessCnthctlAllowsIt() {
        Harness h = el1(0xd51be202, B_SELF); // msr cntp_tval_el0, x2
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_SYSREG, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(0, Esr.iss(h.cpu.sr[SysRegs.ESR_EL2]) & 1, "a write");
    }

    @Test
    void wfiIdlesTheCounterForwardToTheTimerDeadlineWithoutExecuting() {
        Harness h = el1(WFI, HVC0);
        enablePhysical(h, GenericTimer.PPI_VIRT);
        Cpu c = h.cpu;
        write(c, "CNTV_CVAL_EL0", 5_000_000);
        write(c, "CNTV_CTL_EL0", GenericTimer.CTL_ENABLE);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(2, c.instructions, "WFI and HVC only: no spinning");
        assertTrue(c.timer.localCount() >= 5_000_000);
        assertEquals(Esr.EC_HVC64, Esr.ec(c.sr[SysRegs.ESR_EL2]));
    }

    @Test
    void physicalInterfaceAcknowledgesByPriorityAndHonoursPmrAndRunningPriority() {
        Harness h = el1(B_SELF);
        Cpu c = h.cpu;
        enablePhysical(h, 3, 5);
        Redistributor r = h.machine.gic.redistributor(0);
        r.setPriority(5, 0x40);
        r.setPending(3);
        r.setPending(5);
        assertTrue(c.irqPending());
        assertEquals(5, read(c, "ICC_HPPIR1_EL1"));
        assertEquals(5, read(c, "ICC_IAR1_EL1"));
        assertEquals(0x40, read(c, "ICC_RPR_EL1"));
        assertFalse(c.irqPending(), "SGI 3 (priority 0xA0) cannot preempt running priority 0x40");
        assertEquals(SPURIOUS, read(c, "ICC_IAR1_EL1"));
        write(c, "ICC_EOIR1_EL1", 5);
        assertFalse(r.isActive(5));
        assertEquals(0xFF, read(c, "ICC_RPR_EL1"));
        write(c, "ICC_PMR_EL1", 0xA0);
        assertFalse(c.irqPending(), "priority 0xA0 is not higher than PMR 0xA0");
        write(c, "ICC_PMR_EL1", 0xA8);
        assertEquals(3, read(c, "ICC_IAR1_EL1"));
        // EOImode 1: EOIR drops priority only, DIR deactivates.
        write(c, "ICC_CTLR_EL1", 2);
        write(c, "ICC_EOIR1_EL1", 3);
        assertTrue(r.isActive(3));
        write(c, "ICC_DIR_EL1", 3);
        assertFalse(r.isActive(3));
    }

    @Test
    void sgiWriteAtEl1MakesTheSgiPendingOnTheTargetPe() {
        Machine m = new Machine(2);
        Cpu c = m.cpu(0);
        c.el = 1;
        write(c, "ICC_SGI1R_EL1", (7L << 24) | 0b10); // INTID 7 to Aff0 = 1
        assertTrue(m.gic.redistributor(1).isPending(7));
        assertFalse(m.gic.redistributor(0).isPending(7));
    }

    @Test
    void guestIccAccessesUseTheVirtualInterfaceAndEoiDeactivatesTheHardwareInterrupt() {
        Harness h = el1(DAIFCLR_I, B_SELF);
        h.load(VBAR + 0x280, MRS_X0_IAR1, MSR_EOIR1_X0, HVC0); // IRQ, current EL with SP_ELx
        Cpu c = h.cpu;
        enablePhysical(h, GenericTimer.PPI_VIRT);
        c.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW | SysRegs.HCR_IMO | SysRegs.HCR_FMO;
        Redistributor r = h.machine.gic.redistributor(0);
        r.acknowledge(GenericTimer.PPI_VIRT); // the host took the physical interrupt: active
        write(c, "ICH_VMCR_EL2", (0xF8L << 24) | VMCR_VENG1);
        write(c, "ICH_HCR_EL2", HCR_EN);
        write(c, "ICH_LR0_EL2", LR_PENDING | LR_HW | LR_GROUP1 | (0xA0L << LR_PRIORITY_SHIFT)
                | ((long) GenericTimer.PPI_VIRT << LR_PINTID_SHIFT) | GenericTimer.PPI_VIRT);
        assertEquals(VIRQ, c.virtualLines());
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(GenericTimer.PPI_VIRT, c.x[0], "ICV_IAR1 returned the list register's vINTID");
        assertEquals(0, read(c, "ICH_LR0_EL2") >>> 62, "EOI deactivated the virtual interrupt");
        assertFalse(r.isActive(GenericTimer.PPI_VIRT), "and, HW = 1, the physical one");
        assertEquals(0, read(c, "ICH_AP1R0_EL2"), "priority dropped");
        assertEquals(1, read(c, "ICH_ELRSR_EL2") & 1);
        assertEquals(1, c.lastExceptionKind() == 0 ? 1 : 0);
    }

    @Test
    void acknowledgedVirtualLpiLeavesItsListRegisterInvalidAndItsEndIsNotCounted() {
        for (boolean eoi : new boolean[] {false, true}) {
            Harness h = el1(DAIFCLR_I, B_SELF);
            if (eoi) {
                h.load(VBAR + 0x280, MRS_X0_IAR1, MSR_EOIR1_X0, HVC0);
            } else {
                h.load(VBAR + 0x280, MRS_X0_IAR1, HVC0);
            }
            Cpu c = h.cpu;
            c.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW | SysRegs.HCR_IMO | SysRegs.HCR_FMO;
            write(c, "ICH_VMCR_EL2", (0xF8L << 24) | VMCR_VENG1);
            write(c, "ICH_HCR_EL2", HCR_EN);
            write(c, "ICH_LR0_EL2", LR_PENDING | LR_GROUP1 | (0xA0L << LR_PRIORITY_SHIFT) | 8195);
            assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
            assertEquals(8195, c.x[0], "ICV_IAR1 returned the vLPI");
            assertEquals(0, read(c, "ICH_LR0_EL2") >>> 62, "LPIs have no active state: the list register is invalid");
            assertEquals(0, read(c, "ICH_HCR_EL2") >>> 27, "an LPI's end of interrupt is not counted in EOIcount");
            assertEquals(eoi ? 0 : 1L << (0xA0 >>> 3), read(c, "ICH_AP1R0_EL2"), "the priority drops at EOI only");
        }
    }

    @Test
    void underflowMaintenanceInterruptAssertsPpi25() {
        Harness h = el1(B_SELF);
        Cpu c = h.cpu;
        write(c, "ICH_HCR_EL2", HCR_EN | HCR_UIE);
        assertEquals(2, read(c, "ICH_MISR_EL2"));
        assertTrue(h.machine.gic.redistributor(0).line(Gic.PPI_MAINTENANCE));
        write(c, "ICH_LR0_EL2", LR_PENDING | LR_GROUP1 | 40);
        write(c, "ICH_LR1_EL2", LR_PENDING | LR_GROUP1 | 41);
        assertEquals(0, read(c, "ICH_MISR_EL2"));
        assertFalse(h.machine.gic.redistributor(0).line(Gic.PPI_MAINTENANCE));
        assertEquals(0b1100, read(c, "ICH_ELRSR_EL2"));
        assertEquals(VTR, read(c, "ICH_VTR_EL2"));
        assertEquals(3, read(c, "ICH_VTR_EL2") & 0x1F, "four list registers");
    }

    @Test
    void el0CounterReadTrapsToEl1WithTheRegistersSyndromeWhenCntkctlForbidsIt() {
        Harness h = new Harness();
        h.load(CODE, MRS_X3_CNTVCT, HVC0);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        Cpu c = h.cpu;
        c.sr[SysRegs.VBAR_EL1] = VBAR;
        h.load(VBAR + 0x400, HVC0); // synchronous from EL0
        c.sr[SysRegs.CNTKCTL_EL1] = 0;
        c.sr[SysRegs.SPSR_EL1] = 0; // EL0t
        c.sr[SysRegs.ELR_EL1] = CODE;
        c.eret();
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long esr = c.sr[SysRegs.ESR_EL1];
        assertEquals(Esr.EC_SYSREG, Esr.ec(esr));
        assertEquals(Esr.sysRegIss(MRS_X3_CNTVCT), Esr.iss(esr));
        assertEquals(3, (Esr.iss(esr) >>> 5) & 31, "Rt");
        assertEquals(CODE, c.sr[SysRegs.ELR_EL1]);
    }

    @Test
    void el1SgiGenerationTrapsToEl2WhenInterruptsAreRoutedThere() {
        Harness h = el1(MSR_SGI1R_X4, B_SELF);
        Cpu c = h.cpu;
        c.sr[SysRegs.HCR_EL2] = SysRegs.HCR_RW | SysRegs.HCR_IMO;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_SYSREG, Esr.ec(c.sr[SysRegs.ESR_EL2]));
        assertEquals(Esr.sysRegIss(MSR_SGI1R_X4), Esr.iss(c.sr[SysRegs.ESR_EL2]));
        assertEquals(CODE, c.sr[SysRegs.ELR_EL2]);
    }
}
