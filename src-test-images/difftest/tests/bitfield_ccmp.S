/* Bitfield and extract edge cases (full-width, zero-width rotations, 32-bit forms clearing the top half) and
 * conditional compare / select under every condition code. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        MOV64   x0, 0x8123456789abcdef
        MOV64   x1, 0x7edcba9876543210
        sbfm    x2, x0, #0, #63
        ubfm    x3, x0, #63, #62        /* lsl #1 */
        sbfm    x4, x0, #63, #63        /* sign of bit 63 */
        ubfm    w5, w0, #31, #31
        sbfm    w6, w0, #31, #30        /* lsl w #1 */
        bfm     x7, x1, #60, #3         /* bfi x7, x1, #4, #4 */
        mov     x8, x0
        bfm     x8, x1, #0, #63         /* full copy */
        mov     x9, x1
        bfm     w9, w0, #16, #7         /* bfi w9, w0, #16, #8: upper half cleared */
        sbfiz   x10, x0, #60, #4
        ubfiz   w11, w1, #31, #1
        sbfx    w12, w0, #31, #1
        ubfx    x13, x1, #1, #63
        extr    x14, x0, x1, #0
        extr    x15, x0, x1, #63
        extr    w16, w0, w1, #31
        extr    w17, w1, w1, #16        /* ror w */
        sxth    w18, w1
        uxtb    w19, w0
        asr     w20, w0, #31
        lsr     w21, w1, #0
        DUMP
        /* every condition, after flags from different comparisons */
        .irp c, eq,ne,cs,cc,mi,pl,vs,vc,hi,ls,ge,lt,gt,le
        cmp     x0, x1
        cset    w2, \c
        cmp     w1, w0
        cset    w3, \c
        cmn     x0, x0
        cset    w4, \c
        subs    x5, x1, x1
        cset    w5, \c
        ccmp    x0, #31, #0xf, \c
        mrs     x6, nzcv
        ccmn    w1, w0, #0x5, \c
        mrs     x7, nzcv
        cmp     x1, x0
        ccmp    x1, x0, #0x0, \c
        mrs     x8, nzcv
        csinc   x9, x0, x1, \c
        csinv   w10, w0, w1, \c
        csneg   x11, x0, x1, \c
        cinc    x12, x0, \c
        cneg    w13, w1, \c
        lsr     x6, x6, #28
        lsr     x7, x7, #28
        lsr     x8, x8, #28
        orr     x14, x2, x3, lsl #4
        orr     x14, x14, x4, lsl #8
        orr     x14, x14, x5, lsl #12
        orr     x14, x14, x6, lsl #16
        orr     x14, x14, x7, lsl #20
        orr     x14, x14, x8, lsl #24
        DUMP
        .endr
        /* AL and NV both mean "always" for CCMP and CSEL */
        cmp     x0, x1
        ccmp    x0, x0, #0x2, al
        mrs     x2, nzcv
        ccmn    x0, x1, #0x2, nv
        mrs     x3, nzcv
        csel    x4, x0, x1, al
        csinc   x5, x1, x0, nv
        csneg   w6, w0, w1, nv
        DUMP
        ldp     x29, x30, [sp], #16
        ret
