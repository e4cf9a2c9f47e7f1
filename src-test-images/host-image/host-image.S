/*
 * host-image: a bare-metal Non-secure EL2 host for `cca run --host-image`.
 *
 * It drives the RMM through RMI calls the way a hypervisor does: it asks for the RMI version, delegates granules,
 * creates a realm (RMI_REALM_CREATE with a one-table level-1 RTT, RTT_CREATE for levels 2 and 3), copies a tiny
 * realm payload into it (DATA_CREATE, measured), creates one REC, activates the realm and enters the REC. The
 * payload asks for the RSI version and powers the realm off with PSCI SYSTEM_OFF, so the REC exits with
 * RMI_EXIT_PSCI and X0 = SYSTEM_OFF. The host prints that exit, tears the realm down (REC_DESTROY, DATA_DESTROY,
 * RTT_DESTROY, REALM_DESTROY), undelegates every granule and powers the system off with PSCI SYSTEM_OFF.
 * Every call's status is printed on UART0 (PL011 at 0x1C09_0000, FVP Base), one line per call; the last line
 * says "host-image: PASS" only if every status and the exit were as expected.
 *
 * Entered at EL2h with the MMU off and interrupts masked (as TF-A enters BL33); no stack: helpers are leaf
 * routines that keep their return address in a register (x30 saved in x28 around nested calls).
 *
 * Memory (all in DRAM, loaded at 0x8800_0000):
 *   0x8800_0000 code and strings         0x8801_0000 realm payload (one page, the DATA_CREATE source)
 *   0x8802_0000 RealmParams              0x8802_1000 RecParams      0x8802_2000 RecRun
 *   0x8803_0000 granules to delegate: RD, RTT level 1, RTT level 2, RTT level 3, REC, data, then REC aux
 *
 * Registers: x19 failures, x20 RD, x21 REC, x22 aux count, x23 RMI status of the last call.
 */

        .equ UART,                 0x1C090000
        .equ UART_DR,              0x00
        .equ UART_FR,              0x18
        .equ UART_FR_TXFF,         5

        .equ RMI_VERSION,          0xC4000150
        .equ RMI_GRANULE_DELEGATE, 0xC4000151
        .equ RMI_GRANULE_UNDELEGATE, 0xC4000152
        .equ RMI_DATA_CREATE,      0xC4000153
        .equ RMI_DATA_DESTROY,     0xC4000155
        .equ RMI_REALM_ACTIVATE,   0xC4000157
        .equ RMI_REALM_CREATE,     0xC4000158
        .equ RMI_REALM_DESTROY,    0xC4000159
        .equ RMI_REC_CREATE,       0xC400015A
        .equ RMI_REC_DESTROY,      0xC400015B
        .equ RMI_REC_ENTER,        0xC400015C
        .equ RMI_RTT_CREATE,       0xC400015D
        .equ RMI_RTT_DESTROY,      0xC400015E
        .equ RMI_REC_AUX_COUNT,    0xC4000167
        .equ RMI_RTT_INIT_RIPAS,   0xC4000168
        .equ RMI_ABI_1_0,          0x10000
        .equ RMI_EXIT_PSCI,        3
        .equ PSCI_SYSTEM_OFF,      0x84000008
        .equ RSI_VERSION,          0xC4000190

        .equ PAYLOAD,              0x88010000
        .equ REALM_PARAMS,         0x88020000
        .equ REC_PARAMS,           0x88021000
        .equ REC_RUN,              0x88022000
        .equ RD,                   0x88030000
        .equ RTT1,                 0x88031000
        .equ RTT2,                 0x88032000
        .equ RTT3,                 0x88033000
        .equ REC,                  0x88034000
        .equ DATA,                 0x88035000
        .equ AUX,                  0x88036000
        .equ FIXED_GRANULES,       6

        .text
        .global _start
_start:
        mov     x19, #0

        adr     x0, msg_banner
        bl      puts

        /* RMI_VERSION(1.0) */
        ldr     x0, =RMI_VERSION
        mov     x1, #RMI_ABI_1_0
        smc     #0
        adr     x1, msg_version
        bl      status

        /* Delegate the fixed granules: RD, the three RTTs, the REC and the data page */
        ldr     x24, =RD
        mov     x25, #FIXED_GRANULES
1:      ldr     x0, =RMI_GRANULE_DELEGATE
        mov     x1, x24
        smc     #0
        adr     x1, msg_delegate
        bl      status
        add     x24, x24, #0x1000
        subs    x25, x25, #1
        b.ne    1b

        /* REALM_CREATE(rd, params): 39-bit IPA space, one level-1 starting table, SHA-256, VMID 1 */
        ldr     x1, =REALM_PARAMS
        mov     x2, #39
        str     x2, [x1, #0x008]        /* s2sz */
        mov     x2, #1
        str     x2, [x1, #0x018]        /* num_bps */
        str     x2, [x1, #0x020]        /* num_wps */
        strh    w2, [x1, #0x800]        /* vmid */
        ldr     x2, =RTT1
        str     x2, [x1, #0x808]        /* rtt_base */
        mov     x2, #1
        str     x2, [x1, #0x810]        /* rtt_level_start */
        str     w2, [x1, #0x818]        /* rtt_num_start */
        ldr     x0, =RMI_REALM_CREATE
        ldr     x1, =RD
        ldr     x2, =REALM_PARAMS
        smc     #0
        adr     x1, msg_realm_create
        bl      status

        /* RTT_CREATE(rd, rtt, ipa 0, level 2) and (..., level 3) */
        ldr     x0, =RMI_RTT_CREATE
        ldr     x1, =RD
        ldr     x2, =RTT2
        mov     x3, #0
        mov     x4, #2
        smc     #0
        adr     x1, msg_rtt_create
        bl      status
        ldr     x0, =RMI_RTT_CREATE
        ldr     x1, =RD
        ldr     x2, =RTT3
        mov     x3, #0
        mov     x4, #3
        smc     #0
        adr     x1, msg_rtt_create
        bl      status

        /* RTT_INIT_RIPAS(rd, 0, 0x1000): the payload's page is RAM */
        ldr     x0, =RMI_RTT_INIT_RIPAS
        ldr     x1, =RD
        mov     x2, #0
        mov     x3, #0x1000
        smc     #0
        adr     x1, msg_init_ripas
        bl      status

        /* DATA_CREATE(rd, data, ipa 0, src payload, RMI_MEASURE_CONTENT) */
        ldr     x0, =RMI_DATA_CREATE
        ldr     x1, =RD
        ldr     x2, =DATA
        mov     x3, #0
        ldr     x4, =PAYLOAD
        mov     x5, #1
        smc     #0
        adr     x1, msg_data_create
        bl      status

        /* REC_AUX_COUNT(rd): X1 = number of auxiliary granules; delegate them */
        ldr     x0, =RMI_REC_AUX_COUNT
        ldr     x1, =RD
        smc     #0
        mov     x22, x1
        adr     x1, msg_aux_count
        bl      status
        ldr     x24, =AUX
        mov     x25, x22
        ldr     x26, =REC_PARAMS + 0x808 /* aux[] */
        cbz     x25, 3f
2:      ldr     x0, =RMI_GRANULE_DELEGATE
        mov     x1, x24
        str     x24, [x26], #8
        smc     #0
        adr     x1, msg_delegate
        bl      status
        add     x24, x24, #0x1000
        subs    x25, x25, #1
        b.ne    2b
3:
        /* REC_CREATE(rd, rec, params): runnable, MPIDR 0, PC 0 (the payload) */
        ldr     x1, =REC_PARAMS
        mov     x2, #1
        str     x2, [x1, #0x000]        /* flags: RUNNABLE */
        str     x22, [x1, #0x800]       /* num_aux */
        ldr     x0, =RMI_REC_CREATE
        ldr     x1, =RD
        ldr     x2, =REC
        ldr     x3, =REC_PARAMS
        smc     #0
        adr     x1, msg_rec_create
        bl      status

        /* REALM_ACTIVATE(rd) */
        ldr     x0, =RMI_REALM_ACTIVATE
        ldr     x1, =RD
        smc     #0
        adr     x1, msg_activate
        bl      status

        /* REC_ENTER(rec, run) */
        ldr     x0, =RMI_REC_ENTER
        ldr     x1, =REC
        ldr     x2, =REC_RUN
        smc     #0
        adr     x1, msg_rec_enter
        bl      status

        /* The exit: reason PSCI, X0 = SYSTEM_OFF */
        adr     x0, msg_exit_reason
        bl      puts
        ldr     x1, =REC_RUN
        ldrb    w0, [x1, #0x800]
        mov     x27, x0
        bl      puthex
        adr     x0, msg_exit_x0
        bl      puts
        ldr     x1, =REC_RUN
        ldr     x0, [x1, #0xA00]
        mov     x26, x0
        bl      puthex
        adr     x0, msg_newline
        bl      puts
        cmp     x27, #RMI_EXIT_PSCI
        b.ne    4f
        ldr     x0, =PSCI_SYSTEM_OFF
        cmp     x26, x0
        b.eq    5f
4:      add     x19, x19, #1
5:
        /* Tear down: REC_DESTROY, DATA_DESTROY, RTT_DESTROY level 3 then 2, REALM_DESTROY */
        ldr     x0, =RMI_REC_DESTROY
        ldr     x1, =REC
        smc     #0
        adr     x1, msg_rec_destroy
        bl      status
        ldr     x0, =RMI_DATA_DESTROY
        ldr     x1, =RD
        mov     x2, #0
        smc     #0
        adr     x1, msg_data_destroy
        bl      status
        ldr     x0, =RMI_RTT_DESTROY
        ldr     x1, =RD
        mov     x2, #0
        mov     x3, #3
        smc     #0
        adr     x1, msg_rtt_destroy
        bl      status
        ldr     x0, =RMI_RTT_DESTROY
        ldr     x1, =RD
        mov     x2, #0
        mov     x3, #2
        smc     #0
        adr     x1, msg_rtt_destroy
        bl      status
        ldr     x0, =RMI_REALM_DESTROY
        ldr     x1, =RD
        smc     #0
        adr     x1, msg_realm_destroy
        bl      status

        /* Undelegate everything: the fixed granules, then the aux granules */
        ldr     x24, =RD
        mov     x25, #FIXED_GRANULES
        add     x25, x25, x22
6:      ldr     x0, =RMI_GRANULE_UNDELEGATE
        mov     x1, x24
        smc     #0
        adr     x1, msg_undelegate
        bl      status
        add     x24, x24, #0x1000
        subs    x25, x25, #1
        b.ne    6b

        adr     x0, msg_pass
        cbz     x19, 7f
        adr     x0, msg_fail
7:      bl      puts
        ldr     x0, =PSCI_SYSTEM_OFF
        smc     #0
8:      wfi
        b       8b

/* status: prints "<x1 string>: status <x0>" and counts a non-zero status as a failure. Keeps x0 in x23. */
status:
        mov     x28, x30
        mov     x23, x0
        mov     x0, x1
        bl      puts
        adr     x0, msg_status
        bl      puts
        mov     x0, x23
        bl      puthex
        adr     x0, msg_newline
        bl      puts
        cbz     x23, 1f
        add     x19, x19, #1
1:      mov     x0, x23
        ret     x28

/* puts: prints the NUL-terminated string at x0. Clobbers x0-x3. */
puts:
        ldr     x1, =UART
1:      ldrb    w2, [x0], #1
        cbz     w2, 3f
2:      ldr     w3, [x1, #UART_FR]
        tbnz    w3, #UART_FR_TXFF, 2b
        strb    w2, [x1, #UART_DR]
        b       1b
3:      ret

/* puthex: prints x0 as 0x followed by hex digits without leading zeros. Clobbers x0-x6. */
puthex:
        ldr     x1, =UART
        mov     x4, x0
        mov     w2, #'0'
        strb    w2, [x1, #UART_DR]
        mov     w2, #'x'
        strb    w2, [x1, #UART_DR]
        mov     x5, #60
        mov     x6, #0                  /* a digit was printed */
1:      lsr     x2, x4, x5
        and     x2, x2, #0xF
        orr     x3, x2, x6
        cbnz    x5, 2f
        mov     x3, #1                  /* always print the last digit */
2:      cbz     x3, 3f
        mov     x6, #1
        cmp     x2, #10
        add     x3, x2, #'0'
        add     x2, x2, #('a' - 10)
        csel    x2, x3, x2, lo
        strb    w2, [x1, #UART_DR]
3:      subs    x5, x5, #4
        b.ge    1b
        ret

        .section .rodata
msg_banner:       .asciz "host-image: an NS-EL2 host driving the RMM\n"
msg_status:       .asciz ": status "
msg_newline:      .asciz "\n"
msg_version:      .asciz "RMI_VERSION"
msg_delegate:     .asciz "RMI_GRANULE_DELEGATE"
msg_undelegate:   .asciz "RMI_GRANULE_UNDELEGATE"
msg_realm_create: .asciz "RMI_REALM_CREATE"
msg_rtt_create:   .asciz "RMI_RTT_CREATE"
msg_init_ripas:   .asciz "RMI_RTT_INIT_RIPAS"
msg_data_create:  .asciz "RMI_DATA_CREATE"
msg_aux_count:    .asciz "RMI_REC_AUX_COUNT"
msg_rec_create:   .asciz "RMI_REC_CREATE"
msg_activate:     .asciz "RMI_REALM_ACTIVATE"
msg_rec_enter:    .asciz "RMI_REC_ENTER"
msg_exit_reason:  .asciz "REC exit: reason "
msg_exit_x0:      .asciz ", x0 "
msg_rec_destroy:  .asciz "RMI_REC_DESTROY"
msg_data_destroy: .asciz "RMI_DATA_DESTROY"
msg_rtt_destroy:  .asciz "RMI_RTT_DESTROY"
msg_realm_destroy: .asciz "RMI_REALM_DESTROY"
msg_pass:         .asciz "host-image: PASS\n"
msg_fail:         .asciz "host-image: FAIL\n"

/* The realm payload, copied into the realm at IPA 0 by DATA_CREATE: RSI_VERSION, then PSCI SYSTEM_OFF. */
        .section .payload, "ax"
payload:
        ldr     x0, =RSI_VERSION
        mov     x1, #RMI_ABI_1_0
        smc     #0
        ldr     x0, =PSCI_SYSTEM_OFF
        smc     #0
1:      b       1b
        .ltorg
