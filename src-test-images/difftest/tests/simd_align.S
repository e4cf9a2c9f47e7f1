/*
 * SIMD&FP accesses with SCTLR_EL1.A = 1: structure loads and stores need only element alignment, and B/H/S
 * registers their own size, so none of these accesses (element-aligned, not doubleword-aligned) faults.
 */
        .include "macros.inc"

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        ldr     x19, =buf
        mov     x0, #0
1:      add     w1, w0, #0x21
        strb    w1, [x19, x0]
        add     x0, x0, #1
        cmp     x0, #128
        b.lt    1b
        mrs     x20, sctlr_el1
        orr     x1, x20, #2             /* SCTLR_EL1.A */
        msr     sctlr_el1, x1
        isb
        add     x2, x19, #1
        ld1     {v0.16b}, [x2]
        add     x2, x19, #2
        ld1     {v1.8h}, [x2]
        add     x2, x19, #4
        ld1     {v2.4s, v3.4s}, [x2]
        add     x2, x19, #3
        ld1     {v10.8b, v11.8b, v12.8b}, [x2], #24
        add     x2, x19, #1
        ld2     {v4.8b, v5.8b}, [x2]
        add     x2, x19, #7
        ld1     {v6.b}[3], [x2]
        add     x2, x19, #2
        ld1r    {v7.4h}, [x2]
        add     x2, x19, #5
        ldr     b8, [x2]
        add     x2, x19, #6
        ldr     h9, [x2]
        add     x2, x19, #68
        st1     {v0.16b, v1.16b}, [x2]
        add     x2, x19, #97
        st1     {v2.16b}, [x2]
        add     x2, x19, #115
        st3     {v4.8b, v5.8b, v6.8b}, [x2]
        msr     sctlr_el1, x20
        isb
        add     x2, x19, #64
        ldp     q13, q14, [x2]
        ldp     q15, q16, [x2, #32]
        ldr     q17, [x2, #48]
        DUMPFP
        ldp     x29, x30, [sp], #16
        ret

        .data
        .balign 16
buf:    .space 160
