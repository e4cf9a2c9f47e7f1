/*
 * smp-sgi: a two-vCPU normal-VM guest: PSCI CPU_ON, SGIs between vCPUs, WFI wake-up, CPU_OFF, AFFINITY_INFO.
 *
 * vCPU 0 first sends itself SGI 3 with IRQs masked and waits for it: the SGI is pending before the WFI, which
 * must not wait (wait_irq in common.inc). It then starts vCPU 1 with PSCI CPU_ON (context id 0x1234 in X0) and waits in WFI. vCPU 1 sends SGI 1 to
 * vCPU 0 (ICC_SGI1R_EL1, trapped to KVM, which pends it in the vGIC and kicks vCPU 0) and waits in WFI; vCPU 0
 * answers with SGI 2; vCPU 1 powers itself off with CPU_OFF; vCPU 0 polls AFFINITY_INFO until vCPU 1 is OFF
 * and powers the system off. The handshake orders the output; it ends with "smp-sgi: PASS".
 */
        .include "common.inc"

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
        mov     w0, #((1 << 1) | (1 << 3)) /* SGIs 1 and 3 */
        bl      gic_cpu_init

        mov     x0, #(3 << 24)          /* SGI 3 to itself (Aff0 = 0), with IRQs masked */
        orr     x0, x0, #1
        msr     icc_sgi1r_el1, x0
        wait_irq                        /* already pending: the WFI must not wait */
        adr     x1, seen
        ldr     x2, [x1]
        cmp     x2, #3
        b.ne    fail
        str     xzr, [x1]
        adr     x0, msg_self
        bl      puts

        ldr     x0, =PSCI_CPU_ON
        mov     x1, #1                  /* MPIDR of vCPU 1 */
        adr     x2, secondary
        mov     x3, #0x1234
        hvc     #0
        cbnz    x0, fail

1:      adr     x1, seen                /* wait for SGI 1 (IRQs masked: see wait_irq) */
        ldr     x2, [x1]
        cbnz    x2, 5f
        wait_irq
        b       1b
5:      cmp     x2, #1
        b.ne    fail
        adr     x0, msg_cpu0
        bl      puts

        mov     x0, #(2 << 24)          /* SGI 2 to Aff0 = 1 */
        orr     x0, x0, #(1 << 1)
        msr     icc_sgi1r_el1, x0

2:      ldr     x0, =PSCI_AFFINITY_INFO
        mov     x1, #1
        mov     x2, #0
        hvc     #0
        cmp     x0, #1                  /* OFF */
        b.eq    3f
        wfe
        b       2b
3:      adr     x0, msg_off
        bl      puts
        adr     x0, msg_pass
        bl      puts
        b       off

secondary:
        mov     x19, x0
        ldr     x28, =UART
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        mov     x1, #0x1234
        cmp     x19, x1
        b.ne    fail
        mov     w0, #(1 << 2)           /* SGI 2 */
        bl      gic_cpu_init
        adr     x0, msg_cpu1_up
        bl      puts
        mov     x0, #(1 << 24)          /* SGI 1 to Aff0 = 0 */
        orr     x0, x0, #1
        msr     icc_sgi1r_el1, x0
4:      adr     x1, seen                /* wait for SGI 2 */
        ldr     x2, [x1, #8]
        cbnz    x2, 6f
        wait_irq
        b       4b
6:      cmp     x2, #2
        b.ne    fail
        adr     x0, msg_cpu1
        bl      puts
        ldr     x0, =PSCI_CPU_OFF
        hvc     #0
        b       fail                    /* CPU_OFF does not return */

fail:
        adr     x0, msg_fail
        bl      puts
off:
        ldr     x0, =PSCI_SYSTEM_OFF
        hvc     #0
        b       .

/* IRQ: records the INTID in seen[Aff0] and ends it. */
irq:
        mrs     x9, icc_iar1_el1
        mrs     x10, mpidr_el1
        and     x10, x10, #0xff
        adr     x11, seen
        str     x9, [x11, x10, lsl #3]
        msr     icc_eoir1_el1, x9
        eret

        define_puts
        define_puthex
        define_gic
        define_vectors irq

        .section .rodata
msg_start:   .asciz "smp-sgi: vCPU 0 up\n"
msg_self:    .asciz "smp-sgi: vCPU 0 took its own SGI 3 (pending before its WFI), starting vCPU 1\n"
msg_cpu1_up: .asciz "smp-sgi: vCPU 1 up (context id 0x1234), sending SGI 1\n"
msg_cpu0:    .asciz "smp-sgi: vCPU 0 took SGI 1, sending SGI 2\n"
msg_cpu1:    .asciz "smp-sgi: vCPU 1 took SGI 2, CPU_OFF\n"
msg_off:     .asciz "smp-sgi: AFFINITY_INFO says vCPU 1 is OFF\n"
msg_pass:    .asciz "smp-sgi: PASS\n"
msg_fail:    .asciz "smp-sgi: FAIL\n"

        .data
        .balign 8
seen:   .quad 0, 0
