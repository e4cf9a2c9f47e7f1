package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegTraps;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.isa.Crc32;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * System-level behaviour that the QEMU comparison cannot cover (QEMU has no EL2 in the harness, treats DC as NOPs
 * and does not check SP alignment): traps to EL2, virtual MIDR/MPIDR, faults of cache maintenance by VA, SP
 * alignment checks; and CRC32 against the JDK's implementations.
 */
class SystemAccessTest {
    static final long CODE = Harness.RAM + 0x1000;
    static final long VBAR = Harness.RAM + 0x4000;

    private static Harness el1(int... program) {
        Harness h = new Harness();
        h.load(CODE, program);
        h.load(VBAR + 0x200, 0xd4000002); // current EL synchronous: hvc #0
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = VBAR;
        return h;
    }

    @Test
    void hcrTvmTrapsSctlrWritesToEl2WithTheMsrSyndrome() {
        Harness h = el1(0xd5181003); // msr sctlr_el1, x3
        h.cpu.sr[SysRegs.HCR_EL2] |= SysRegTraps.HCR_TVM;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long esr = h.cpu.sr[SysRegs.ESR_EL2];
        assertEquals(Esr.EC_SYSREG, Esr.ec(esr));
        // Op0 3, Op2 0, Op1 0, CRn 1, Rt 3, CRm 0, write
        assertEquals((3 << 20) | (1 << 10) | (3 << 5), Esr.iss(esr));
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL2]);
    }

    @Test
    void hcrTid3TrapsIdRegisterReadsIncludingTheRazSpace() {
        Harness h = el1(0xd5380764); // mrs x4, s3_0_c0_c7_3 (ID_AA64MMFR3_EL1)
        h.cpu.sr[SysRegs.HCR_EL2] |= SysRegTraps.HCR_TID3;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_SYSREG, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(1, Esr.iss(h.cpu.sr[SysRegs.ESR_EL2]) & 1, "a read");
    }

    @Test
    void unallocatedIdRegistersReadAsZeroWithoutTraps() {
        Harness h = el1(0xd5380764, 0xd4000002); // mrs x4, s3_0_c0_c7_3; hvc
        h.cpu.x[4] = -1;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(0, h.cpu.x[4]);
    }

    @Test
    void el1ReadsTheVirtualMidrAndMpidrWhileEl2IsEnabled() {
        Harness h = el1(0xd5380001, 0xd53800a2, 0xd4000002); // mrs x1, midr; mrs x2, mpidr; hvc
        h.cpu.sr[SysRegs.VPIDR_EL2] = 0x410F_D490L;
        h.cpu.sr[SysRegs.VMPIDR_EL2] = 0x8000_0003L;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(0x410F_D490L, h.cpu.x[1]);
        assertEquals(0x8000_0003L, h.cpu.x[2]);
        assertEquals(IdRegisters.MIDR, h.cpu.readSysReg(SysRegs.byName("MIDR_EL1")), "EL2 reads the real MIDR");
    }

    @Test
    void cacheMaintenanceOnAnUnmappedVaIsADataAbortWithCm() {
        Harness h = el1(0xd50b7e20); // dc civac, x0
        MmuSetup mmu = new MmuSetup(h.mem, Harness.RAM + 0x10000);
        mmu.enable(h.cpu, 0);
        h.cpu.x[0] = MmuSetup.WINDOW + 0x3000; // no descriptor
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long esr = h.cpu.sr[SysRegs.ESR_EL1];
        assertEquals(Esr.EC_DABT_CUR, Esr.ec(esr));
        assertEquals(Esr.CM | Esr.WNR | Esr.FSC_TRANSLATION + 3, Esr.iss(esr));
        assertEquals(MmuSetup.WINDOW + 0x3000, h.cpu.sr[SysRegs.FAR_EL1]);
    }

    @Test
    void spAlignmentCheckFaultsWithSctlrSa() {
        Harness h = el1(0xf94003e1); // ldr x1, [sp]
        h.cpu.setSp(Harness.RAM + 0x9008);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_SP_ALIGN, Esr.ec(h.cpu.sr[SysRegs.ESR_EL1]), "SCTLR_EL1.SA is set at reset");
        Harness ok = el1(0xf94003e1, 0xd4000002);
        ok.cpu.sr[SysRegs.SCTLR_EL1] &= ~SysRegs.SCTLR_SA;
        ok.cpu.setSp(Harness.RAM + 0x9008);
        assertEquals(Cpu.StopReason.ARRIVED, ok.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(ok.cpu.sr[SysRegs.ESR_EL2]));
    }

    @Test
    void prefetchFromAMisalignedSpIsNoAccessAndNoFault() {
        // prfm pldl1keep, [sp]; prfm pldl1keep, [sp, x1]; prfum pldl1keep, [sp, #-8]; hvc #0 (CheckSPAlignment is
        // skipped for prefetches)
        Harness h = el1(0xf98003e0, 0xf8a16be0, 0xf89f83e0, 0xd4000002);
        h.cpu.x[1] = 8;
        h.cpu.setSp(Harness.RAM + 0x9008);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(CODE + 16, h.cpu.sr[SysRegs.ELR_EL2], "the program's own hvc, not the EL1 vector's");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 9, 63, 1000})
    void crc32MatchesTheJdkOnRandomData(int length) {
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        int acc = -1, accC = -1;
        int i = 0;
        for (; i + 8 <= length; i += 8) { // 64-bit steps, then bytes, as software does
            long v = 0;
            for (int b = 0; b < 8; b++) {
                v |= (data[i + b] & 0xFFL) << (8 * b);
            }
            acc = Crc32.crc32(acc, v, 8);
            accC = Crc32.crc32c(accC, v, 8);
        }
        for (; i < length; i++) {
            acc = Crc32.crc32(acc, data[i], 1);
            accC = Crc32.crc32c(accC, data[i], 1);
        }
        CRC32 ref = new CRC32();
        ref.update(data);
        CRC32C refC = new CRC32C();
        refC.update(data);
        assertEquals(ref.getValue(), ~acc & 0xFFFF_FFFFL);
        assertEquals(refC.getValue(), ~accC & 0xFFFF_FFFFL);
    }
}
