package dev.cca.vmm.debug;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The framing of the GDB remote serial protocol (gdb manual, "Overview" of appendix E), apart from what the packets
 * mean: {@code $payload#cs} with a two-digit checksum, {@code +}/{@code -} acknowledgements (a '-' from the client
 * resends the last packet), {@code }}-escapes ({@code }} then the byte XOR 0x20) and run-length encoding
 * ({@code c*n}: c repeated n - 29 more times) of received payloads, the interrupt byte 0x03 outside packets, and
 * no-ack mode (QStartNoAckMode: neither side acknowledges, checksums are not checked). Payloads are ISO-8859-1
 * strings so that bytes map one to one to chars. Packets are sent whole, never run-length encoded.
 *
 * <p>{@link #next} is called by one reader thread; {@link #send} may be called from any thread.
 */
final class RspFraming {
    /** What arrived: a packet's payload, an interrupt (Ctrl-C) or the end of the connection. */
    sealed interface Frame {
    }

    record Packet(String payload) implements Frame {
    }

    record Interrupt() implements Frame {
    }

    record End() implements Frame {
    }

    private static final int INTERRUPT = 0x03;

    private final InputStream in;
    private final OutputStream out;
    private volatile boolean noAck;
    private byte[] lastSent = new byte[0];

    RspFraming(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /** From now on nothing is acknowledged and checksums are not checked (after replying OK to QStartNoAckMode). */
    void noAckMode() {
        noAck = true;
    }

    boolean inNoAckMode() {
        return noAck;
    }

    /**
     * Reads up to the next packet with a good checksum (acknowledging it), or an interrupt, or the end of the input.
     * A packet with a bad checksum is refused with '-' and skipped; a '-' from the client resends the last packet;
     * '+' and bytes between packets are ignored. A packet cut short by the end of the input is the end.
     */
    Frame next() throws IOException {
        while (true) {
            int c = in.read();
            if (c < 0) {
                return new End();
            }
            if (c == INTERRUPT) {
                return new Interrupt();
            }
            if (c == '-') {
                resend();
                continue;
            }
            if (c != '$') {
                continue; // '+' acknowledgements and noise between packets
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int sum = 0;
            while ((c = in.read()) >= 0 && c != '#') {
                body.write(c);
                sum += c;
            }
            int h = c < 0 ? -1 : in.read();
            int l = h < 0 ? -1 : in.read();
            if (c < 0 || h < 0 || l < 0) {
                return new End();
            }
            if (!noAck) {
                int given = Character.digit(h, 16) * 16 + Character.digit(l, 16);
                if (Character.digit(h, 16) < 0 || Character.digit(l, 16) < 0 || (sum & 0xFF) != given) {
                    writeRaw(new byte[] {'-'});
                    continue;
                }
                writeRaw(new byte[] {'+'});
            }
            return new Packet(decode(body.toByteArray()));
        }
    }

    /** Undoes the '}' escapes and run-length encoding of a payload. */
    static String decode(byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(b.length);
        int prev = -1;
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xFF;
            if (c == '}' && i + 1 < b.length) {
                c = (b[++i] ^ 0x20) & 0xFF;
            } else if (c == '*' && prev >= 0 && i + 1 < b.length) {
                int n = (b[++i] & 0xFF) - 29; // the count is a printable character: n - 29 more copies
                for (int k = 0; k < n; k++) {
                    o.write(prev);
                }
                continue;
            }
            o.write(c);
            prev = c;
        }
        return o.toString(StandardCharsets.ISO_8859_1);
    }

    /** Frames a payload: '$', the payload with $ # } * escaped, '#', the checksum of what was sent. */
    static byte[] frame(String payload) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(payload.length() + 4);
        o.write('$');
        int sum = 0;
        for (int i = 0; i < payload.length(); i++) {
            int c = payload.charAt(i) & 0xFF;
            if (c == '$' || c == '#' || c == '}' || c == '*') {
                o.write('}');
                sum += '}';
                c ^= 0x20;
            }
            o.write(c);
            sum += c;
        }
        o.write('#');
        o.write(Character.forDigit((sum >> 4) & 0xF, 16));
        o.write(Character.forDigit(sum & 0xF, 16));
        return o.toByteArray();
    }

    /** Sends a packet (remembered, to resend on a '-'). */
    void send(String payload) throws IOException {
        byte[] bytes = frame(payload);
        synchronized (this) {
            lastSent = bytes;
        }
        writeRaw(bytes);
    }

    private void resend() throws IOException {
        byte[] b;
        synchronized (this) {
            b = lastSent;
        }
        if (b.length > 0) {
            writeRaw(b);
        }
    }

    private void writeRaw(byte[] b) throws IOException {
        synchronized (out) {
            out.write(b);
            out.flush();
        }
    }
}
