/*
 * realm-psci: PSCI CPU_ON, AFFINITY_INFO and CPU_OFF from a realm, on 1 to 8 vCPUs, without interrupts (the vCPUs
 * meet through memory), so the same checks hold whether KVM or the VMM completes the calls (cca run --psci user).
 *
 * vCPU 0 counts the vCPUs: AFFINITY_INFO answers OFF for each secondary not started yet and INVALID_PARAMETERS for
 * the first MPIDR without a vCPU; CPU_ON of that MPIDR is INVALID_PARAMETERS too, and CPU_ON with an entry point
 * outside the realm's protected space is INVALID_ADDRESS. For each secondary k: CPU_ON (context id 0x5000 + k)
 * succeeds, a second CPU_ON answers ALREADY_ON, AFFINITY_INFO answers ON once k is up. Every secondary checks its
 * context id, says it is up and waits for vCPU 0's go, then powers itself off (CPU_OFF); vCPU 0 waits for
 * AFFINITY_INFO to report each one OFF, then starts the last vCPU again at another entry point, which powers off
 * again. Output ends with "realm-psci: PASS"; a failed check prints "realm-psci: FAIL: <check> on vCPU <n>".
 */
        .include "realm.inc"
        .equ CTX_BASE, 0x5000

        .text
        .global _start
_start:
        realm_start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        say     m_start
        /* count: AFFINITY_INFO of MPIDR k is OFF for a secondary, INVALID_PARAMETERS after the last */
        mov     x20, #1
1:      adr     x15, c_affinity_off
        mov     x1, x20
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        cmp     x0, #PSCI_INVALID_PARAMETERS
        b.eq    2f
        cmp     x0, #AFFINITY_OFF
        b.ne    fail
        add     x20, x20, #1
        cmp     x20, #MAX_CPUS
        b.lo    1b
2:      bl      lock
        adr     x0, m_count
        bl      puts
        mov     x0, x20
        bl      putdigit
        adr     x0, m_nl
        bl      puts
        bl      unlock
        adr     x15, c_on_invalid
        mov     x1, x20
        adr     x2, secondary
        mov     x3, #0
        psci    PSCI_CPU_ON
        cmp     x0, #PSCI_INVALID_PARAMETERS
        b.ne    fail
        cmp     x20, #1
        b.eq    9f
        adr     x15, c_on_address
        mov     x1, #1
        mov     x2, x27                 /* the unprotected half: not a valid entry point */
        mov     x3, #0
        psci    PSCI_CPU_ON
        cmp     x0, #PSCI_INVALID_ADDRESS
        b.ne    fail

        mov     x21, #1
3:      cmp     x21, x20
        b.hs    5f
        adr     x15, c_cpu_on
        mov     x1, x21
        adr     x2, secondary
        mov     x3, #CTX_BASE
        add     x3, x3, x21
        psci    PSCI_CPU_ON
        cbnz    x0, fail
        adr     x15, c_already_on
        mov     x1, x21
        adr     x2, secondary
        mov     x3, #CTX_BASE
        psci    PSCI_CPU_ON
        cmp     x0, #PSCI_ALREADY_ON
        b.ne    fail
4:      adr     x1, up                  /* wait until it is up */
        ldr     x2, [x1, x21, lsl #3]
        cbz     x2, 4b
        adr     x15, c_affinity_on
        mov     x1, x21
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        cmp     x0, #AFFINITY_ON
        b.ne    fail
        add     x21, x21, #1
        b       3b
5:      say     m_ups
        adr     x1, go
        mov     x2, #1
        stlr    x2, [x1]
        bl      wait_all_off
        say     m_offs

        /* the last vCPU again, at another entry point */
        sub     x21, x20, #1
        adr     x15, c_restart
        mov     x1, x21
        adr     x2, again
        mov     x3, #(CTX_BASE + 0x100)
        psci    PSCI_CPU_ON
        cbnz    x0, fail
6:      adr     x1, restarted
        ldar    x2, [x1]
        cbz     x2, 6b
        bl      wait_all_off
        say     m_restart
9:      say     m_pass
        b       off

/* wait_all_off: AFFINITY_INFO until every secondary (1..x20-1) is OFF. Clobbers x0-x2, x15, x22. */
wait_all_off:
        mov     x22, #1
1:      cmp     x22, x20
        b.hs    3f
        mov     x1, x22
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        adr     x15, c_affinity_value
        cmp     x0, #AFFINITY_OFF
        b.eq    2f
        cmp     x0, #AFFINITY_ON
        b.ne    fail
        b       1b
2:      add     x22, x22, #1
        b       1b
3:      ret

secondary:
        mov     x26, x0
        secondary_start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        mrs     x23, mpidr_el1
        and     x23, x23, #0xff
        adr     x15, c_context
        mov     x1, #CTX_BASE
        add     x1, x1, x23
        cmp     x26, x1
        b.ne    fail
        bl      lock
        adr     x0, m_vcpu
        bl      puts
        mov     x0, x23
        bl      putdigit
        adr     x0, m_up
        bl      puts
        bl      unlock
        adr     x1, up
        mov     x2, #1
        str     x2, [x1, x23, lsl #3]
1:      adr     x1, go
        ldar    x2, [x1]
        cbz     x2, 1b
        psci    PSCI_CPU_OFF
        adr     x15, c_cpu_off
        b       fail

again:
        mov     x26, x0
        secondary_start
        adr     x15, c_context
        mov     x1, #(CTX_BASE + 0x100)
        cmp     x26, x1
        b.ne    fail
        adr     x1, restarted
        mov     x2, #1
        stlr    x2, [x1]
        psci    PSCI_CPU_OFF
        adr     x15, c_cpu_off
        b       fail

/* fail: prints "realm-psci: FAIL: <x15> on vCPU <n>" and powers the system off. */
        define_fail

irq:
        mov     x0, #0x280
        b       unexpected

        define_console
        .ltorg
        define_vectors irq

        .section .rodata
m_start:        .asciz "realm-psci: vCPU 0 up\n"
m_count:        .asciz "realm-psci: vCPUs: "
m_vcpu:         .asciz "realm-psci: vCPU "
m_up:           .asciz " up with its context id\n"
m_ups:          .asciz "realm-psci: CPU_ON, ALREADY_ON and AFFINITY_INFO ON for every secondary\n"
m_offs:         .asciz "realm-psci: AFFINITY_INFO says every secondary is OFF after CPU_OFF\n"
m_restart:      .asciz "realm-psci: the last vCPU started again after CPU_OFF and is OFF again\n"
m_pass:         .asciz "realm-psci: PASS\n"
m_fail:         .asciz "realm-psci: FAIL: "
c_affinity_off: .asciz "AFFINITY_INFO is OFF for a secondary not started and INVALID_PARAMETERS after the last"
c_affinity_on:  .asciz "AFFINITY_INFO is ON for a started secondary"
c_affinity_value: .asciz "AFFINITY_INFO answers ON or OFF"
c_on_invalid:   .asciz "CPU_ON of an MPIDR without a vCPU is INVALID_PARAMETERS"
c_on_address:   .asciz "CPU_ON with an entry point outside the protected space is INVALID_ADDRESS"
c_cpu_on:       .asciz "CPU_ON succeeds"
c_already_on:   .asciz "a second CPU_ON answers ALREADY_ON"
c_restart:      .asciz "CPU_ON after CPU_OFF succeeds"
c_cpu_off:      .asciz "CPU_OFF does not return"
c_context:      .asciz "the context id of CPU_ON arrives in X0"

        .data
        define_realm_data
        .balign 8
go:             .quad 0
restarted:      .quad 0
up:             .space 8 * MAX_CPUS
