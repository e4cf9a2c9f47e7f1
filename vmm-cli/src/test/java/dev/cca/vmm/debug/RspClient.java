package dev.cca.vmm.debug;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A minimal GDB remote protocol client for tests: sends packets, collects O (console) packets, reads replies. */
final class RspClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    final List<String> console = new ArrayList<>();

    RspClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static String frame(String payload) {
        int sum = 0;
        for (byte b : payload.getBytes(StandardCharsets.ISO_8859_1)) {
            sum += b & 0xFF;
        }
        return "$" + payload + "#" + String.format("%02x", sum & 0xFF);
    }

    void sendRaw(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Sends a packet and returns the reply, skipping acks and collecting O packets. */
    String request(String payload) throws IOException {
        sendRaw(frame(payload));
        return reply();
    }

    /** Reads the next reply packet (acknowledging it), after '+' acks and O packets. */
    String reply() throws IOException {
        while (true) {
            String p = packet();
            if (p.startsWith("O") && !p.equals("OK") && p.length() > 1 && isHex(p.substring(1))) {
                console.add(new String(GdbServer.unhex(p.substring(1)), StandardCharsets.UTF_8));
                continue;
            }
            return p;
        }
    }

    /** The next character that is not an ack: '-' for a NAK, or the payload of a packet. */
    String packet() throws IOException {
        int c;
        do {
            c = in.read();
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c == '-') {
                return "-";
            }
        } while (c != '$');
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((c = in.read()) != '#') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            b.write(c);
        }
        in.read();
        in.read();
        out.write('+');
        out.flush();
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** True once the server has closed the connection. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean isHex(String s) {
        return s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0) && (s.length() & 1) == 0;
    }

    String monitor(String cmd) throws IOException {
        console.clear();
        String r = request("qRcmd," + GdbServer.hex(cmd.getBytes(StandardCharsets.UTF_8)));
        if (!r.equals("OK")) {
            throw new IOException("qRcmd " + cmd + " replied " + r);
        }
        return String.join("", console);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
