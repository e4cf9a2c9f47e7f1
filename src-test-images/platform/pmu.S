/*
 * pmu: a normal-VM guest that checks its vCPU's PMUv3 (pmu-checks.inc): PMUVer and the number of counters,
 * exact instruction, cycle and data-access counts, filtering by EL and the overflow interrupt (PPI 23) through
 * KVM's vGIC. Expected output ends with "pmu: PASS"; a failed check prints "pmu: FAIL: <check>" and powers off.
 */
        .include "common.inc"
        .include "pmu-checks.inc"

        .text
        .global _start
_start:
        ldr     x28, =UART
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        bl      pmu_checks
        adr     x0, m_pass
        bl      puts
        b       off
fail:
        adr     x0, m_fail
        bl      puts
        mov     x0, x15
        bl      puts
        adr     x0, m_nl
        bl      puts
off:
        ldr     x0, =PSCI_SYSTEM_OFF
        hvc     #0
        b       .

        define_puts
        define_gic
        define_pmu_checks
        .ltorg
        define_vectors pmu_irq

        .section .rodata
m_pass:         .asciz "pmu: PASS\n"
m_fail:         .asciz "pmu: FAIL: "
m_nl:           .asciz "\n"
