package dev.cca.kvm;

import dev.cca.kvm.uapi.Errno;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmcccFilterTest {
    @Test
    void failedFirstFilterLeavesTheFilterUnconfigured() {
        SmcccFilter f = new SmcccFilter();
        assertEquals(-Errno.EEXIST, f.insert(0x8000_0000L, 1, 1), "the Arm Architecture range is reserved");
        assertFalse(f.configured(), "the failed call changed nothing");
        assertEquals(0, f.insert(0x8400_0000L, 0x20, 1));
        assertTrue(f.configured());
        assertEquals(-Errno.EEXIST, f.insert(0xC000_0000L, 1, 1));
        assertEquals("[0x80000000-0x8000ffff:0, 0x84000000-0x8400001f:1, 0xc0000000-0xc000ffff:0]", f.toString());
    }
}
