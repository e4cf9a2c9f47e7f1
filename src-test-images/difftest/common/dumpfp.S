/*
 * SIMD&FP register dump over the UART, in a fixed text format:
 *   --- fpdump N
 *   v00=<32 hex digits> v01=<32 hex digits>      (v0-v31 as 128-bit values, two per line)
 *   fpsr=xxxxxxxx fpcr=xxxxxxxx
 * harness_dump_fp is entered by the DUMPFP macro with the caller's x29/x30 saved at [sp]; it preserves every
 * register and the flags, and only reads the SIMD&FP registers, FPSR and FPCR. Self-contained (its own output
 * helpers and counter) so that build.sh can link it only into the programs that use it.
 */
        .include "macros.inc"

        .text
        .global harness_dump_fp
harness_dump_fp:
        /* frame: x0-x28 at #0..#224, nzcv at #232, q0-q31 at #240..#751, fpsr at #752, fpcr at #760 */
        sub     sp, sp, #768
        stp     x0, x1, [sp, #0]
        stp     x2, x3, [sp, #16]
        stp     x4, x5, [sp, #32]
        stp     x6, x7, [sp, #48]
        stp     x8, x9, [sp, #64]
        stp     x10, x11, [sp, #80]
        stp     x12, x13, [sp, #96]
        stp     x14, x15, [sp, #112]
        stp     x16, x17, [sp, #128]
        stp     x18, x19, [sp, #144]
        stp     x20, x21, [sp, #160]
        stp     x22, x23, [sp, #176]
        stp     x24, x25, [sp, #192]
        stp     x26, x27, [sp, #208]
        str     x28, [sp, #224]
        mrs     x0, nzcv
        str     x0, [sp, #232]
        stp     q0, q1, [sp, #240]
        stp     q2, q3, [sp, #272]
        stp     q4, q5, [sp, #304]
        stp     q6, q7, [sp, #336]
        stp     q8, q9, [sp, #368]
        stp     q10, q11, [sp, #400]
        stp     q12, q13, [sp, #432]
        stp     q14, q15, [sp, #464]
        stp     q16, q17, [sp, #496]
        stp     q18, q19, [sp, #528]
        stp     q20, q21, [sp, #560]
        stp     q22, q23, [sp, #592]
        stp     q24, q25, [sp, #624]
        stp     q26, q27, [sp, #656]
        stp     q28, q29, [sp, #688]
        stp     q30, q31, [sp, #720]
        mrs     x0, fpsr
        str     x0, [sp, #752]
        mrs     x0, fpcr
        str     x0, [sp, #760]
        mov     x20, x30

        adr     x0, fpdump_hdr
        bl      fp_puts
        adr     x1, fpdump_counter
        ldr     x0, [x1]
        add     x2, x0, #1
        str     x2, [x1]
        bl      fp_putdec
        mov     w0, #'\n'
        bl      fp_putc

        mov     x21, #0                 /* register number */
        add     x23, sp, #240
1:      mov     w0, #'v'
        bl      fp_putc
        mov     x0, x21
        bl      fp_put2dec
        mov     w0, #'='
        bl      fp_putc
        add     x22, x23, x21, lsl #4
        ldr     x0, [x22, #8]
        mov     x1, #60
        bl      fp_puthex
        ldr     x0, [x22]
        mov     x1, #60
        bl      fp_puthex
        add     x21, x21, #1
        tst     x21, #1
        mov     w1, #' '
        mov     w2, #'\n'
        csel    w0, w2, w1, eq
        bl      fp_putc
        cmp     x21, #32
        b.lt    1b

        adr     x0, fpsr_hdr
        bl      fp_puts
        ldr     x0, [sp, #752]
        mov     x1, #28
        bl      fp_puthex
        adr     x0, fpcr_hdr
        bl      fp_puts
        ldr     x0, [sp, #760]
        mov     x1, #28
        bl      fp_puthex
        mov     w0, #'\n'
        bl      fp_putc

        mov     x30, x20
        ldr     x0, [sp, #232]
        msr     nzcv, x0
        ldp     x0, x1, [sp, #0]
        ldp     x2, x3, [sp, #16]
        ldp     x4, x5, [sp, #32]
        ldp     x6, x7, [sp, #48]
        ldp     x8, x9, [sp, #64]
        ldp     x10, x11, [sp, #80]
        ldp     x12, x13, [sp, #96]
        ldp     x14, x15, [sp, #112]
        ldp     x16, x17, [sp, #128]
        ldp     x18, x19, [sp, #144]
        ldp     x20, x21, [sp, #160]
        ldp     x22, x23, [sp, #176]
        ldp     x24, x25, [sp, #192]
        ldp     x26, x27, [sp, #208]
        ldr     x28, [sp, #224]
        add     sp, sp, #768
        ret

/* fp_putc(w0): clobbers x9, x10 */
fp_putc:
        ldr     x9, =UART_BASE
1:      ldr     w10, [x9, #0x18]
        tbnz    w10, #5, 1b
        strb    w0, [x9]
        ret

/* fp_puts(x0): clobbers x0, x9-x12 */
fp_puts:
        mov     x11, x30
        mov     x12, x0
1:      ldrb    w0, [x12], #1
        cbz     w0, 2f
        bl      fp_putc
        b       1b
2:      ret     x11

/* fp_puthex(x0, x1 = 4 * (digits - 1)): hex digits from bit x1+3 down; clobbers x0, x9-x14 */
fp_puthex:
        mov     x11, x30
        mov     x12, x0
        mov     x13, x1
1:      lsr     x14, x12, x13
        and     x0, x14, #0xf
        cmp     x0, #10
        add     w9, w0, #'0'
        add     w10, w0, #('a' - 10)
        csel    w0, w9, w10, lt
        bl      fp_putc
        subs    x13, x13, #4
        b.ge    1b
        ret     x11

/* fp_put2dec(x0 < 100): two decimal digits */
fp_put2dec:
        mov     x11, x30
        mov     x12, #10
        udiv    x13, x0, x12
        msub    x14, x13, x12, x0
        add     w0, w13, #'0'
        bl      fp_putc
        add     w0, w14, #'0'
        bl      fp_putc
        ret     x11

/* fp_putdec(x0 < 10000) */
fp_putdec:
        mov     x11, x30
        mov     x12, x0
        mov     x13, #1000
        mov     x15, #0
1:      udiv    x14, x12, x13
        msub    x12, x14, x13, x12
        cbnz    x14, 2f
        cbnz    x15, 2f
        cmp     x13, #1
        b.ne    3f
2:      add     w0, w14, #'0'
        mov     x15, #1
        bl      fp_putc
3:      mov     x9, #10
        udiv    x13, x13, x9
        cbnz    x13, 1b
        ret     x11

        .ltorg

fpdump_hdr: .asciz "--- fpdump "
fpsr_hdr:   .asciz "fpsr="
fpcr_hdr:   .asciz " fpcr="
        .balign 8
fpdump_counter: .quad 0
