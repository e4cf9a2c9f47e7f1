package dev.cca.core.cpu;

/** Exception classes and syndrome fields (Arm ARM D17.2.37 ESR_ELx). */
public final class Esr {
    private Esr() {
    }

    public static final int EC_UNKNOWN = 0x00;
    public static final int EC_WFX = 0x01;
    public static final int EC_FP_ACCESS = 0x07;
    public static final int EC_ILLEGAL_STATE = 0x0E;
    public static final int EC_SVC64 = 0x15;
    public static final int EC_HVC64 = 0x16;
    public static final int EC_SMC64 = 0x17;
    public static final int EC_SYSREG = 0x18;
    public static final int EC_IABT_LOWER = 0x20;
    public static final int EC_IABT_CUR = 0x21;
    public static final int EC_PC_ALIGN = 0x22;
    public static final int EC_DABT_LOWER = 0x24;
    public static final int EC_DABT_CUR = 0x25;
    public static final int EC_SP_ALIGN = 0x26;
    public static final int EC_FP_EXC64 = 0x2C;
    public static final int EC_SERROR = 0x2F;
    public static final int EC_GPC = 0x1E;
    public static final int EC_BRK = 0x3C;
    /** Debug exceptions from a lower EL; the same-EL class is one more (Arm ARM D2.4). */
    public static final int EC_BREAKPOINT_LOWER = 0x30, EC_SOFTWARE_STEP_LOWER = 0x32, EC_WATCHPOINT_LOWER = 0x34;

    public static final int IL = 1 << 25;

    // Data abort ISS fields.
    public static final int ISV = 1 << 24;
    public static final int SAS_SHIFT = 22;
    public static final int SSE = 1 << 21;
    public static final int SRT_SHIFT = 16;
    public static final int SF = 1 << 15;
    public static final int AR = 1 << 14;
    public static final int FNV = 1 << 10;
    public static final int EA = 1 << 9;
    public static final int CM = 1 << 8;
    public static final int S1PTW = 1 << 7;
    public static final int WNR = 1 << 6;

    // Fault status codes (DFSC/IFSC).
    public static final int FSC_ADDR_SIZE = 0x00;   // + level
    public static final int FSC_TRANSLATION = 0x04; // + level
    public static final int FSC_ACCESS_FLAG = 0x08; // + level
    public static final int FSC_PERMISSION = 0x0C;  // + level
    public static final int FSC_SEA = 0x10;
    public static final int FSC_SEA_WALK = 0x14;    // + level
    public static final int FSC_ALIGNMENT = 0x21;
    public static final int FSC_GPF_WALK = 0x24;    // + level
    public static final int FSC_GPF = 0x28;

    /**
     * The ISS of a trapped MRS/MSR (EC 0x18) from the instruction's encoding: Op0 [21:20], Op2 [19:17],
     * Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1 = read).
     */
    public static int sysRegIss(int word) {
        int op0 = (word >>> 19) & 3, op1 = (word >>> 16) & 7, crn = (word >>> 12) & 15, crm = (word >>> 8) & 15;
        int op2 = (word >>> 5) & 7, rt = word & 31, read = (word >>> 21) & 1;
        return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | read;
    }

    public static int ec(long esr) {
        return (int) (esr >>> 26) & 0x3F;
    }

    public static int iss(long esr) {
        return (int) (esr & 0x1FF_FFFF);
    }

    public static String ecName(int ec) {
        switch (ec) {
            case EC_UNKNOWN: return "Unknown reason (undefined instruction)";
            case EC_WFX: return "WFI/WFE";
            case EC_FP_ACCESS: return "FP/SIMD access trap";
            case EC_ILLEGAL_STATE: return "Illegal execution state";
            case EC_SVC64: return "SVC";
            case EC_HVC64: return "HVC";
            case EC_SMC64: return "SMC";
            case EC_SYSREG: return "MSR/MRS/system instruction trap";
            case EC_IABT_LOWER: return "Instruction abort from a lower EL";
            case EC_IABT_CUR: return "Instruction abort";
            case EC_PC_ALIGN: return "PC alignment fault";
            case EC_DABT_LOWER: return "Data abort from a lower EL";
            case EC_DABT_CUR: return "Data abort";
            case EC_SP_ALIGN: return "SP alignment fault";
            case EC_FP_EXC64: return "Floating-point exception";
            case EC_SERROR: return "SError";
            case EC_GPC: return "Granule protection check";
            case EC_BRK: return "BRK";
            case EC_BREAKPOINT_LOWER: return "Breakpoint from a lower EL";
            case EC_BREAKPOINT_LOWER + 1: return "Breakpoint";
            case EC_SOFTWARE_STEP_LOWER: return "Software step from a lower EL";
            case EC_SOFTWARE_STEP_LOWER + 1: return "Software step";
            case EC_WATCHPOINT_LOWER: return "Watchpoint from a lower EL";
            case EC_WATCHPOINT_LOWER + 1: return "Watchpoint";
            default: return String.format("EC %#x", ec);
        }
    }

    /** Human-readable name of a data/instruction fault status code. */
    public static String fscName(int fsc) {
        int level = fsc & 3;
        switch (fsc & ~3) {
            case FSC_ADDR_SIZE: return "address size fault, level " + level;
            case FSC_TRANSLATION: return "translation fault, level " + level;
            case FSC_ACCESS_FLAG: return "access flag fault, level " + level;
            case FSC_PERMISSION: return "permission fault, level " + level;
            case FSC_SEA_WALK: return "external abort on translation table walk, level " + level;
            case FSC_GPF_WALK: return "granule protection fault on translation table walk, level " + level;
            default:
                break;
        }
        switch (fsc) {
            case FSC_SEA: return "synchronous external abort";
            case FSC_ALIGNMENT: return "alignment fault";
            case FSC_GPF: return "granule protection fault";
            default: return String.format("FSC %#x", fsc);
        }
    }
}
