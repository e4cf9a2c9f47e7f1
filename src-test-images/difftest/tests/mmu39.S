/* Stage-1 MMU with a 39-bit VA (T0SZ = T1SZ = 25, walks start at level 1): see common/mmu_body.inc. */
        .equ    VA_BITS, 39
        .include "mmu_body.inc"
