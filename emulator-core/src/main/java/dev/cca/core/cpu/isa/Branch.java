package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/** Branch instructions (Arm ARM C4.1.65-C4.1.67): immediate, conditional, compare-and-branch, register. */
public final class Branch {
    private Branch() {
    }

    /** B and BL. */
    public static Insn b(Fields f, boolean link) {
        long off = f.s('i') << 2;
        if (link) {
            return (c, pc) -> {
                c.x[30] = pc + 4;
                return pc + off;
            };
        }
        return (c, pc) -> pc + off;
    }

    /** B.cond. */
    public static Insn bcond(Fields f) {
        long off = f.s('i') << 2;
        int cond = f.u('c');
        return (c, pc) -> Alu.cond(c.nzcv, cond) ? pc + off : pc + 4;
    }

    /** CBZ, CBNZ. */
    public static Insn cbz(Fields f) {
        long off = f.s('i') << 2;
        int rt = f.u('t');
        boolean nz = f.u('o') == 1;
        boolean sf = f.u('z') == 1;
        return (c, pc) -> {
            long v = sf ? c.x[rt] : c.x[rt] & 0xFFFF_FFFFL;
            return (v != 0) == nz ? pc + off : pc + 4;
        };
    }

    /** TBZ, TBNZ. */
    public static Insn tbz(Fields f) {
        long off = f.s('i') << 2;
        int rt = f.u('t');
        boolean nz = f.u('o') == 1;
        int bit = (f.u('b') << 5) | f.u('a');
        return (c, pc) -> (((c.x[rt] >>> bit) & 1) != 0) == nz ? pc + off : pc + 4;
    }

    /** BR, BLR, RET. */
    public static Insn branchReg(Fields f, boolean link) {
        int rn = f.u('n');
        if (link) {
            return (c, pc) -> {
                long target = c.x[rn];
                c.x[30] = pc + 4;
                return target;
            };
        }
        return (c, pc) -> c.x[rn];
    }
}
