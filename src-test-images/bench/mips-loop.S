/*
 * mips-loop: the CPU-bound loop of `cca bench` (and of emulator-core's GuestMipsBenchmark): 11 instructions
 * per iteration -- ALU with a shifted operand, a register-offset load and store, multiply, compare-and-branch and
 * a counted loop -- at EL1 with the MMU off, as a normal VM (cca) or on QEMU's virt machine (-kernel).
 *
 * It runs WARMUP iterations (the JIT's warm-up), prints "CCA-BENCH: begin", runs ITERATIONS iterations, prints
 * "CCA-BENCH: end" and powers off with PSCI SYSTEM_OFF over HVC. cca bench times the two markers and patches the
 * two counts, which it finds by their placeholder values below.
 */
        .equ UART, 0x09000000
        .equ PSCI_SYSTEM_OFF, 0x84000008

        .text
        .global _start
_start:
        ldr     x28, =UART
        adr     x0, buffer
        mov     x2, #3
        ldr     x7, warmup
        bl      spin
        adr     x10, msg_begin
        bl      puts
        adr     x0, buffer
        ldr     x7, iterations
        bl      spin
        adr     x10, msg_end
        bl      puts
        ldr     x0, =PSCI_SYSTEM_OFF
        hvc     #0
        b       .

/* spin: x7 iterations of the loop over the 4 KiB at x0. */
spin:
        mov     x5, #0
1:      add     x1, x1, x2
        eor     x3, x3, x1, lsl #3
        ldr     x4, [x0, x5]
        add     x4, x4, x1
        str     x4, [x0, x5]
        add     x5, x5, #8
        and     x5, x5, #0xff8
        mul     x6, x4, x3
        cbz     x6, 2f
2:      subs    x7, x7, #1
        b.ne    1b
        ret

/* puts: prints the NUL-terminated string at x10. */
puts:
        ldrb    w11, [x10], #1
        cbz     w11, 1f
        str     w11, [x28]
        b       puts
1:      ret

        .balign 8
warmup:         .quad 0xCCA0BE4C00000001      /* placeholder: patched by cca bench */
iterations:     .quad 0xCCA0BE4C00000002      /* placeholder: patched by cca bench */
msg_begin:      .asciz "CCA-BENCH: begin\n"
msg_end:        .asciz "CCA-BENCH: end\n"
        .ltorg

        .data
        .balign 4096
buffer: .fill 4096, 1, 0
