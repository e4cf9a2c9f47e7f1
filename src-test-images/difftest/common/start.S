/*
 * Differential-test harness: entry, exception reporting and power-off.
 *
 * Runs identically under qemu-system-aarch64 -M virt (EL1, PSCI over HVC) and under the emulator's bare
 * machine harness. Every register starts at zero; test_main runs with a stack; any unexpected exception prints
 * its syndrome and powers off, so exception behaviour is part of what is compared.
 */
        .include "macros.inc"

        .text
        .global _start
_start:
        ldr     x0, =stack_top
        mov     sp, x0
        adr     x0, vectors
        msr     vbar_el1, x0
        mov     x0, #(3 << 20)          /* CPACR_EL1.FPEN: FP/SIMD do not trap */
        msr     cpacr_el1, x0
        isb
        msr     nzcv, xzr
        .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
        mov     x\r, xzr
        .endr
        bl      test_main
        adr     x0, msg_done
        bl      harness_puts
power_off:
        ldr     x0, =0x84000008         /* PSCI SYSTEM_OFF */
        hvc     #0
        b       .

/* Unexpected exception: print the class, ESR, ELR, FAR and SPSR, then power off. */
report_exception:
        mov     x19, x0
        adr     x0, msg_exc
        bl      harness_puts
        mov     x0, x19
        bl      harness_puthex
        adr     x0, msg_esr
        bl      harness_puts
        mrs     x0, esr_el1
        bl      harness_puthex
        adr     x0, msg_elr
        bl      harness_puts
        mrs     x0, elr_el1
        bl      harness_puthex
        adr     x0, msg_far
        bl      harness_puts
        mrs     x0, far_el1
        bl      harness_puthex
        adr     x0, msg_spsr
        bl      harness_puts
        mrs     x0, spsr_el1
        bl      harness_puthex
        adr     x0, msg_nl
        bl      harness_puts
        b       power_off

        .macro  VECTOR kind
        .balign 0x80
        mov     x0, #\kind
        b       report_exception
        .endm

        .balign 0x800
vectors:
        .irp k, 0,1,2,3, 4,5,6,7, 8,9,10,11, 12,13,14,15
        VECTOR  \k
        .endr

        .ltorg

        .section .rodata
msg_done: .asciz "DONE\n"
msg_exc:  .asciz "EXCEPTION vector="
msg_esr:  .asciz " esr="
msg_elr:  .asciz " elr="
msg_far:  .asciz " far="
msg_spsr: .asciz " spsr="
msg_nl:   .asciz "\n"

        .bss
        .balign 16
stack:  .space 65536
stack_top:
