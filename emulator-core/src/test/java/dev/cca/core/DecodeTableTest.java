package dev.cca.core;

import dev.cca.core.cpu.decode.A64;
import dev.cca.core.cpu.decode.DecodeTable;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeTableTest {

    @Test
    void everyTableLineIsReachable() {
        Random rnd = new Random(1);
        for (DecodeTable.Entry e : A64.table().entries()) {
            boolean reached = false;
            for (int i = 0; i < 2000 && !reached; i++) {
                int word = (rnd.nextInt() & ~e.mask) | e.value;
                reached = A64.table().match(word) == e;
            }
            assertTrue(reached, "table line " + e.name + " is shadowed by an earlier line");
        }
    }

    @Test
    void knownWordsDecodeToTheirLines() {
        assertEquals("ADD/SUB (shifted reg)", A64.name(0xeb010026)); // subs x6, x1, x1
        assertEquals("LDP/STP", A64.name(0xa9bf0be1));               // stp x1, x2, [sp,#-16]!
        assertEquals("MRS", A64.name(0xd53b4204));                   // mrs x4, nzcv
        assertEquals("exception", A64.name(0xd4000003));             // smc #0
        assertEquals("ERET", A64.name(0xd69f03e0));
    }
}
