/*
 * Floating-point conversions, table driven (see common/hash.inc): FCVT{N,P,M,Z,A}{S,U} to W and X registers
 * (saturation, NaN to zero, IOC/IXC), FCVTZS/FCVTZU and SCVTF/UCVTF with fixed-point fraction bits, SCVTF/UCVTF
 * from W and X, FCVT between half, single and double precision (with FPCR.AHP and FPCR.DN), and FRINTN/P/M/Z/A/X/I,
 * under several FPCR settings.
 */
        .include "macros.inc"
        .include "hash.inc"

/* begin_op with an inline name string. */
        .macro  BEGIN name
        adr     x0, 8f
        bl      begin_op
        b       9f
8:      .asciz  "\name"
        .balign 4
9:
        .endm

/* "insn \dst\()0, \src\()0[, #fb]" over the FP table of \tsz; the integer result is in x0. */
        .macro  TOINT name, tsz, insn, dst, src, fb
        BEGIN   \name
        ldr     x19, =table_\tsz
        mov     x21, #0
1:      ldr     d0, [x19, x21, lsl #3]
        msr     fpsr, xzr
        .ifb    \fb
        \insn   \dst\()0, \src\()0
        .else
        \insn   \dst\()0, \src\()0, #\fb
        .endif
        HASH
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        bl      end_op
        .endm

/* "insn \dst\()0, \src\()0[, #fb]" over the integer table. */
        .macro  FROMINT name, insn, dst, src, fb
        BEGIN   \name
        ldr     x19, =table_int
        mov     x21, #0
1:      ldr     x0, [x19, x21, lsl #3]
        msr     fpsr, xzr
        .ifb    \fb
        \insn   \dst\()0, \src\()0
        .else
        \insn   \dst\()0, \src\()0, #\fb
        .endif
        fmov    x0, d0
        HASH
        add     x21, x21, #1
        cmp     x21, #NINTS
        b.lt    1b
        bl      end_op
        .endm

/* "insn \dst\()1, \src\()0" (FCVT, FRINT*) over the FP table of \tsz. */
        .macro  FPFP name, tsz, insn, dst, src
        BEGIN   \name
        ldr     x19, =table_\tsz
        mov     x21, #0
1:      ldr     d0, [x19, x21, lsl #3]
        msr     fpsr, xzr
        \insn   \dst\()1, \src\()0
        fmov    x0, d1
        HASH
        add     x21, x21, #1
        cmp     x21, #NVALUES
        b.lt    1b
        bl      end_op
        .endm

/* Every conversion of one precision (d or s). */
        .macro  CONVERSIONS sz
        .irp    insn, fcvtns, fcvtnu, fcvtps, fcvtpu, fcvtms, fcvtmu, fcvtzs, fcvtzu, fcvtas, fcvtau
        TOINT   \insn.x.\sz, \sz, \insn, x, \sz
        TOINT   \insn.w.\sz, \sz, \insn, w, \sz
        .endr
        .irp    fb, 1, 8, 31, 32
        TOINT   fcvtzs.w.\sz.\fb, \sz, fcvtzs, w, \sz, \fb
        TOINT   fcvtzu.w.\sz.\fb, \sz, fcvtzu, w, \sz, \fb
        .endr
        .irp    fb, 1, 16, 52, 63, 64
        TOINT   fcvtzs.x.\sz.\fb, \sz, fcvtzs, x, \sz, \fb
        TOINT   fcvtzu.x.\sz.\fb, \sz, fcvtzu, x, \sz, \fb
        .endr
        FROMINT scvtf.\sz.x, scvtf, \sz, x
        FROMINT ucvtf.\sz.x, ucvtf, \sz, x
        FROMINT scvtf.\sz.w, scvtf, \sz, w
        FROMINT ucvtf.\sz.w, ucvtf, \sz, w
        .irp    fb, 1, 20, 32
        FROMINT scvtf.\sz.w.\fb, scvtf, \sz, w, \fb
        FROMINT ucvtf.\sz.w.\fb, ucvtf, \sz, w, \fb
        .endr
        .irp    fb, 1, 40, 64
        FROMINT scvtf.\sz.x.\fb, scvtf, \sz, x, \fb
        FROMINT ucvtf.\sz.x.\fb, ucvtf, \sz, x, \fb
        .endr
        .irp    insn, frintn, frintp, frintm, frintz, frinta, frintx, frinti
        FPFP    \insn.\sz, \sz, \insn, \sz, \sz
        .endr
        .endm

        .equ    NVALUES, 40
        .equ    NINTS, 32
        .equ    NMODES, 8

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        HASH_INIT
        mov     x26, #0
mode_loop:
        adr     x0, fpcr_values
        ldr     x0, [x0, x26, lsl #3]
        msr     fpcr, x0
        CONVERSIONS d
        CONVERSIONS s
        FPFP    fcvt.s.d, d, fcvt, s, d
        FPFP    fcvt.h.d, d, fcvt, h, d
        FPFP    fcvt.d.s, s, fcvt, d, s
        FPFP    fcvt.h.s, s, fcvt, h, s
        FPFP    fcvt.s.h, h, fcvt, s, h
        FPFP    fcvt.d.h, h, fcvt, d, h
        add     x26, x26, #1
        cmp     x26, #NMODES
        b.lt    mode_loop
        msr     fpcr, xzr
        msr     fpsr, xzr
        ldp     x29, x30, [sp], #16
        ret

        HASH_ROUTINES

        .section .rodata
        .balign 8
fpcr_values:
        .quad   0x0000000, 0x0400000, 0x0800000, 0x0c00000
        .quad   0x1000000, 0x2000000, 0x4000000, 0x7000000

table_d:
        .quad   0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff
        .quad   0x0010000000000000, 0x3fe0000000000000, 0x3ff0000000000000, 0xbff0000000000000
        .quad   0x3ff8000000000000, 0xbff8000000000000, 0x4004000000000000, 0xc004000000000000
        .quad   0x3fe0000000000001, 0x3fdfffffffffffff, 0x41dfffffffc00000, 0x41dfffffffe00000
        .quad   0xc1e0000000000000, 0xc1e0000000100000, 0x41efffffffe00000, 0x41f0000000000000
        .quad   0x43dfffffffffffff, 0x43e0000000000000, 0xc3e0000000000000, 0xc3e0000000000001
        .quad   0x43efffffffffffff, 0x43f0000000000000, 0x7ff0000000000000, 0xfff0000000000000
        .quad   0x7ff8000000000001, 0xfff0000000000def, 0x40f869f000000000, 0x3f1a36e2eb1c432d
        .quad   0x47efffffe0000000, 0x47effffff0000000, 0x3810000000000000, 0x380fffffffffffff
        .quad   0x40effe0000000000, 0x40effc0000000000, 0x3e70000000000000, 0x3e6ff80000000000
table_s:
        .quad   0x00000000, 0x80000000, 0x00000001, 0x807fffff
        .quad   0x00800000, 0x3f000000, 0x3f800000, 0xbf800000
        .quad   0x3fc00000, 0xbfc00000, 0x40200000, 0xc0200000
        .quad   0x3f000001, 0x3effffff, 0x4effffff, 0x4f000000
        .quad   0xcf000000, 0xcf000001, 0x4f7fffff, 0x4f800000
        .quad   0x5effffff, 0x5f000000, 0xdf000000, 0xdf000001
        .quad   0x5f7fffff, 0x5f800000, 0x7f800000, 0xff800000
        .quad   0x7fc00001, 0xff800def, 0x47c34f80, 0x38d1b717
        .quad   0x477ff000, 0x477fe000, 0x38800000, 0x387fc000
        .quad   0x337fffff, 0x33800000, 0x4b000001, 0x7f7fffff
table_h:
        .quad   0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x3800, 0x3c00, 0xbc00
        .quad   0x3e00, 0xbe00, 0x4100, 0xc100, 0x3801, 0x37ff, 0x7bff, 0xfbff
        .quad   0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe55, 0x7d00, 0x5640, 0x1234
        .quad   0x7fff, 0xffff, 0x7c10, 0x0200, 0x03ff, 0x0401, 0x3555, 0xc000
        .quad   0x5bff, 0x6000, 0x1001, 0x4248, 0x7400, 0x8001, 0x7a00, 0x2e66
table_int:
        .quad   0, 1, -1, 2, 3, 5, 0x7fffffff, -0x80000000
        .quad   0xffffffff, 0x80000001, 0x00ffffff, 0x01000001, 0x01000003, 0x1fffffffffffff, 0x20000000000001, 0x20000000000003
        .quad   0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x8000000000000001, 0x123456789abcdef0, 0xfedcba9876543210, 0x7fffff80ffffffff, 0x0000000100000001
        .quad   0xffffff80, 0x7fffffc0, 0x80000040, 0xfffffffe00000001, 0x400000000000003f, 0x0000000080000000, -1000, 12345

