package dev.cca.vmm.debug;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The gdb stub's command table: which entry takes a packet, what its handler gets, and the default replies. */
class RspCommandTableTest {
    private static RspCommandTable<String> table() {
        return new RspCommandTable<String>()
                .on("m", a -> "m(" + a + ")")
                .on("q", a -> "q(" + a + ")")
                .on("qC", a -> "qC(" + a + ")")
                .on("qSupported", a -> "supported(" + a + ")")
                .on("qRcmd,", a -> "rcmd(" + a + ")")
                .on("vCont?", a -> "vcont?")
                .on("vCont;", a -> "vcont(" + a + ")")
                .on("p", a -> "p" + Integer.parseInt(a, 16));
    }

    @Test
    void oneLetterNamesAndNamesEndingInASeparatorArePrefixes() throws IOException {
        RspCommandTable<String> t = table();
        assertEquals("m(4000,10)", t.dispatch("m4000,10", "", "E01"));
        assertEquals("rcmd(68656c70)", t.dispatch("qRcmd,68656c70", "", "E01"));
        assertEquals("vcont(c:1;t)", t.dispatch("vCont;c:1;t", "", "E01"));
    }

    @Test
    void otherNamesTakeTheWholePacketOrUpToAColonOrSemicolonAndTheLongestWins() throws IOException {
        RspCommandTable<String> t = table();
        assertEquals("qC()", t.dispatch("qC", "", "E01"));
        assertEquals("supported(:swbreak+;hwbreak+)", t.dispatch("qSupported:swbreak+;hwbreak+", "", "E01"));
        assertEquals("vcont?", t.dispatch("vCont?", "", "E01"));
        // qCRC is not qC: the one-letter q takes it.
        assertEquals("q(CRC:0,4)", t.dispatch("qCRC:0,4", "", "E01"));
        assertEquals("qC", t.commandOf("qC"));
        assertEquals("q", t.commandOf("qCRC:0,4"));
    }

    @Test
    void anUnknownPacketGetsTheUnsupportedReplyAndMalformedArgumentsTheErrorReply() throws IOException {
        RspCommandTable<String> t = table();
        assertEquals("", t.dispatch("vMustReplyEmpty", "", "E01"));
        assertEquals("", t.dispatch("", "", "E01"));
        assertNull(t.commandOf("!"));
        assertEquals("p31", t.dispatch("p1f", "", "E01"));
        assertEquals("E01", t.dispatch("pzz", "", "E01"));
        assertEquals("E01", t.dispatch("p", "", "E01"));
    }

    @Test
    void aNameHasOneHandler() {
        assertThrows(IllegalArgumentException.class, () -> table().on("m", a -> ""));
        assertThrows(IllegalArgumentException.class, () -> table().on("", a -> ""));
    }
}
