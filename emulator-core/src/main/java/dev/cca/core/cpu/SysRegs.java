package dev.cca.core.cpu;

import dev.cca.core.cpu.fp.Fpcr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The table of system registers the PE implements: encodings from the Arm ARM, storage slots in
 * {@link Cpu#sr}, and the side effects of writes (translation changes, PSTATE views, security state).
 * The slot numbers are compile-time constants so that hot paths read {@code cpu.sr[SysRegs.HCR_EL2]} directly.
 */
public final class SysRegs {
    private SysRegs() {
    }

    // ---- storage slots -------------------------------------------------------------------------------------
    public static final int SCTLR_EL1 = 0, ACTLR_EL1 = 1, CPACR_EL1 = 2, TTBR0_EL1 = 3, TTBR1_EL1 = 4,
            TCR_EL1 = 5, SPSR_EL1 = 6, ELR_EL1 = 7, AFSR0_EL1 = 8, AFSR1_EL1 = 9, ESR_EL1 = 10, FAR_EL1 = 11,
            PAR_EL1 = 12, MAIR_EL1 = 13, AMAIR_EL1 = 14, VBAR_EL1 = 15, CONTEXTIDR_EL1 = 16, TPIDR_EL1 = 17,
            CNTKCTL_EL1 = 18, MDSCR_EL1 = 19, CSSELR_EL1 = 20, TPIDR_EL0 = 21, TPIDRRO_EL0 = 22, FPCR = 23,
            FPSR = 24;
    public static final int MIDR_EL1 = 30, MPIDR_EL1 = 31, REVIDR_EL1 = 32, ID_AA64PFR0_EL1 = 33,
            ID_AA64PFR1_EL1 = 34, ID_AA64DFR0_EL1 = 35, ID_AA64DFR1_EL1 = 36, ID_AA64ISAR0_EL1 = 37,
            ID_AA64ISAR1_EL1 = 38, ID_AA64ISAR2_EL1 = 39, ID_AA64MMFR0_EL1 = 40, ID_AA64MMFR1_EL1 = 41,
            ID_AA64MMFR2_EL1 = 42, ID_AA64ZFR0_EL1 = 43, ID_AA64SMFR0_EL1 = 44, ID_AA64AFR0_EL1 = 45,
            ID_AA64AFR1_EL1 = 46, CTR_EL0 = 47, DCZID_EL0 = 48, CLIDR_EL1 = 49, CCSIDR_EL1 = 50, CNTFRQ_EL0 = 51;
    public static final int SCTLR_EL2 = 60, ACTLR_EL2 = 61, HCR_EL2 = 62, MDCR_EL2 = 63, CPTR_EL2 = 64,
            HSTR_EL2 = 65, HACR_EL2 = 66, TTBR0_EL2 = 67, TCR_EL2 = 68, VTTBR_EL2 = 69, VTCR_EL2 = 70,
            SPSR_EL2 = 71, ELR_EL2 = 72, ESR_EL2 = 73, FAR_EL2 = 74, HPFAR_EL2 = 75, MAIR_EL2 = 76,
            VBAR_EL2 = 77, TPIDR_EL2 = 78, VPIDR_EL2 = 79, VMPIDR_EL2 = 80, CNTHCTL_EL2 = 81, CNTVOFF_EL2 = 82,
            AFSR0_EL2 = 83, AFSR1_EL2 = 84, AMAIR_EL2 = 85;
    public static final int SCTLR_EL3 = 90, SCR_EL3 = 91, CPTR_EL3 = 92, MDCR_EL3 = 93, TTBR0_EL3 = 94,
            TCR_EL3 = 95, GPTBR_EL3 = 96, GPCCR_EL3 = 97, SPSR_EL3 = 98, ELR_EL3 = 99, ESR_EL3 = 100,
            FAR_EL3 = 101, MAIR_EL3 = 102, VBAR_EL3 = 103, TPIDR_EL3 = 104, ACTLR_EL3 = 105, MFAR_EL3 = 106;
    /**
     * Number of storage slots. Ranges: 0-127 core EL1/EL2/EL3 state (this file); 128-255 further system and
     * debug registers; 256-383 GIC CPU interface and generic timers; 384-511 FP/SIMD and feature registers.
     * A group defined in another class registers itself through {@link #define} from the static block below.
     */
    public static final int COUNT = 512;

    // HCR_EL2 bits used by the core.
    public static final long HCR_VM = 1L << 0;
    public static final long HCR_SWIO = 1L << 1;
    public static final long HCR_FMO = 1L << 3;
    public static final long HCR_IMO = 1L << 4;
    public static final long HCR_AMO = 1L << 5;
    public static final long HCR_TWI = 1L << 13;
    public static final long HCR_TWE = 1L << 14;
    public static final long HCR_TSC = 1L << 19;
    public static final long HCR_TGE = 1L << 27;
    public static final long HCR_RW = 1L << 31;
    public static final long HCR_E2H = 1L << 34;
    public static final long HCR_FWB = 1L << 46;
    public static final long HCR_GPF = 1L << 50;

    /** HCR_EL2 bits that affect address translation: VM, PTW, DC, CD, ID, TGE, RW, E2H, FWB. */
    static final long HCR_TRANSLATION_BITS = HCR_VM | (1L << 2) | (1L << 12) | HCR_TGE | HCR_RW | (1L << 32)
            | (1L << 33) | HCR_E2H | HCR_FWB;

    // SCR_EL3 bits.
    public static final long SCR_NS = 1L << 0;
    public static final long SCR_IRQ = 1L << 1;
    public static final long SCR_FIQ = 1L << 2;
    public static final long SCR_EA = 1L << 3;
    public static final long SCR_SMD = 1L << 7;
    public static final long SCR_HCE = 1L << 8;
    public static final long SCR_RW = 1L << 10;
    public static final long SCR_EEL2 = 1L << 18;
    public static final long SCR_GPF = 1L << 48;
    public static final long SCR_NSE = 1L << 62;

    // SCTLR bits.
    public static final long SCTLR_M = 1L << 0;
    public static final long SCTLR_A = 1L << 1;
    public static final long SCTLR_SA = 1L << 3;
    public static final long SCTLR_WXN = 1L << 19;
    public static final long SCTLR_SPAN = 1L << 23;

    private static final SysReg[] BY_ID = new SysReg[COUNT];
    private static final Map<Integer, SysReg> BY_ENCODING = new HashMap<>();
    private static final Map<String, SysReg> BY_NAME = new HashMap<>();
    private static final List<SysReg> ALL = new ArrayList<>();

    private static final SysReg.Writer TRANSLATION = (c, v) -> c.onTranslationRegimeChange();

    static {
        // EL1 and EL0 registers
        plain("SCTLR_EL1", 3, 0, 1, 0, 0, SCTLR_EL1, TRANSLATION);
        plain("ACTLR_EL1", 3, 0, 1, 0, 1, ACTLR_EL1, null);
        plain("CPACR_EL1", 3, 0, 1, 0, 2, CPACR_EL1, null);
        // TTBRn_EL1: a new ASID drops only non-global TLB entries (Cpu.onTtbrWrite).
        plain("TTBR0_EL1", 3, 0, 2, 0, 0, TTBR0_EL1, (c, v) -> c.onTtbrWrite());
        plain("TTBR1_EL1", 3, 0, 2, 0, 1, TTBR1_EL1, (c, v) -> c.onTtbrWrite());
        plain("TCR_EL1", 3, 0, 2, 0, 2, TCR_EL1, TRANSLATION);
        plain("SPSR_EL1", 3, 0, 4, 0, 0, SPSR_EL1, null);
        plain("ELR_EL1", 3, 0, 4, 0, 1, ELR_EL1, null);
        plain("AFSR0_EL1", 3, 0, 5, 1, 0, AFSR0_EL1, null);
        plain("AFSR1_EL1", 3, 0, 5, 1, 1, AFSR1_EL1, null);
        plain("ESR_EL1", 3, 0, 5, 2, 0, ESR_EL1, null);
        plain("FAR_EL1", 3, 0, 6, 0, 0, FAR_EL1, null);
        plain("PAR_EL1", 3, 0, 7, 4, 0, PAR_EL1, null);
        plain("MAIR_EL1", 3, 0, 10, 2, 0, MAIR_EL1, TRANSLATION);
        plain("AMAIR_EL1", 3, 0, 10, 3, 0, AMAIR_EL1, null);
        plain("VBAR_EL1", 3, 0, 12, 0, 0, VBAR_EL1, null);
        plain("CONTEXTIDR_EL1", 3, 0, 13, 0, 1, CONTEXTIDR_EL1, null);
        plain("TPIDR_EL1", 3, 0, 13, 0, 4, TPIDR_EL1, null);
        plain("CNTKCTL_EL1", 3, 0, 14, 1, 0, CNTKCTL_EL1, null);
        plain("MDSCR_EL1", 2, 0, 0, 2, 2, MDSCR_EL1, (c, v) -> c.onDebugControlWrite());
        plain("CSSELR_EL1", 3, 2, 0, 0, 0, CSSELR_EL1, null);
        plainEl("TPIDR_EL0", 3, 3, 13, 0, 2, TPIDR_EL0, 0, null);
        plainEl("TPIDRRO_EL0", 3, 3, 13, 0, 3, TPIDRRO_EL0, 0, null);
        // FPCR/FPSR: writes keep only implemented bits; MRS/MSR check the SIMD&FP access traps (FpAccess).
        define("FPCR", 3, 3, 4, 4, 0, FPCR, 0, c -> c.sr[FPCR], (c, v) -> c.sr[FPCR] = v & Fpcr.FPCR_WRITABLE);
        define("FPSR", 3, 3, 4, 4, 1, FPSR, 0, c -> c.sr[FPSR], (c, v) -> c.sr[FPSR] = v & Fpcr.FPSR_WRITABLE);

        // Identification registers (read-only, values set by the machine configuration)
        // At EL1 with EL2 enabled, MIDR_EL1 and MPIDR_EL1 read the virtual values VPIDR_EL2 and VMPIDR_EL2.
        computed("MIDR_EL1", 3, 0, 0, 0, 0, 1, c -> c.el == 1 && c.el2Enabled() ? c.sr[VPIDR_EL2] : c.sr[MIDR_EL1],
                null);
        computed("MPIDR_EL1", 3, 0, 0, 0, 5, 1,
                c -> c.el == 1 && c.el2Enabled() ? c.sr[VMPIDR_EL2] : c.sr[MPIDR_EL1], null);
        id("REVIDR_EL1", 3, 0, 0, 0, 6, REVIDR_EL1);
        id("ID_AA64PFR0_EL1", 3, 0, 0, 4, 0, ID_AA64PFR0_EL1);
        id("ID_AA64PFR1_EL1", 3, 0, 0, 4, 1, ID_AA64PFR1_EL1);
        id("ID_AA64ZFR0_EL1", 3, 0, 0, 4, 4, ID_AA64ZFR0_EL1);
        id("ID_AA64SMFR0_EL1", 3, 0, 0, 4, 5, ID_AA64SMFR0_EL1);
        id("ID_AA64DFR0_EL1", 3, 0, 0, 5, 0, ID_AA64DFR0_EL1);
        id("ID_AA64DFR1_EL1", 3, 0, 0, 5, 1, ID_AA64DFR1_EL1);
        id("ID_AA64AFR0_EL1", 3, 0, 0, 5, 4, ID_AA64AFR0_EL1);
        id("ID_AA64AFR1_EL1", 3, 0, 0, 5, 5, ID_AA64AFR1_EL1);
        id("ID_AA64ISAR0_EL1", 3, 0, 0, 6, 0, ID_AA64ISAR0_EL1);
        id("ID_AA64ISAR1_EL1", 3, 0, 0, 6, 1, ID_AA64ISAR1_EL1);
        id("ID_AA64ISAR2_EL1", 3, 0, 0, 6, 2, ID_AA64ISAR2_EL1);
        id("ID_AA64MMFR0_EL1", 3, 0, 0, 7, 0, ID_AA64MMFR0_EL1);
        id("ID_AA64MMFR1_EL1", 3, 0, 0, 7, 1, ID_AA64MMFR1_EL1);
        id("ID_AA64MMFR2_EL1", 3, 0, 0, 7, 2, ID_AA64MMFR2_EL1);
        id("CCSIDR_EL1", 3, 1, 0, 0, 0, CCSIDR_EL1);
        id("CLIDR_EL1", 3, 1, 0, 0, 1, CLIDR_EL1);
        idEl0("CTR_EL0", 3, 3, 0, 0, 1, CTR_EL0);
        // DCZID_EL0.DZP (bit 4) reads 1 where DC ZVA is prohibited: at EL0 without SCTLR_EL1.DZE.
        computed("DCZID_EL0", 3, 3, 0, 0, 7, 0,
                c -> c.sr[DCZID_EL0] | (c.el == 0 && (c.sr[SCTLR_EL1] & (1L << 14)) == 0 ? 1L << 4 : 0), null);

        // EL2 registers
        plainEl("VPIDR_EL2", 3, 4, 0, 0, 0, VPIDR_EL2, 2, null);
        plainEl("VMPIDR_EL2", 3, 4, 0, 0, 5, VMPIDR_EL2, 2, null);
        plainEl("SCTLR_EL2", 3, 4, 1, 0, 0, SCTLR_EL2, 2, TRANSLATION);
        plainEl("ACTLR_EL2", 3, 4, 1, 0, 1, ACTLR_EL2, 2, null);
        // HCR_EL2: only the bits that change translation flush the TLB (trap and virtual-interrupt bits do not).
        register(new SysReg("HCR_EL2", 3, 4, 1, 1, 0, HCR_EL2, 2, c -> c.sr[HCR_EL2], (c, v) -> {
            long old = c.sr[HCR_EL2];
            c.sr[HCR_EL2] = v;
            if (((old ^ v) & HCR_TRANSLATION_BITS) != 0) {
                c.onTranslationRegimeChange();
            }
        }));
        plainEl("MDCR_EL2", 3, 4, 1, 1, 1, MDCR_EL2, 2, null);
        plainEl("CPTR_EL2", 3, 4, 1, 1, 2, CPTR_EL2, 2, null);
        plainEl("HSTR_EL2", 3, 4, 1, 1, 3, HSTR_EL2, 2, null);
        plainEl("HACR_EL2", 3, 4, 1, 1, 7, HACR_EL2, 2, null);
        plainEl("TTBR0_EL2", 3, 4, 2, 0, 0, TTBR0_EL2, 2, TRANSLATION);
        plainEl("TCR_EL2", 3, 4, 2, 0, 2, TCR_EL2, 2, TRANSLATION);
        plainEl("VTTBR_EL2", 3, 4, 2, 1, 0, VTTBR_EL2, 2, TRANSLATION);
        plainEl("VTCR_EL2", 3, 4, 2, 1, 2, VTCR_EL2, 2, TRANSLATION);
        plainEl("SPSR_EL2", 3, 4, 4, 0, 0, SPSR_EL2, 2, null);
        plainEl("ELR_EL2", 3, 4, 4, 0, 1, ELR_EL2, 2, null);
        plainEl("AFSR0_EL2", 3, 4, 5, 1, 0, AFSR0_EL2, 2, null);
        plainEl("AFSR1_EL2", 3, 4, 5, 1, 1, AFSR1_EL2, 2, null);
        plainEl("ESR_EL2", 3, 4, 5, 2, 0, ESR_EL2, 2, null);
        plainEl("FAR_EL2", 3, 4, 6, 0, 0, FAR_EL2, 2, null);
        plainEl("HPFAR_EL2", 3, 4, 6, 0, 4, HPFAR_EL2, 2, null);
        plainEl("MAIR_EL2", 3, 4, 10, 2, 0, MAIR_EL2, 2, TRANSLATION);
        plainEl("AMAIR_EL2", 3, 4, 10, 3, 0, AMAIR_EL2, 2, null);
        plainEl("VBAR_EL2", 3, 4, 12, 0, 0, VBAR_EL2, 2, null);
        plainEl("TPIDR_EL2", 3, 4, 13, 0, 2, TPIDR_EL2, 2, null);
        plainEl("CNTHCTL_EL2", 3, 4, 14, 1, 0, CNTHCTL_EL2, 2, null);
        plainEl("CNTVOFF_EL2", 3, 4, 14, 0, 3, CNTVOFF_EL2, 2, (c, v) -> c.timer.update());

        // EL3 registers
        plainEl("SCTLR_EL3", 3, 6, 1, 0, 0, SCTLR_EL3, 3, TRANSLATION);
        plainEl("ACTLR_EL3", 3, 6, 1, 0, 1, ACTLR_EL3, 3, null);
        plainEl("SCR_EL3", 3, 6, 1, 1, 0, SCR_EL3, 3, (c, v) -> c.onScrChange());
        plainEl("CPTR_EL3", 3, 6, 1, 1, 2, CPTR_EL3, 3, null);
        plainEl("MDCR_EL3", 3, 6, 1, 3, 1, MDCR_EL3, 3, null);
        plainEl("TTBR0_EL3", 3, 6, 2, 0, 0, TTBR0_EL3, 3, TRANSLATION);
        plainEl("TCR_EL3", 3, 6, 2, 0, 2, TCR_EL3, 3, TRANSLATION);
        plainEl("GPTBR_EL3", 3, 6, 2, 1, 4, GPTBR_EL3, 3, TRANSLATION);
        plainEl("GPCCR_EL3", 3, 6, 2, 1, 6, GPCCR_EL3, 3, TRANSLATION);
        plainEl("SPSR_EL3", 3, 6, 4, 0, 0, SPSR_EL3, 3, null);
        plainEl("ELR_EL3", 3, 6, 4, 0, 1, ELR_EL3, 3, null);
        plainEl("ESR_EL3", 3, 6, 5, 2, 0, ESR_EL3, 3, null);
        plainEl("FAR_EL3", 3, 6, 6, 0, 0, FAR_EL3, 3, null);
        plainEl("MFAR_EL3", 3, 6, 6, 0, 5, MFAR_EL3, 3, null);
        plainEl("MAIR_EL3", 3, 6, 10, 2, 0, MAIR_EL3, 3, TRANSLATION);
        plainEl("VBAR_EL3", 3, 6, 12, 0, 0, VBAR_EL3, 3, null);
        plainEl("TPIDR_EL3", 3, 6, 13, 0, 2, TPIDR_EL3, 3, null);

        // Views of PSTATE and of the banked stack pointers
        computed("NZCV", 3, 3, 4, 2, 0, 0, c -> c.nzcv & 0xF000_0000L, (c, v) -> c.nzcv = (int) (v & 0xF000_0000L));
        computed("DAIF", 3, 3, 4, 2, 1, 0, c -> c.daif, (c, v) -> c.setDaif((int) (v & 0x3C0)));
        computed("CurrentEL", 3, 0, 4, 2, 2, 1, c -> (long) c.el << 2, null);
        computed("SPSel", 3, 0, 4, 2, 0, 1, c -> c.spSel ? 1 : 0, (c, v) -> c.setSpSel((v & 1) != 0));
        computed("PAN", 3, 0, 4, 2, 3, 1, c -> c.pan ? 1L << 22 : 0, (c, v) -> c.setPan((v & (1L << 22)) != 0));
        computed("SP_EL0", 3, 0, 4, 1, 0, 1, c -> c.spEl[0], (c, v) -> c.spEl[0] = v);
        computed("SP_EL1", 3, 4, 4, 1, 0, 2, c -> c.spEl[1], (c, v) -> c.spEl[1] = v);
        computed("SP_EL2", 3, 6, 4, 1, 0, 3, c -> c.spEl[2], (c, v) -> c.spEl[2] = v);

        // Slots 256-383: the generic timers (CNTFRQ_EL0 too) and the GIC CPU interface.
        GenericTimer.defineRegisters();
        GicCpuInterface.defineRegisters();
        // Slots 128-255: debug and OS lock registers, AIDR_EL1, the RAZ rest of the ID space.
        BaseSysRegs.register();
    }


    static void register(SysReg r) {
        if (r.id >= 0) {
            if (BY_ID[r.id] != null) {
                throw new IllegalStateException("duplicate system register slot " + r.id + ": " + r.name);
            }
            BY_ID[r.id] = r;
        }
        if (BY_ENCODING.put(r.encoding(), r) != null) {
            throw new IllegalStateException("duplicate system register encoding: " + r.name);
        }
        BY_NAME.put(r.name, r);
        ALL.add(r);
    }

    static void plain(String name, int op0, int op1, int crn, int crm, int op2, int id, SysReg.Writer after) {
        plainEl(name, op0, op1, crn, crm, op2, id, 1, after);
    }

    static void plainEl(String name, int op0, int op1, int crn, int crm, int op2, int id, int minEl,
                                SysReg.Writer after) {
        SysReg.Writer w = after == null ? (c, v) -> c.sr[id] = v : (c, v) -> {
            c.sr[id] = v;
            after.write(c, v);
        };
        register(new SysReg(name, op0, op1, crn, crm, op2, id, minEl, c -> c.sr[id], w));
    }

    static void id(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        register(new SysReg(name, op0, op1, crn, crm, op2, id, 1, c -> c.sr[id], null));
    }

    static void idEl0(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        register(new SysReg(name, op0, op1, crn, crm, op2, id, 0, c -> c.sr[id], null));
    }

    static void computed(String name, int op0, int op1, int crn, int crm, int op2, int minEl,
                                 SysReg.Reader r, SysReg.Writer w) {
        register(new SysReg(name, op0, op1, crn, crm, op2, -1, minEl, r, w));
    }

    /**
     * Defines a register from another class of this package: {@code reader}/{@code writer} may be null for
     * write-only/read-only registers; {@code id} is a storage slot or -1 for a computed register.
     */
    static void define(String name, int op0, int op1, int crn, int crm, int op2, int id, int minEl,
                       SysReg.Reader reader, SysReg.Writer writer) {
        register(new SysReg(name, op0, op1, crn, crm, op2, id, minEl, reader, writer));
    }

    /** The register with this MRS/MSR encoding, or null if the PE does not implement it. */
    public static SysReg byEncoding(int encoding) {
        return BY_ENCODING.get(encoding);
    }

    public static SysReg byName(String name) {
        return BY_NAME.get(name);
    }

    public static SysReg byId(int id) {
        return BY_ID[id];
    }

    public static List<SysReg> all() {
        return Collections.unmodifiableList(ALL);
    }

    /** EL1 state that an EL2 or EL3 world switch saves and restores. */
    public static final int[] EL1_CONTEXT = {SCTLR_EL1, ACTLR_EL1, CPACR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1,
        SPSR_EL1, ELR_EL1, AFSR0_EL1, AFSR1_EL1, ESR_EL1, FAR_EL1, PAR_EL1, MAIR_EL1, AMAIR_EL1, VBAR_EL1,
        CONTEXTIDR_EL1, TPIDR_EL1, CNTKCTL_EL1, MDSCR_EL1, CSSELR_EL1, TPIDR_EL0, TPIDRRO_EL0, FPCR, FPSR};

    /** EL2 state that the EL3 monitor saves and restores when it switches between worlds. */
    public static final int[] EL2_CONTEXT = {SCTLR_EL2, ACTLR_EL2, HCR_EL2, MDCR_EL2, CPTR_EL2, HSTR_EL2,
        HACR_EL2, TTBR0_EL2, TCR_EL2, VTTBR_EL2, VTCR_EL2, SPSR_EL2, ELR_EL2, ESR_EL2, FAR_EL2, HPFAR_EL2,
        MAIR_EL2, VBAR_EL2, TPIDR_EL2, VPIDR_EL2, VMPIDR_EL2, CNTHCTL_EL2, CNTVOFF_EL2, AFSR0_EL2, AFSR1_EL2,
        AMAIR_EL2};
}
