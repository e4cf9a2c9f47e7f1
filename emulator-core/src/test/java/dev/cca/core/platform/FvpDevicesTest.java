package dev.cca.core.platform;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FVP devices as bare-metal NS-EL2 code programs them (cca run --host-image): GICv3 distributor and
 * redistributor frames with SPIs routed by GICD_IROUTER, the PL011s, and the watchdogs on the system counter.
 */
class FvpDevicesTest {
    private final Machine m = new Machine(2, Machine.Topology.FVP);
    private final AtomicInteger resets = new AtomicInteger();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final FvpDevices dev = new FvpDevices(m, console, resets::incrementAndGet);
    private final PhysicalMemory mem = m.memory;

    private static long sysreg(Cpu c, String name) {
        return c.readSysReg(SysRegs.byName(name));
    }

    private void enableCpuInterface(Cpu c) {
        c.writeSysReg(SysRegs.byName("ICC_PMR_EL1"), 0xFF);
        c.writeSysReg(SysRegs.byName("ICC_IGRPEN1_EL1"), 1);
    }

    @Test
    void fvpMpidrsHaveTheCoreInAff1AndTheRedistributorsSayWhoTheyAre() {
        assertEquals(0x8100_0100L, m.cpu(1).sr[SysRegs.MPIDR_EL1]);
        assertEquals(Machine.FVP_COUNTER_HZ, m.cpu(0).sr[SysRegs.CNTFRQ_EL0]);
        long typer1 = mem.read(FvpDevices.GICR + 0x2_0000 + 8, 8);
        assertEquals(0x100L, typer1 >>> 32, "GICR_TYPER.Affinity of PE1");
        assertEquals(1L << 4, typer1 & (1 << 4), "PE1's frame is the last");
        assertEquals(0, mem.read(FvpDevices.GICR + 8, 8) & (1 << 4));
        assertEquals(0x3B, mem.read(FvpDevices.GICD + 0xFFE8, 4), "GICD_PIDR2: GICv3");
    }

    @Test
    void spiRoutedToPe1IsSignalledAndAcknowledgedThere() {
        int spi = 40;
        mem.write(FvpDevices.GICD, 4, 2); // GICD_CTLR.EnableGrp1A
        mem.write(FvpDevices.GICD + 0x6000 + 8L * spi, 8, 0x100); // IROUTER: Aff1 = 1
        mem.write(FvpDevices.GICD + 0x400 + spi, 1, 0x80); // priority
        mem.write(FvpDevices.GICD + 0x100 + 4, 4, 1 << (spi - 32)); // ISENABLER1
        enableCpuInterface(m.cpu(0));
        enableCpuInterface(m.cpu(1));
        m.gic.distributor().setLine(spi, true);
        assertTrue(m.cpu(1).irqPending());
        assertFalse(m.cpu(0).irqPending());
        assertEquals(1L << (spi - 32), mem.read(FvpDevices.GICD + 0x200 + 4, 4), "GICD_ISPENDR1");
        assertEquals(spi, sysreg(m.cpu(1), "ICC_IAR1_EL1"));
        assertFalse(m.cpu(1).irqPending(), "active, not pending again while the line stays high");
        m.gic.distributor().setLine(spi, false);
        m.cpu(1).writeSysReg(SysRegs.byName("ICC_EOIR1_EL1"), spi);
        assertEquals(0, mem.read(FvpDevices.GICD + 0x300 + 4, 4), "GICD_ISACTIVER1: deactivated by the EOI");
    }

    @Test
    void ppiEnabledThroughTheSgiFrame() {
        mem.write(FvpDevices.GICR + 0x1_0000 + 0x100, 4, 1 << 27); // GICR_ISENABLER0 of PE0: the virtual timer PPI
        assertTrue(m.gic.redistributor(0).isEnabled(27));
        assertFalse(m.gic.redistributor(1).isEnabled(27));
    }

    @Test
    void uart2WritesToTheConsole() {
        for (char ch : "ok\n".toCharArray()) {
            mem.write(FvpDevices.UART2, 4, ch);
        }
        assertEquals("ok\n", console.toString());
    }

    @Test
    void genericWatchdogRaisesItsSpiAtTheOffsetThenResetsAtTheSecond() {
        mem.write(FvpDevices.GENERIC_WDOG_CONTROL + 0x8, 4, 1000); // WOR
        mem.write(FvpDevices.GENERIC_WDOG_CONTROL, 4, 1); // WCS.EN
        long start = dev.now();
        assertEquals(start + 1001, dev.nextDeadline());
        m.cpu(0).timer.advanceTo(start + 1001);
        dev.advance();
        assertEquals(3, mem.read(FvpDevices.GENERIC_WDOG_CONTROL, 4), "WCS: EN | WS0");
        assertTrue(m.gic.distributor().isPending(FvpDevices.GENERIC_WDOG_SPI));
        assertEquals(0, resets.get());
        m.cpu(0).timer.advanceTo(start + 2002);
        dev.advance();
        assertEquals(1, resets.get(), "WS1: system reset");
    }

    @Test
    void sp805ResetsWhenItsInterruptWasNotCleared() {
        mem.write(FvpDevices.SP805 + 0xC00, 4, 0x1ACCE551); // unlock
        mem.write(FvpDevices.SP805, 4, 10); // WdogLoad: 10 WDOGCLK cycles
        mem.write(FvpDevices.SP805 + 0x8, 4, 3); // INTEN | RESEN
        long start = dev.now();
        m.cpu(0).timer.advanceTo(start + 10L * Sp805Watchdog.COUNTER_DIVIDER);
        dev.advance();
        assertEquals(1, mem.read(FvpDevices.SP805 + 0x10, 4), "WdogRIS");
        assertEquals(0, resets.get());
        m.cpu(0).timer.advanceTo(start + 20L * Sp805Watchdog.COUNTER_DIVIDER);
        dev.advance();
        assertEquals(1, resets.get());
    }
}
