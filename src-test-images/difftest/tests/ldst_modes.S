/* Loads and stores in every addressing mode: unsigned offset, unscaled, pre/post-index, register offset with
 * every extend, literal, sign-extending loads, pairs (incl. LDPSW, LDNP/STNP), unprivileged LDTR/STTR family
 * (MMU off: EL0 permissions allow everything) and prefetches. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        adr     x0, buf
        MOV64   x1, 0x8899aabbccddeeff
        MOV64   x2, 0x0123456789abcdef
        /* unsigned offset, every size */
        str     x1, [x0]
        str     w2, [x0, #8]
        strh    w2, [x0, #12]
        strb    w1, [x0, #14]
        ldr     x3, [x0]
        ldr     w4, [x0, #8]
        ldrh    w5, [x0, #12]
        ldrb    w6, [x0, #14]
        ldrsb   x7, [x0, #0]
        ldrsb   w8, [x0, #0]
        ldrsh   x9, [x0, #2]
        ldrsh   w10, [x0, #4]
        ldrsw   x11, [x0, #4]
        ldr     x12, [x0, #8]
        DUMP
        /* unscaled (LDUR/STUR), negative and misaligned offsets */
        add     x3, x0, #64
        stur    x2, [x3, #-3]
        ldur    x4, [x3, #-3]
        ldur    w5, [x3, #-1]
        ldursh  x6, [x3, #-2]
        ldursb  w7, [x3, #3]
        ldursw  x8, [x3, #1]
        sturh   w1, [x3, #5]
        ldurh   w9, [x3, #5]
        sturb   w1, [x3, #-5]
        ldurb   w10, [x3, #-5]
        DUMP
        /* pre- and post-index with writeback */
        add     x3, x0, #128
        mov     x4, x3
        str     x1, [x4, #8]!
        str     x2, [x4], #16
        ldr     x5, [x3, #8]
        ldr     w6, [x4, #-8]!
        ldrsh   x7, [x4], #-4
        ldrb    w8, [x4, #1]!
        strh    w2, [x4], #3
        ldrsw   x9, [x3, #8]!
        sub     x10, x4, x0
        sub     x11, x3, x0
        DUMP
        /* register offset: LSL, UXTW, SXTW, SXTX, with and without scaling */
        add     x3, x0, #256
        mov     x4, #2
        mov     w5, #-1                 /* 0x00000000ffffffff */
        str     x1, [x3, x4, lsl #3]
        ldr     x6, [x3, #16]
        str     w2, [x3, x4]
        ldr     w7, [x3, x4]
        mov     x8, #-8
        ldr     x9, [x3, w8, sxtw]      /* x3 - 8 */
        ldr     x10, [x3, x8, sxtx]
        add     x11, x3, #8
        ldrh    w12, [x11, w5, sxtw #1] /* x11 - 2 */
        mov     w13, #4
        ldrsb   x14, [x3, w13, uxtw]
        ldrsh   w15, [x3, x4, lsl #1]
        strb    w2, [x3, x4]
        ldrb    w16, [x3, x4]
        DUMP
        /* literal loads */
        ldr     x3, lit64
        ldr     w4, lit64
        ldrsw   x5, lit32
        ldr     w6, lit32
        prfm    pldl1keep, lit64
        DUMP
        /* pairs */
        add     x3, x0, #512
        stp     x1, x2, [x3]
        stp     w2, w1, [x3, #16]
        ldp     x4, x5, [x3]
        ldp     w6, w7, [x3, #16]
        ldpsw   x8, x9, [x3, #16]
        mov     x10, x3
        stp     x2, x1, [x10, #-16]!
        ldp     x11, x12, [x10], #32
        stnp    x1, x1, [x3, #32]
        ldnp    x13, x14, [x3, #32]
        ldpsw   x15, x16, [x10, #-16]!
        sub     x17, x10, x0
        DUMP
        /* unprivileged loads/stores (MMU off: EL0 permissions allow everything) */
        add     x3, x0, #768
        sttr    x1, [x3]
        sttrh   w2, [x3, #8]
        sttrb   w2, [x3, #11]
        sttr    w2, [x3, #12]
        ldtr    x4, [x3]
        ldtrh   w5, [x3, #8]
        ldtrb   w6, [x3, #11]
        ldtrsb  x7, [x3, #0]
        ldtrsh  w8, [x3, #6]
        ldtrsw  x9, [x3, #4]
        ldtr    w10, [x3, #12]
        ldtrsb  w11, [x3, #7]
        ldtrsh  x12, [x3, #-2]
        /* prefetches are hints */
        prfm    pldl1keep, [x3]
        prfm    pstl2strm, [x3, #8]
        prfum   pldl3keep, [x3, #-3]
        prfm    plil1keep, [x3, x4]
        DUMP
        ldp     x29, x30, [sp], #16
        ret

        .balign 8
lit64:  .quad   0xfedcba9876543210
lit32:  .word   0x87654321
        .word   0

        .data
        .balign 16
buf:    .space  1024
