/*
 * timer-irq: a normal-VM guest that takes the EL1 virtual timer's interrupt through the GICv3.
 *
 * It sets up the GIC as Linux does, arms CNTV for TICKS counter ticks, and waits in WFI (wait_irq).
 * The interrupt (PPI 27) arrives through KVM's vGIC as a hardware-mapped virtual interrupt; the handler
 * acknowledges it with ICC_IAR1_EL1 (the ICV interface), disables the timer and ends it with ICC_EOIR1_EL1.
 * The guest then checks that at least TICKS ticks passed, prints what it saw and powers off.
 * Expected output ends with "timer-irq: PASS"; any check that fails prints "timer-irq: FAIL" and powers off.
 */
        .include "common.inc"
        .equ TICKS, 1000000

        .text
        .global _start
_start:
        ldr     x28, =UART
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        adr     x0, msg_start
        bl      puts
        bl      gic_dist_init
        mov     w0, #(1 << 27)          /* the virtual timer's PPI */
        bl      gic_cpu_init

        adr     x0, msg_frq
        bl      puts
        mrs     x0, cntfrq_el0
        bl      puthex
        adr     x0, msg_hz
        bl      puts

        mov     x20, #0                 /* interrupts taken (the handler counts) */
        mov     x21, #0                 /* INTID the handler saw */
        mrs     x19, cntvct_el0
        ldr     x0, =TICKS
        msr     cntv_tval_el0, x0
        mov     x0, #1                  /* ENABLE, not masked */
        msr     cntv_ctl_el0, x0
1:      cbnz    x20, 2f                 /* IRQs masked: see wait_irq */
        wait_irq
        b       1b
2:

        mrs     x22, cntvct_el0
        sub     x22, x22, x19
        ldr     x0, =TICKS
        cmp     x22, x0
        b.lo    fail
        cmp     x21, #27
        b.ne    fail
        cmp     x20, #1
        b.ne    fail
        adr     x0, msg_irq
        bl      puts
        mov     x0, x21
        bl      puthex
        adr     x0, msg_after
        bl      puts
        mov     x0, x22
        bl      puthex
        adr     x0, msg_nl
        bl      puts
        adr     x0, msg_pass
        bl      puts
        b       off

fail:
        adr     x0, msg_fail
        bl      puts
off:
        ldr     x0, =PSCI_SYSTEM_OFF
        hvc     #0
        b       .

irq:
        mrs     x9, icc_iar1_el1
        mov     x21, x9
        msr     cntv_ctl_el0, xzr       /* disable the timer: its line drops */
        msr     icc_eoir1_el1, x9
        add     x20, x20, #1
        eret

        define_puts
        define_puthex
        define_gic
        define_vectors irq

        .section .rodata
msg_start:  .asciz "timer-irq: GICv3 and virtual timer\n"
msg_frq:    .asciz "timer-irq: CNTFRQ_EL0 = "
msg_irq:    .asciz "timer-irq: interrupt "
msg_after:  .asciz " after "
msg_nl:     .asciz " ticks\n"
msg_hz:     .asciz " Hz\n"
msg_pass:   .asciz "timer-irq: PASS\n"
msg_fail:   .asciz "timer-irq: FAIL\n"
