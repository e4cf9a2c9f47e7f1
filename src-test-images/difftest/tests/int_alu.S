/* Integer data processing: add/sub with flags, logical, shifts, bitfields, multiply/divide, conditional ops. */
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        MOV64   x0, 0x0123456789abcdef
        MOV64   x1, 0xfedcba9876543210
        MOV64   x2, 0x8000000000000000
        mov     x3, #-1
        adds    x4, x0, x1
        adcs    x5, x2, x2
        subs    x6, x0, x1
        sbcs    x7, x1, x0
        adds    w8, w3, #1
        subs    w9, w2, #1
        cmn     x3, #1
        DUMP
        and     x4, x0, x1
        orr     x5, x0, x1, lsl #4
        eor     x6, x0, x1, asr #3
        bic     x7, x0, x1, ror #7
        orn     w8, w0, w1, lsr #2
        eon     x9, x0, x1
        ands    x10, x0, #0xff00ff00ff00ff00
        bics    w11, w1, w0
        tst     x2, #0x8000000000000000
        DUMP
        lsl     x4, x0, #13
        lsr     x5, x1, #7
        asr     x6, x1, #9
        ror     x7, x0, #17
        lslv    x8, x0, x3
        lsrv    w9, w1, w0
        asrv    x10, x2, x0
        rorv    w11, w0, w1
        ubfx    x12, x0, #4, #12
        sbfx    x13, x1, #60, #4
        bfi     x14, x0, #8, #16
        bfxil   x15, x1, #20, #10
        sxtb    x16, w1
        uxth    w17, w0
        sxtw    x18, w1
        extr    x19, x0, x1, #24
        DUMP
        mul     x4, x0, x1
        madd    x5, x0, x1, x2
        msub    w6, w0, w1, w2
        smulh   x7, x0, x1
        umulh   x8, x0, x1
        smaddl  x9, w0, w1, x2
        umsubl  x10, w0, w1, x2
        udiv    x11, x1, x0
        sdiv    x12, x1, x0
        sdiv    x13, x2, x3
        udiv    w14, w0, wzr
        DUMP
        cmp     x0, x1
        csel    x4, x0, x1, lt
        csinc   x5, x0, x1, ge
        csinv   w6, w0, w1, hi
        csneg   x7, x0, x1, ls
        cset    x8, mi
        ccmp    x0, x1, #4, ne
        cset    x9, eq
        ccmn    w0, #5, #2, eq
        cset    w10, cs
        clz     x11, x0
        cls     w12, w1
        rbit    x13, x0
        rev16   w14, w0
        rev32   x15, x1
        rev     x16, x0
        adr     x17, .
        adrp    x18, .
        DUMP
        ldp     x29, x30, [sp], #16
        ret
