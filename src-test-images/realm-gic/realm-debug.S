/*
 * realm-debug: the realm's own self-hosted debug (Arm ARM D2) at EL1, on one vCPU: a hardware breakpoint, a
 * watchpoint and software step, each armed before a console line (an MMIO exit to the host, so the debug registers
 * must come back with the REC) and checked by the exception's ESR_EL1, ELR_EL1 and FAR_EL1:
 *   breakpoint: EC 0x31, IFSC 0x22, ELR = the breakpointed instruction;
 *   watchpoint on bytes 4-7 of a doubleword, stores only: EC 0x35, WnR, DFSC 0x22, FAR = the first watched byte;
 *   software step: enabling it with PSTATE.SS = 0 takes the step exception before the next instruction (ISV = 0),
 *   then each instruction stepped (the handler sets SPSR.SS) takes one after it (ISV = 1), until an MSR DAIFSet
 *   masks debug exceptions.
 * The breakpoint and watchpoint handlers return with SPSR.D set, so the instruction runs again without the
 * exception, as kvm-unit-tests' debug test does. Output ends with "realm-debug: PASS"; a failed check prints
 * "realm-debug: FAIL: <check> on vCPU 0".
 */
        .include "realm.inc"
        .equ MDSCR_SS,  1
        .equ MDSCR_KDE, 1 << 13
        .equ MDSCR_MDE, 1 << 15
        .equ EC_SHIFT,  26
        .equ IL,        1 << 25
        .equ ISV,       1 << 24
        .equ WNR,       1 << 6
        .equ FSC_DEBUG, 0x22

        .text
        .global _start
_start:
        realm_start
        adr     x0, vectors
        msr     vbar_el1, x0
        msr     osdlr_el1, xzr
        msr     oslar_el1, xzr          /* the OS lock off */
        isb
        say     m_start

        /* breakpoint 0 on bp_target, EL1 (PMC = 0b01), BAS = 0b1111, enabled */
        adr     x0, bp_target
        msr     dbgbvr0_el1, x0
        mov     x0, #(0xF << 5) | (1 << 1) | 1
        msr     dbgbcr0_el1, x0
        mov     x0, #MDSCR_KDE | MDSCR_MDE
        msr     mdscr_el1, x0
        isb
        say     m_bp_armed
        mov     x21, #0
        msr     daifclr, #8
bp_target:
        nop
        msr     daifset, #8
        adr     x15, c_bp_esr
        ldr     x0, =(0x31 << EC_SHIFT) | IL | FSC_DEBUG
        cmp     x21, x0
        b.ne    fail
        adr     x15, c_bp_elr
        adr     x0, bp_target
        cmp     x22, x0
        b.ne    fail
        msr     dbgbcr0_el1, xzr
        say     m_bp_ok

        /* watchpoint 0 on bytes 4-7 of `watched`, stores (LSC = 0b10), EL1, enabled */
        adr     x1, watched
        msr     dbgwvr0_el1, x1
        mov     x0, #(0xF0 << 5) | (2 << 3) | (1 << 1) | 1
        msr     dbgwcr0_el1, x0
        isb
        say     m_wp_armed
        adr     x1, watched
        ldr     x2, [x1]                /* loads are not watched */
        mov     x21, #0
        ldr     x2, =0x1122334455667788
        msr     daifclr, #8
        str     x2, [x1]
        msr     daifset, #8
        adr     x15, c_wp_esr
        ldr     x0, =(0x35 << EC_SHIFT) | IL | WNR | FSC_DEBUG
        cmp     x21, x0
        b.ne    fail
        adr     x15, c_wp_far
        adr     x0, watched + 4
        cmp     x23, x0
        b.ne    fail
        adr     x15, c_wp_data
        ldr     x0, [x1]
        cmp     x0, x2
        b.ne    fail
        msr     dbgwcr0_el1, xzr
        say     m_wp_ok

        /* software step */
        mov     x0, #MDSCR_KDE | MDSCR_SS
        msr     mdscr_el1, x0
        isb
        say     m_ss_armed
        msr     daifclr, #8
ss_start:
        nop
        nop
        msr     daifset, #8
        msr     mdscr_el1, xzr
        adr     x15, c_ss_count
        adr     x1, steps
        ldr     x0, [x1]
        cmp     x0, #3
        b.ne    fail
        adr     x15, c_ss_first
        ldr     x0, =(0x33 << EC_SHIFT) | IL | FSC_DEBUG
        ldp     x2, x3, [x1, #8]
        cmp     x2, x0
        b.ne    fail
        adr     x0, ss_start
        cmp     x3, x0
        b.ne    fail
        adr     x15, c_ss_next
        ldr     x0, =(0x33 << EC_SHIFT) | IL | ISV | FSC_DEBUG
        ldp     x2, x3, [x1, #24]
        cmp     x2, x0
        b.ne    fail
        adr     x4, ss_start + 4
        cmp     x3, x4
        b.ne    fail
        ldp     x2, x3, [x1, #40]
        cmp     x2, x0
        b.ne    fail
        adr     x4, ss_start + 8
        cmp     x3, x4
        b.ne    fail
        say     m_ss_ok
        say     m_pass
        b       off

/* Synchronous exceptions from EL1: a step is recorded in `steps`; a breakpoint or watchpoint in x21-x23. */
sync:
        mrs     x9, esr_el1
        ubfx    x10, x9, #EC_SHIFT, #6
        cmp     x10, #0x33
        b.eq    1f
        mov     x21, x9
        mrs     x22, elr_el1
        mrs     x23, far_el1
        mrs     x10, spsr_el1
        orr     x10, x10, #1 << 9       /* SPSR.D: run the instruction again without the exception */
        msr     spsr_el1, x10
        eret
1:      adr     x10, steps
        ldr     x11, [x10]
        cmp     x11, #4
        b.hs    2f
        add     x12, x10, x11, lsl #4
        str     x9, [x12, #8]
        mrs     x9, elr_el1
        str     x9, [x12, #16]
2:      add     x11, x11, #1
        str     x11, [x10]
        mrs     x10, spsr_el1
        orr     x10, x10, #1 << 21      /* SPSR.SS: step the next instruction */
        msr     spsr_el1, x10
        eret

        define_console
        define_fail
        .ltorg

        .balign 2048
vectors:
        .irp    off, 0x000, 0x080, 0x100, 0x180
        adr     x15, c_vector
        b       fail
        .balign 128
        .endr
        b       sync
        .balign 128
        .irp    off, 0x280, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
        adr     x15, c_vector
        b       fail
        .balign 128
        .endr

        .section .rodata
m_start:        .asciz "realm-debug: vCPU 0 up\n"
m_bp_armed:     .asciz "realm-debug: breakpoint armed\n"
m_bp_ok:        .asciz "realm-debug: breakpoint: EC 0x31, ELR at the instruction: ok\n"
m_wp_armed:     .asciz "realm-debug: watchpoint armed\n"
m_wp_ok:        .asciz "realm-debug: watchpoint: EC 0x35, WnR, FAR at the first watched byte: ok\n"
m_ss_armed:     .asciz "realm-debug: software step armed\n"
m_ss_ok:        .asciz "realm-debug: software step: pending (ISV 0), then two steps (ISV 1): ok\n"
m_pass:         .asciz "realm-debug: PASS\n"
m_fail:         .asciz "realm-debug: FAIL: "
m_on_vcpu:      .asciz " on vCPU "
m_nl:           .asciz "\n"
c_vector:       .asciz "an exception other than a synchronous one from EL1"
c_bp_esr:       .asciz "breakpoint ESR_EL1"
c_bp_elr:       .asciz "breakpoint ELR_EL1"
c_wp_esr:       .asciz "watchpoint ESR_EL1"
c_wp_far:       .asciz "watchpoint FAR_EL1"
c_wp_data:      .asciz "the store completes after the watchpoint"
c_ss_count:     .asciz "three software step exceptions"
c_ss_first:     .asciz "the pending step is taken before ss_start with ISV 0"
c_ss_next:      .asciz "each stepped instruction takes a step exception after it with ISV 1"

        .data
        define_realm_data
        .balign 8
watched:        .quad 0
steps:          .quad 0
                .space 16 * 4
