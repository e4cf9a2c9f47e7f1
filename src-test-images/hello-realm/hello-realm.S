/*
 * hello-realm: the default guest of `cca run`.
 *
 * A bare-metal realm guest for the QEMU-virt-like memory map (RAM at 0x4000_0000, PL011 UART at 0x0900_0000).
 * It asks the RMM for the RSI version and the realm configuration, derives the UART's unprotected alias from
 * the IPA width (a realm reaches emulated devices at IPA | 1 << (ipa_width - 1)), prints what it learned and
 * its initial measurement (RSI_MEASUREMENT_READ). Then it gets an attestation token for a challenge from the host
 * and hands the token to the host (below), and powers off with PSCI SYSTEM_OFF.
 *
 * Attestation, through the cca VMM's two hypercalls (SMCCC Vendor Specific Hypervisor Service calls, which the VMM
 * has KVM forward to it with an SMCCC filter; docs/attestation.md): the realm makes them with RSI_HOST_CALL.
 *   VMM_CHALLENGE (0xC6000100): the host answers X0 = 0 and the 64-byte challenge in X1..X8.
 *   VMM_TOKEN (0xC6000101, X1 = address, X2 = length): the token is in memory the realm shared with the host.
 * The realm asks the RMM for a token with RSI_ATTESTATION_TOKEN_INIT (the challenge in X1..X8) and
 * RSI_ATTESTATION_TOKEN_CONTINUE into a private granule, makes another granule RIPAS EMPTY with
 * RSI_IPA_STATE_SET (the host then backs it with its own memory), copies the token there through the granule's
 * unprotected alias, and passes that alias address. A host without the service answers VMM_CHALLENGE with
 * SMCCC NOT_SUPPORTED, and the realm skips attestation.
 *
 * It runs at EL1 with the MMU off and uses no stack: helpers are leaf routines that keep their return address
 * in a register.
 *
 * Registers kept across the program:
 *   x19 RSI_VERSION status, x20 lowest revision, x21 highest revision
 *   x22 RSI_REALM_CONFIG status, x23 IPA width, x24 hash algorithm
 *   x25 UART base (unprotected alias)
 *   x26 token length, x27 the unprotected alias bit (1 << (IPA width - 1))
 */

        .equ RSI_VERSION,          0xC4000190
        .equ RSI_MEASUREMENT_READ, 0xC4000192
        .equ RSI_REALM_CONFIG,     0xC4000196
        .equ RSI_TOKEN_INIT,       0xC4000194
        .equ RSI_TOKEN_CONTINUE,   0xC4000195
        .equ RSI_IPA_STATE_SET,    0xC4000197
        .equ RSI_HOST_CALL,        0xC4000199
        .equ RSI_INCOMPLETE,       3
        .equ RIPAS_EMPTY,          0
        .equ VMM_CHALLENGE,        0xC6000100
        .equ VMM_TOKEN,            0xC6000101
        .equ PSCI_SYSTEM_OFF,      0x84000008
        .equ PSCI_SYSTEM_RESET,    0x84000009
        .equ RSI_ABI_1_0,          0x10000
        .equ UART_PA,              0x09000000
        .equ UART_DR,              0x00
        .equ UART_FR,              0x18
        .equ UART_FR_TXFF,         5

        .text
        .global _start
_start:
        /* RSI_VERSION(1.0): X0 status, X1 lowest, X2 highest supported revision */
        ldr     x0, =RSI_VERSION
        mov     x1, #RSI_ABI_1_0
        smc     #0
        mov     x19, x0
        mov     x20, x1
        mov     x21, x2

        /* RSI_REALM_CONFIG(buffer): ipa_width at +0, hash_algo at +8 */
        ldr     x0, =RSI_REALM_CONFIG
        adr     x1, realm_config
        smc     #0
        mov     x22, x0
        cbnz    x22, fail
        adr     x1, realm_config
        ldr     x23, [x1]
        ldrb    w24, [x1, #8]

        /* UART at its unprotected alias */
        sub     x2, x23, #1
        mov     x3, #1
        lsl     x3, x3, x2
        ldr     x4, =UART_PA
        orr     x25, x3, x4

        adr     x0, msg_hello
        bl      puts

        adr     x0, msg_version
        bl      puts
        mov     x0, x20
        bl      putversion
        cbz     x19, 1f
        adr     x0, msg_not_accepted
        bl      puts
1:      adr     x0, msg_range
        bl      puts
        mov     x0, x20
        bl      putversion
        adr     x0, msg_dash
        bl      puts
        mov     x0, x21
        bl      putversion
        adr     x0, msg_close
        bl      puts

        adr     x0, msg_ipa
        bl      puts
        mov     x0, x23
        bl      putdec
        adr     x0, msg_bits
        bl      puts

        adr     x0, msg_hash
        bl      puts
        adr     x0, msg_sha256
        cbz     x24, 2f
        adr     x0, msg_sha512
2:      bl      puts

        /* RSI_MEASUREMENT_READ(0): the RIM in X1..X8, little-endian */
        ldr     x0, =RSI_MEASUREMENT_READ
        mov     x1, #0
        smc     #0
        mov     x9, x1
        mov     x10, x2
        mov     x11, x3
        mov     x12, x4
        mov     x13, x5
        mov     x14, x6
        mov     x15, x7
        mov     x16, x8
        adr     x0, msg_rim
        bl      puts
        mov     x0, x9
        bl      puthex64le
        mov     x0, x10
        bl      puthex64le
        mov     x0, x11
        bl      puthex64le
        mov     x0, x12
        bl      puthex64le
        cbz     x24, 3f
        mov     x0, x13
        bl      puthex64le
        mov     x0, x14
        bl      puthex64le
        mov     x0, x15
        bl      puthex64le
        mov     x0, x16
        bl      puthex64le
3:      adr     x0, msg_newline
        bl      puts

        b       attest              /* attestation, then back to bye with x0 = msg_bye */
bye:    bl      puts
        ldr     x0, =PSCI_SYSTEM_OFF
        smc     #0
        b       .

fail:   /* no configuration: nothing can be printed; ask for a reset so the host sees a failure */
        ldr     x0, =PSCI_SYSTEM_RESET
        smc     #0
        b       .

/* putc: writes w7 to the UART once it has room. Clobbers w6. */
        .macro  PUTC
9:      ldr     w6, [x25, #UART_FR]
        tbnz    w6, #UART_FR_TXFF, 9b
        strb    w7, [x25, #UART_DR]
        .endm

/* puts(x0 = NUL-terminated string). Clobbers x0, x6, x7. */
puts:
        ldrb    w7, [x0], #1
        cbz     w7, 1f
        PUTC
        b       puts
1:      ret

/* putdec(x0 < 10000): decimal without leading zeros. Clobbers x0-x7. */
putdec:
        mov     x1, #1000
        mov     x5, #0              /* printed anything yet */
1:      udiv    x2, x0, x1
        msub    x0, x2, x1, x0
        cbnz    x2, 2f
        cbnz    x5, 2f
        cmp     x1, #1
        b.ne    3f
2:      add     w7, w2, #'0'
        mov     x5, #1
        PUTC
3:      mov     x3, #10
        udiv    x1, x1, x3
        cbnz    x1, 1b
        ret

/* putversion(x0 = major << 16 | minor): "major.minor". Clobbers x0-x8, x17. */
putversion:
        mov     x17, x30
        mov     x8, x0
        lsr     x0, x8, #16
        bl      putdec
        mov     w7, #'.'
        PUTC
        and     x0, x8, #0xffff
        bl      putdec
        ret     x17

/* puthex64le(x0): the 8 bytes of x0 in memory order, two hex digits each. Clobbers x0-x7. */
puthex64le:
        mov     x1, #8
1:      and     x2, x0, #0xff
        lsr     x3, x2, #4
        and     x4, x2, #0xf
        cmp     x3, #10
        add     w7, w3, #'0'
        b.lt    2f
        add     w7, w3, #('a' - 10)
2:      PUTC
        cmp     x4, #10
        add     w7, w4, #'0'
        b.lt    3f
        add     w7, w4, #('a' - 10)
3:      PUTC
        lsr     x0, x0, #8
        subs    x1, x1, #1
        b.ne    1b
        ret

        .ltorg

/*
 * attest: the attestation exchange (see the top of this file). In a section of its own, linked after .rodata, so
 * that the code and strings before it keep the addresses the debugger tests and docs/debugging.md show.
 * Returns to bye with x0 = msg_bye.
 */
        .section .text.attest, "ax"
attest:
        /* The unprotected alias bit */
        sub     x2, x23, #1
        mov     x27, #1
        lsl     x27, x27, x2

        /* VMM_CHALLENGE through RSI_HOST_CALL: the host's X0..X8 come back in the structure's gprs */
        adr     x1, host_call
        ldr     x0, =VMM_CHALLENGE
        str     x0, [x1, #8]
        ldr     x0, =RSI_HOST_CALL
        smc     #0
        cbnz    x0, no_service
        adr     x9, host_call
        ldr     x0, [x9, #8]
        cbnz    x0, no_service
        ldp     x1, x2, [x9, #16]
        ldp     x3, x4, [x9, #32]
        ldp     x5, x6, [x9, #48]
        ldp     x7, x8, [x9, #64]

        /* RSI_ATTESTATION_TOKEN_INIT(challenge in X1..X8), then CONTINUE into token_buf until SUCCESS */
        ldr     x0, =RSI_TOKEN_INIT
        smc     #0
        cbnz    x0, token_failed
        mov     x26, #0
4:      ldr     x0, =RSI_TOKEN_CONTINUE
        adr     x1, token_buf
        mov     x2, x26
        mov     x3, #4096
        sub     x3, x3, x26
        smc     #0
        add     x26, x26, x1
        cmp     x0, #RSI_INCOMPLETE
        b.eq    4b
        cbnz    x0, token_failed

        /* RSI_IPA_STATE_SET(shared_buf, +4 KiB, EMPTY): repeated until the whole range is done and accepted */
        adr     x9, shared_buf
        add     x10, x9, #4096
5:      ldr     x0, =RSI_IPA_STATE_SET
        mov     x1, x9
        mov     x2, x10
        mov     x3, #RIPAS_EMPTY
        mov     x4, #0
        smc     #0
        cbnz    x0, token_failed
        cbnz    x2, token_failed    /* the host rejected the change */
        mov     x9, x1
        cmp     x9, x10
        b.lo    5b

        /* Copy the token to the shared granule through its unprotected alias, 8 bytes at a time */
        adr     x9, token_buf
        adr     x10, shared_buf
        orr     x10, x10, x27
        mov     x11, #0
6:      ldr     x12, [x9, x11]
        str     x12, [x10, x11]
        add     x11, x11, #8
        cmp     x11, x26
        b.lo    6b

        /* VMM_TOKEN(address, length) */
        adr     x1, host_call
        ldr     x0, =VMM_TOKEN
        str     x0, [x1, #8]
        str     x10, [x1, #16]
        str     x26, [x1, #24]
        ldr     x0, =RSI_HOST_CALL
        smc     #0
        mov     x28, x0
        adr     x0, msg_token
        bl      puts
        mov     x0, x26
        bl      putdec
        adr     x0, msg_token_handed
        cbnz    x28, 7f
        adr     x9, host_call
        ldr     x1, [x9, #8]
        cbz     x1, 8f
7:      adr     x0, msg_token_refused
8:      bl      puts
        b       9f

no_service:
        adr     x0, msg_no_service
        bl      puts
        b       9f

token_failed:
        adr     x0, msg_token_failed
        bl      puts
9:      adr     x0, msg_bye
        b       bye
        .ltorg

        .section .rodata
msg_hello:        .asciz "Hello from a realm!\n"
msg_version:      .asciz "RSI version: "
msg_not_accepted: .asciz " (requested 1.0, not accepted)"
msg_range:        .asciz " (supported "
msg_dash:         .asciz " - "
msg_close:        .asciz ")\n"
msg_ipa:          .asciz "IPA width: "
msg_bits:         .asciz " bits\n"
msg_hash:         .asciz "Hash algorithm: "
msg_sha256:       .asciz "SHA-256\n"
msg_sha512:       .asciz "SHA-512\n"
msg_rim:          .asciz "RIM: "
msg_newline:      .asciz "\n"
msg_bye:          .asciz "Goodbye.\n"
msg_token:        .asciz "Attestation token: "
msg_token_handed: .asciz " bytes, for the host's challenge; handed to the host in shared memory\n"
msg_token_refused: .asciz " bytes, for the host's challenge; the host did not take it\n"
msg_token_failed: .asciz "Attestation token: the RMM refused (RSI error)\n"
msg_no_service:   .asciz "Attestation: the host offers no challenge; no token\n"

        .data
        .balign 4096
realm_config:     .space 4096
/* host_call (RsiHostCall: imm at +0, gprs[0..30] at +8), token_buf and shared_buf are granules after the image
   (hello-realm.ld): RIPAS RAM that is not populated, which KVM faults in zeroed on first use. */
