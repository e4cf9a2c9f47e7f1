package dev.cca.vmm.console;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EscapeFilterTest {
    private int quits, helps;
    private final EscapeFilter f = new EscapeFilter(new EscapeFilter.Actions() {
        @Override
        public void quit() {
            quits++;
        }

        @Override
        public void help() {
            helps++;
        }
    });

    private String filter(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return new String(b, 0, f.filter(b, b.length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void ordinaryBytesPassIncludingControlCharacters() {
        assertEquals("ls -l\r\u0003\u0004", filter("ls -l\r\u0003\u0004"));
        assertEquals(0, quits + helps);
    }

    @Test
    void ctrlAXQuitsAndDropsWhatFollows() {
        assertEquals("abc", filter("abc\u0001xdef"));
        assertEquals(1, quits);
    }

    @Test
    void ctrlACtrlASendsOneCtrlAAndOtherEscapesAreDropped() {
        assertEquals("a\u0001b", filter("a\u0001\u0001b"));
        assertEquals("ab", filter("a\u0001zb"));
        assertEquals(0, quits);
    }

    @Test
    void ctrlAHPrintsHelpAndTheEscapeMaySpanReads() {
        assertEquals("a", filter("a\u0001"));
        assertEquals("b", filter("hb"));
        assertEquals(1, helps);
        assertEquals("", filter("\u0001"));
        assertEquals("", filter("x"));
        assertEquals(1, quits);
    }
}
