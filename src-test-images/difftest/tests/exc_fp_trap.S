/*
 * SIMD&FP access trap: with CPACR_EL1.FPEN = 0b01 EL1 may still use FP (only EL0 traps); with FPEN = 0b00 an FP
 * instruction at EL1 takes an exception to EL1 with EC 0x07 (ISS CV=1, COND=0xE), reported by the harness.
 */
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        mov     x0, #(1 << 20)          /* FPEN = 0b01: EL1 not trapped */
        msr     cpacr_el1, x0
        isb
        fmov    d0, #1.5
        fmov    x1, d0
        mrs     x2, fpcr
        DUMP
        msr     cpacr_el1, xzr          /* FPEN = 0b00: trapped */
        isb
        fadd    d1, d0, d0
        ldp     x29, x30, [sp], #16
        ret
