package dev.cca.vmm.debug;

import dev.cca.vmm.CliProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random and truncated RSP packets at a stopped guest: every packet gets an answer (a reply, an error or the empty
 * reply), a bad checksum gets '-', and the stub still answers '?' and detaches at the end. Packets that resume or
 * end the guest (c, s, vCont, k, D, vKill) are not sent: the stub must keep the guest stopped. Sized by
 * {@code fuzz.gdb.packets} (default 1,000); {@code fuzz.seed} replays.
 */
@Tag("fuzz")
class GdbPacketFuzzTest {
    static final String[] STEMS = {"m", "M", "X", "g", "G", "p", "P", "Z0,", "z0,", "Z2,", "z4,", "H", "Hg", "Hc",
        "T", "q", "qRcmd,", "qXfer:features:read:", "qfThreadInfo", "qsThreadInfo", "qSupported:",
        "qAttached", "qC", "vCont?", "vMustReplyEmpty", "?", "qThreadExtraInfo,", "!", "A", "b", "B"};

    @Test
    void randomAndTruncatedPacketsAllGetAnswersAndTheStubKeepsServing() throws Exception {
        long packets = Long.getLong("fuzz.gdb.packets", 1_000L);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random r = new Random(seed);
        long start = System.nanoTime();
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        int port = Integer.parseInt(cca.awaitErr("gdb: listening on 127\\.0\\.0\\.1:(\\d+)", 30_000));
        int naks = 0;
        try (RspClient gdb = new RspClient(port)) {
            for (long i = 0; i < packets; i++) {
                String p = packet(r);
                try {
                    if (r.nextInt(20) == 0) {
                        gdb.sendRaw("$" + p + "#00"); // a bad checksum (unless it happens to be right)
                        String a = gdb.packet();
                        naks += a.equals("-") ? 1 : 0;
                    } else {
                        gdb.request(p);
                    }
                } catch (java.io.IOException e) {
                    throw new AssertionError(String.format("gdb fuzz finding: seed %d, packet %d %s: %s -- replay "
                            + "with -Dfuzz.seed=%d", seed, i, p, e, seed), e);
                }
            }
            assertTrue(gdb.request("?").startsWith("T"), "the stub still answers");
            assertEquals("OK", gdb.request("D"));
        }
        assertTrue(cca.await(120_000) >= 0, cca.err());
        System.out.printf(Locale.ROOT, "gdb fuzz: seed %d: %d packets (%d bad checksums refused), %.1f s%n", seed,
                packets, naks, (System.nanoTime() - start) / 1e9);
    }

    /** A stem with random hex, numbers, separators and binary, sometimes cut short. */
    static String packet(Random r) {
        StringBuilder sb = new StringBuilder(STEMS[r.nextInt(STEMS.length)]);
        int n = r.nextInt(40);
        String alphabet = "0123456789abcdefABCDEF,:;=-xX";
        for (int i = 0; i < n; i++) {
            sb.append(r.nextInt(8) == 0 ? (char) (0x20 + r.nextInt(0x5e)) : alphabet.charAt(r.nextInt(alphabet.length())));
        }
        String s = sb.toString().replace("$", "").replace("#", "").replace("}", "").replace("*", "");
        if (r.nextInt(4) == 0 && s.length() > 1) {
            s = s.substring(0, r.nextInt(s.length()));
        }
        char c0 = s.isEmpty() ? '?' : s.charAt(0);
        if (c0 == 'c' || c0 == 'C' || c0 == 's' || c0 == 'S' || c0 == 'k' || c0 == 'D' || c0 == 'R' || c0 == 'r'
                || s.startsWith("vCont;") || s.startsWith("vKill") || s.startsWith("vRun") || s.startsWith("vAttach")) {
            return "?";
        }
        return s;
    }
}
