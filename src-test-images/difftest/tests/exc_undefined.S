/* An undefined instruction: the harness prints the exception syndrome (EC 0, IL 1) and powers off. */
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        mov     x0, #7
        DUMP
        udf     #0x1234
        ldp     x29, x30, [sp], #16
        ret
