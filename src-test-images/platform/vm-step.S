/*
 * vm-step: a normal-VM guest that single-steps (MDSCR_EL1.SS, KDE) over a store to the UART, which KVM and the
 * VMM emulate (a stage-2 data abort, KVM_EXIT_MMIO): stepping the emulated instruction completes when the vCPU
 * resumes after it (KVM's kvm_skip_instr advances the step state machine), so each instruction takes its own
 * step exception. Enabling step with PSTATE.SS = 0 takes the first step exception before the store (ISV = 0);
 * the handler sets SPSR.SS, so the store is stepped: KVM emulates it and returns with SPSR.SS clear, so the step
 * exception comes before the next instruction, from the active-pending state (ISV = 0, ELR at the NOP); the NOP is
 * stepped by the PE (ISV = 1, ELR at the next instruction), and an MSR DAIFSet then masks debug exceptions. Output ends with "vm-step: PASS"; a failed check
 * prints "vm-step: FAIL" and the step exceptions seen.
 */
        .include "common.inc"
        .equ MDSCR_SS,  1
        .equ MDSCR_KDE, 1 << 13
        .equ ESR_STEP,  (0x33 << 26) | (1 << 25) | 0x22
        .equ ISV,       1 << 24

        .text
        .global _start
_start:
        ldr     x28, =UART
        adr     x0, vectors
        msr     vbar_el1, x0
        msr     oslar_el1, xzr
        isb
        adr     x0, msg_start
        bl      puts
        mov     x0, #MDSCR_KDE | MDSCR_SS
        msr     mdscr_el1, x0
        isb
        mov     w5, #'*'
        msr     daifclr, #8
s0:     str     w5, [x28]
s1:     nop
s2:     msr     daifset, #8
        msr     mdscr_el1, xzr
        mov     w0, #'\n'
        str     w0, [x28]
        adr     x1, steps
        ldr     x0, [x1]
        cmp     x0, #3
        b.ne    fail
        ldr     x0, =ESR_STEP
        ldp     x2, x3, [x1, #8]
        cmp     x2, x0
        b.ne    fail
        adr     x4, s0
        cmp     x3, x4
        b.ne    fail
        ldp     x2, x3, [x1, #24]       /* after the emulated store: active-pending on return, ISV = 0 */
        cmp     x2, x0
        b.ne    fail
        adr     x4, s1
        cmp     x3, x4
        b.ne    fail
        ldr     x0, =ESR_STEP | ISV     /* after the NOP, which the PE stepped */
        ldp     x2, x3, [x1, #40]
        cmp     x2, x0
        b.ne    fail
        adr     x4, s2
        cmp     x3, x4
        b.ne    fail
        adr     x0, msg_pass
        bl      puts
        b       off

fail:
        adr     x0, msg_fail
        bl      puts
        adr     x20, steps
        ldr     x21, [x20], #8          /* the count, then ESR and ELR of the first four */
        cmp     x21, #4
        mov     x0, #4
        csel    x21, x21, x0, lo
1:      cbz     x21, off
        ldr     x0, [x20], #8
        bl      puthex
        mov     w0, #' '
        str     w0, [x28]
        ldr     x0, [x20], #8
        bl      puthex
        mov     w0, #'\n'
        str     w0, [x28]
        sub     x21, x21, #1
        b       1b
off:
        ldr     x0, =PSCI_SYSTEM_OFF
        hvc     #0
        b       .

/* A software step exception: record ESR_EL1 and ELR_EL1 (the first four), step the next instruction. */
sync:
        adr     x10, steps
        ldr     x11, [x10]
        cmp     x11, #4
        b.hs    1f
        add     x12, x10, x11, lsl #4
        mrs     x9, esr_el1
        str     x9, [x12, #8]
        mrs     x9, elr_el1
        str     x9, [x12, #16]
1:      add     x11, x11, #1
        str     x11, [x10]
        mrs     x10, spsr_el1
        orr     x10, x10, #1 << 21
        msr     spsr_el1, x10
        eret

        define_puts
        define_puthex
        .ltorg

        .balign 2048
vectors:
        .rept 4
        b       .
        .balign 128
        .endr
        b       sync
        .balign 128
        .rept 11
        b       .
        .balign 128
        .endr

        .section .rodata
msg_start:  .asciz "vm-step: stepping a store to the UART\n"
msg_pass:   .asciz "vm-step: PASS\n"
msg_fail:   .asciz "vm-step: FAIL: step exceptions (ESR_EL1 ELR_EL1):\n"

        .data
        .balign 8
steps:      .quad 0
            .space 16 * 4
