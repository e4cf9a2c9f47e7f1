/* Exclusives (success, failure after CLREX or to another address, pairs), load-acquire/store-release, LDAPR,
 * the LSE atomic memory operations in every size and ordering, SWP, CAS and CASP. One PE. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        adr     x0, buf
        MOV64   x1, 0x8899aabbccddeeff
        MOV64   x2, 0x0123456789abcdef
        str     x1, [x0]
        str     x2, [x0, #8]
        /* LDXR/STXR: success, then failure after CLREX, failure to another address, retry loop */
        ldxr    x3, [x0]
        stxr    w4, x2, [x0]
        ldr     x5, [x0]
        ldxr    x6, [x0]
        clrex
        stxr    w7, x1, [x0]
        ldr     x8, [x0]
        ldaxr   w9, [x0]
        add     x21, x0, #8
        stlxr   w10, w1, [x21]
        ldr     x11, [x0, #8]
        add     x21, x0, #1
        ldxrb   w12, [x21]
        add     x21, x0, #1
        stxrb   w13, w2, [x21]
        add     x21, x0, #2
        ldxrh   w14, [x21]
        add     x21, x0, #2
        stlxrh  w15, w1, [x21]
        ldr     x16, [x0]
1:      add     x21, x0, #8
        ldaxr   x17, [x21]
        add     x17, x17, #1
        add     x21, x0, #8
        stlxr   w18, x17, [x21]
        cbnz    w18, 1b
        ldr     x19, [x0, #8]
        stxr    w20, x1, [x0]            /* no reservation left */
        DUMP
        /* exclusive pairs */
        str     x1, [x0, #16]
        str     x2, [x0, #24]
        add     x21, x0, #16
        ldxp    x3, x4, [x21]
        add     x21, x0, #16
        stxp    w5, x4, x3, [x21]
        ldp     x6, x7, [x0, #16]
        add     x21, x0, #16
        ldaxp   w8, w9, [x21]
        add     x21, x0, #16
        stlxp   w10, w9, w8, [x21]
        ldr     x11, [x0, #16]
        add     x21, x0, #24
        ldxp    w12, w13, [x21]
        clrex
        add     x21, x0, #24
        stxp    w14, w1, w2, [x21]
        ldr     x15, [x0, #24]
        DUMP
        /* load-acquire, store-release, LDAPR */
        add     x21, x0, #32
        stlr    x1, [x21]
        add     x21, x0, #40
        stlr    w2, [x21]
        add     x21, x0, #44
        stlrh   w2, [x21]
        add     x21, x0, #46
        stlrb   w1, [x21]
        add     x21, x0, #32
        ldar    x3, [x21]
        add     x21, x0, #40
        ldar    w4, [x21]
        add     x21, x0, #44
        ldarh   w5, [x21]
        add     x21, x0, #46
        ldarb   w6, [x21]
        add     x21, x0, #32
        ldapr   x7, [x21]
        add     x21, x0, #36
        ldapr   w8, [x21]
        add     x21, x0, #34
        ldaprh  w9, [x21]
        add     x21, x0, #33
        ldaprb  w10, [x21]
        DUMP
        /* LSE atomic memory operations: 64-bit with every ordering */
        add     x3, x0, #64
        str     x1, [x3]
        mov     x4, #0x1234
        ldadd   x4, x5, [x3]
        ldadda  x4, x6, [x3]
        ldaddl  x4, x7, [x3]
        ldaddal x4, x8, [x3]
        ldclr   x2, x9, [x3]
        ldeor   x1, x10, [x3]
        ldset   x2, x11, [x3]
        ldsmax  x1, x12, [x3]
        ldsmin  x2, x13, [x3]
        ldumax  x1, x14, [x3]
        ldumin  x2, x15, [x3]
        swp     x1, x16, [x3]
        swpal   x2, x17, [x3]
        stadd   x4, [x3]
        ldr     x18, [x3]
        DUMP
        /* 32-, 16- and 8-bit forms: sign handling of SMAX/SMIN, wrap-around of ADD, neighbours untouched */
        add     x3, x0, #96
        str     x1, [x3]
        str     x2, [x3, #8]
        mov     w4, #0x7fffffff
        ldadd   w4, w5, [x3]
        ldsmax  w4, w6, [x3]
        ldsmin  w4, w7, [x3]
        ldumax  w4, w8, [x3]
        add     x21, x3, #4
        ldaddh  w4, w9, [x21]
        add     x21, x3, #6
        ldsmaxh w4, w10, [x21]
        add     x21, x3, #6
        ldsminlh w4, w11, [x21]
        add     x21, x3, #8
        ldeorb  w4, w12, [x21]
        add     x21, x3, #9
        ldsetab w4, w13, [x21]
        add     x21, x3, #10
        ldclrlb w4, w14, [x21]
        add     x21, x3, #11
        ldsmaxb w4, w15, [x21]
        add     x21, x3, #12
        lduminb w4, w16, [x21]
        add     x21, x3, #14
        swph    w4, w17, [x21]
        add     x21, x3, #13
        swpb    w2, w18, [x21]
        ldr     x19, [x3]
        ldr     x20, [x3, #8]
        DUMP
        /* CAS: success and failure, every size; CASP pairs */
        add     x3, x0, #128
        str     x1, [x3]
        str     x2, [x3, #8]
        mov     x4, x1
        cas     x4, x2, [x3]             /* succeeds: x4 = old */
        mov     x5, x1
        casal   x5, x2, [x3]             /* fails: x5 = current */
        mov     w6, #0xcdef
        add     x21, x3, #8
        cash    w6, w1, [x21]         /* succeeds */
        mov     w7, #0
        add     x21, x3, #9
        casab   w7, w1, [x21]         /* fails */
        mov     w8, w2
        add     x21, x3, #10
        caslb   w8, w1, [x21]        /* compares only the low byte of w8 */
        ldr     x9, [x3]
        ldr     x10, [x3, #8]
        mov     x12, x2
        mov     x13, #0x99
        mov     x14, #0x77
        mov     x15, #0x66
        ldr     x11, [x3]
        mov     x12, x11
        ldr     x13, [x3, #8]
        caspal  x12, x13, x14, x15, [x3] /* succeeds */
        ldp     x16, x17, [x3]
        mov     w18, #0x77
        mov     w19, #1
        casp    w18, w19, w4, w5, [x3]   /* fails: the second word is 0 */
        DUMP
        ldp     x29, x30, [sp], #16
        ret

        .data
        .balign 64
buf:    .space  256
