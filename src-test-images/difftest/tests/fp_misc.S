/*
 * Scalar floating-point moves, selects and conditional compares: FMOV (immediate, register, general, top half
 * of a Q register), FCSEL, FCMP/FCMPE with #0.0, FCCMP/FCCMPE with NaN operands (NZCV and FPSR), and MSR/MRS of
 * FPSR and FPCR with the bits every implementation keeps.
 */
        .include "macros.inc"

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        fmov    d0, #1.0
        fmov    s1, #-0.125
        fmov    d2, #31.0
        fmov    s3, #0.1328125
        fmov    d4, #-1.9375
        MOV64   x1, 0x8123456789abcdef
        fmov    s5, w1
        fmov    d6, x1
        movi    v7.16b, #0x5a
        fmov    v7.d[1], x1
        fmov    w2, s5
        fmov    x3, d6
        fmov    x4, v7.d[1]
        fmov    d8, d4
        fmov    s9, s3
        mov     v10.16b, v7.16b
        fmov    d10, d0
        DUMP
        DUMPFP

        /* FCSEL on each flag combination */
        movi    v0.2d, #0
        fmov    d1, #2.0
        fmov    d2, #-3.0
        mov     x9, #0
1:      lsl     x10, x9, #28
        msr     nzcv, x10
        fcsel   d11, d1, d2, eq
        fcsel   d12, d1, d2, lt
        fcsel   s13, s1, s2, hi
        fcsel   d14, d1, d2, vs
        fmov    x11, d11
        fmov    x12, d12
        fmov    w13, s13
        fmov    x14, d14
        add     x20, x20, x11
        eor     x21, x21, x12, ror #7
        add     x22, x22, x13
        eor     x23, x23, x14, ror #13
        add     x9, x9, #1
        cmp     x9, #16
        b.lt    1b
        DUMP

        /* FCMP/FCMPE with zero, FCCMP/FCCMPE */
        MOV64   x1, 0x7ff8000000000000
        fmov    d20, x1                 /* quiet NaN */
        MOV64   x1, 0x7ff0000000000001
        fmov    d21, x1                 /* signalling NaN */
        fmov    d22, #1.5
        movi    d23, #0
        msr     fpsr, xzr
        fcmp    d22, #0.0
        mrs     x0, nzcv
        mrs     x1, fpsr
        fcmpe   d20, #0.0
        mrs     x2, nzcv
        mrs     x3, fpsr
        msr     fpsr, xzr
        fcmp    d20, d22
        mrs     x4, nzcv
        mrs     x5, fpsr
        fcmp    d21, d22
        mrs     x6, nzcv
        mrs     x7, fpsr
        msr     fpsr, xzr
        cmp     x0, x0                  /* Z set: eq holds */
        fccmp   d22, d23, #0x5, eq
        mrs     x8, nzcv
        cmp     x0, x0
        fccmp   d22, d23, #0x5, ne
        mrs     x9, nzcv
        mrs     x10, fpsr
        cmp     x0, x0
        fccmp   d20, d22, #0x2, eq
        mrs     x11, nzcv
        mrs     x12, fpsr
        msr     fpsr, xzr
        cmp     x0, x0
        fccmpe  d20, d22, #0x2, eq
        mrs     x13, nzcv
        mrs     x14, fpsr
        msr     fpsr, xzr
        cmp     x0, x0
        fccmpe  d20, d22, #0xa, ne     /* condition fails: no compare, no flag */
        mrs     x15, nzcv
        mrs     x16, fpsr
        fccmp   s22, s23, #0x0, al
        mrs     x17, nzcv
        DUMP

        /* FPSR and FPCR: the bits every implementation keeps */
        MOV64   x1, 0x0800009f
        msr     fpsr, x1
        mrs     x2, fpsr
        msr     fpsr, xzr
        mrs     x3, fpsr
        MOV64   x1, 0x07c00000
        msr     fpcr, x1
        mrs     x4, fpcr
        msr     fpcr, xzr
        mrs     x5, fpcr
        DUMP
        ldp     x29, x30, [sp], #16
        ret
