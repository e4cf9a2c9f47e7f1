/*
 * realm-sgi: SGIs between the vCPUs of a realm, the active state of the realm's virtual interrupts, and PSCI
 * CPU_ON / AFFINITY_INFO / CPU_OFF from a realm, on 1 to 8 vCPUs.
 *
 * vCPU 0 finds the number of vCPUs by walking the redistributors (GICR_TYPER.Last) and checks that
 * AFFINITY_INFO for the next MPIDR is INVALID_PARAMETERS. Every vCPU runs the active-state check on its own
 * SGI 15 with IRQs masked: acknowledged (ICC_IAR1_EL1) it is active and not pending in GICR_ISACTIVER0/ISPENDR0;
 * sent again it is pending and active, and ICC_IAR1_EL1 gives 1023 (its priority is not above the running one);
 * after ICC_EOIR1_EL1 it is pending only and is acknowledged again. vCPU 0 then, for each secondary k, checks
 * AFFINITY_INFO(k) is OFF, starts it with CPU_ON (context id 0x5000 + k), checks a second CPU_ON answers
 * ALREADY_ON. Secondary k checks its context id, runs the active-state check and sends SGI k to vCPU 0. Once
 * vCPU 0 has taken SGIs 1..N-1 it sends SGI 8 to every other vCPU at once (ICC_SGI1R_EL1.IRM); secondary k
 * answers with SGI 8 + k and powers itself off with CPU_OFF; vCPU 0 waits for SGIs 9..8+N-1 and for
 * AFFINITY_INFO to report every secondary OFF, starts vCPU 1 again to check that a CPU_OFF'd vCPU restarts,
 * and powers the system off. Each vCPU also stores to 200 pages of RAM nobody populated, so KVM faults pages in
 * (granule delegation, a GPT change) while other vCPUs run. Waits are done with IRQs masked (wait_irq). Output ends with "realm-sgi: PASS";
 * a failed check prints "realm-sgi: FAIL: <check> on vCPU <n>" and powers off.
 */
        .include "realm.inc"
        .equ CTX_BASE, 0x5000
        .equ TOUCH_BASE, 0x40400000     /* vCPU n touches TOUCH_PAGES pages from TOUCH_BASE + n << TOUCH_SHIFT */
        .equ TOUCH_SHIFT, 20
        .equ TOUCH_PAGES, 200

        .text
        .global _start
_start:
        realm_start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        say     m_start
        bl      count_redists
        mov     x20, x0
        adr     x1, ncpus
        str     x20, [x1]
        bl      lock
        adr     x0, m_count
        bl      puts
        mov     x0, x20
        bl      putdigit
        adr     x0, m_nl
        bl      puts
        bl      unlock

        adr     x15, c_affinity_invalid
        mov     x1, x20                 /* the MPIDR after the last vCPU */
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        cmp     x0, #PSCI_INVALID_PARAMETERS
        b.ne    fail

        bl      gic_dist_init
        ldr     w0, =0xffff             /* SGIs 0-15 */
        bl      gic_cpu_init
        mov     x19, x0
        bl      active_test
        bl      touch_pages
        say     m_active0

        mov     x21, #1
1:      cmp     x21, x20
        b.hs    2f
        adr     x15, c_affinity_off
        mov     x1, x21
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        cmp     x0, #AFFINITY_OFF
        b.ne    fail
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
        add     x21, x21, #1
        b       1b
2:
        /* Wait for SGI k from every secondary k. */
        mov     x22, #1
        lsl     x22, x22, x20
        sub     x22, x22, #2            /* bits 1..N-1 */
3:      adr     x1, seen
        ldr     x2, [x1]
        and     x2, x2, x22
        cmp     x2, x22
        b.eq    4f
        wait_irq
        b       3b
4:      cmp     x20, #1
        b.eq    7f
        say     m_ups

        /* SGI 8 to every other vCPU (IRM = 1), then wait for SGIs 9..8+N-1. */
        mov     x0, #(1 << 40)
        mov     x1, #8
        orr     x0, x0, x1, lsl #24
        msr     icc_sgi1r_el1, x0
        isb
        lsl     x22, x22, #8            /* bits 9..8+N-1 */
5:      adr     x1, seen
        ldr     x2, [x1]
        and     x2, x2, x22
        cmp     x2, x22
        b.eq    6f
        wait_irq
        b       5b
6:      say     m_answers

        /* AFFINITY_INFO until every secondary is OFF. */
        mov     x21, #1
8:      cmp     x21, x20
        b.hs    9f
        mov     x1, x21
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        adr     x15, c_affinity_value
        cmp     x0, #AFFINITY_OFF
        b.eq    10f
        cmp     x0, #AFFINITY_ON
        b.ne    fail
        b       8b
10:     add     x21, x21, #1
        b       8b
9:      say     m_offs

        /* A vCPU that did CPU_OFF starts again. */
        adr     x1, restarted
        str     xzr, [x1]
        adr     x15, c_restart
        mov     x1, #1
        adr     x2, again
        mov     x3, #CTX_BASE
        add     x3, x3, #0x100
        psci    PSCI_CPU_ON
        cbnz    x0, fail
11:     adr     x1, restarted
        ldr     x2, [x1]
        cbnz    x2, 12f
        b       11b
12:     mov     x1, #1
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        cmp     x0, #AFFINITY_OFF
        b.eq    13f
        b       12b
13:     say     m_restart
7:      say     m_pass
        b       off

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
        ldr     w0, =0xffff
        bl      gic_cpu_init
        mov     x19, x0
        bl      active_test
        bl      touch_pages
        mov     x24, #0
        sgi_send x23, x24               /* SGI k to vCPU 0 */
1:      adr     x1, seen                /* wait for SGI 8 */
        ldr     x2, [x1, x23, lsl #3]
        tbnz    x2, #8, 2f
        wait_irq
        b       1b
2:      add     x25, x23, #8
        sgi_send x25, x24               /* SGI 8 + k to vCPU 0 */
        psci    PSCI_CPU_OFF
        adr     x15, c_cpu_off
        b       fail                    /* CPU_OFF does not return */

/* vCPU 1 started again after CPU_OFF: its context id is 0x5100. */
again:
        mov     x26, x0
        secondary_start
        adr     x15, c_context
        mov     x1, #(CTX_BASE + 0x100)
        cmp     x26, x1
        b.ne    fail
        adr     x1, restarted
        mov     x2, #1
        str     x2, [x1]
        sev
        psci    PSCI_CPU_OFF
        adr     x15, c_cpu_off
        b       fail

/*
 * active_test: on this vCPU's SGI 15, with IRQs masked; x19 = its redistributor's SGI frame. Clobbers x0-x8,
 * x15, x16.
 */
active_test:
        mov     x16, x30
        mrs     x5, mpidr_el1
        and     x5, x5, #0xff
        mov     x6, #15
        mov     x7, #(1 << 15)
        sgi_send x6, x5
        adr     x15, c_hppir
        mov     x8, #0                  /* the SGI is pending by the time the MSR completes; allow a few reads */
1:      mrs     x0, icc_hppir1_el1
        cmp     x0, #15
        b.eq    2f
        add     x8, x8, #1
        cmp     x8, #1000
        b.lo    1b
        b       fail
2:      adr     x15, c_iar
        mrs     x0, icc_iar1_el1
        cmp     x0, #15
        b.ne    fail
        adr     x15, c_active
        ldr     w0, [x19, #GICR_ISACTIVER0]
        tst     w0, w7
        b.eq    fail
        adr     x15, c_not_pending
        ldr     w0, [x19, #GICR_ISPENDR0]
        tst     w0, w7
        b.ne    fail
        sgi_send x6, x5                 /* again, while it is active */
        adr     x15, c_pending_active
        ldr     w0, [x19, #GICR_ISPENDR0]
        tst     w0, w7
        b.eq    fail
        ldr     w0, [x19, #GICR_ISACTIVER0]
        tst     w0, w7
        b.eq    fail
        adr     x15, c_spurious
        mrs     x0, icc_iar1_el1
        cmp     x0, #1023
        b.ne    fail
        msr     icc_eoir1_el1, x6       /* priority drop and deactivation: pending only now */
        isb
        adr     x15, c_deactivated
        ldr     w0, [x19, #GICR_ISACTIVER0]
        tst     w0, w7
        b.ne    fail
        adr     x15, c_iar_again
        mrs     x0, icc_iar1_el1
        cmp     x0, #15
        b.ne    fail
        msr     icc_eoir1_el1, x6
        isb
        adr     x15, c_idle
        ldr     w0, [x19, #GICR_ISACTIVER0]
        tst     w0, w7
        b.ne    fail
        ldr     w0, [x19, #GICR_ISPENDR0]
        tst     w0, w7
        b.ne    fail
        mrs     x0, icc_iar1_el1
        cmp     x0, #1023
        b.ne    fail
        ret     x16

/*
 * touch_pages: stores to and loads back TOUCH_PAGES pages of this vCPU's own area of RAM that nobody populated,
 * so KVM faults them in (GRANULE_DELEGATE, a GPT change on one PE) while the other vCPUs run. Clobbers x0-x3, x15.
 */
touch_pages:
        mrs     x0, mpidr_el1
        and     x0, x0, #0xff
        ldr     x1, =TOUCH_BASE
        add     x1, x1, x0, lsl #TOUCH_SHIFT
        mov     x2, #TOUCH_PAGES
1:      str     x1, [x1]
        ldr     x3, [x1]
        adr     x15, c_touch
        cmp     x3, x1
        b.ne    fail
        add     x1, x1, #4096
        subs    x2, x2, #1
        b.ne    1b
        ret

/* fail: prints "realm-sgi: FAIL: <x15> on vCPU <n>" and powers the system off. */
        define_fail

/* IRQ: records the INTID in seen[Aff0] (a bit mask) and ends it; a spurious read (1020-1023) is ignored. */
irq:
        mrs     x9, icc_iar1_el1
        cmp     x9, #1020
        b.hs    1f
        mrs     x10, mpidr_el1
        and     x10, x10, #0xff
        adr     x11, seen
        add     x11, x11, x10, lsl #3
        ldr     x12, [x11]
        mov     x10, #1
        lsl     x10, x10, x9
        orr     x12, x12, x10
        str     x12, [x11]
        msr     icc_eoir1_el1, x9
1:      eret

        define_console
        define_count_redists
        define_gic
        .ltorg
        define_vectors irq

        .section .rodata
m_start:        .asciz "realm-sgi: vCPU 0 up\n"
m_count:        .asciz "realm-sgi: vCPUs: "
m_active0:      .asciz "realm-sgi: vCPU 0: SGI 15 active, pending and active, then pending: ok\n"
m_ups:          .asciz "realm-sgi: vCPU 0 took SGI k from every secondary k\n"
m_answers:      .asciz "realm-sgi: every secondary took SGI 8 (IRM) and answered with SGI 8 + k\n"
m_offs:         .asciz "realm-sgi: AFFINITY_INFO says every secondary is OFF\n"
m_restart:      .asciz "realm-sgi: vCPU 1 started again after CPU_OFF\n"
m_pass:         .asciz "realm-sgi: PASS\n"
m_fail:         .asciz "realm-sgi: FAIL: "
c_affinity_invalid: .asciz "AFFINITY_INFO of the MPIDR after the last vCPU is INVALID_PARAMETERS"
c_affinity_off: .asciz "AFFINITY_INFO of a secondary not started yet is OFF"
c_affinity_value: .asciz "AFFINITY_INFO answers ON or OFF"
c_cpu_on:       .asciz "CPU_ON succeeds"
c_already_on:   .asciz "a second CPU_ON answers ALREADY_ON"
c_restart:      .asciz "CPU_ON after CPU_OFF succeeds"
c_cpu_off:      .asciz "CPU_OFF does not return"
c_context:      .asciz "the context id of CPU_ON arrives in X0"
c_hppir:        .asciz "SGI 15 sent to itself becomes the highest pending interrupt"
c_iar:          .asciz "ICC_IAR1_EL1 acknowledges SGI 15"
c_active:       .asciz "an acknowledged SGI is active in GICR_ISACTIVER0"
c_not_pending:  .asciz "an acknowledged SGI is not pending in GICR_ISPENDR0"
c_pending_active: .asciz "an SGI sent again while active is pending and active"
c_spurious:     .asciz "a pending and active SGI of the running priority is not acknowledged (1023)"
c_deactivated:  .asciz "ICC_EOIR1_EL1 deactivates (EOImode 0)"
c_iar_again:    .asciz "the SGI pending again is acknowledged after the EOI"
c_touch:        .asciz "a page of RAM nobody populated reads back what was stored"
c_idle:         .asciz "after the second EOI SGI 15 is neither pending nor active"

        .data
        define_realm_data
        .balign 8
ncpus:          .quad 0
restarted:      .quad 0
seen:           .space 8 * MAX_CPUS
