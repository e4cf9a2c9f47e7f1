package dev.cca.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review question d of the v12 ABI: KVM_ARM_RMI_POPULATE returns {@code pages * PAGE_SIZE} computed in an
 * {@code int}. Populating 2 GiB or more in one call wraps; populating exactly 4 GiB returns 0 ("no progress").
 * (Pinned on the conversion itself: a 2 GiB realm does not fit in the test's memory budget.)
 */
class PopulateReturnValueTest {
    @Test
    void bytesDoneBelowTwoGibAreReturnedAsIs() {
        assertEquals(4096, RealmHost.v12Return(1));
        assertEquals(0x7FFF_F000L, RealmHost.v12Return(0x7FFFF));
    }

    @Test
    void twoGibOrMoreWrapsInTheKernelsInt() {
        assertEquals(Integer.MIN_VALUE, RealmHost.v12Return(0x80000)); // looks like -2147483648, not an errno
        assertEquals(-0x4000_0000L, RealmHost.v12Return(0xC0000));     // 3 GiB
        assertEquals(0, RealmHost.v12Return(0x100000));                // 4 GiB: indistinguishable from no progress
    }
}
