/* System register moves: read/write storage registers, PSTATE views (NZCV, DAIF, SPSel, PAN, CurrentEL), the OS
 * lock, RAZ ID-space encodings, DCZID_EL0 and DC ZVA, MPIDR_EL1. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        MOV64   x0, 0x0123456789abcdef
        MOV64   x1, 0xfedcba9876543210
        msr     tpidr_el0, x0
        msr     tpidrro_el0, x1
        msr     tpidr_el1, x1
        mov     w2, #0x1234
        msr     contextidr_el1, x2
        MOV64   x3, 0x44ff04000cbb00ff
        msr     mair_el1, x3
        msr     elr_el1, x0
        mov     x4, #0x3c5
        msr     spsr_el1, x4
        msr     far_el1, x1
        MOV64   x5, 0x96000045
        msr     esr_el1, x5
        msr     sp_el0, x0
        mrs     x6, tpidr_el0
        mrs     x7, tpidrro_el0
        mrs     x8, tpidr_el1
        mrs     x9, contextidr_el1
        mrs     x10, mair_el1
        mrs     x11, elr_el1
        mrs     x12, spsr_el1
        mrs     x13, far_el1
        mrs     x14, esr_el1
        mrs     x15, sp_el0
        mrs     x16, mpidr_el1
        mrs     x17, dczid_el0
        mrs     x18, s3_0_c0_c7_7       /* unallocated ID space: RAZ */
        mrs     x19, s3_0_c0_c4_6
        DUMP
        /* PSTATE views */
        mov     x0, #0xa0000000
        msr     nzcv, x0
        mrs     x1, nzcv
        msr     daifclr, #0xf
        mrs     x2, daif
        msr     daifset, #0x5
        mrs     x3, daif
        mov     x4, #0x100
        msr     daif, x4
        mrs     x5, daif
        msr     daifset, #0xf
        mrs     x6, currentel
        mrs     x7, spsel
        mov     x20, sp
        msr     spsel, #0
        mov     x8, sp                  /* SP_EL0 now */
        mrs     x9, spsel
        msr     spsel, #1
        mov     x10, sp
        sub     x10, x10, x20
        msr     pan, #1
        mrs     x11, pan
        msr     pan, #0
        mrs     x12, pan
        mov     x13, #0x400000
        msr     pan, x13
        mrs     x14, pan
        msr     pan, xzr
        DUMP
        /* OS lock and double lock */
        mrs     x0, oslsr_el1
        msr     oslar_el1, xzr
        mrs     x1, oslsr_el1
        mov     x2, #1
        msr     oslar_el1, x2
        mrs     x3, oslsr_el1
        msr     oslar_el1, xzr
        msr     osdlr_el1, xzr
        mrs     x4, osdlr_el1
        mrs     x5, mdscr_el1
        mov     x6, #0x1000
        msr     mdscr_el1, x6
        mrs     x7, mdscr_el1
        msr     mdscr_el1, xzr
        DUMP
        /* DC ZVA zeroes a 64-byte aligned block (DCZID_EL0.BS = 4) */
        adr     x0, zbuf
        mov     x1, #-1
        mov     x2, #0
1:      str     x1, [x0, x2]
        add     x2, x2, #8
        cmp     x2, #192
        b.lt    1b
        add     x3, x0, #64 + 24
        dc      zva, x3
        ldr     x4, [x0, #56]
        ldr     x5, [x0, #64]
        ldr     x6, [x0, #120]
        ldr     x7, [x0, #128]
        dc      civac, x0
        dc      cvac, x0
        dc      cvau, x0
        dc      ivac, x0
        ic      ivau, x0
        ic      iallu
        ic      ialluis
        dsb     sy
        isb
        ldr     x8, [x0, #64]
        DUMP
        ldp     x29, x30, [sp], #16
        ret

        .data
        .balign 64
zbuf:   .space  192
