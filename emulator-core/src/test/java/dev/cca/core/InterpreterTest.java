package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs programs assembled with aarch64-linux-gnu-as (the words are the assembler's output) and checks results. */
class InterpreterTest {

    private static final long CODE = Harness.RAM + 0x1000;

    @Test
    void arithmeticLogicalAndBitfieldInstructionsComputeArchitecturalResults() {
        Harness h = new Harness();
        h.load(CODE,
            0xd2a24680, // mov  x0, #0x12340000
            0xf28acf00, // movk x0, #0x5678
            0x92800021, // mov  x1, #-2
            0x91004002, // add  x2, x0, #0x10
            0xb1000823, // adds x3, x1, #0x2
            0xd53b4204, // mrs  x4, nzcv
            0x51000405, // sub  w5, w0, #0x1
            0xeb010026, // subs x6, x1, x1
            0xd53b4207, // mrs  x7, nzcv
            0x92781c08, // and  x8, x0, #0xff00
            0xb201f3e9, // mov  x9, #0xaaaaaaaaaaaaaaaa
            0xca00100a, // eor  x10, x0, x0, lsl #4
            0xd378dc0b, // lsl  x11, x0, #8
            0xd344fc0c, // lsr  x12, x0, #4
            0x9341fc2d, // asr  x13, x1, #1
            0xd3483c0e, // ubfx x14, x0, #8, #8
            0x93400c2f, // sbfx x15, x1, #0, #4
            0x9b007c10, // mul  x16, x0, x0
            0x9ac20811, // udiv x17, x0, x2
            0x9a810012, // csel x18, x0, x1, eq
            0x9a9f07f3, // cset x19, ne
            0xdac01014, // clz  x20, x0
            0xdac00c15, // rev  x21, x0
            0x10000016, // adr  x22, .
            0xd4000842  // hvc  #0x42
        );
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long[] x = h.cpu.x;
        long x0 = 0x12345678L;
        assertEquals(x0, x[0]);
        assertEquals(-2L, x[1]);
        assertEquals(x0 + 0x10, x[2]);
        assertEquals(0, x[3]);
        assertEquals(0x6000_0000L, x[4], "ADDS -2+2: Z and C set");
        assertEquals(x0 - 1, x[5]);
        assertEquals(0x6000_0000L, x[7], "SUBS equal operands: Z and C set");
        assertEquals(0x5600L, x[8]);
        assertEquals(0xaaaaaaaaaaaaaaaaL, x[9]);
        assertEquals(x0 ^ (x0 << 4), x[10]);
        assertEquals(x0 << 8, x[11]);
        assertEquals(x0 >>> 4, x[12]);
        assertEquals(-1L, x[13]);
        assertEquals(0x56L, x[14]);
        assertEquals(-2L, x[15]);
        assertEquals(x0 * x0, x[16]);
        assertEquals(0L, x[17]);
        assertEquals(x0, x[18]);
        assertEquals(0L, x[19]);
        assertEquals(35L, x[20]);
        assertEquals(Long.reverseBytes(x0), x[21]);
        assertEquals(CODE + 23 * 4, x[22]);
        assertEquals(Esr.EC_HVC64, Esr.ec(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(0x42, Esr.iss(h.cpu.sr[SysRegs.ESR_EL2]));
        assertEquals(CODE + 25 * 4, h.cpu.sr[SysRegs.ELR_EL2], "HVC returns after itself");
        assertEquals(25, h.cpu.instructions);
    }

    @Test
    void loadsStoresPairsAndBranchesBehaveAsAssembled() {
        Harness h = new Harness();
        long buf = Harness.RAM + 0x8000;
        h.mem.write(buf + 24, 8, 0x0102030405060708L);
        h.load(CODE,
            0xd2822441, 0xf2a66881, 0xf2caacc1, 0xf2eef101, 0xf9000001, 0xb9400402, 0x39401c03, 0x39801c04,
            0x79800c05, 0xb9800406, 0xa9bf0be1, 0xa8c123e7, 0xb8008c01, 0xf85f8009, 0xd280004a, 0xf86a780b,
            0x79002801, 0x7940280c, 0x580001cd, 0xd280000e, 0xd28000af, 0x8b0f01ce, 0xf10005ef, 0x54ffffc1,
            0xb400004f, 0xd2807cee, 0x3700004e, 0xd2806f0e, 0x94000002, 0xd4000002, 0xd28009b0, 0xd65f03c0,
            0xcafef00d, 0xdeadbeef);
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.x[0] = buf;
        long sp = Harness.RAM + 0x10000;
        h.cpu.setSp(sp);
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        long[] x = h.cpu.x;
        long x1 = 0x7788556633441122L;
        assertEquals(x1, x[1]);
        assertEquals(x1, h.mem.read(buf, 8));
        assertEquals(0x77885566L, x[2]);
        assertEquals(0x77L, x[3]);
        assertEquals(0x77L, x[4]);
        assertEquals(0x7788L, x[5]);
        assertEquals(0x77885566L, x[6]);
        assertEquals(x1, x[7]);
        assertEquals(0x77885566L, x[8]);
        assertEquals(sp, h.cpu.spEl[1], "pre-index push and post-index pop leave SP unchanged");
        assertEquals(buf + 8, x[0], "pre-indexed store wrote back the base");
        assertEquals(0x33441122L, h.mem.read(buf + 8, 4));
        assertEquals(x1, x[9]);
        assertEquals(0x0102030405060708L, x[11]);
        assertEquals(0x1122L, x[12]);
        assertEquals(0xdeadbeefcafef00dL, x[13]);
        assertEquals(15L, x[14], "loop summed 5..1 and both forward branches were taken");
        assertEquals(0L, x[15]);
        assertEquals(77L, x[16]);
        assertEquals(CODE + 0x74, x[30]);
    }

    @Test
    void undefinedInstructionTrapsToEl1Vector() {
        Harness h = new Harness();
        long vbar = Harness.RAM + 0x4000;
        h.load(CODE, 0x00000000); // UDF #0
        h.load(vbar + 0x200, 0xd4000002); // current EL, SPx, synchronous: hvc #0
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.sr[SysRegs.VBAR_EL1] = vbar;
        assertEquals(Cpu.StopReason.ARRIVED, h.runToEl2(SecurityState.NON_SECURE));
        assertEquals(Esr.EC_UNKNOWN, Esr.ec(h.cpu.sr[SysRegs.ESR_EL1]));
        assertEquals(CODE, h.cpu.sr[SysRegs.ELR_EL1]);
        assertEquals(vbar + 0x204, h.cpu.sr[SysRegs.ELR_EL2]);
    }

    @Test
    void budgetStopsAnInfiniteLoopAndCanResume() {
        Harness h = new Harness();
        h.load(CODE, 0x14000000); // b .
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.setBudget(10_000);
        assertEquals(Cpu.StopReason.BUDGET, h.cpu.runUntil(2, SecurityState.NON_SECURE));
        assertEquals(10_000, h.cpu.instructions);
        assertEquals(CODE, h.cpu.pc);
    }

    @Test
    void selfModifyingCodeIsSeenOnTheNextFetch() {
        Harness h = new Harness();
        // x1 = address of the patched slot; store "movz x0, #7" over "movz x0, #1", then execute it.
        h.load(CODE,
            0xb9000022, // str w2, [x1]
            0xd2800020, // movz x0, #1   (patched to movz x0, #7)
            0xd4000002  // hvc #0
        );
        h.enterEl1(SecurityState.NON_SECURE, CODE);
        h.cpu.x[1] = CODE + 4;
        h.cpu.x[2] = 0xd28000e0L; // movz x0, #7
        // Decode the page once first so a stale cached decode would be visible.
        h.cpu.setBudget(1);
        h.cpu.runUntil(2, SecurityState.NON_SECURE);
        h.runToEl2(SecurityState.NON_SECURE);
        assertEquals(7, h.cpu.x[0]);
    }
}
