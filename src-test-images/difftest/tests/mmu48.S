/* Stage-1 MMU with a 48-bit VA (T0SZ = T1SZ = 16, walks start at level 0): see common/mmu_body.inc. */
        .equ    VA_BITS, 48
        .include "mmu_body.inc"
