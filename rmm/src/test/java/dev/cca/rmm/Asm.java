package dev.cca.rmm;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny A64 assembler for realm test programs: the handful of encodings (Arm ARM C6) the tests need, so a
 * program reads as instructions rather than hex words.
 */
final class Asm {
    private final List<Integer> words = new ArrayList<>();

    /** MOVZ/MOVK sequence loading a 64-bit constant into Xd. */
    Asm mov(int xd, long value) {
        words.add(0xD2800000 | (int) ((value & 0xFFFF) << 5) | xd);
        for (int hw = 1; hw < 4; hw++) {
            long part = (value >>> (16 * hw)) & 0xFFFF;
            if (part != 0) {
                words.add(0xF2800000 | (hw << 21) | (int) (part << 5) | xd);
            }
        }
        return this;
    }

    /** MOV Xd, Xm (ORR Xd, XZR, Xm). */
    Asm movReg(int xd, int xm) {
        words.add(0xAA0003E0 | (xm << 16) | xd);
        return this;
    }

    /** A raw instruction word. */
    Asm word(int w) {
        words.add(w);
        return this;
    }

    /** MSR CNTV_CVAL_EL0, Xt. */
    Asm msrCntvCval(int xt) {
        return word(0xD51BE340 | xt);
    }

    /** MSR CNTV_CTL_EL0, Xt. */
    Asm msrCntvCtl(int xt) {
        return word(0xD51BE320 | xt);
    }

    Asm smc() {
        words.add(0xD4000003);
        return this;
    }

    Asm hvc() {
        words.add(0xD4000002);
        return this;
    }

    Asm wfi() {
        words.add(0xD503207F);
        return this;
    }

    /** STR Xt, [Xn, #offset] (offset a multiple of 8 below 32 KB). */
    Asm str(int xt, int xn, int offset) {
        words.add(0xF9000000 | ((offset / 8) << 10) | (xn << 5) | xt);
        return this;
    }

    /** LDR Xt, [Xn, #offset]. */
    Asm ldr(int xt, int xn, int offset) {
        words.add(0xF9400000 | ((offset / 8) << 10) | (xn << 5) | xt);
        return this;
    }

    /** STR Wt, [Xn, #offset] (offset a multiple of 4). */
    Asm strW(int wt, int xn, int offset) {
        words.add(0xB9000000 | ((offset / 4) << 10) | (xn << 5) | wt);
        return this;
    }

    /** ADD Xd, Xn, Xm. */
    Asm add(int xd, int xn, int xm) {
        words.add(0x8B000000 | (xm << 16) | (xn << 5) | xd);
        return this;
    }

    /** SUB Xd, Xn, #imm12. */
    Asm sub(int xd, int xn, int imm) {
        words.add(0xD1000000 | (imm << 10) | (xn << 5) | xd);
        return this;
    }

    /** The index of the next instruction, for branches back to it. */
    int here() {
        return words.size();
    }

    /** CBZ Xt, to the instruction at index {@code target}. */
    Asm cbz(int xt, int target) {
        int imm19 = (target - words.size()) & 0x7FFFF;
        words.add(0xB4000000 | (imm19 << 5) | xt);
        return this;
    }

    /** B . (spin here). */
    Asm hang() {
        words.add(0x14000000);
        return this;
    }

    /** SMC with X0 = fid and X1.. = args. */
    Asm call(long fid, long... args) {
        mov(0, fid);
        for (int i = 0; i < args.length; i++) {
            mov(1 + i, args[i]);
        }
        return smc();
    }

    int size() {
        return words.size() * 4;
    }

    int[] words() {
        int[] w = new int[words.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = words.get(i);
        }
        return w;
    }
}
