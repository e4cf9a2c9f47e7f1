/*
 * Register dump over the UART, in a fixed text format:
 *   --- dump N
 *   x00=0123456789abcdef x01=... (four per line)
 *   nzcv=60000000
 * harness_dump_regs is entered by the DUMP macro with the caller's x29/x30 saved at [sp]; it preserves every
 * register and the flags.
 */
        .include "macros.inc"

        .text
        .global harness_dump_regs, harness_puts, harness_puthex
harness_dump_regs:
        /* frame: x0-x28 at [sp, #0..#224], nzcv at #232; the caller's x29/x30 are at [sp, #256] after this */
        sub     sp, sp, #240
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
        mov     x20, x30                /* our return address (the DUMP site) */

        adr     x0, dump_hdr
        bl      harness_puts
        adr     x1, dump_counter
        ldr     x0, [x1]
        add     x2, x0, #1
        str     x2, [x1]
        bl      harness_putdec
        mov     w0, #'\n'
        bl      harness_putc

        mov     x21, #0                 /* register number */
1:      cmp     x21, #29
        b.ge    2f
        ldr     x22, [sp, x21, lsl #3]
        b       3f
2:      sub     x0, x21, #29            /* x29, x30 from the caller's frame */
        add     x1, sp, #240
        ldr     x22, [x1, x0, lsl #3]
3:      mov     w0, #'x'
        bl      harness_putc
        mov     x0, x21
        bl      harness_put2dec
        mov     w0, #'='
        bl      harness_putc
        mov     x0, x22
        bl      harness_puthex
        add     x21, x21, #1
        and     x0, x21, #3
        mov     w1, #' '
        mov     w2, #'\n'
        cmp     x0, #0
        csel    w0, w2, w1, eq
        cmp     x21, #31
        csel    w0, w2, w0, eq
        bl      harness_putc
        cmp     x21, #31
        b.lt    1b

        adr     x0, nzcv_hdr
        bl      harness_puts
        ldr     x0, [sp, #232]
        lsr     x0, x0, #28
        bl      harness_puthex1
        adr     x0, nzcv_tail
        bl      harness_puts

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
        add     sp, sp, #240
        ret

/* harness_putc(w0): clobbers x9, x10 */
harness_putc:
        ldr     x9, =UART_BASE
1:      ldr     w10, [x9, #0x18]
        tbnz    w10, #5, 1b
        strb    w0, [x9]
        ret

/* harness_puts(x0): clobbers x0, x9-x12 */
harness_puts:
        mov     x11, x30
        mov     x12, x0
1:      ldrb    w0, [x12], #1
        cbz     w0, 2f
        bl      harness_putc
        b       1b
2:      ret     x11

/* harness_puthex(x0): 16 hex digits; clobbers x0, x9-x14 */
harness_puthex:
        mov     x11, x30
        mov     x12, x0
        mov     x13, #60
1:      lsr     x14, x12, x13
        and     x0, x14, #0xf
        bl      hexdigit
        subs    x13, x13, #4
        b.ge    1b
        ret     x11

/* harness_puthex1(x0): one hex digit */
harness_puthex1:
        mov     x11, x30
        and     x0, x0, #0xf
        bl      hexdigit
        ret     x11

hexdigit:
        cmp     x0, #10
        add     w9, w0, #'0'
        add     w10, w0, #('a' - 10)
        csel    w0, w9, w10, lt
        b       harness_putc

/* harness_put2dec(x0 < 100): two decimal digits */
harness_put2dec:
        mov     x11, x30
        mov     x12, #10
        udiv    x13, x0, x12
        msub    x14, x13, x12, x0
        add     w0, w13, #'0'
        bl      harness_putc
        add     w0, w14, #'0'
        bl      harness_putc
        ret     x11

/* harness_putdec(x0 < 10000) */
harness_putdec:
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
        bl      harness_putc
3:      mov     x9, #10
        udiv    x13, x13, x9
        cbnz    x13, 1b
        ret     x11

        .ltorg

        .section .rodata
dump_hdr:  .asciz "--- dump "
nzcv_hdr:  .asciz "nzcv="
nzcv_tail: .asciz "0000000\n"

        .data
        .balign 8
dump_counter: .quad 0
