package dev.cca.vmm.debug;

import dev.cca.vmm.CliProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gdb stub at the protocol level, with a client of our own (so these run everywhere; GdbMultiarchTest drives
 * the real gdb): what a session of gdb sends, and what it must get back.
 */
@Timeout(120)
class GdbServerTest {
    private static final String PORT = "gdb: listening on 127\\.0\\.0\\.1:(\\d+)";

    /** A realm guest that stores 0x42 at DATA, loads it back and spins (assembled with aarch64-linux-gnu-as). */
    private static final int[] WRITER = {
        0x10000801, // adr  x1, data
        0xd2800840, // mov  x0, #0x42
        0xf9000020, // str  x0, [x1]
        0xf9400022, // ldr  x2, [x1]
        0x14000000, // b    .
    };
    private static final long CODE = 0x4000_0000L;
    private static final long DATA = CODE + 0x100;

    private static Path writerImage(Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(0x108).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : WRITER) {
            b.putInt(w);
        }
        b.putLong(0x100, 0x1111);
        Path f = dir.resolve("writer.bin");
        Files.write(f, b.array());
        return f;
    }

    private static String le64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return GdbServer.hex(b);
    }

    private static long fromLe(String hex) {
        byte[] b = GdbServer.unhex(hex);
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static RspClient connect(CliProcess cca) throws Exception {
        int port = Integer.parseInt(cca.awaitErr(PORT, 30_000));
        return new RspClient(port);
    }

    @Test
    void handshakeOffersTheTargetDescriptionWithEveryRegisterAndStopsAtTheHostsFirstRmiCall() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            String features = gdb.request("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
            assertTrue(features.contains("qXfer:features:read+") && features.contains("swbreak+"), features);
            StringBuilder xml = new StringBuilder();
            while (true) {
                String chunk = gdb.request("qXfer:features:read:target.xml:" + Integer.toHexString(xml.length())
                        + ",200");
                xml.append(chunk.substring(1));
                if (chunk.startsWith("l")) {
                    break;
                }
                assertTrue(chunk.startsWith("m"), chunk);
            }
            DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
            dbf.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false); // gdb's DTD
            Document doc = dbf.newDocumentBuilder().parse(new ByteArrayInputStream(xml.toString().getBytes(StandardCharsets.UTF_8)));
            NodeList regs = doc.getElementsByTagName("reg");
            assertEquals(RegisterFile.count(), regs.getLength());
            Set<String> names = new HashSet<>();
            for (int i = 0; i < regs.getLength(); i++) {
                names.add(((Element) regs.item(i)).getAttribute("name"));
            }
            for (String n : new String[] {"x0", "x30", "sp", "pc", "cpsr", "v31", "fpsr", "fpcr", "CurrentEL",
                "SCTLR_EL1", "TCR_EL2", "TTBR0_EL3", "ESR_EL2", "FAR_EL1", "ELR_EL3", "SPSR_EL2", "VBAR_EL1",
                "HCR_EL2", "SCR_EL3"}) {
                assertTrue(names.contains(n), n);
            }

            assertEquals("T05thread:1;", gdb.request("?"));
            String g = gdb.request("g");
            int bytes = 0;
            for (int n = 0; n < RegisterFile.count(); n++) {
                bytes += RegisterFile.size(n);
            }
            assertEquals(2 * bytes, g.length());
            // Stopped in the RMM at RMI_VERSION: X0 is the FID, the PC the RMM's notional PC, CurrentEL is EL2.
            assertEquals(0xC400_0150L, fromLe(gdb.request("p0")));
            assertEquals(0xFFFF_A000_0000_0000L, fromLe(gdb.request("p20")));
            assertEquals(2L << 2, fromLe(gdb.request("p" + Integer.toHexString(RegisterFile.FIRST_SYSTEM))));
            assertEquals("00".repeat(16), gdb.request("p" + Integer.toHexString(RegisterFile.V0)),
                    "V0 is available (the host has not used it)");
            assertEquals("E01", gdb.request("p20=00"), "malformed P is an error, not a crash");
            assertEquals("m1", gdb.request("qfThreadInfo"));
            assertEquals("l", gdb.request("qsThreadInfo"));
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
        assertTrue(cca.out().contains("Hello from a realm!"));
    }

    /**
     * A normal-VM guest that enables FP (CPACR_EL1.FPEN), puts 0x99aabbccddeeff00_1122334455667788 in V3, stops
     * at a NOP, then copies V4's halves to X5 and X6 (assembled with aarch64-linux-gnu-as).
     */
    private static final int[] FP_GUEST = {
        0xd2a00600, // mov  x0, #0x300000        (CPACR_EL1.FPEN = 3)
        0xd5181040, // msr  cpacr_el1, x0
        0xd5033fdf, // isb
        0x58000121, // ldr  x1, =0x1122334455667788
        0x58000142, // ldr  x2, =0x99aabbccddeeff00
        0x9e670023, // fmov d3, x1
        0x4e181c43, // mov  v3.d[1], x2
        0xd503201f, // nop                       (CODE + 0x1c)
        0x9e660085, // fmov x5, d4
        0x4e183c86, // mov  x6, v4.d[1]
        0x14000000, // b    .
        0x00000000,
        0x55667788, 0x11223344, 0xddeeff00, 0x99aabbcc,
    };

    @Test
    void simdAndFpRegistersReadAndWriteAs128BitLittleEndianValues(@TempDir Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 * FP_GUEST.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : FP_GUEST) {
            b.putInt(w);
        }
        Path image = dir.resolve("fp.bin");
        Files.write(image, b.array());
        CliProcess cca = new CliProcess("run", "-k", image.toString(), "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertEquals("OK", gdb.request("Z0," + Long.toHexString(CODE + 0x1c) + ",4"));
            assertEquals("T05thread:1;swbreak:;", gdb.request("vCont;c"));
            assertEquals("OK", gdb.request("z0," + Long.toHexString(CODE + 0x1c) + ",4"));
            String v3 = "p" + Integer.toHexString(RegisterFile.V0 + 3);
            assertEquals("8877665544332211" + "00ffeeddccbbaa99", gdb.request(v3), "V3: low half first, LE");
            String g = gdb.request("g");
            int off = 0;
            for (int n = 0; n < RegisterFile.V0 + 3; n++) {
                off += 2 * RegisterFile.size(n);
            }
            assertEquals(gdb.request(v3), g.substring(off, off + 32), "g shows the same bytes");

            String v4 = "0123456789abcdef" + "fedcba9876543210";
            assertEquals("OK", gdb.request("P" + Integer.toHexString(RegisterFile.V0 + 4) + "=" + v4));
            assertEquals(v4, gdb.request("p" + Integer.toHexString(RegisterFile.V0 + 4)));
            for (int i = 0; i < 3; i++) {
                assertEquals("T05thread:1;", gdb.request("vCont;s:1"));
            }
            assertEquals(0xefcd_ab89_6745_2301L, fromLe(gdb.request("p5")), "the guest reads V4[63:0] as written");
            assertEquals(0x1032_5476_98ba_dcfeL, fromLe(gdb.request("p6")), "and V4[127:64]");
            assertEquals("E01", gdb.request("P" + Integer.toHexString(RegisterFile.V0 + 4) + "=0011"),
                    "a V register write needs all 16 bytes");
            assertEquals("OK", gdb.request("vKill;1"));
        }
        assertEquals(1, cca.await(60_000), cca.err());
    }

    @Test
    void breakpointRegistersMemoryStepAndDetach() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertEquals("OK", gdb.request("Z0,40000168,4"));
            assertEquals("T05thread:1;swbreak:;", gdb.request("vCont;c"));
            assertEquals(0x4000_0168L, fromLe(gdb.request("p20")));
            long x0 = fromLe(gdb.request("p0"));
            assertEquals(0x4000_0280L, x0, "puts(msg_hello)");
            String hello = new String(GdbServer.unhex(gdb.request("m40000280,14")), StandardCharsets.ISO_8859_1);
            assertEquals("Hello from a realm!\n", hello);
            assertEquals("E01", gdb.request("m7fff00000000,8"), "an address that does not translate");

            assertEquals("OK", gdb.request("z0,40000168,4"));
            assertEquals("T05thread:1;", gdb.request("vCont;s:1;c"));
            assertEquals(0x4000_016CL, fromLe(gdb.request("p20")));

            // Writes: a register and memory (in the unused tail of realm_config), read back.
            assertEquals("OK", gdb.request("P5=" + le64(0x1234_5678L)));
            assertEquals(0x1234_5678L, fromLe(gdb.request("p5")));
            assertEquals("OK", gdb.request("M40001800,4:deadbeef"));
            assertEquals("deadbeef", gdb.request("m40001800,4"));
            assertEquals("OK", gdb.request("X40001804,2:" + "\u0001}\u0003")); // binary with an escaped '#'
            assertEquals("0123", gdb.request("m40001804,2"));
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
        assertTrue(cca.out().contains("Goodbye."), cca.out());
    }

    @Test
    void aStopAtTheReturnOfAFailedRmiCallSaysWhichFailureConditionFired() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertTrue(gdb.monitor("catch rmi").contains("RMI"));
            String failed = null;
            for (int i = 0; i < 400 && failed == null; i++) {
                gdb.console.clear();
                assertTrue(gdb.request("c").startsWith("T05"));
                String line = String.join("", gdb.console);
                if (line.contains(" -> RMI_ERROR")) {
                    failed = line;
                }
            }
            // The host's first DATA_CREATE fails for want of a level-3 RTT; the RMM says why.
            assertEquals("[PE0] ret  RMI_DATA_CREATE -> RMI_ERROR_RTT(2): rtt_walk: the walk for ipa 0x40000000"
                    + " stopped at level 2 (UNASSIGNED_EMPTY), above level 3\n", failed);
            String call = gdb.monitor("call");
            assertTrue(call.contains("stopped at the return of RMI_DATA_CREATE -> RMI_ERROR_RTT(2): rtt_walk: "),
                    call);
            gdb.monitor("catch none");
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
    }

    @Test
    void monitorStopsAtTheNextRsiCallAndItsReturnAndShowsRmmState() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertTrue(gdb.monitor("help").contains("next-rsi"));
            assertTrue(gdb.monitor("next-rsi").contains("continue"));
            gdb.console.clear();
            assertEquals("T05thread:1;", gdb.request("c"));
            assertEquals("[PE0] call RSI_VERSION req=1.0\n", String.join("", gdb.console));
            assertEquals(0xC400_0190L, fromLe(gdb.request("p0")), "the realm's X0 at the call");
            String call = gdb.monitor("call");
            assertTrue(call.contains("stopped at RSI_VERSION") && call.contains("in progress: RMI_REC_ENTER"), call);
            gdb.console.clear();
            assertEquals("T05thread:1;", gdb.request("c"));
            assertEquals("[PE0] ret  RSI_VERSION -> RSI_SUCCESS lower=1.0 higher=1.0\n",
                    String.join("", gdb.console));

            String realm = gdb.monitor("realm");
            assertTrue(realm.matches("(?s)realm 0x[0-9a-f]+: ACTIVE, IPA width 33, SHA-256.*RIM: [0-9a-f]{64}\n"),
                    realm);
            String rd = realm.substring(6, realm.indexOf(':'));
            assertTrue(gdb.monitor("granule " + rd).startsWith("granule " + rd + ": RD (refcount 1), GPT: realm"));
            assertTrue(gdb.monitor("granule 0x80000000").contains("UNDELEGATED"), "host memory");
            String rtt = gdb.monitor("rtt 0x40000000");
            assertTrue(rtt.contains("level 3") && rtt.contains("ASSIGNED_RAM"), rtt);
            String rec = gdb.monitor("rec");
            assertTrue(rec.startsWith("REC 0x") && rec.contains("running"), rec);
            String m = gdb.monitor("measurements");
            assertTrue(m.contains("RIM") && m.contains("REM3"), m);
            assertTrue(gdb.monitor("pe").startsWith("PE0: EL2 Realm, in the RMM model"));
            assertTrue(gdb.monitor("granule").startsWith("usage: granule PA"));
            assertTrue(gdb.monitor("granule zz").contains("not a number"));
            assertTrue(gdb.monitor("frobnicate").contains("unknown monitor command"));
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
    }

    @Test
    void writeWatchpointStopsBeforeTheStoreAndCtrlCInterruptsAndKillEnds(@TempDir Path dir) throws Exception {
        CliProcess cca = new CliProcess("run", "--realm", "-k", writerImage(dir).toString(), "--gdb", "tcp::0",
                "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertEquals("OK", gdb.request("Z2," + Long.toHexString(DATA) + ",8"));
            assertEquals("T05thread:1;watch:" + Long.toHexString(DATA) + ";", gdb.request("vCont;c"));
            assertEquals(CODE + 8, fromLe(gdb.request("p20")), "stopped at the store");
            assertEquals(le64(0x1111), gdb.request("m" + Long.toHexString(DATA) + ",8"), "before the write");
            assertEquals("OK", gdb.request("z2," + Long.toHexString(DATA) + ",8"));
            assertEquals("T05thread:1;", gdb.request("vCont;s:1"));
            assertEquals(le64(0x42), gdb.request("m" + Long.toHexString(DATA) + ",8"), "the store completed");
            assertEquals(CODE + 12, fromLe(gdb.request("p20")));

            gdb.sendRaw(RspClient.frame("vCont;c"));
            Thread.sleep(300);
            gdb.sendRaw("\u0003");
            assertEquals("T02thread:1;", gdb.reply());
            assertEquals(CODE + 16, fromLe(gdb.request("p20")), "spinning at b .");
            assertEquals("OK", gdb.request("vKill;1"));
        }
        assertEquals(1, cca.await(60_000), cca.err());
        assertTrue(cca.err().contains("stopped by the user"), cca.err());
    }

    @Test
    void normalVmVcpusAreThreadsAndAStepOverAStage2FaultEndsAtTheNextInstruction() throws Exception {
        CliProcess cca = new CliProcess("run", "-k", "../src-test-images/platform/smp-sgi.elf", "--cpus", "2",
                "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            assertEquals("m1,2", gdb.request("qfThreadInfo"));
            assertEquals("OK", gdb.request("Z0,40000000,4"));
            assertEquals("T05thread:1;swbreak:;", gdb.request("vCont;c"));
            assertEquals("OK", gdb.request("z0,40000000,4"));
            // The first instruction (ldr x28, literal) faults at stage 2 until KVM maps the page, and runs again.
            assertEquals("T05thread:1;", gdb.request("vCont;s:1;c"));
            assertEquals(CODE + 4, fromLe(gdb.request("p20")));
            assertEquals(0x0900_0000L, fromLe(gdb.request("p1c")), "x28 = the UART base");
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
        assertTrue(cca.out().contains("smp-sgi: PASS"), cca.out());
    }

    @Test
    void badChecksumsAreRefusedAndUnknownPacketsGetTheEmptyReply() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.sendRaw("$qC#00");
            assertEquals("-", gdb.packet());
            assertEquals("QC1", gdb.request("qC"));
            assertEquals("", gdb.request("vMustReplyEmpty"));
            assertEquals("", gdb.request("qNonsense"));
            assertEquals("E01", gdb.request("Z0,zz,4"));
            assertEquals("E01", gdb.request("Hg7"), "no thread 7 on a one-PE machine");
            assertEquals("OK", gdb.request("QStartNoAckMode"));
            assertEquals("1", gdb.request("qAttached"));
            assertEquals("OK", gdb.request("D"));
        }
        assertEquals(0, cca.await(60_000), cca.err());
    }

    @Test
    void vContForAThreadThatDoesNotExistIsAnErrorAndTheStubKeepsServing() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            assertEquals("E02", gdb.request("vCont;s:ffff"), "no thread 0xffff on a one-PE machine");
            assertEquals("E02", gdb.request("vCont;c:ffff"));
            assertEquals("E01", gdb.request("vCont;c:zz"));
            assertTrue(gdb.request("?").startsWith("T"), "still answering");
            gdb.sendRaw(RspClient.frame("k"));
        }
        assertTrue(cca.await(60_000) != Integer.MIN_VALUE, cca.err());
    }

    @Test
    void aClientThatGoesAwayLeavesTheGuestRunning() throws Exception {
        CliProcess cca = new CliProcess("run", "--gdb", "tcp::0", "--wait-gdb");
        try (RspClient gdb = connect(cca)) {
            gdb.request("?");
            gdb.request("Z0,40000168,4");
        }
        assertEquals(0, cca.await(60_000), cca.err());
        assertTrue(cca.err().contains("client went away"), cca.err());
        assertTrue(cca.out().contains("Goodbye."));
    }
}
