/* CRC32 and CRC32C in every width, chained as software uses them. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        MOV64   x0, 0x0123456789abcdef
        MOV64   x1, 0xfedcba9876543210
        mov     w2, #-1
        crc32b  w3, w2, w0
        crc32h  w4, w2, w0
        crc32w  w5, w2, w0
        crc32x  w6, w2, x0
        crc32cb w7, w2, w0
        crc32ch w8, w2, w0
        crc32cw w9, w2, w0
        crc32cx w10, w2, x0
        crc32x  w11, wzr, x1
        crc32cx w12, wzr, x1
        crc32b  w13, w1, w1
        crc32ch w14, w0, w1
        DUMP
        /* CRC-32 of "123456789" is 0xcbf43926 (with the usual inversions); CRC-32C is 0xe3069283 */
        adr     x3, check
        mov     w4, #-1
        mov     w5, #-1
        mov     x6, #9
1:      ldrb    w7, [x3], #1
        crc32b  w4, w4, w7
        crc32cb w5, w5, w7
        subs    x6, x6, #1
        b.ne    1b
        mvn     w4, w4
        mvn     w5, w5
        /* the same with wider steps */
        adr     x3, check
        mov     w8, #-1
        ldr     x9, [x3]
        crc32x  w8, w8, x9
        ldrb    w9, [x3, #8]
        crc32b  w8, w8, w9
        mvn     w8, w8
        mov     w10, #-1
        ldr     w9, [x3]
        crc32cw w10, w10, w9
        ldrh    w9, [x3, #4]
        crc32ch w10, w10, w9
        ldrh    w9, [x3, #6]
        crc32ch w10, w10, w9
        ldrb    w9, [x3, #8]
        crc32cb w10, w10, w9
        mvn     w10, w10
        DUMP
        ldp     x29, x30, [sp], #16
        ret
check:  .ascii  "123456789"
        .balign 4
