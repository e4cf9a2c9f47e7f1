package dev.cca.core.cpu.decode;

import dev.cca.core.cpu.isa.Crypto;
import dev.cca.core.cpu.isa.FpLoadStore;
import dev.cca.core.cpu.isa.FpScalar;
import dev.cca.core.cpu.isa.SimdFp;
import dev.cca.core.cpu.isa.SimdInt;
import dev.cca.core.cpu.isa.SimdMove;

import static dev.cca.core.cpu.isa.SimdFp.*;
import static dev.cca.core.cpu.isa.SimdInt.*;
import static dev.cca.core.cpu.isa.SimdMove.*;

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
        advancedSimd(t);
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

    private static void advancedSimd(DecodeTable t) {
        // ---- Cryptographic AES, three-register SHA, two-register SHA (FEAT_AES, FEAT_SHA1, FEAT_SHA256) --------
        t.op("AESE", "01001110 ss 10100 00100 10 nnnnn ddddd", f -> Crypto.aes(f, Crypto.AESE))
         .op("AESD", "01001110 ss 10100 00101 10 nnnnn ddddd", f -> Crypto.aes(f, Crypto.AESD))
         .op("AESMC", "01001110 ss 10100 00110 10 nnnnn ddddd", f -> Crypto.aes(f, Crypto.AESMC))
         .op("AESIMC", "01001110 ss 10100 00111 10 nnnnn ddddd", f -> Crypto.aes(f, Crypto.AESIMC))
         .op("SHA1C", "01011110 ss 0 mmmmm 0 000 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1C))
         .op("SHA1P", "01011110 ss 0 mmmmm 0 001 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1P))
         .op("SHA1M", "01011110 ss 0 mmmmm 0 010 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1M))
         .op("SHA1SU0", "01011110 ss 0 mmmmm 0 011 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1SU0))
         .op("SHA256H", "01011110 ss 0 mmmmm 0 100 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA256H))
         .op("SHA256H2", "01011110 ss 0 mmmmm 0 101 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA256H2))
         .op("SHA256SU1", "01011110 ss 0 mmmmm 0 110 00 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA256SU1))
         .op("SHA1H", "01011110 ss 10100 00000 10 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1H))
         .op("SHA1SU1", "01011110 ss 10100 00001 10 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA1SU1))
         .op("SHA256SU0", "01011110 ss 10100 00010 10 nnnnn ddddd", f -> Crypto.sha(f, Crypto.SHA256SU0));

        // ---- AdvSIMD copy, scalar copy, modified immediate ----------------------------------------------------
        t.op("DUP (element)", "0 q 0 01110000 iiiii 0 0000 1 nnnnn ddddd", SimdMove::dupElement)
         .op("DUP (general)", "0 q 0 01110000 iiiii 0 0001 1 nnnnn ddddd", SimdMove::dupGeneral)
         .op("SMOV", "0 q 0 01110000 iiiii 0 0101 1 nnnnn ddddd", SimdMove::smov)
         .op("UMOV", "0 q 0 01110000 iiiii 0 0111 1 nnnnn ddddd", SimdMove::umov)
         .op("INS (general)", "0 1 0 01110000 iiiii 0 0011 1 nnnnn ddddd", SimdMove::insGeneral)
         .op("INS (element)", "0 1 1 01110000 iiiii 0 jjjj 1 nnnnn ddddd", SimdMove::insElement)
         .op("DUP (element, scalar)", "01 0 11110000 iiiii 0 0000 1 nnnnn ddddd", SimdMove::dupScalar)
         .op("MOVI/MVNI/ORR/BIC/FMOV (vector, immediate)", "0 q o 0111100000 aaa cccc 0 1 bbbbb ddddd",
                 SimdMove::modifiedImmediate);

        // ---- AdvSIMD table lookup, permute, extract -----------------------------------------------------------
        t.op("TBL", "0 q 001110 000 mmmmm 0 ll 0 00 nnnnn ddddd", f -> SimdMove.table(f, false))
         .op("TBX", "0 q 001110 000 mmmmm 0 ll 1 00 nnnnn ddddd", f -> SimdMove.table(f, true))
         .op("UZP1", "0 q 001110 ss 0 mmmmm 0 001 10 nnnnn ddddd", f -> SimdMove.permute(f, UZP1))
         .op("TRN1", "0 q 001110 ss 0 mmmmm 0 010 10 nnnnn ddddd", f -> SimdMove.permute(f, TRN1))
         .op("ZIP1", "0 q 001110 ss 0 mmmmm 0 011 10 nnnnn ddddd", f -> SimdMove.permute(f, ZIP1))
         .op("UZP2", "0 q 001110 ss 0 mmmmm 0 101 10 nnnnn ddddd", f -> SimdMove.permute(f, UZP2))
         .op("TRN2", "0 q 001110 ss 0 mmmmm 0 110 10 nnnnn ddddd", f -> SimdMove.permute(f, TRN2))
         .op("ZIP2", "0 q 001110 ss 0 mmmmm 0 111 10 nnnnn ddddd", f -> SimdMove.permute(f, ZIP2))
         .op("EXT", "0 q 101110 000 mmmmm 0 iiii 0 nnnnn ddddd", SimdMove::ext);

        // ---- AdvSIMD three same (integer) ---------------------------------------------------------------------
        same(t, "SHADD", 0, "00000", SHADD);
        same(t, "SQADD", 0, "00001", SQADD);
        same(t, "SRHADD", 0, "00010", SRHADD);
        same(t, "SHSUB", 0, "00100", SHSUB);
        same(t, "SQSUB", 0, "00101", SQSUB);
        same(t, "CMGT (register)", 0, "00110", CMGT);
        same(t, "CMGE (register)", 0, "00111", CMGE);
        same(t, "SSHL", 0, "01000", SSHL);
        same(t, "SQSHL (register)", 0, "01001", SQSHL);
        same(t, "SRSHL", 0, "01010", SRSHL);
        same(t, "SQRSHL", 0, "01011", SQRSHL);
        same(t, "SMAX", 0, "01100", SMAX);
        same(t, "SMIN", 0, "01101", SMIN);
        same(t, "SABD", 0, "01110", SABD);
        same(t, "SABA", 0, "01111", SABA);
        same(t, "ADD (vector)", 0, "10000", ADD);
        same(t, "CMTST", 0, "10001", CMTST);
        same(t, "MLA (vector)", 0, "10010", MLA);
        same(t, "MUL (vector)", 0, "10011", MUL);
        same(t, "SMAXP", 0, "10100", SMAXP);
        same(t, "SMINP", 0, "10101", SMINP);
        same(t, "SQDMULH (vector)", 0, "10110", SQDMULH);
        same(t, "ADDP (vector)", 0, "10111", ADDP);
        same(t, "UHADD", 1, "00000", UHADD);
        same(t, "UQADD", 1, "00001", UQADD);
        same(t, "URHADD", 1, "00010", URHADD);
        same(t, "UHSUB", 1, "00100", UHSUB);
        same(t, "UQSUB", 1, "00101", UQSUB);
        same(t, "CMHI (register)", 1, "00110", CMHI);
        same(t, "CMHS (register)", 1, "00111", CMHS);
        same(t, "USHL", 1, "01000", USHL);
        same(t, "UQSHL (register)", 1, "01001", UQSHL);
        same(t, "URSHL", 1, "01010", URSHL);
        same(t, "UQRSHL", 1, "01011", UQRSHL);
        same(t, "UMAX", 1, "01100", UMAX);
        same(t, "UMIN", 1, "01101", UMIN);
        same(t, "UABD", 1, "01110", UABD);
        same(t, "UABA", 1, "01111", UABA);
        same(t, "SUB (vector)", 1, "10000", SUB);
        same(t, "CMEQ (register)", 1, "10001", CMEQ);
        same(t, "MLS (vector)", 1, "10010", MLS);
        same(t, "PMUL", 1, "10011", PMUL);
        same(t, "UMAXP", 1, "10100", UMAXP);
        same(t, "UMINP", 1, "10101", UMINP);
        same(t, "SQRDMULH (vector)", 1, "10110", SQRDMULH);
        logical(t, "AND (vector)", 0, "00", AND);
        logical(t, "BIC (vector, register)", 0, "01", BIC);
        logical(t, "ORR (vector, register)", 0, "10", ORR);
        logical(t, "ORN (vector)", 0, "11", ORN);
        logical(t, "EOR (vector)", 1, "00", EOR);
        logical(t, "BSL", 1, "01", BSL);
        logical(t, "BIT", 1, "10", BIT);
        logical(t, "BIF", 1, "11", BIF);

        // ---- AdvSIMD three same (floating-point) --------------------------------------------------------------
        fpSame(t, "FMAXNM (vector)", 0, 0, "000", FMAXNM);
        fpSame(t, "FMLA (vector)", 0, 0, "001", FMLA);
        fpSame(t, "FADD (vector)", 0, 0, "010", FADD);
        fpSame(t, "FMULX (vector)", 0, 0, "011", FMULX);
        fpSame(t, "FCMEQ (register)", 0, 0, "100", FCMEQ);
        fpSame(t, "FMAX (vector)", 0, 0, "110", FMAX);
        fpSame(t, "FRECPS (vector)", 0, 0, "111", FRECPS);
        fpSame(t, "FMINNM (vector)", 0, 1, "000", FMINNM);
        fpSame(t, "FMLS (vector)", 0, 1, "001", FMLS);
        fpSame(t, "FSUB (vector)", 0, 1, "010", FSUB);
        fpSame(t, "FMIN (vector)", 0, 1, "110", FMIN);
        fpSame(t, "FRSQRTS (vector)", 0, 1, "111", FRSQRTS);
        fpSame(t, "FMAXNMP (vector)", 1, 0, "000", FMAXNMP);
        fpSame(t, "FADDP (vector)", 1, 0, "010", FADDP);
        fpSame(t, "FMUL (vector)", 1, 0, "011", FMUL);
        fpSame(t, "FCMGE (register)", 1, 0, "100", FCMGE);
        fpSame(t, "FACGE (vector)", 1, 0, "101", FACGE);
        fpSame(t, "FMAXP (vector)", 1, 0, "110", FMAXP);
        fpSame(t, "FDIV (vector)", 1, 0, "111", FDIV);
        fpSame(t, "FMINNMP (vector)", 1, 1, "000", FMINNMP);
        fpSame(t, "FABD (vector)", 1, 1, "010", FABD);
        fpSame(t, "FCMGT (register)", 1, 1, "100", FCMGT);
        fpSame(t, "FACGT (vector)", 1, 1, "101", FACGT);
        fpSame(t, "FMINP (vector)", 1, 1, "110", FMINP);

        // ---- AdvSIMD scalar three same -------------------------------------------------------------------------
        scalarSame(t, "SQADD (scalar)", 0, "00001", SQADD);
        scalarSame(t, "SQSUB (scalar)", 0, "00101", SQSUB);
        scalarSame(t, "CMGT (register, scalar)", 0, "00110", CMGT);
        scalarSame(t, "CMGE (register, scalar)", 0, "00111", CMGE);
        scalarSame(t, "SSHL (scalar)", 0, "01000", SSHL);
        scalarSame(t, "SQSHL (register, scalar)", 0, "01001", SQSHL);
        scalarSame(t, "SRSHL (scalar)", 0, "01010", SRSHL);
        scalarSame(t, "SQRSHL (scalar)", 0, "01011", SQRSHL);
        scalarSame(t, "ADD (scalar)", 0, "10000", ADD);
        scalarSame(t, "CMTST (scalar)", 0, "10001", CMTST);
        scalarSame(t, "SQDMULH (scalar)", 0, "10110", SQDMULH);
        scalarSame(t, "UQADD (scalar)", 1, "00001", UQADD);
        scalarSame(t, "UQSUB (scalar)", 1, "00101", UQSUB);
        scalarSame(t, "CMHI (register, scalar)", 1, "00110", CMHI);
        scalarSame(t, "CMHS (register, scalar)", 1, "00111", CMHS);
        scalarSame(t, "USHL (scalar)", 1, "01000", USHL);
        scalarSame(t, "UQSHL (register, scalar)", 1, "01001", UQSHL);
        scalarSame(t, "URSHL (scalar)", 1, "01010", URSHL);
        scalarSame(t, "UQRSHL (scalar)", 1, "01011", UQRSHL);
        scalarSame(t, "SUB (scalar)", 1, "10000", SUB);
        scalarSame(t, "CMEQ (register, scalar)", 1, "10001", CMEQ);
        scalarSame(t, "SQRDMULH (scalar)", 1, "10110", SQRDMULH);
        fpScalarSame(t, "FMULX (scalar)", 0, 0, "011", FMULX);
        fpScalarSame(t, "FCMEQ (register, scalar)", 0, 0, "100", FCMEQ);
        fpScalarSame(t, "FRECPS (scalar)", 0, 0, "111", FRECPS);
        fpScalarSame(t, "FRSQRTS (scalar)", 0, 1, "111", FRSQRTS);
        fpScalarSame(t, "FCMGE (register, scalar)", 1, 0, "100", FCMGE);
        fpScalarSame(t, "FACGE (scalar)", 1, 0, "101", FACGE);
        fpScalarSame(t, "FABD (scalar)", 1, 1, "010", FABD);
        fpScalarSame(t, "FCMGT (register, scalar)", 1, 1, "100", FCMGT);
        fpScalarSame(t, "FACGT (scalar)", 1, 1, "101", FACGT);

        // ---- AdvSIMD three different ---------------------------------------------------------------------------
        different(t, "SADDL", 0, "0000", SADDL);
        different(t, "SADDW", 0, "0001", SADDW);
        different(t, "SSUBL", 0, "0010", SSUBL);
        different(t, "SSUBW", 0, "0011", SSUBW);
        different(t, "ADDHN", 0, "0100", ADDHN);
        different(t, "SABAL", 0, "0101", SABAL);
        different(t, "SUBHN", 0, "0110", SUBHN);
        different(t, "SABDL", 0, "0111", SABDL);
        different(t, "SMLAL (vector)", 0, "1000", SMLAL);
        different(t, "SQDMLAL (vector)", 0, "1001", SQDMLAL);
        different(t, "SMLSL (vector)", 0, "1010", SMLSL);
        different(t, "SQDMLSL (vector)", 0, "1011", SQDMLSL);
        different(t, "SMULL (vector)", 0, "1100", SMULL);
        different(t, "SQDMULL (vector)", 0, "1101", SQDMULL);
        different(t, "PMULL", 0, "1110", PMULL);
        different(t, "UADDL", 1, "0000", UADDL);
        different(t, "UADDW", 1, "0001", UADDW);
        different(t, "USUBL", 1, "0010", USUBL);
        different(t, "USUBW", 1, "0011", USUBW);
        different(t, "RADDHN", 1, "0100", RADDHN);
        different(t, "UABAL", 1, "0101", UABAL);
        different(t, "RSUBHN", 1, "0110", RSUBHN);
        different(t, "UABDL", 1, "0111", UABDL);
        different(t, "UMLAL (vector)", 1, "1000", UMLAL);
        different(t, "UMLSL (vector)", 1, "1010", UMLSL);
        different(t, "UMULL (vector)", 1, "1100", UMULL);
        t.op("SQDMLAL (scalar)", "01 0 11110 ss 1 mmmmm 1001 00 nnnnn ddddd",
                f -> SimdInt.threeDifferentScalar(f, SQDMLAL))
         .op("SQDMLSL (scalar)", "01 0 11110 ss 1 mmmmm 1011 00 nnnnn ddddd",
                f -> SimdInt.threeDifferentScalar(f, SQDMLSL))
         .op("SQDMULL (scalar)", "01 0 11110 ss 1 mmmmm 1101 00 nnnnn ddddd",
                f -> SimdInt.threeDifferentScalar(f, SQDMULL));

        // ---- AdvSIMD two-register miscellaneous (integer) -----------------------------------------------------
        misc(t, "REV64", 0, "00000", REV64);
        misc(t, "REV16 (vector)", 0, "00001", REV16);
        misc(t, "SADDLP", 0, "00010", SADDLP);
        misc(t, "SUQADD", 0, "00011", SUQADD);
        misc(t, "CLS (vector)", 0, "00100", CLS);
        misc(t, "CNT", 0, "00101", CNT);
        misc(t, "SADALP", 0, "00110", SADALP);
        misc(t, "SQABS", 0, "00111", SQABS);
        misc(t, "CMGT (zero)", 0, "01000", CMGT0);
        misc(t, "CMEQ (zero)", 0, "01001", CMEQ0);
        misc(t, "CMLT (zero)", 0, "01010", CMLT0);
        misc(t, "ABS", 0, "01011", ABS);
        misc(t, "XTN", 0, "10010", XTN);
        misc(t, "SQXTN", 0, "10100", SQXTN);
        misc(t, "REV32 (vector)", 1, "00000", REV32);
        misc(t, "UADDLP", 1, "00010", UADDLP);
        misc(t, "USQADD", 1, "00011", USQADD);
        misc(t, "CLZ (vector)", 1, "00100", CLZ);
        t.op("NOT", "0 q 1 01110 00 10000 00101 10 nnnnn ddddd", f -> SimdInt.twoRegMisc(f, NOT))
         .op("RBIT (vector)", "0 q 1 01110 01 10000 00101 10 nnnnn ddddd", f -> SimdInt.twoRegMisc(f, RBIT));
        misc(t, "UADALP", 1, "00110", UADALP);
        misc(t, "SQNEG", 1, "00111", SQNEG);
        misc(t, "CMGE (zero)", 1, "01000", CMGE0);
        misc(t, "CMLE (zero)", 1, "01001", CMLE0);
        misc(t, "NEG (vector)", 1, "01011", NEG);
        misc(t, "SQXTUN", 1, "10010", SQXTUN);
        misc(t, "SHLL", 1, "10011", SHLL);
        misc(t, "UQXTN", 1, "10100", UQXTN);
        t.op("URECPE", "0 q 0 01110 1 s 10000 11100 10 nnnnn ddddd", f -> SimdInt.twoRegMisc(f, URECPE))
         .op("URSQRTE", "0 q 1 01110 1 s 10000 11100 10 nnnnn ddddd", f -> SimdInt.twoRegMisc(f, URSQRTE));

        // ---- AdvSIMD two-register miscellaneous (floating-point) ----------------------------------------------
        t.op("FCVTN", "0 q 0 01110 0 z 10000 10110 10 nnnnn ddddd", f -> SimdFp.fcvtn(f, false))
         .op("FCVTL", "0 q 0 01110 0 z 10000 10111 10 nnnnn ddddd", SimdFp::fcvtl)
         .op("FCVTXN", "0 q 1 01110 0 z 10000 10110 10 nnnnn ddddd", f -> SimdFp.fcvtn(f, true));
        fpMisc(t, "FRINTN (vector)", 0, 0, "11000", FRINTN);
        fpMisc(t, "FRINTM (vector)", 0, 0, "11001", FRINTM);
        fpMisc(t, "FCVTNS (vector)", 0, 0, "11010", FCVTNS);
        fpMisc(t, "FCVTMS (vector)", 0, 0, "11011", FCVTMS);
        fpMisc(t, "FCVTAS (vector)", 0, 0, "11100", FCVTAS);
        fpMisc(t, "SCVTF (vector, integer)", 0, 0, "11101", SCVTF);
        fpMisc(t, "FCMGT (zero)", 0, 1, "01100", FCMGT0);
        fpMisc(t, "FCMEQ (zero)", 0, 1, "01101", FCMEQ0);
        fpMisc(t, "FCMLT (zero)", 0, 1, "01110", FCMLT0);
        fpMisc(t, "FABS (vector)", 0, 1, "01111", SimdFp.FABS);
        fpMisc(t, "FRINTP (vector)", 0, 1, "11000", FRINTP);
        fpMisc(t, "FRINTZ (vector)", 0, 1, "11001", FRINTZ);
        fpMisc(t, "FCVTPS (vector)", 0, 1, "11010", FCVTPS);
        fpMisc(t, "FCVTZS (vector, integer)", 0, 1, "11011", FCVTZS);
        fpMisc(t, "FRECPE (vector)", 0, 1, "11101", FRECPE);
        fpMisc(t, "FRINTA (vector)", 1, 0, "11000", FRINTA);
        fpMisc(t, "FRINTX (vector)", 1, 0, "11001", FRINTX);
        fpMisc(t, "FCVTNU (vector)", 1, 0, "11010", FCVTNU);
        fpMisc(t, "FCVTMU (vector)", 1, 0, "11011", FCVTMU);
        fpMisc(t, "FCVTAU (vector)", 1, 0, "11100", FCVTAU);
        fpMisc(t, "UCVTF (vector, integer)", 1, 0, "11101", UCVTF);
        fpMisc(t, "FCMGE (zero)", 1, 1, "01100", FCMGE0);
        fpMisc(t, "FCMLE (zero)", 1, 1, "01101", FCMLE0);
        fpMisc(t, "FNEG (vector)", 1, 1, "01111", SimdFp.FNEG);
        fpMisc(t, "FRINTI (vector)", 1, 1, "11001", FRINTI);
        fpMisc(t, "FCVTPU (vector)", 1, 1, "11010", FCVTPU);
        fpMisc(t, "FCVTZU (vector, integer)", 1, 1, "11011", FCVTZU);
        fpMisc(t, "FRSQRTE (vector)", 1, 1, "11101", FRSQRTE);
        fpMisc(t, "FSQRT (vector)", 1, 1, "11111", FSQRT);

        // ---- AdvSIMD scalar two-register miscellaneous --------------------------------------------------------
        scalarMisc(t, "SUQADD (scalar)", 0, "00011", SUQADD);
        scalarMisc(t, "SQABS (scalar)", 0, "00111", SQABS);
        scalarMisc(t, "CMGT (zero, scalar)", 0, "01000", CMGT0);
        scalarMisc(t, "CMEQ (zero, scalar)", 0, "01001", CMEQ0);
        scalarMisc(t, "CMLT (zero, scalar)", 0, "01010", CMLT0);
        scalarMisc(t, "ABS (scalar)", 0, "01011", ABS);
        scalarMisc(t, "SQXTN (scalar)", 0, "10100", SQXTN);
        scalarMisc(t, "USQADD (scalar)", 1, "00011", USQADD);
        scalarMisc(t, "SQNEG (scalar)", 1, "00111", SQNEG);
        scalarMisc(t, "CMGE (zero, scalar)", 1, "01000", CMGE0);
        scalarMisc(t, "CMLE (zero, scalar)", 1, "01001", CMLE0);
        scalarMisc(t, "NEG (scalar)", 1, "01011", NEG);
        scalarMisc(t, "SQXTUN (scalar)", 1, "10010", SQXTUN);
        scalarMisc(t, "UQXTN (scalar)", 1, "10100", UQXTN);
        t.op("FCVTXN (scalar)", "01 1 11110 0 z 10000 10110 10 nnnnn ddddd", SimdFp::fcvtxnScalar);
        fpScalarMisc(t, "FCVTNS (scalar, vector form)", 0, 0, "11010", FCVTNS);
        fpScalarMisc(t, "FCVTMS (scalar, vector form)", 0, 0, "11011", FCVTMS);
        fpScalarMisc(t, "FCVTAS (scalar, vector form)", 0, 0, "11100", FCVTAS);
        fpScalarMisc(t, "SCVTF (scalar, vector form)", 0, 0, "11101", SCVTF);
        fpScalarMisc(t, "FCMGT (zero, scalar)", 0, 1, "01100", FCMGT0);
        fpScalarMisc(t, "FCMEQ (zero, scalar)", 0, 1, "01101", FCMEQ0);
        fpScalarMisc(t, "FCMLT (zero, scalar)", 0, 1, "01110", FCMLT0);
        fpScalarMisc(t, "FCVTPS (scalar, vector form)", 0, 1, "11010", FCVTPS);
        fpScalarMisc(t, "FCVTZS (scalar, vector form)", 0, 1, "11011", FCVTZS);
        fpScalarMisc(t, "FRECPE (scalar)", 0, 1, "11101", FRECPE);
        fpScalarMisc(t, "FRECPX", 0, 1, "11111", FRECPX);
        fpScalarMisc(t, "FCVTNU (scalar, vector form)", 1, 0, "11010", FCVTNU);
        fpScalarMisc(t, "FCVTMU (scalar, vector form)", 1, 0, "11011", FCVTMU);
        fpScalarMisc(t, "FCVTAU (scalar, vector form)", 1, 0, "11100", FCVTAU);
        fpScalarMisc(t, "UCVTF (scalar, vector form)", 1, 0, "11101", UCVTF);
        fpScalarMisc(t, "FCMGE (zero, scalar)", 1, 1, "01100", FCMGE0);
        fpScalarMisc(t, "FCMLE (zero, scalar)", 1, 1, "01101", FCMLE0);
        fpScalarMisc(t, "FCVTPU (scalar, vector form)", 1, 1, "11010", FCVTPU);
        fpScalarMisc(t, "FCVTZU (scalar, vector form)", 1, 1, "11011", FCVTZU);
        fpScalarMisc(t, "FRSQRTE (scalar)", 1, 1, "11101", FRSQRTE);

        // ---- AdvSIMD across lanes, scalar pairwise -------------------------------------------------------------
        across(t, "SADDLV", 0, "00011", SADDLV);
        across(t, "SMAXV", 0, "01010", SMAXV);
        across(t, "SMINV", 0, "11010", SMINV);
        across(t, "ADDV", 0, "11011", ADDV);
        across(t, "UADDLV", 1, "00011", UADDLV);
        across(t, "UMAXV", 1, "01010", UMAXV);
        across(t, "UMINV", 1, "11010", UMINV);
        t.op("FMAXNMV", "0 q 1 01110 0 z 11000 01100 10 nnnnn ddddd", f -> SimdFp.acrossLanes(f, FMAXNM))
         .op("FMAXV", "0 q 1 01110 0 z 11000 01111 10 nnnnn ddddd", f -> SimdFp.acrossLanes(f, FMAX))
         .op("FMINNMV", "0 q 1 01110 1 z 11000 01100 10 nnnnn ddddd", f -> SimdFp.acrossLanes(f, FMINNM))
         .op("FMINV", "0 q 1 01110 1 z 11000 01111 10 nnnnn ddddd", f -> SimdFp.acrossLanes(f, FMIN))
         .op("ADDP (scalar)", "01 0 11110 ss 11000 11011 10 nnnnn ddddd", SimdInt::addpScalar)
         .op("FMAXNMP (scalar)", "01 1 11110 0 z 11000 01100 10 nnnnn ddddd", f -> SimdFp.pairwiseScalar(f, FMAXNM))
         .op("FADDP (scalar)", "01 1 11110 0 z 11000 01101 10 nnnnn ddddd", f -> SimdFp.pairwiseScalar(f, FADD))
         .op("FMAXP (scalar)", "01 1 11110 0 z 11000 01111 10 nnnnn ddddd", f -> SimdFp.pairwiseScalar(f, FMAX))
         .op("FMINNMP (scalar)", "01 1 11110 1 z 11000 01100 10 nnnnn ddddd", f -> SimdFp.pairwiseScalar(f, FMINNM))
         .op("FMINP (scalar)", "01 1 11110 1 z 11000 01111 10 nnnnn ddddd", f -> SimdFp.pairwiseScalar(f, FMIN));

        // ---- AdvSIMD shift by immediate (after the modified-immediate line, which owns immh = 0) --------------
        shift(t, "SSHR", 0, "00000", SSHR);
        shift(t, "SSRA", 0, "00010", SSRA);
        shift(t, "SRSHR", 0, "00100", SRSHR);
        shift(t, "SRSRA", 0, "00110", SRSRA);
        shift(t, "SHL", 0, "01010", SHL);
        shift(t, "SQSHL (immediate)", 0, "01110", SQSHL_IMM);
        shift(t, "SHRN", 0, "10000", SHRN);
        shift(t, "RSHRN", 0, "10001", RSHRN);
        shift(t, "SQSHRN", 0, "10010", SQSHRN);
        shift(t, "SQRSHRN", 0, "10011", SQRSHRN);
        shift(t, "SSHLL", 0, "10100", SSHLL);
        shift(t, "USHR", 1, "00000", USHR);
        shift(t, "USRA", 1, "00010", USRA);
        shift(t, "URSHR", 1, "00100", URSHR);
        shift(t, "URSRA", 1, "00110", URSRA);
        shift(t, "SRI", 1, "01000", SRI);
        shift(t, "SLI", 1, "01010", SLI);
        shift(t, "SQSHLU", 1, "01100", SQSHLU);
        shift(t, "UQSHL (immediate)", 1, "01110", UQSHL_IMM);
        shift(t, "SQSHRUN", 1, "10000", SQSHRUN);
        shift(t, "SQRSHRUN", 1, "10001", SQRSHRUN);
        shift(t, "UQSHRN", 1, "10010", UQSHRN);
        shift(t, "UQRSHRN", 1, "10011", UQRSHRN);
        shift(t, "USHLL", 1, "10100", USHLL);
        t.op("SCVTF (vector, fixed-point)", "0 q 0 011110 hhhhhhh 11100 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, SCVTF, false))
         .op("FCVTZS (vector, fixed-point)", "0 q 0 011110 hhhhhhh 11111 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, FCVTZS, false))
         .op("UCVTF (vector, fixed-point)", "0 q 1 011110 hhhhhhh 11100 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, UCVTF, false))
         .op("FCVTZU (vector, fixed-point)", "0 q 1 011110 hhhhhhh 11111 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, FCVTZU, false));
        scalarShift(t, "SSHR (scalar)", 0, "00000", SSHR);
        scalarShift(t, "SSRA (scalar)", 0, "00010", SSRA);
        scalarShift(t, "SRSHR (scalar)", 0, "00100", SRSHR);
        scalarShift(t, "SRSRA (scalar)", 0, "00110", SRSRA);
        scalarShift(t, "SHL (scalar)", 0, "01010", SHL);
        scalarShift(t, "SQSHL (immediate, scalar)", 0, "01110", SQSHL_IMM);
        scalarShift(t, "SQSHRN (scalar)", 0, "10010", SQSHRN);
        scalarShift(t, "SQRSHRN (scalar)", 0, "10011", SQRSHRN);
        scalarShift(t, "USHR (scalar)", 1, "00000", USHR);
        scalarShift(t, "USRA (scalar)", 1, "00010", USRA);
        scalarShift(t, "URSHR (scalar)", 1, "00100", URSHR);
        scalarShift(t, "URSRA (scalar)", 1, "00110", URSRA);
        scalarShift(t, "SRI (scalar)", 1, "01000", SRI);
        scalarShift(t, "SLI (scalar)", 1, "01010", SLI);
        scalarShift(t, "SQSHLU (scalar)", 1, "01100", SQSHLU);
        scalarShift(t, "UQSHL (immediate, scalar)", 1, "01110", UQSHL_IMM);
        scalarShift(t, "SQSHRUN (scalar)", 1, "10000", SQSHRUN);
        scalarShift(t, "SQRSHRUN (scalar)", 1, "10001", SQRSHRUN);
        scalarShift(t, "UQSHRN (scalar)", 1, "10010", UQSHRN);
        scalarShift(t, "UQRSHRN (scalar)", 1, "10011", UQRSHRN);
        t.op("SCVTF (scalar, fixed-point, vector form)", "01 0 111110 hhhhhhh 11100 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, SCVTF, true))
         .op("FCVTZS (scalar, fixed-point, vector form)", "01 0 111110 hhhhhhh 11111 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, FCVTZS, true))
         .op("UCVTF (scalar, fixed-point, vector form)", "01 1 111110 hhhhhhh 11100 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, UCVTF, true))
         .op("FCVTZU (scalar, fixed-point, vector form)", "01 1 111110 hhhhhhh 11111 1 nnnnn ddddd",
                f -> SimdFp.fixedPoint(f, FCVTZU, true));

        // ---- AdvSIMD vector x indexed element, scalar x indexed element ---------------------------------------
        t.op("FMLA (by element)", "0 q 0 01111 1 z l k mmmm 0001 h 0 nnnnn ddddd", f -> SimdFp.byElement(f, FMLA, false))
         .op("FMLS (by element)", "0 q 0 01111 1 z l k mmmm 0101 h 0 nnnnn ddddd", f -> SimdFp.byElement(f, FMLS, false))
         .op("FMUL (by element)", "0 q 0 01111 1 z l k mmmm 1001 h 0 nnnnn ddddd", f -> SimdFp.byElement(f, FMUL, false))
         .op("FMULX (by element)", "0 q 1 01111 1 z l k mmmm 1001 h 0 nnnnn ddddd",
                f -> SimdFp.byElement(f, FMULX, false))
         .op("FMLA (by element, scalar)", "01 0 11111 1 z l k mmmm 0001 h 0 nnnnn ddddd",
                f -> SimdFp.byElement(f, FMLA, true))
         .op("FMLS (by element, scalar)", "01 0 11111 1 z l k mmmm 0101 h 0 nnnnn ddddd",
                f -> SimdFp.byElement(f, FMLS, true))
         .op("FMUL (by element, scalar)", "01 0 11111 1 z l k mmmm 1001 h 0 nnnnn ddddd",
                f -> SimdFp.byElement(f, FMUL, true))
         .op("FMULX (by element, scalar)", "01 1 11111 1 z l k mmmm 1001 h 0 nnnnn ddddd",
                f -> SimdFp.byElement(f, FMULX, true));
        element(t, "MLA (by element)", 1, "0000", MLA, false);
        element(t, "MLS (by element)", 1, "0100", MLS, false);
        element(t, "MUL (by element)", 0, "1000", MUL, false);
        element(t, "SQDMULH (by element)", 0, "1100", SQDMULH, false);
        element(t, "SQRDMULH (by element)", 0, "1101", SQRDMULH, false);
        elementLong(t, "SMLAL (by element)", 0, "0010", SMLAL);
        elementLong(t, "SQDMLAL (by element)", 0, "0011", SQDMLAL);
        elementLong(t, "SMLSL (by element)", 0, "0110", SMLSL);
        elementLong(t, "SQDMLSL (by element)", 0, "0111", SQDMLSL);
        elementLong(t, "SMULL (by element)", 0, "1010", SMULL);
        elementLong(t, "SQDMULL (by element)", 0, "1011", SQDMULL);
        elementLong(t, "UMLAL (by element)", 1, "0010", UMLAL);
        elementLong(t, "UMLSL (by element)", 1, "0110", UMLSL);
        elementLong(t, "UMULL (by element)", 1, "1010", UMULL);
        element(t, "SQDMULH (by element, scalar)", 0, "1100", SQDMULH, true);
        element(t, "SQRDMULH (by element, scalar)", 0, "1101", SQRDMULH, true);
        t.op("SQDMLAL (by element, scalar)", "01 0 11111 ss l k mmmm 0011 h 0 nnnnn ddddd",
                f -> SimdInt.byElementLong(f, SQDMLAL, true))
         .op("SQDMLSL (by element, scalar)", "01 0 11111 ss l k mmmm 0111 h 0 nnnnn ddddd",
                f -> SimdInt.byElementLong(f, SQDMLSL, true))
         .op("SQDMULL (by element, scalar)", "01 0 11111 ss l k mmmm 1011 h 0 nnnnn ddddd",
                f -> SimdInt.byElementLong(f, SQDMULL, true));
    }

    // ---- one line per instruction, built from the group's fixed bits -------------------------------------------

    private static void same(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 ss 1 mmmmm " + opcode + " 1 nnnnn ddddd", f -> SimdInt.threeSame(f, op));
    }

    private static void logical(DecodeTable t, String name, int u, String size, int op) {
        t.op(name, "0 q " + u + " 01110 " + size + " 1 mmmmm 00011 1 nnnnn ddddd", f -> SimdInt.logical(f, op));
    }

    private static void fpSame(DecodeTable t, String name, int u, int a, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 " + a + " z 1 mmmmm 11" + opcode + " 1 nnnnn ddddd",
                f -> SimdFp.threeSame(f, op));
    }

    private static void scalarSame(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "01 " + u + " 11110 ss 1 mmmmm " + opcode + " 1 nnnnn ddddd", f -> SimdInt.threeSameScalar(f, op));
    }

    private static void fpScalarSame(DecodeTable t, String name, int u, int a, String opcode, int op) {
        t.op(name, "01 " + u + " 11110 " + a + " z 1 mmmmm 11" + opcode + " 1 nnnnn ddddd",
                f -> SimdFp.threeSameScalar(f, op));
    }

    private static void different(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 ss 1 mmmmm " + opcode + " 00 nnnnn ddddd", f -> SimdInt.threeDifferent(f, op));
    }

    private static void misc(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 ss 10000 " + opcode + " 10 nnnnn ddddd", f -> SimdInt.twoRegMisc(f, op));
    }

    private static void fpMisc(DecodeTable t, String name, int u, int a, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 " + a + " z 10000 " + opcode + " 10 nnnnn ddddd", f -> SimdFp.twoRegMisc(f, op));
    }

    private static void scalarMisc(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "01 " + u + " 11110 ss 10000 " + opcode + " 10 nnnnn ddddd", f -> SimdInt.twoRegMiscScalar(f, op));
    }

    private static void fpScalarMisc(DecodeTable t, String name, int u, int a, String opcode, int op) {
        t.op(name, "01 " + u + " 11110 " + a + " z 10000 " + opcode + " 10 nnnnn ddddd",
                f -> SimdFp.twoRegMiscScalar(f, op));
    }

    private static void across(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 01110 ss 11000 " + opcode + " 10 nnnnn ddddd", f -> SimdInt.acrossLanes(f, op));
    }

    private static void shift(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 011110 hhhhhhh " + opcode + " 1 nnnnn ddddd", f -> SimdInt.shiftImm(f, op));
    }

    private static void scalarShift(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "01 " + u + " 111110 hhhhhhh " + opcode + " 1 nnnnn ddddd", f -> SimdInt.shiftImmScalar(f, op));
    }

    private static void element(DecodeTable t, String name, int u, String opcode, int op, boolean scalar) {
        String head = scalar ? "01 " + u + " 11111" : "0 q " + u + " 01111";
        t.op(name, head + " ss l k mmmm " + opcode + " h 0 nnnnn ddddd", f -> SimdInt.byElement(f, op, scalar));
    }

    private static void elementLong(DecodeTable t, String name, int u, String opcode, int op) {
        t.op(name, "0 q " + u + " 01111 ss l k mmmm " + opcode + " h 0 nnnnn ddddd",
                f -> SimdInt.byElementLong(f, op, false));
    }
}
