/*
 * Scalar floating-point arithmetic, table driven: every instruction runs on every pair (or triple) of a list of
 * special and ordinary values, single and double precision, under eight FPCR settings (the four rounding modes,
 * FZ, DN and combinations). For each instruction and FPCR value the program prints an FNV-1a hash of all the
 * results and of FPSR after each one (FPSR is cleared before each operation), so NaN propagation, signed zeros,
 * flush-to-zero, default NaN and every cumulative flag are compared. Assemble with --defsym VERBOSE=1 to print
 * each result instead.
 */
        .include "macros.inc"
        .include "hash.inc"

/* Runs "insn rd, rn, rm" over all pairs of the table of \size (d or s). */
        .macro  BINOP name, size, insn
        adr     x0, name_\name
        bl      begin_op
        ldr     x19, =table_\size
        mov     x21, #0
1:      mov     x22, #0
2:      ldr     d0, [x19, x21, lsl #3]
        ldr     d1, [x19, x22, lsl #3]
        msr     fpsr, xzr
        \insn   \size\()2, \size\()0, \size\()1
        fmov    x0, d2
        HASH
        add     x22, x22, #1
        cmp     x22, #NVALUES
        b.lt    2b
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        bl      end_op
        .endm

        .macro  UNOP name, size, insn
        adr     x0, name_\name
        bl      begin_op
        ldr     x19, =table_\size
        mov     x21, #0
1:      ldr     d0, [x19, x21, lsl #3]
        msr     fpsr, xzr
        \insn   \size\()2, \size\()0
        fmov    x0, d2
        HASH
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        bl      end_op
        .endm

/* "insn rd, rn, rm, ra" over all pairs (rn, rm) and the first NADD values as ra. */
        .macro  TRIOP name, size, insn
        adr     x0, name_\name
        bl      begin_op
        ldr     x19, =table_\size
        mov     x25, #0
3:      mov     x21, #0
1:      mov     x22, #0
2:      ldr     d0, [x19, x21, lsl #3]
        ldr     d1, [x19, x22, lsl #3]
        ldr     d3, [x19, x25, lsl #3]
        msr     fpsr, xzr
        \insn   \size\()2, \size\()0, \size\()1, \size\()3
        fmov    x0, d2
        HASH
        add     x22, x22, #1
        cmp     x22, #NVALUES
        b.lt    2b
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        add     x25, x25, #1
        cmp     x25, #NADD
        b.lt    3b
        bl      end_op
        .endm

/* FCMP/FCMPE: hashes NZCV. */
        .macro  CMPOP name, size, insn
        adr     x0, name_\name
        bl      begin_op
        ldr     x19, =table_\size
        mov     x21, #0
1:      mov     x22, #0
2:      ldr     d0, [x19, x21, lsl #3]
        ldr     d1, [x19, x22, lsl #3]
        msr     fpsr, xzr
        \insn   \size\()0, \size\()1
        mrs     x0, nzcv
        HASH
        add     x22, x22, #1
        cmp     x22, #NVALUES
        b.lt    2b
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        bl      end_op
        .endm

        .equ    NVALUES, 40
        .equ    NADD, 14

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        HASH_INIT
        mov     x26, #0                 /* FPCR setting index */
mode_loop:
        adr     x0, fpcr_values
        ldr     x0, [x0, x26, lsl #3]
        msr     fpcr, x0
        .irp    sz, d, s
        BINOP   fadd_\sz, \sz, fadd
        BINOP   fsub_\sz, \sz, fsub
        BINOP   fmul_\sz, \sz, fmul
        BINOP   fdiv_\sz, \sz, fdiv
        BINOP   fmax_\sz, \sz, fmax
        BINOP   fmin_\sz, \sz, fmin
        BINOP   fmaxnm_\sz, \sz, fmaxnm
        BINOP   fminnm_\sz, \sz, fminnm
        BINOP   fnmul_\sz, \sz, fnmul
        UNOP    fsqrt_\sz, \sz, fsqrt
        UNOP    fabs_\sz, \sz, fabs
        UNOP    fneg_\sz, \sz, fneg
        UNOP    fmov_\sz, \sz, fmov
        TRIOP   fmadd_\sz, \sz, fmadd
        TRIOP   fmsub_\sz, \sz, fmsub
        TRIOP   fnmadd_\sz, \sz, fnmadd
        TRIOP   fnmsub_\sz, \sz, fnmsub
        CMPOP   fcmp_\sz, \sz, fcmp
        CMPOP   fcmpe_\sz, \sz, fcmpe
        .endr
        add     x26, x26, #1
        cmp     x26, #8
        b.lt    mode_loop
        msr     fpcr, xzr
        msr     fpsr, xzr
        ldp     x29, x30, [sp], #16
        ret

        HASH_ROUTINES

        .ltorg

        .section .rodata
        .balign 8
fpcr_values:
        .quad   0x0000000, 0x0400000, 0x0800000, 0x0c00000
        .quad   0x1000000, 0x2000000, 0x3c00000, 0x1400000

/* 40 doubles: zeros, denormals, normals near the edges, ordinary values, infinities, quiet and signalling NaNs. */
table_d:
        .quad   0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff
        .quad   0x0010000000000000, 0x8010000000000001, 0x3ff0000000000000, 0xbff0000000000000
        .quad   0x3ff8000000000000, 0x4000000000000000, 0x4008000000000000, 0x3fb999999999999a
        .quad   0xbfd5555555555555, 0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000
        .quad   0xfff0000000000000, 0x7ff8000000000001, 0xfff8000000000abc, 0x7ff0000000000005
        .quad   0xfff0000000000def, 0x3ff0000000000001, 0x3fefffffffffffff, 0x0018000000000000
        .quad   0x7e70000000000000, 0x0170000000000000, 0x40c81cd6c8b43958, 0xc01d000000000000
        .quad   0x0000000000000003, 0x8008000000000000, 0x4340000000000000, 0x43e0000000000000
        .quad   0xc3e0000000000000, 0x41e0000000000000, 0x3fe0000000000000, 0xc004000000000000
        .quad   0x000fffffffffffff, 0x3cb0000000000000, 0x4330000000000001, 0x7fe0000000000000
/* 40 singles (in the low half of each doubleword), same kinds of values. */
table_s:
        .quad   0x00000000, 0x80000000, 0x00000001, 0x807fffff
        .quad   0x00800000, 0x80800001, 0x3f800000, 0xbf800000
        .quad   0x3fc00000, 0x40000000, 0x40400000, 0x3dcccccd
        .quad   0xbeaaaaab, 0x7f7fffff, 0xff7fffff, 0x7f800000
        .quad   0xff800000, 0x7fc00001, 0xffc00abc, 0x7f800005
        .quad   0xff800def, 0x3f800001, 0x3f7fffff, 0x00c00000
        .quad   0x7e800000, 0x01000000, 0x4640e6b7, 0xc0e80000
        .quad   0x00000003, 0x80400000, 0x4b800000, 0x5f000000
        .quad   0xdf000000, 0x4f000000, 0x3f000000, 0xc0200000
        .quad   0x007fffff, 0x33800000, 0x4b000001, 0x7f000000

        .irp    op, fadd, fsub, fmul, fdiv, fmax, fmin, fmaxnm, fminnm, fnmul, fsqrt, fabs, fneg, fmov, fmadd, fmsub, fnmadd, fnmsub, fcmp, fcmpe
        OPNAME  \op, d
        OPNAME  \op, s
        .endr
