/*
 * realm-pmu: the PMU of a realm created with the PMU flag (RMM v1.0 pmu_ena, pmu_num_ctrs): the checks of
 * ../platform/pmu-checks.inc run on the REC's PMU, which the RMM saves and restores with the REC, and the
 * overflow interrupt comes back as PPI 23 through the host's list registers after a REC exit that reported
 * pmu_ovf_status ACTIVE. Expected output ends with "realm-pmu: PASS"; a failed check prints
 * "realm-pmu: FAIL: <check> on vCPU 0".
 */
        .include "realm.inc"
        .include "../platform/pmu-checks.inc"

        .text
        .global _start
_start:
        realm_start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        bl      pmu_checks
        say     m_pass
        b       off

        define_fail
        define_console
        define_gic
        define_pmu_checks
        .ltorg
        define_vectors pmu_irq

        .section .rodata
m_pass:         .asciz "realm-pmu: PASS\n"
m_fail:         .asciz "realm-pmu: FAIL: "

        .data
        define_realm_data
