package dev.cca.core.cpu.decode;

import dev.cca.core.cpu.isa.FpLoadStore;
import dev.cca.core.cpu.isa.FpScalar;

/**
 * The SIMD&amp;FP part of the A64 decode table (Arm ARM C4.1): the V = 1 loads and stores, the AdvSIMD structure
 * loads and stores, and the groups of "Data Processing -- Scalar Floating-Point and Advanced SIMD". One line per
 * instruction (or per family that shares one semantics function), in the order of the encoding index.
 *
 * <p>Field letters (in addition to those of {@link A64}): q Q, u U, s size, t ftype (FP groups) or Rt (loads and
 * stores), r rmode, e E (signalling compare), k S or compare-with-zero, l L.
 */
public final class FpSimdEncodings {
    private FpSimdEncodings() {
    }

    static void register(DecodeTable t) {
        loadsAndStores(t);
        scalarFloatingPoint(t);
    }

    private static void loadsAndStores(DecodeTable t) {
        t.op("LDR (literal, SIMD&FP)", "oo 011 1 00 iiiiiiiiiiiiiiiiiii ttttt", FpLoadStore::literal)
         .op("LDP/STP/LDNP/STNP (SIMD&FP)", "oo 101 1 0 pp l iiiiiii uuuuu nnnnn ttttt", FpLoadStore::pair)
         .op("LDR/STR (imm9, SIMD&FP)", "ss 111 1 00 oo 0 iiiiiiiii kk nnnnn ttttt", FpLoadStore::imm9)
         .op("LDR/STR (register, SIMD&FP)", "ss 111 1 00 oo 1 mmmmm xxx k 10 nnnnn ttttt",
                 FpLoadStore::registerOffset)
         .op("LDR/STR (uimm, SIMD&FP)", "ss 111 1 01 oo iiiiiiiiiiii nnnnn ttttt", FpLoadStore::unsignedOffset)
         .op("LD1-4/ST1-4 (multiple structures)", "0 q 0011000 l 000000 oooo ss nnnnn ttttt",
                 f -> FpLoadStore.multiple(f, false))
         .op("LD1-4/ST1-4 (multiple structures, post-index)", "0 q 0011001 l 0 mmmmm oooo ss nnnnn ttttt",
                 f -> FpLoadStore.multiple(f, true))
         .op("LD1-4/ST1-4 (single structure), LD1R-LD4R", "0 q 0011010 l r 00000 ooo k ss nnnnn ttttt",
                 f -> FpLoadStore.single(f, false))
         .op("LD1-4/ST1-4 (single structure, post-index), LD1R-LD4R", "0 q 0011011 l r mmmmm ooo k ss nnnnn ttttt",
                 f -> FpLoadStore.single(f, true));
    }

    private static void scalarFloatingPoint(DecodeTable t) {
        // Conversion between floating-point and fixed-point
        t.op("SCVTF (scalar, fixed-point)", "z 00 11110 tt 0 00 010 iiiiii nnnnn ddddd",
                f -> FpScalar.fixedConvert(f, 0b00_010))
         .op("UCVTF (scalar, fixed-point)", "z 00 11110 tt 0 00 011 iiiiii nnnnn ddddd",
                f -> FpScalar.fixedConvert(f, 0b00_011))
         .op("FCVTZS (scalar, fixed-point)", "z 00 11110 tt 0 11 000 iiiiii nnnnn ddddd",
                f -> FpScalar.fixedConvert(f, 0b11_000))
         .op("FCVTZU (scalar, fixed-point)", "z 00 11110 tt 0 11 001 iiiiii nnnnn ddddd",
                f -> FpScalar.fixedConvert(f, 0b11_001));
        // Conversion between floating-point and integer
        String[] rm = {"N", "P", "M", "Z"};
        for (int r = 0; r < 4; r++) {
            int rr = r;
            String bits = (r >> 1) + "" + (r & 1);
            t.op("FCVT" + rm[r] + "S (scalar)", "z 00 11110 tt 1 " + bits + " 000 000000 nnnnn ddddd",
                    f -> FpScalar.intConvert(f, rr, 0));
            t.op("FCVT" + rm[r] + "U (scalar)", "z 00 11110 tt 1 " + bits + " 001 000000 nnnnn ddddd",
                    f -> FpScalar.intConvert(f, rr, 1));
        }
        t.op("SCVTF (scalar, integer)", "z 00 11110 tt 1 00 010 000000 nnnnn ddddd",
                f -> FpScalar.intConvert(f, 0, 2))
         .op("UCVTF (scalar, integer)", "z 00 11110 tt 1 00 011 000000 nnnnn ddddd",
                f -> FpScalar.intConvert(f, 0, 3))
         .op("FCVTAS (scalar)", "z 00 11110 tt 1 00 100 000000 nnnnn ddddd", f -> FpScalar.intConvert(f, 0, 4))
         .op("FCVTAU (scalar)", "z 00 11110 tt 1 00 101 000000 nnnnn ddddd", f -> FpScalar.intConvert(f, 0, 5))
         .op("FMOV (general, to general)", "z 00 11110 tt 1 rr 110 000000 nnnnn ddddd",
                f -> FpScalar.intConvert(f, f.u('r'), 6))
         .op("FMOV (general, to SIMD&FP)", "z 00 11110 tt 1 rr 111 000000 nnnnn ddddd",
                f -> FpScalar.intConvert(f, f.u('r'), 7));
        // Floating-point data-processing (1 source)
        t.op("FMOV (register)", "000 11110 tt 1 0000 00 10000 nnnnn ddddd", f -> FpScalar.oneSource(f, 0))
         .op("FABS (scalar)", "000 11110 tt 1 0000 01 10000 nnnnn ddddd", f -> FpScalar.oneSource(f, 1))
         .op("FNEG (scalar)", "000 11110 tt 1 0000 10 10000 nnnnn ddddd", f -> FpScalar.oneSource(f, 2))
         .op("FSQRT (scalar)", "000 11110 tt 1 0000 11 10000 nnnnn ddddd", f -> FpScalar.oneSource(f, 3))
         .op("FCVT", "000 11110 tt 1 0001 oo 10000 nnnnn ddddd", FpScalar::fcvt);
        String[] frint = {"FRINTN", "FRINTP", "FRINTM", "FRINTZ", "FRINTA", null, "FRINTX", "FRINTI"};
        for (int r = 0; r < 8; r++) {
            if (frint[r] == null) {
                continue;
            }
            int rr = r;
            String bits = Integer.toBinaryString(8 | r).substring(1);
            t.op(frint[r] + " (scalar)", "000 11110 tt 1 001 " + bits + " 10000 nnnnn ddddd",
                    f -> FpScalar.frint(f, rr));
        }
        // Floating-point compare, immediate, conditional compare
        t.op("FCMP", "000 11110 tt 1 mmmmm 00 1000 nnnnn 0 k 000", f -> FpScalar.compare(f, false))
         .op("FCMPE", "000 11110 tt 1 mmmmm 00 1000 nnnnn 1 k 000", f -> FpScalar.compare(f, true))
         .op("FMOV (scalar, immediate)", "000 11110 tt 1 iiiiiiii 100 00000 ddddd", FpScalar::fmovImm)
         .op("FCCMP", "000 11110 tt 1 mmmmm cccc 01 nnnnn 0 ffff", f -> FpScalar.condCompare(f, false))
         .op("FCCMPE", "000 11110 tt 1 mmmmm cccc 01 nnnnn 1 ffff", f -> FpScalar.condCompare(f, true));
        // Floating-point data-processing (2 source)
        String[] two = {"FMUL", "FDIV", "FADD", "FSUB", "FMAX", "FMIN", "FMAXNM", "FMINNM", "FNMUL"};
        for (int o = 0; o < two.length; o++) {
            int oo = o;
            String bits = Integer.toBinaryString(16 | o).substring(1);
            t.op(two[o] + " (scalar)", "000 11110 tt 1 mmmmm " + bits + " 10 nnnnn ddddd",
                    f -> FpScalar.twoSource(f, oo));
        }
        // Floating-point conditional select, data-processing (3 source)
        t.op("FCSEL", "000 11110 tt 1 mmmmm cccc 11 nnnnn ddddd", FpScalar::condSelect)
         .op("FMADD", "000 11111 tt 0 mmmmm 0 aaaaa nnnnn ddddd", f -> FpScalar.threeSource(f, false, false))
         .op("FMSUB", "000 11111 tt 0 mmmmm 1 aaaaa nnnnn ddddd", f -> FpScalar.threeSource(f, false, true))
         .op("FNMADD", "000 11111 tt 1 mmmmm 0 aaaaa nnnnn ddddd", f -> FpScalar.threeSource(f, true, true))
         .op("FNMSUB", "000 11111 tt 1 mmmmm 1 aaaaa nnnnn ddddd", f -> FpScalar.threeSource(f, true, false));
    }
}
