package dev.cca.vmm.debug;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Firmware;
import dev.cca.core.cpu.SysReg;
import dev.cca.core.cpu.SysRegs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The registers a debugger shows for a PE, numbered as in the gdb target description this class also writes:
 * the {@code org.gnu.gdb.aarch64.core} feature (x0-x30, sp, pc, cpsr), {@code org.gnu.gdb.aarch64.fpu} (v0-v31,
 * fpsr, fpcr) and a feature of system registers per exception level ({@code dev.cca.aarch64.system}).
 *
 * <p>While the PE is at a level that a firmware model stands for (the RMM at Realm EL2), {@code pc} reads as the
 * model's notional PC ({@link Firmware#pc()}) and cannot be written.
 */
public final class RegisterFile {
    private RegisterFile() {
    }

    public static final int X0 = 0, SP = 31, PC = 32, CPSR = 33, V0 = 34, FPSR = 66, FPCR = 67, FIRST_SYSTEM = 68;

    /** The system registers shown, by their Arm names (as {@link SysRegs} knows them), after fpcr. */
    static final List<String> SYSTEM = List.of(
            "CurrentEL", "SP_EL0", "SP_EL1", "SP_EL2", "SP_EL3",
            "SCTLR_EL1", "TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "MAIR_EL1", "VBAR_EL1",
            "ESR_EL1", "FAR_EL1", "ELR_EL1", "SPSR_EL1",
            "SCTLR_EL2", "HCR_EL2", "TCR_EL2", "TTBR0_EL2", "VTCR_EL2", "VTTBR_EL2", "MAIR_EL2", "VBAR_EL2",
            "ESR_EL2", "FAR_EL2", "HPFAR_EL2", "ELR_EL2", "SPSR_EL2",
            "SCTLR_EL3", "SCR_EL3", "TCR_EL3", "TTBR0_EL3", "MAIR_EL3", "VBAR_EL3",
            "ESR_EL3", "FAR_EL3", "ELR_EL3", "SPSR_EL3", "GPTBR_EL3", "GPCCR_EL3", "MFAR_EL3",
            "MPIDR_EL1", "TPIDR_EL0", "TPIDR_EL1", "TPIDR_EL2");

    public static int count() {
        return FIRST_SYSTEM + SYSTEM.size();
    }

    /** Size of register {@code n} in bytes, or 0 if there is no such register. */
    public static int size(int n) {
        if (n < 0 || n >= count()) {
            return 0;
        }
        if (n == CPSR || n == FPSR || n == FPCR) {
            return 4;
        }
        return n >= V0 && n < V0 + 32 ? 16 : 8;
    }

    /** The gdb name of register {@code n}. */
    public static String name(int n) {
        if (n < 31) {
            return "x" + n;
        }
        switch (n) {
            case SP: return "sp";
            case PC: return "pc";
            case CPSR: return "cpsr";
            case FPSR: return "fpsr";
            case FPCR: return "fpcr";
            default:
                return n < FPSR ? "v" + (n - V0) : SYSTEM.get(n - FIRST_SYSTEM);
        }
    }

    /** The register number of a name (case-insensitive: "x3", "pc", "ELR_EL2"), or -1. */
    public static int byName(String name) {
        for (int n = 0; n < count(); n++) {
            if (name(n).equalsIgnoreCase(name)) {
                return n;
            }
        }
        return -1;
    }

    /** The notional PC of the firmware model the PE is in, or the PE's PC. */
    public static long pc(Cpu cpu) {
        Firmware fw = cpu.firmwareAt(cpu.el, cpu.securityState());
        return fw != null ? fw.pc() : cpu.pc;
    }

    /** The firmware model the PE is in (its name), or null when the PE executes instructions at its level. */
    public static String firmwareName(Cpu cpu) {
        Firmware fw = cpu.firmwareAt(cpu.el, cpu.securityState());
        return fw == null ? null : fw.name();
    }

    /**
     * Reads register {@code n}, little-endian, into {@code dst} (of {@link #size} bytes). Returns false when the
     * value is not available (no register {@code n}, or {@code dst} of the wrong size).
     */
    public static boolean read(Cpu cpu, int n, byte[] dst) {
        if (size(n) == 0 || dst.length != size(n)) {
            return false;
        }
        long v;
        if (n >= V0 && n < V0 + 32) {
            // Vn is two longs in Cpu.v: bits [63:0] in slot 2n, [127:64] in slot 2n + 1 (gdb wants 16 bytes, LE).
            int k = 2 * (n - V0);
            for (int i = 0; i < 16; i++) {
                dst[i] = (byte) (cpu.v[k + i / 8] >>> (8 * (i % 8)));
            }
            return true;
        }
        if (n < 31) {
            v = cpu.x[n];
        } else if (n == SP) {
            v = cpu.getSp();
        } else if (n == PC) {
            v = pc(cpu);
        } else if (n == CPSR) {
            v = cpu.packPstate();
        } else if (n == FPSR) {
            v = cpu.sr[SysRegs.FPSR];
        } else if (n == FPCR) {
            v = cpu.sr[SysRegs.FPCR];
        } else {
            v = readSystem(cpu, SYSTEM.get(n - FIRST_SYSTEM));
        }
        for (int i = 0; i < dst.length; i++) {
            dst[i] = (byte) (v >>> (8 * i));
        }
        return true;
    }

    /** The value of a 64-bit or narrower register (for the console), or null if unavailable. */
    public static Long value(Cpu cpu, int n) {
        byte[] b = new byte[size(n)];
        if (b.length == 0 || b.length > 8 || !read(cpu, n, b)) {
            return null;
        }
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static long readSystem(Cpu cpu, String name) {
        if (name.equals("SP_EL3")) {
            return cpu.spEl[3];
        }
        SysReg r = SysRegs.byName(name);
        return r == null || r.writeOnly() ? 0 : cpu.readSysReg(r);
    }

    /**
     * Writes register {@code n} from little-endian {@code src}. Returns an error message, or null on success.
     * System registers are written with their architectural side effects (a TTBR write drops the TLB).
     */
    public static String write(Cpu cpu, int n, byte[] src) {
        if (size(n) == 0 || src.length != size(n)) {
            return "no register " + n + " of " + src.length + " bytes";
        }
        long v = 0;
        for (int i = Math.min(8, src.length) - 1; i >= 0; i--) {
            v = (v << 8) | (src[i] & 0xFF);
        }
        if (n < 31) {
            cpu.x[n] = v;
        } else if (n == SP) {
            cpu.setSp(v);
        } else if (n == PC) {
            if (firmwareName(cpu) != null) {
                return "the PE is in the " + firmwareName(cpu) + " (a Java model): its PC cannot be set";
            }
            cpu.pc = v;
        } else if (n == CPSR) {
            long now = cpu.packPstate();
            long mode = 0x1F;
            if ((v & mode) != (now & mode)) {
                return "changing the exception level or stack pointer selection through CPSR is not supported";
            }
            cpu.nzcv = (int) (v & 0xF000_0000L);
            cpu.setDaif((int) (v & 0x3C0));
        } else if (n >= V0 && n < V0 + 32) {
            int k = 2 * (n - V0);
            long hi = 0;
            for (int i = 15; i >= 8; i--) {
                hi = (hi << 8) | (src[i] & 0xFF);
            }
            cpu.v[k] = v;
            cpu.v[k + 1] = hi;
        } else if (n == FPSR) {
            cpu.sr[SysRegs.FPSR] = v & 0xFFFF_FFFFL;
        } else if (n == FPCR) {
            cpu.sr[SysRegs.FPCR] = v & 0xFFFF_FFFFL;
        } else {
            String name = SYSTEM.get(n - FIRST_SYSTEM);
            if (name.equals("SP_EL3")) {
                cpu.spEl[3] = v;
                return null;
            }
            SysReg r = SysRegs.byName(name);
            if (r == null || r.readOnly()) {
                return name + " is read-only";
            }
            cpu.writeSysReg(r, v);
        }
        return null;
    }

    /** The target description (gdb's target.xml) for these registers. */
    public static String targetXml() {
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        b.append("  <architecture>aarch64</architecture>\n");
        b.append("  <feature name=\"org.gnu.gdb.aarch64.core\">\n");
        b.append("    <flags id=\"cpsr_flags\" size=\"4\">\n");
        String[][] cpsr = {{"SP", "0", "0"}, {"EL", "2", "3"}, {"nRW", "4", "4"}, {"F", "6", "6"}, {"I", "7", "7"},
            {"A", "8", "8"}, {"D", "9", "9"}, {"BTYPE", "10", "11"}, {"SSBS", "12", "12"}, {"IL", "20", "20"},
            {"SS", "21", "21"}, {"PAN", "22", "22"}, {"UAO", "23", "23"}, {"DIT", "24", "24"}, {"TCO", "25", "25"},
            {"V", "28", "28"}, {"C", "29", "29"}, {"Z", "30", "30"}, {"N", "31", "31"}};
        for (String[] f : cpsr) {
            b.append("      <field name=\"").append(f[0]).append("\" start=\"").append(f[1]).append("\" end=\"")
                    .append(f[2]).append("\"/>\n");
        }
        b.append("    </flags>\n");
        for (int i = 0; i < 31; i++) {
            reg(b, "x" + i, 64, null, i == 0 ? 0 : -1, null);
        }
        reg(b, "sp", 64, "data_ptr", -1, null);
        reg(b, "pc", 64, "code_ptr", -1, null);
        reg(b, "cpsr", 32, "cpsr_flags", -1, null);
        b.append("  </feature>\n");

        b.append("  <feature name=\"org.gnu.gdb.aarch64.fpu\">\n");
        String[][] vec = {{"v2d", "ieee_double", "2"}, {"v2u", "uint64", "2"}, {"v2i", "int64", "2"},
            {"v4f", "ieee_single", "4"}, {"v4u", "uint32", "4"}, {"v4i", "int32", "4"}, {"v8f", "ieee_half", "8"},
            {"v8u", "uint16", "8"}, {"v8i", "int16", "8"}, {"v16u", "uint8", "16"}, {"v16i", "int8", "16"},
            {"v1u", "uint128", "1"}, {"v1i", "int128", "1"}};
        for (String[] v : vec) {
            b.append("    <vector id=\"").append(v[0]).append("\" type=\"").append(v[1]).append("\" count=\"")
                    .append(v[2]).append("\"/>\n");
        }
        union(b, "vnd", "f", "v2d", "u", "v2u", "s", "v2i");
        union(b, "vns", "f", "v4f", "u", "v4u", "s", "v4i");
        union(b, "vnh", "f", "v8f", "u", "v8u", "s", "v8i");
        union(b, "vnb", "u", "v16u", "s", "v16i");
        union(b, "vnq", "u", "v1u", "s", "v1i");
        union(b, "aarch64v", "d", "vnd", "s", "vns", "h", "vnh", "b", "vnb", "q", "vnq");
        for (int i = 0; i < 32; i++) {
            reg(b, "v" + i, 128, "aarch64v", i == 0 ? V0 : -1, null);
        }
        reg(b, "fpsr", 32, "int", -1, null);
        reg(b, "fpcr", 32, "int", -1, null);
        b.append("  </feature>\n");

        b.append("  <feature name=\"dev.cca.aarch64.system\">\n");
        for (int i = 0; i < SYSTEM.size(); i++) {
            reg(b, SYSTEM.get(i), 64, "uint64", i == 0 ? FIRST_SYSTEM : -1, "system");
        }
        b.append("  </feature>\n</target>\n");
        return b.toString();
    }

    private static void reg(StringBuilder b, String name, int bits, String type, int regnum, String group) {
        b.append("    <reg name=\"").append(name).append("\" bitsize=\"").append(bits).append('"');
        if (type != null) {
            b.append(" type=\"").append(type).append('"');
        }
        if (regnum >= 0) {
            b.append(" regnum=\"").append(regnum).append('"');
        }
        if (group != null) {
            b.append(" group=\"").append(group).append('"');
        }
        b.append("/>\n");
    }

    private static void union(StringBuilder b, String id, String... fields) {
        b.append("    <union id=\"").append(id).append("\">\n");
        for (int i = 0; i < fields.length; i += 2) {
            b.append("      <field name=\"").append(fields[i]).append("\" type=\"").append(fields[i + 1])
                    .append("\"/>\n");
        }
        b.append("    </union>\n");
    }

    /** All register names, in order. */
    public static List<String> names() {
        List<String> l = new ArrayList<>();
        for (int n = 0; n < count(); n++) {
            l.add(name(n));
        }
        return Collections.unmodifiableList(l);
    }
}
