/*
 * uart-echo: a normal-VM guest that receives console input through the PL011's interrupt.
 *
 * It routes the UART's SPI (INTID 33) to this vCPU in the distributor, enables the PL011's FIFOs, receive and
 * receive-timeout interrupts and asserts RTS (the VMM's side of the line sends only then), prints
 * "uart-echo: ready" and waits in WFI. The interrupt handler drains the receive FIFO and echoes each character
 * in upper case; a newline ends the wait. The guest then prints how many interrupts it took and
 * "uart-echo: PASS" (at least one interrupt, and none with an empty FIFO), or "uart-echo: FAIL", and powers off.
 */
        .include "common.inc"
        .equ UART_FR,           0x18
        .equ UART_LCR_H,        0x2c
        .equ UART_CR,           0x30
        .equ UART_IMSC,         0x38
        .equ SPI_UART,          33

        .text
        .global _start
_start:
        ldr     x28, =UART
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        bl      gic_dist_init
        ldr     x0, =GICD
        mov     w1, #(1 << (SPI_UART - 32))
        str     w1, [x0, #0x84]         /* GICD_IGROUPR1: Group 1 */
        mov     w2, #0xa0
        add     x3, x0, #0x400
        strb    w2, [x3, #SPI_UART]     /* GICD_IPRIORITYR */
        add     x3, x0, #0x6000
        str     xzr, [x3, #(SPI_UART * 8)] /* GICD_IROUTER: affinity 0.0.0.0, this vCPU */
        str     w1, [x0, #0x104]        /* GICD_ISENABLER1 */
        mov     w0, #0
        bl      gic_cpu_init

        mov     w0, #0x70               /* LCR_H: 8 bits, FIFOs enabled */
        str     w0, [x28, #UART_LCR_H]
        mov     w0, #0x50               /* IMSC: RXIM | RTIM */
        str     w0, [x28, #UART_IMSC]
        mov     w0, #0xb01              /* CR: UARTEN | TXE | RXE | RTS */
        str     w0, [x28, #UART_CR]

        mov     x20, #0                 /* a newline arrived (the handler sets it) */
        mov     x21, #0                 /* interrupts that found the FIFO empty */
        mov     x22, #0                 /* interrupts taken */
        adr     x0, msg_ready
        bl      puts
1:      cbnz    x20, 2f                 /* IRQs masked: see wait_irq */
        wait_irq
        b       1b
2:
        adr     x0, msg_irqs
        bl      puts
        mov     x0, x22
        bl      puthex
        adr     x0, msg_nl
        bl      puts
        cbz     x22, fail
        cbnz    x21, fail
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
        add     x22, x22, #1
        ldr     w10, [x28, #UART_FR]
        tbz     w10, #4, 3f             /* RXFE clear: data */
        add     x21, x21, #1
3:      ldr     w10, [x28, #UART_FR]
        tbnz    w10, #4, 5f             /* drained */
        ldr     w10, [x28]              /* DR */
        and     w10, w10, #0xff
        cmp     w10, #10
        b.ne    4f
        mov     x20, #1
        b       3b
4:      sub     w11, w10, #'a'
        cmp     w11, #25
        b.hi    6f
        sub     w10, w10, #32
6:      str     w10, [x28]
        b       3b
5:      msr     icc_eoir1_el1, x9
        eret

        define_puts
        define_puthex
        define_gic
        define_vectors irq

        .section .rodata
msg_ready:  .asciz "uart-echo: ready\n"
msg_irqs:   .asciz "\nuart-echo: interrupts "
msg_nl:     .asciz "\n"
msg_pass:   .asciz "uart-echo: PASS\n"
msg_fail:   .asciz "uart-echo: FAIL\n"
