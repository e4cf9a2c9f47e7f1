package dev.cca.core.cpu.decode;

import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.isa.Atomics;
import dev.cca.core.cpu.isa.Branch;
import dev.cca.core.cpu.isa.Crc32;
import dev.cca.core.cpu.isa.DataProcessing;
import dev.cca.core.cpu.isa.LoadStore;
import dev.cca.core.cpu.isa.SystemInsns;

import static dev.cca.core.cpu.decode.DecodeTable.*;

/**
 * The A64 decode table: one line per encoding, in the order of the Arm ARM's encoding index (C4.1). Field letters
 * used throughout: d Rd, n Rn, m Rm, t Rt, u Rt2, a Ra, z sf, s S (set flags) or size, o opc/op, i immediate,
 * h shift or hw, k N or option-bit, r immr, t imms (bitfield), c cond, v V (SIMD&amp;FP register file).
 */
public final class A64 {
    private A64() {
    }

    /** Executing an unallocated or unimplemented encoding raises an UNDEFINED exception. */
    public static final Insn UNDEFINED = (c, pc) -> {
        throw c.undefined();
    };

    static final DecodeTable TABLE = new DecodeTable()
        // ---- Data processing -- immediate ---------------------------------------------------------------------
        .op("ADR", "0 ll 10000 hhhhhhhhhhhhhhhhhhh ddddd", DataProcessing::adr)
        .op("ADRP", "1 ll 10000 hhhhhhhhhhhhhhhhhhh ddddd", DataProcessing::adrp)
        .op("ADD/SUB (imm)", "z o s 100010 h iiiiiiiiiiii nnnnn ddddd", DataProcessing::addSubImm)
        .op("logical (imm)", "z oo 100100 k rrrrrr tttttt nnnnn ddddd", DataProcessing::logicalImm)
        .op("MOVN/MOVZ/MOVK", "z oo 100101 hh iiiiiiiiiiiiiiii ddddd", DataProcessing::moveWide)
        .op("SBFM/BFM/UBFM", "z oo 100110 k rrrrrr tttttt nnnnn ddddd", DataProcessing::bitfield)
        .op("EXTR", "z 00 100111 k 0 mmmmm tttttt nnnnn ddddd", DataProcessing::extr)

        // ---- Branches, exception generating and system ---------------------------------------------------------
        .op("B", "0 00101 iiiiiiiiiiiiiiiiiiiiiiiiii", BRANCH | ENDS_BLOCK, f -> Branch.b(f, false))
        .op("BL", "1 00101 iiiiiiiiiiiiiiiiiiiiiiiiii", BRANCH | ENDS_BLOCK, f -> Branch.b(f, true))
        .op("B.cond", "0101010 0 iiiiiiiiiiiiiiiiiii 0 cccc", BRANCH | CONDITIONAL | ENDS_BLOCK, Branch::bcond)
        .op("CBZ/CBNZ", "z 011010 o iiiiiiiiiiiiiiiiiii ttttt", BRANCH | CONDITIONAL | ENDS_BLOCK, Branch::cbz)
        .op("TBZ/TBNZ", "b 011011 o aaaaa iiiiiiiiiiiiii ttttt", BRANCH | CONDITIONAL | ENDS_BLOCK, Branch::tbz)
        .op("exception", "11010100 ooo iiiiiiiiiiiiiiii ppp ll", EXCEPTION_GEN | MAY_TRAP | ENDS_BLOCK,
            SystemInsns::exception)
        .op("MSR (imm)", "1101010100 0 00 bbb 0100 dddd eee 11111", SYSTEM, SystemInsns::msrImm)
        .op("HINT", "1101010100 0 00 011 0010 dddd eee 11111", SYSTEM, SystemInsns::hint)
        .op("barriers", "1101010100 0 00 011 0011 dddd eee 11111", SYSTEM, SystemInsns::barrier)
        .op("SYS", "1101010100 0 01 bbb cccc dddd eee ttttt", SYSTEM, SystemInsns::sys)
        .op("MSR (reg)", "1101010100 0 1- --- ---- ---- --- ttttt", SYSTEM, SystemInsns::msrReg)
        .op("MRS", "1101010100 1 1- --- ---- ---- --- ttttt", SYSTEM, SystemInsns::mrs)
        .op("BR", "1101011 0000 11111 000000 nnnnn 00000", BRANCH | ENDS_BLOCK, f -> Branch.branchReg(f, false))
        .op("BLR", "1101011 0001 11111 000000 nnnnn 00000", BRANCH | ENDS_BLOCK, f -> Branch.branchReg(f, true))
        .op("RET", "1101011 0010 11111 000000 nnnnn 00000", BRANCH | ENDS_BLOCK, f -> Branch.branchReg(f, false))
        .op("ERET", "1101011 0100 11111 000000 11111 00000", ERET | MAY_TRAP | ENDS_BLOCK, SystemInsns::eret)

        // ---- Loads and stores (general registers; the SIMD&FP forms, V = 1, are separate lines) ---------------
        .op("load/store exclusive, ordered, CAS/CASP", "ss 001000 a l b mmmmm c uuuuu nnnnn ttttt",
            Atomics::exclusiveGroup)
        .op("atomic memory operations, LDAPR", "ss 111 0 00 a r 1 mmmmm o ppp 00 nnnnn ttttt", Atomics::atomicMemOp)
        .op("LDR (literal)", "oo 011 0 00 iiiiiiiiiiiiiiiiiii ttttt", LoadStore::literal)
        .op("LDP/STP", "oo 101 0 0 pp l iiiiiii uuuuu nnnnn ttttt", LoadStore::pair)
        .op("LDR/STR (imm9)", "ss 111 0 00 oo 0 iiiiiiiii kk nnnnn ttttt", LoadStore::imm9)
        .op("LDR/STR (register)", "ss 111 0 00 oo 1 mmmmm xxx k 10 nnnnn ttttt", LoadStore::registerOffset)
        .op("LDR/STR (uimm)", "ss 111 0 01 oo iiiiiiiiiiii nnnnn ttttt", LoadStore::unsignedOffset)

        // ---- Data processing -- register ----------------------------------------------------------------------
        .op("logical (shifted reg)", "z oo 01010 hh k mmmmm iiiiii nnnnn ddddd", DataProcessing::logicalShifted)
        .op("ADD/SUB (shifted reg)", "z o s 01011 hh 0 mmmmm iiiiii nnnnn ddddd", DataProcessing::addSubShifted)
        .op("ADD/SUB (extended reg)", "z o s 01011 00 1 mmmmm xxx iii nnnnn ddddd", DataProcessing::addSubExtended)
        .op("ADC/SBC", "z o s 11010000 mmmmm 000000 nnnnn ddddd", DataProcessing::addSubCarry)
        .op("CCMN/CCMP (reg)", "z o 1 11010010 mmmmm cccc 0 0 nnnnn 0 ffff", f -> DataProcessing.condCompare(f, false))
        .op("CCMN/CCMP (imm)", "z o 1 11010010 iiiii cccc 1 0 nnnnn 0 ffff", f -> DataProcessing.condCompare(f, true))
        .op("CSEL/CSINC/CSINV/CSNEG", "z o 0 11010100 mmmmm cccc 0 p nnnnn ddddd", DataProcessing::condSelect)
        .op("CRC32/CRC32C", "z 0 0 11010110 mmmmm 010 c ss nnnnn ddddd", Crc32::crc)
        .op("data-processing (2 source)", "z 0 0 11010110 mmmmm oooooo nnnnn ddddd", DataProcessing::dataProc2)
        .op("data-processing (1 source)", "z 1 0 11010110 00000 oooooo nnnnn ddddd", DataProcessing::dataProc1)
        .op("data-processing (3 source)", "z oo 11011 ppp mmmmm q aaaaa nnnnn ddddd", DataProcessing::dataProc3);

    static {
        FpSimdEncodings.register(TABLE);
    }

    /** Decodes one instruction word; never returns null (unallocated encodings give {@link #UNDEFINED}). */
    public static Insn decode(int word) {
        Insn i = TABLE.decode(word);
        return i == null ? UNDEFINED : i;
    }

    /**
     * The engine metadata of an instruction word ({@link DecodeTable#BRANCH}, {@link DecodeTable#ENDS_BLOCK}...).
     * Unallocated words end a block (they raise UNDEFINED).
     */
    public static int flags(int word) {
        DecodeTable.Entry e = TABLE.match(word);
        if (e == null) {
            return EXCEPTION_GEN | ENDS_BLOCK;
        }
        return (word & 0x0A00_0000) == 0x0800_0000 ? e.flags | MEMORY : e.flags; // op0 = x1x0: loads and stores
    }

    /**
     * The target of a direct branch (B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ) at {@code pc}, or -1 for any other word
     * (for the translator, which chains blocks to the targets it knows; the branch's semantics compute the same).
     */
    public static long branchTarget(int word, long pc) {
        if ((word & 0x7C00_0000) == 0x1400_0000) { // B, BL: imm26
            return pc + ((long) (word << 6) >> 4);
        }
        if ((word & 0xFF00_0010) == 0x5400_0000 || (word & 0x7E00_0000) == 0x3400_0000) { // B.cond, CBZ: imm19
            return pc + ((long) (word << 8) >> 13 << 2);
        }
        if ((word & 0x7E00_0000) == 0x3600_0000) { // TBZ, TBNZ: imm14
            return pc + ((long) (word << 13) >> 18 << 2);
        }
        return -1;
    }

    /** The name of the table line an instruction word matches, or null (for traces and tests). */
    public static String name(int word) {
        DecodeTable.Entry e = TABLE.match(word);
        return e == null ? null : e.name;
    }

    public static DecodeTable table() {
        return TABLE;
    }
}
