/*
 * SIMD&FP loads and stores: LDR/STR of B, H, S, D and Q registers with unsigned offset, unscaled, pre/post-index,
 * register offset (extended, scaled) and literal addressing; LDP/STP/LDNP/STNP of S, D and Q; LD1-LD4/ST1-ST4
 * multiple structures (with immediate and register post-index), LD1-LD4/ST1-ST4 single structure, LD1R-LD4R.
 */
        .include "macros.inc"

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        /* Fill a 512-byte source buffer with bytes i * 7 + 3. */
        ldr     x19, =src_buf
        mov     x0, #0
1:      mov     w1, #7
        mul     w1, w0, w1
        add     w1, w1, #3
        strb    w1, [x19, x0]
        add     x0, x0, #1
        cmp     x0, #512
        b.lt    1b
        ldr     x20, =dst_buf

        /* single registers, every size and addressing mode */
        ldr     b0, [x19, #5]
        ldr     h1, [x19, #6]
        ldr     s2, [x19, #12]
        ldr     d3, [x19, #24]
        ldr     q4, [x19, #48]
        ldur    q5, [x19, #3]
        ldur    d6, [x19, #-0]
        mov     x1, x19
        ldr     s7, [x1, #4]!
        ldr     q8, [x1], #-3
        mov     x2, #5
        ldr     h9, [x19, x2, lsl #1]
        mov     w3, #-2
        add     x4, x19, #64
        ldr     q10, [x4, w3, sxtw #4]
        ldr     d11, [x4, w3, sxtw]
        ldr     b12, [x19, x2]
        ldr     q13, lit_q
        ldr     d14, lit_d
        ldr     s15, lit_s
        mov     x5, x1
        DUMP
        DUMPFP

        /* stores, then read back with general loads */
        str     q4, [x20]
        str     d3, [x20, #16]
        str     s2, [x20, #24]
        str     h1, [x20, #28]
        str     b0, [x20, #30]
        stur    q5, [x20, #33]
        mov     x1, x20
        str     q13, [x1, #64]!
        str     d14, [x1], #8
        mov     x2, #3
        str     s15, [x20, x2, lsl #2]
        ldp     x6, x7, [x20]
        ldp     x8, x9, [x20, #16]
        ldp     x10, x11, [x20, #32]
        ldp     x12, x13, [x20, #48]
        ldp     x14, x15, [x20, #64]
        mov     x16, x1
        DUMP

        /* pairs */
        ldp     q16, q17, [x19, #32]
        ldp     d18, d19, [x19, #-0]
        ldp     s20, s21, [x19, #8]
        mov     x1, x19
        ldp     q22, q23, [x1, #64]!
        ldp     d24, d25, [x1], #-16
        ldnp    q26, q27, [x19, #96]
        ldnp    s28, s29, [x19, #4]
        mov     x17, x1
        DUMP
        DUMPFP
        add     x1, x20, #128
        stp     q16, q17, [x1]
        stp     d18, d19, [x1, #32]!
        stp     s20, s21, [x1], #8
        stnp    q22, q23, [x1, #16]
        stnp    d24, d25, [x1, #48]
        mov     x18, x1
        add     x1, x20, #128
        ldp     x6, x7, [x1]
        ldp     x8, x9, [x1, #16]
        ldp     x10, x11, [x1, #32]
        ldp     x12, x13, [x1, #48]
        ldp     x14, x15, [x1, #64]
        ldp     x16, x17, [x1, #80]
        DUMP

        /* LD1/ST1 multiple structures */
        ld1     {v0.16b}, [x19]
        ld1     {v1.8b, v2.8b}, [x19]
        ld1     {v3.4s, v4.4s, v5.4s}, [x19]
        ld1     {v30.2d, v31.2d, v0.2d, v1.2d}, [x19]
        mov     x1, x19
        ld1     {v6.8h}, [x1], #16
        mov     x2, #5
        ld1     {v7.4h, v8.4h}, [x1], x2
        ld1     {v9.1d, v10.1d, v11.1d}, [x1], #24
        ld1     {v12.2s}, [x1]
        mov     x21, x1
        DUMP
        DUMPFP
        /* LD2/LD3/LD4 multiple structures */
        ld2     {v0.16b, v1.16b}, [x19]
        ld2     {v2.4h, v3.4h}, [x19]
        ld3     {v4.8h, v5.8h, v6.8h}, [x19]
        ld3     {v7.2s, v8.2s, v9.2s}, [x19]
        ld4     {v10.4s, v11.4s, v12.4s, v13.4s}, [x19]
        ld4     {v14.8b, v15.8b, v16.8b, v17.8b}, [x19]
        mov     x1, x19
        ld2     {v18.2d, v19.2d}, [x1], #32
        ld4     {v20.2d, v21.2d, v22.2d, v23.2d}, [x1], x2
        ld3     {v29.16b, v30.16b, v31.16b}, [x1]
        mov     x22, x1
        DUMP
        DUMPFP
        /* ST1-ST4 multiple structures, read back */
        add     x1, x20, #256
        st4     {v10.4s, v11.4s, v12.4s, v13.4s}, [x1], #64
        st3     {v4.8h, v5.8h, v6.8h}, [x1]
        add     x1, x1, #48
        st2     {v0.16b, v1.16b}, [x1], #32
        st1     {v2.4h, v3.4h}, [x1], #16
        st1     {v20.2d}, [x1]
        add     x28, x20, #256
        ldp     x0, x1, [x28], #16
        ldp     x2, x3, [x28], #16
        ldp     x4, x5, [x28], #16
        ldp     x6, x7, [x28], #16
        ldp     x8, x9, [x28], #16
        ldp     x10, x11, [x28], #16
        ldp     x12, x13, [x28], #16
        ldp     x14, x15, [x28], #16
        ldp     x16, x17, [x28], #16
        ldp     x18, x19, [x28], #16
        ldp     x20, x21, [x28], #16
        ldp     x22, x23, [x28], #16
        ldp     x24, x25, [x28], #16
        ldp     x26, x27, [x28], #16
        DUMP
        add     x28, x20, #256
        ldp     x0, x1, [x28, #224]
        ldp     x2, x3, [x28, #240]
        ldp     x4, x5, [x28, #256]
        ldp     x6, x7, [x28, #272]
        ldp     x8, x9, [x28, #288]
        ldp     x10, x11, [x28, #304]
        DUMP

        /* single structure, LDnR */
        movi    v0.16b, #0xee
        movi    v1.16b, #0xdd
        movi    v2.16b, #0xcc
        movi    v3.16b, #0xbb
        ld1     {v0.b}[15], [x19]
        ld1     {v1.h}[3], [x19]
        ld2     {v2.s, v3.s}[2], [x19]
        mov     x1, x19
        ld3     {v4.d, v5.d, v6.d}[1], [x1], #24
        ld4     {v7.b, v8.b, v9.b, v10.b}[9], [x1], x2
        ld1r    {v11.8b}, [x19]
        ld2r    {v12.8h, v13.8h}, [x19]
        ld3r    {v14.4s, v15.4s, v16.4s}, [x1], #12
        ld4r    {v17.2d, v18.2d, v19.2d, v20.2d}, [x19]
        ld1r    {v21.1d}, [x19]
        ld4r    {v22.2s, v23.2s, v24.2s, v25.2s}, [x1]
        mov     x23, x1
        DUMP
        DUMPFP
        add     x1, x20, #384
        st1     {v0.b}[15], [x1], #1
        st2     {v2.s, v3.s}[2], [x1], #8
        st3     {v14.h, v15.h, v16.h}[5], [x1]
        st4     {v17.d, v18.d, v19.d, v20.d}[1], [x1], x2
        mov     x24, x1
        add     x1, x20, #384
        ldp     x0, x1, [x1]
        add     x2, x20, #400
        ldp     x2, x3, [x2]
        add     x4, x20, #416
        ldp     x4, x5, [x4]
        DUMP
        ldp     x29, x30, [sp], #16
        ret

        .balign 16
lit_q:  .quad   0x0123456789abcdef, 0xfedcba9876543210
lit_d:  .quad   0x1122334455667788
lit_s:  .word   0x99aabbcc
        .ltorg

        .data
        .balign 16
src_buf: .space 512
dst_buf: .space 512
