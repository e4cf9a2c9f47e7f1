package dev.cca.vmm.debug;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The RSP framing alone, on byte streams: checksums and acks, escapes, run-length, Ctrl-C, resends, no-ack mode. */
class RspFramingTest {
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

    private RspFraming framing(String input) {
        return new RspFraming(new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)), sent);
    }

    private String sent() {
        return sent.toString(StandardCharsets.ISO_8859_1);
    }

    private static String payload(RspFraming.Frame f) {
        return assertInstanceOf(RspFraming.Packet.class, f).payload();
    }

    @Test
    void aPacketWithAGoodChecksumIsDeliveredAndAcknowledged() throws IOException {
        RspFraming f = framing("+$m4000,10#be");
        assertEquals("m4000,10", payload(f.next()));
        assertEquals("+", sent());
        assertInstanceOf(RspFraming.End.class, f.next());
    }

    @Test
    void aBadChecksumIsRefusedWithAMinusAndTheNextPacketIsRead() throws IOException {
        RspFraming f = framing("$g#00$g#67$?#zz");
        assertEquals("g", payload(f.next()));
        assertEquals("-+", sent());
        assertInstanceOf(RspFraming.End.class, f.next(), "a checksum that is not hex is refused too");
        assertEquals("-+-", sent());
    }

    @Test
    void ctrlCBetweenPacketsIsAnInterruptAndNoiseIsIgnored() throws IOException {
        RspFraming f = framing("xyz\u0003+$?#3f");
        assertInstanceOf(RspFraming.Interrupt.class, f.next());
        assertEquals("?", payload(f.next()));
    }

    @Test
    void escapesAndRunLengthAreDecoded() throws IOException {
        // X packet binary data: '}' then the byte XOR 0x20 ("}\u0003" is '#', "}]" is '}').
        byte[] escaped = {'X', '1', ',', '2', ':', '}', 0x03, '}', ']'};
        assertEquals("X1,2:#}", RspFraming.decode(escaped));
        // "0* " is '0' and 32 - 29 = 3 more: four zeros.
        assertEquals("m0000", RspFraming.decode("m0* ".getBytes(StandardCharsets.ISO_8859_1)));
        String framed = new String(RspFraming.frame("a$b#c}d*e"), StandardCharsets.ISO_8859_1);
        assertEquals("a$b#c}d*e", payload(framing(framed).next()), "what frame() escapes, next() unescapes");
    }

    @Test
    void sentPacketsAreEscapedWithTheChecksumOfWhatIsSentAndResentOnAMinus() throws IOException {
        RspFraming f = framing("-");
        f.send("O#");
        assertEquals("$O}\u0003#" + String.format("%02x", ('O' + '}' + 3) & 0xFF), sent());
        sent.reset();
        assertInstanceOf(RspFraming.End.class, f.next());
        assertEquals("$O}\u0003#cf", sent(), "the client's '-' resends the last packet");
    }

    @Test
    void inNoAckModeNothingIsAcknowledgedAndChecksumsAreNotChecked() throws IOException {
        RspFraming f = framing("$g#00");
        f.noAckMode();
        assertEquals("g", payload(f.next()));
        assertEquals("", sent());
    }

    @Test
    void aPacketCutShortIsTheEndOfTheConnection() throws IOException {
        for (String cut : new String[] {"$m40", "$m40#", "$m40#a"}) {
            sent.reset();
            assertInstanceOf(RspFraming.End.class, framing(cut).next(), cut);
            assertEquals("", sent(), cut);
        }
    }
}
