/* Exception syndromes: undefined encodings, SVC/BRK immediates, system register accesses that are UNDEFINED at
 * EL1, alignment faults (exclusives always; any access with SCTLR_EL1.A), PC alignment, and EL0's traps to EL1
 * (CTR_EL0 without UCT, DAIF without UMA, DC ZVA without DZE, cache maintenance without UCI, WFI without nTWI,
 * EL1 registers, TPIDRRO_EL0 writes, SVC from EL0). Each provoked exception is recorded by trap.inc and copied
 * into x0-x21, then dumped. */
        .arch   armv8.3-a+crc+lse+rcpc
        .include "macros.inc"
        .include "trap.inc"
        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        INSTALL_TRAPS
        CLEAR_TRAP
        /* undefined and exception-generating instructions */
        udf     #0x42
        mov     x0, x26
        mov     x1, x28
        .inst   0xd5300000              /* MRS with op0=2, op1=0, CRn=0: unallocated */
        mov     x2, x26
        .inst   0xd51800a0              /* MSR MIDR_EL1 (read-only) */
        mov     x3, x26
        mrs     x4, hcr_el2             /* EL2 register at EL1 */
        mov     x4, x26
        msr     scr_el3, x4             /* EL3 register at EL1 */
        mov     x5, x26
        svc     #0x1234
        mov     x6, x26
        mov     x7, x25
        brk     #0x77
        mov     x8, x26
        mov     x9, x28
        hlt     #0x5
        mov     x10, x26
        .inst   0x9ac00c00              /* data-processing (2 source) opcode 000011 with sf=1: SDIV ok */
        .inst   0x1ac03000              /* opcode 001100: unallocated */
        mov     x11, x26
        .inst   0xdac00c00              /* REV with sf=1 opc=11 ok */
        .inst   0x5ac00c00              /* REV (64-bit) opcode with sf=0: unallocated */
        mov     x12, x26
        .inst   0xf9c00000              /* LDRSW-like unsigned offset with size=3 opc=3: unallocated */
        mov     x13, x26
        .inst   0x38e08000              /* atomic memory op o3=1 opc=000 -> SWP? no: A=1 R=1 SWPALB */
        mov     x14, x22
        DUMP
        /* alignment */
        CLEAR_TRAP
        adr     x0, buf
        add     x1, x0, #3
        ldxr    w2, [x1]
        mov     x2, x26
        mov     x3, x27
        sub     x3, x3, x0
        /* A misaligned STXR is not tested: the Arm ARM's ExclusiveMonitorsPass() reports the alignment fault as a
         * write (WnR = 1), QEMU as a read. */
        add     x4, x0, #4
        mov     x5, #0
        add     x6, x0, #8
        ldxp    x7, x8, [x6]            /* pair of doublewords needs 16-byte alignment */
        mov     x7, x26
        mrs     x8, sctlr_el1
        orr     x9, x8, #2              /* SCTLR_EL1.A */
        msr     sctlr_el1, x9
        isb
        ldr     w10, [x0, #4]           /* aligned: fine */
        ldr     x10, [x0, #4]           /* misaligned doubleword */
        mov     x10, x26
        str     w10, [x0, #2]
        mov     x11, x26
        add     x12, x0, #6
        ldp     w12, w13, [x12]
        mov     x12, x26
        msr     sctlr_el1, x8
        isb
        ldr     x13, [x0, #4]           /* misaligned again allowed */
        adr     x14, 1f
        add     x14, x14, #2
        adr     x30, 1f
        ret     x14                     /* PC alignment fault; comes back (RET: no BTYPE, unlike BLR with BTI) */
1:      mov     x14, x26
        mov     x15, x27
        adr     x16, 1b
        sub     x15, x15, x16
        DUMP
        /* EL0: traps to EL1 */
        CLEAR_TRAP
        adr     x0, el0_stack_top
        msr     sp_el0, x0
        adr     x0, el0_code
        msr     elr_el1, x0
        msr     spsr_el1, xzr           /* EL0t, interrupts unmasked (none pending) */
        adr     x23, el0_done
        isb
        eret
el0_done:
        DUMP
        ldp     x29, x30, [sp], #16
        ret

el0_code:
        mrs     x0, ctr_el0
        mov     x0, x26
        mrs     x1, daif
        mov     x1, x26
        /* MSR DAIFSet at EL0 is not tested: QEMU reports its Op1 and Op2 swapped in the ISS */
        mov     x2, #0
        adr     x3, buf
        dc      zva, x3
        mov     x3, x26
        adr     x4, buf
        dc      civac, x4
        mov     x4, x26
        ic      ivau, x4
        mov     x5, x26
        /* WFI at EL0 is not tested: it traps only if it would suspend, and QEMU suspends without trapping */
        mov     x6, #0
        mrs     x7, sctlr_el1
        mov     x7, x26
        msr     tpidrro_el0, x7
        mov     x8, x26
        mrs     x9, dczid_el0
        mrs     x10, nzcv
        svc     #0x55
        mov     x11, x26
        mov     x12, x25
        mov     x13, x22
        msr     daif, x2                /* trapped too */
        mov     x14, x26
        svc     #0x99                   /* back to EL1 at x23 */

        .data
        .balign 16
buf:    .space  64
        .balign 16
el0_stack:
        .space  1024
el0_stack_top:
        .text
        TRAP_VECTORS
