/*
 * realm-timer: the EL1 virtual (CNTV, PPI 27) and physical (CNTP, PPI 30) timers of a realm, on every vCPU at
 * once, through the realm's virtual GIC.
 *
 * vCPU 0 starts every other vCPU with PSCI CPU_ON (the vCPUs are counted by walking the redistributors). Each
 * vCPU then runs the same checks on each timer, with IRQs masked except inside wait_irq:
 *   1. enabled with its condition met (CTL.ISTATUS = 1), the timer's PPI is pending in GICR_ISPENDR0;
 *   2. disabled, the line drops: the PPI is no longer pending;
 *   3. enabled but masked (CTL.IMASK) with the condition met: ISTATUS = 1 and the PPI is not pending;
 *   4. unmasked, the interrupt is taken (the handler acknowledges it, disables the timer and ends it);
 *   5. armed TICKS ticks ahead, WFI waits for it: the interrupt comes with at least TICKS ticks gone;
 *   6. after the handler disabled it, no further interrupt comes while IRQs are unmasked across many host exits
 *      (redistributor reads), and the PPI stays not pending.
 * Each vCPU prints one line per timer; vCPU 0 waits for the others, checks with AFFINITY_INFO that they powered
 * off (CPU_OFF), and prints "realm-timer: PASS". A failed check prints "realm-timer: FAIL: <check> on vCPU <n>".
 */
        .include "realm.inc"
        .equ TICKS, 200000
        .equ QUIET_ROUNDS, 40
        .equ QUIET_DELAY, 5000

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
        bl      gic_dist_init
        mov     x21, #1
1:      cmp     x21, x20
        b.hs    2f
        adr     x15, c_cpu_on
        mov     x1, x21
        adr     x2, secondary
        mov     x3, #0
        psci    PSCI_CPU_ON
        cbnz    x0, fail
        add     x21, x21, #1
        b       1b
2:      bl      timers
        /* wait until every secondary is done and OFF */
        mov     x21, #1
3:      cmp     x21, x20
        b.hs    5f
        adr     x1, done
        ldr     x2, [x1, x21, lsl #3]
        cbz     x2, 3b
        mov     x1, x21
        mov     x2, #0
        psci    PSCI_AFFINITY_INFO
        adr     x15, c_affinity_value
        cmp     x0, #AFFINITY_OFF
        b.eq    4f
        cmp     x0, #AFFINITY_ON
        b.ne    fail
        b       3b
4:      add     x21, x21, #1
        b       3b
5:      say     m_pass
        b       off

secondary:
        secondary_start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        bl      timers
        mrs     x1, mpidr_el1
        and     x1, x1, #0xff
        adr     x2, done
        mov     x3, #1
        str     x3, [x2, x1, lsl #3]
        psci    PSCI_CPU_OFF
        adr     x15, c_cpu_off
        b       fail

/*
 * timer_checks ctl, tval, intid, name: the checks above on one timer. x19 = the SGI frame, x23 = Aff0,
 * x24 = &count[Aff0], x25 = &last[Aff0].
 */
        .macro timer_checks ctl, tval, intid, name
        /* 1. condition met: the line is high */
        adr     x15, c_level_\name
        mov     x0, #100
        msr     \tval, x0
        mov     x0, #1
        msr     \ctl, x0
        isb
1:      mrs     x0, \ctl
        tbz     x0, #2, 1b
        ldr     w0, [x19, #GICR_ISPENDR0]
        tbz     w0, #\intid, fail
        /* 2. disabled: the line drops */
        adr     x15, c_disabled_\name
        msr     \ctl, xzr
        isb
        ldr     w0, [x19, #GICR_ISPENDR0]
        tbnz    w0, #\intid, fail
        /* 3. enabled and masked: ISTATUS but no interrupt */
        adr     x15, c_imask_\name
        mov     x0, #3
        msr     \ctl, x0
        isb
        mrs     x0, \ctl
        tbz     x0, #2, fail
        ldr     w0, [x19, #GICR_ISPENDR0]
        tbnz    w0, #\intid, fail
        /* 4. unmasked: taken */
        adr     x15, c_taken_\name
        str     xzr, [x24]
        str     xzr, [x25]
        mov     x0, #1
        msr     \ctl, x0
        isb
2:      ldr     x0, [x24]
        cbnz    x0, 3f
        wait_irq
        b       2b
3:      cmp     x0, #1
        b.ne    fail
        ldr     x0, [x25]
        cmp     x0, #\intid
        b.ne    fail
        /* 5. WFI until a deadline TICKS ahead */
        adr     x15, c_deadline_\name
        mrs     x26, cntvct_el0
        ldr     x0, =TICKS
        msr     \tval, x0
        mov     x0, #1
        msr     \ctl, x0
        isb
4:      ldr     x0, [x24]
        cmp     x0, #2
        b.hs    5f
        wait_irq
        b       4b
5:      b.ne    fail
        ldr     x0, [x25]
        cmp     x0, #\intid
        b.ne    fail
        mrs     x0, cntvct_el0
        sub     x0, x0, x26
        ldr     x1, =TICKS
        cmp     x0, x1
        b.lo    fail
        /* 6. disabled by the handler: quiet with IRQs unmasked, across host exits */
        adr     x15, c_quiet_\name
        msr     daifclr, #2
        isb
        mov     x26, #QUIET_ROUNDS
6:      ldr     w0, [x19, #GICR_ISPENDR0]
        tbnz    w0, #\intid, 8f
        ldr     x0, =QUIET_DELAY
7:      subs    x0, x0, #1
        b.ne    7b
        subs    x26, x26, #1
        b.ne    6b
8:      msr     daifset, #2
        isb
        cbnz    x26, fail
        ldr     x0, [x24]
        cmp     x0, #2
        b.ne    fail
        .endm

/* timers: this vCPU's GIC interface, then the checks on both timers. Clobbers x0-x8, x15-x26. */
timers:
        mov     x22, x30
        mov     w0, #((1 << 27) | (1 << 30))
        bl      gic_cpu_init
        mov     x19, x0
        mrs     x23, mpidr_el1
        and     x23, x23, #0xff
        adr     x24, count
        add     x24, x24, x23, lsl #3
        adr     x25, last
        add     x25, x25, x23, lsl #3
        timer_checks cntv_ctl_el0, cntv_tval_el0, 27, virt
        adr     x18, m_virt
        bl      report
        timer_checks cntp_ctl_el0, cntp_tval_el0, 30, phys
        adr     x18, m_phys
        bl      report
        ret     x22

/* report: "realm-timer: vCPU <n>: <x18>". Clobbers x0-x3, x17. */
report:
        mov     x17, x30
        bl      lock
        adr     x0, m_vcpu
        bl      puts
        mov     x0, x23
        bl      putdigit
        mov     x0, x18
        bl      puts
        bl      unlock
        ret     x17

/* fail: prints "realm-timer: FAIL: <x15> on vCPU <n>" and powers the system off. */
        define_fail

/* IRQ: counts it, records its INTID, disables the timer that raised it, and ends it. */
irq:
        mrs     x9, icc_iar1_el1
        cmp     x9, #1020
        b.hs    3f
        cmp     x9, #27
        b.ne    1f
        msr     cntv_ctl_el0, xzr
1:      cmp     x9, #30
        b.ne    2f
        msr     cntp_ctl_el0, xzr
2:      isb
        mrs     x10, mpidr_el1
        and     x10, x10, #0xff
        adr     x11, last
        str     x9, [x11, x10, lsl #3]
        adr     x11, count
        ldr     x12, [x11, x10, lsl #3]
        add     x12, x12, #1
        str     x12, [x11, x10, lsl #3]
        msr     icc_eoir1_el1, x9
3:      eret

        define_console
        define_count_redists
        define_gic
        .ltorg
        define_vectors irq

        .section .rodata
m_start:        .asciz "realm-timer: vCPU 0 up\n"
m_vcpu:         .asciz "realm-timer: vCPU "
m_virt:         .asciz ": virtual timer (PPI 27): level, disable, IMASK, interrupt, deadline, quiet after disable: ok\n"
m_phys:         .asciz ": physical timer (PPI 30): level, disable, IMASK, interrupt, deadline, quiet after disable: ok\n"
m_pass:         .asciz "realm-timer: PASS\n"
m_fail:         .asciz "realm-timer: FAIL: "
c_cpu_on:       .asciz "CPU_ON succeeds"
c_cpu_off:      .asciz "CPU_OFF does not return"
c_affinity_value: .asciz "AFFINITY_INFO answers ON or OFF"
c_level_virt:   .asciz "CNTV with its condition met makes PPI 27 pending"
c_disabled_virt: .asciz "disabling CNTV drops PPI 27"
c_imask_virt:   .asciz "CNTV masked by IMASK shows ISTATUS and leaves PPI 27 idle"
c_taken_virt:   .asciz "unmasking CNTV delivers one PPI 27"
c_deadline_virt: .asciz "CNTV armed ahead interrupts WFI with PPI 27 after the deadline"
c_quiet_virt:   .asciz "no PPI 27 after the handler disabled CNTV"
c_level_phys:   .asciz "CNTP with its condition met makes PPI 30 pending"
c_disabled_phys: .asciz "disabling CNTP drops PPI 30"
c_imask_phys:   .asciz "CNTP masked by IMASK shows ISTATUS and leaves PPI 30 idle"
c_taken_phys:   .asciz "unmasking CNTP delivers one PPI 30"
c_deadline_phys: .asciz "CNTP armed ahead interrupts WFI with PPI 30 after the deadline"
c_quiet_phys:   .asciz "no PPI 30 after the handler disabled CNTP"

        .data
        define_realm_data
        .balign 8
count:          .space 8 * MAX_CPUS
last:           .space 8 * MAX_CPUS
done:           .space 8 * MAX_CPUS
