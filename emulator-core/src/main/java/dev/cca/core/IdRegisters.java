package dev.cca.core;

import dev.cca.core.cpu.Cpu;

import static dev.cca.core.cpu.SysRegs.*;

/**
 * The identification registers of the emulated PE. They advertise exactly what the interpreter implements, so
 * that software never enables a feature the emulator lacks. docs/cpu-features.md lists the same set.
 */
public final class IdRegisters {
    private IdRegisters() {
    }

    /** Implementer 0x00 (reserved for software use), architecture 0xF, part number 0xCCA. */
    public static final long MIDR = 0x000F_CCA0L;

    public static void apply(Cpu c) {
        long[] sr = c.sr;
        sr[MIDR_EL1] = MIDR;
        sr[REVIDR_EL1] = 0;
        // EL0..EL3 AArch64 only; FP and AdvSIMD implemented without half-precision arithmetic (FP = AdvSIMD =
        // 0b0000: FEAT_FP, FEAT_AdvSIMD, no FEAT_FP16); RME (FEAT_RME, [55:52] = 1);
        // GIC [27:24] = 1: the GICv3 system-register CPU interface (ICC_*, and ICV_*/ICH_* for EL2);
        // CSV2 [59:56] = 1 and CSV3 [63:60] = 1: an interpreter has no speculation to leak through branch
        // predictors or faulting loads, so Linux needs neither its Spectre-v2 nor its Meltdown (KPTI) mitigation.
        sr[ID_AA64PFR0_EL1] = 0x1L | (0x1L << 4) | (0x1L << 8) | (0x1L << 12) | (0x0L << 16) | (0x0L << 20)
                | (0x1L << 24) | (0x1L << 52) | (0x1L << 56) | (0x1L << 60);
        sr[ID_AA64PFR1_EL1] = 0;
        sr[ID_AA64ZFR0_EL1] = 0;
        sr[ID_AA64SMFR0_EL1] = 0;
        // Debug v8, 6 breakpoints, 4 watchpoints, 2 context-aware breakpoints; PMUVer [11:8] = 0b0110: FEAT_PMUv3p5
        // (dev.cca.core.cpu.Pmu: 64-bit event counters, PMCR_EL0.LP, MDCR_EL2.HLP/HCCD/HPMD, PMMIR_EL1).
        sr[ID_AA64DFR0_EL1] = 0x6L | (0x6L << 8) | (0x5L << 12) | (0x3L << 20) | (0x1L << 28);
        sr[ID_AA64DFR1_EL1] = 0;
        // FEAT_AES + FEAT_PMULL (AES [7:4] = 2), FEAT_SHA1 ([11:8] = 1), FEAT_SHA256 ([15:12] = 1, not SHA512),
        // FEAT_CRC32 (CRC32 [19:16] = 1), FEAT_LSE (Atomic [23:20] = 2).
        sr[ID_AA64ISAR0_EL1] = (0x2L << 4) | (0x1L << 8) | (0x1L << 12) | (0x1L << 16) | (0x2L << 20);
        // FEAT_DPB (DPB [3:0] = 1: DC CVAP), FEAT_LRCPC (LRCPC [23:20] = 1: LDAPR), FEAT_SB (SB [39:36] = 1).
        sr[ID_AA64ISAR1_EL1] = 0x1L | (0x1L << 20) | (0x1L << 36);
        sr[ID_AA64ISAR2_EL1] = 0;
        // PARange 48 bits, 16-bit ASIDs, 4 KB granule only (TGran16 = 0, TGran64 = 0xF; stage 2: 4 KB only).
        sr[ID_AA64MMFR0_EL1] = 0x5L | (0x2L << 4) | (0xFL << 24) | (0x1L << 32) | (0x1L << 36) | (0x2L << 40);
        // FEAT_PAN; FEAT_HAFDBS (HAFDBS = 0b0010: hardware access flag and dirty state, stages 1 and 2).
        sr[ID_AA64MMFR1_EL1] = (0x1L << 20) | 0x2L;
        sr[ID_AA64MMFR2_EL1] = 0;
        sr[ID_AA64AFR0_EL1] = 0;
        sr[ID_AA64AFR1_EL1] = 0;
        // 64-byte lines, PIPT I-cache, no cache maintenance needed for coherency (IDC, DIC).
        sr[CTR_EL0] = 0x8000_0000L | (1L << 29) | (1L << 28) | (4L << 24) | (4L << 20) | (4L << 16) | (3L << 14) | 4;
        sr[DCZID_EL0] = 4; // DC ZVA zeroes 64 bytes
        sr[CLIDR_EL1] = 0;
        sr[CCSIDR_EL1] = 0;
        sr[CNTFRQ_EL0] = 62_500_000L;
        // The virtual MIDR/MPIDR that EL1 reads while EL2 is enabled; a hypervisor may change them.
        sr[VPIDR_EL2] = MIDR;
        sr[VMPIDR_EL2] = sr[MPIDR_EL1];
    }
}
