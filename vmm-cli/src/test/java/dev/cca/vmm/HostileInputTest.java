package dev.cca.vmm;

import dev.cca.rmm.el3.PlatformAttestation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile and malformed input (issue 13's reproducers): each ends with one line on stderr naming the input and
 * the problem, a non-zero exit, no stack trace and no hang.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    /** Exactly one line on stderr, with every fragment, no stack trace, and the given exit status. */
    static void assertOneLine(CliRunner r, int exit, String... fragments) {
        assertEquals(exit, r.exit(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "exactly one line: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), err + " should mention " + f);
        }
        assertFalse(err.contains("\tat ") || err.contains("internal error"), "no internal error: " + err);
    }

    static CliRunner run(String... args) {
        return assertTimeoutPreemptively(Duration.ofMinutes(2), () -> CliRunner.run(args), "cca hung");
    }

    /** An AArch64 ELF64 header with one PT_LOAD program header, for the bounds tests. */
    private static byte[] elf(long phoff, long pOffset, long pFilesz) {
        ByteBuffer b = ByteBuffer.allocate(64 + 56).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 2).putShort(18, (short) 183).putInt(20, 1).putLong(24, 0x4000_0000L)
                .putLong(32, phoff).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 1);
        b.putInt(64, 1).putInt(68, 5).putLong(72, pOffset).putLong(80, 0x4000_0000L).putLong(88, 0x4000_0000L)
                .putLong(96, pFilesz).putLong(104, pFilesz).putLong(112, 0x1000);
        return b.array();
    }

    // 1
    @Test
    void elfOffsetsThatOverflowAreTruncationErrorsInRunAndMeasure() throws IOException {
        Path off = Files.write(dir.resolve("off.elf"), elf(64, 0x7FFF_FFFF_FFFF_FFFFL, 1));
        Path phoff = Files.write(dir.resolve("phoff.elf"), elf(0x7FFF_FFFF_FFFF_FFF0L, 0, 1));
        for (String cmd : new String[] {"run", "measure"}) {
            assertOneLine(run(cmd, "-k", off.toString()), 1, "off.elf", "truncated");
            assertOneLine(run(cmd, "-k", phoff.toString()), 1, "phoff.elf", "truncated: program headers");
        }
    }

    // 2
    @Test
    void filesOver2GiBAndDevicesAreRefusedBeforeTheyAreRead() throws IOException {
        Path huge = dir.resolve("huge.img");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength((2L << 30) + 1); // sparse: takes no disk
        }
        assertOneLine(run("run", "-k", huge.toString()), 1, "huge.img", "up to", "2 GiB");
        assertOneLine(run("run", "-i", huge.toString()), 1, "initrd '", "huge.img", "2 GiB");
        assertOneLine(run("run", "-k", "/dev/zero"), 1, "/dev/zero", "not a regular file");
    }

    // 3
    @Test
    void deeplyNestedExpressionIsABadScenarioNotAStackOverflow() throws IOException {
        String expr = "(".repeat(3000) + "1" + ")".repeat(3000);
        Path f = Files.writeString(dir.resolve("deep-expr.json"), "{\"scenario\": \"deep\", \"steps\": ["
                + "{\"mmap\": {\"size\": \"" + expr + "\"}}]}");
        CliRunner r = run("abi-test", f.toString());
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("nested more than 200 deep"), r.out());
        assertTrue(r.err().isEmpty(), r.err());
        assertTrue(r.out().lines().allMatch(l -> l.length() < 300), "no 3,000-character echo: " + r.out());
    }

    // 4
    @Test
    void deeplyNestedJsonIsABadScenarioFile() throws IOException {
        Path f = Files.writeString(dir.resolve("deep.json"),
                "{\"scenario\": \"x\", \"steps\": " + "[".repeat(5000) + "]".repeat(5000) + "}");
        CliRunner r = run("abi-test", f.toString());
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("bad scenario file: not valid JSON: Document nesting depth"), r.out());
        assertFalse(r.out().contains("internal error") || r.out().contains("NullPointer"), r.out());
    }

    // 5 and 17
    @Test
    void theLargestDocumentedMemoryBootsAndMeasurePredictsItsRim() {
        CliRunner boot = run("run", "-m", "64G");
        assertEquals(0, boot.exit(), boot.err());
        CliRunner measure = run("measure", "-m", "64G");
        assertEquals(0, measure.exit(), measure.err());
        assertEquals(rim(boot.err()), rim(measure.out()), "measure predicts the RIM run gives the realm (run's "
                + "summary is on stderr)");
        assertOneLine(run("run", "-m", "65G"), 2, "--mem", "65G", "out of range");
        assertOneLine(run("measure", "-m", "65G"), 2, "--mem", "65G", "out of range");
    }

    // 17
    @Test
    void measureRefusesTheConfigurationsRunRefuses() throws Exception {
        assertOneLine(run("run", "--cpus", "65"), 2, "--cpus must be between 1 and 64");
        assertOneLine(run("measure", "--cpus", "65"), 2, "--cpus must be between 1 and 64");
        // A host larger than the GPT can describe: both commands share GuestLimits.hostDram.
        long max = dev.cca.kvm.host.CcaHost.maxDramBytes(1);
        var image = new dev.cca.vmm.image.LoadedImage("raw binary",
                java.util.List.of(new dev.cca.vmm.image.LoadedImage.Segment(0x4000_0000L, new byte[4], 4)), 0x4000_0000L);
        RunCommand.UsageError e = org.junit.jupiter.api.Assertions.assertThrows(RunCommand.UsageError.class,
                () -> GuestLimits.hostDram(max, 1, image));
        assertTrue(e.getMessage().contains("granule protection table"), e.getMessage());
        assertTrue(GuestLimits.hostDram(64L << 30, 64, image) <= dev.cca.kvm.host.CcaHost.maxDramBytes(64));
    }

    // 6
    @Test
    void unwritableDumpDtbPathsAreOneLineErrors() {
        assertOneLine(run("run", "--dump-dtb", dir.toString()), 2, "--dump-dtb", "is a directory");
        assertOneLine(run("run", "--dump-dtb", dir.resolve("no/such/x.dtb").toString()), 2, "--dump-dtb",
                "no such file or directory");
        if (Files.exists(Path.of("/dev/full"))) {
            assertOneLine(run("run", "--dump-dtb", "/dev/full"), 2, "--dump-dtb /dev/full", "cannot write");
        }
    }

    // 7
    @Test
    void timeoutsOutOfRangeAreUsageErrors() {
        assertOneLine(run("run", "--timeout", "999999999999999999d"), 2, "--timeout", "out of range");
        assertOneLine(run("run", "--timeout", "-1"), 2, "--timeout", "out of range");
        assertOneLine(run("run", "--timeout", "0"), 2, "--timeout", "out of range");
        assertOneLine(run("run", "--timeout", "NaN"), 2, "--timeout", "not a duration");
        assertEquals(0, run("run", "--timeout", "1h").exit());
    }

    // 8
    @Test
    void fifosAsBootFilesAreRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("mkfifo is not available: " + e.getMessage());
            return;
        }
        assertEquals(0, p.waitFor());
        assertOneLine(run("run", "-k", fifo.toString()), 1, "kernel image", "fifo", "not a regular file");
        assertOneLine(run("run", "-i", fifo.toString()), 1, "initrd", "not a regular file");
        assertOneLine(run("run", "--dtb", fifo.toString()), 1, "device tree", "not a regular file");
        assertOneLine(run("measure", "-k", fifo.toString()), 1, "kernel image", "not a regular file");
        assertOneLine(run("token", "show", fifo.toString()), 1, "token", "not a regular file");
    }

    // 9
    @Test
    void signalAfterMsOutOfRangeIsABadScenario() throws IOException {
        for (String ms : new String[] {"-5", "999999999999"}) {
            Path f = Files.writeString(dir.resolve("sig" + ms + ".json"), "{\"scenario\": \"sig\", \"steps\": ["
                    + "{\"fixture\": \"normal\"}, {\"ioctl\": \"KVM_RUN\", \"fd\": \"vcpu0\", \"signal_after_ms\": "
                    + ms + "}]}");
            CliRunner r = run("abi-test", f.toString());
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("signal_after_ms: must be 0..60000, was " + ms), r.out());
            assertTrue(r.err().isEmpty(), "no trace from the watchdog thread: " + r.err());
        }
    }

    // 11
    @Test
    void aGuestAsleepWithNothingToWakeItEndsTheRunWithAReport() throws IOException {
        // msr daifset, #0xf; 1: wfi; b 1b: every interrupt masked, no timer armed.
        Path f = dir.resolve("sleeper.bin");
        Files.write(f, le32(0xd5034fdf, 0xd503207f, 0x17ffffff));
        for (String[] how : new String[][] {{"--cpus", "1"}, {"--cpus", "2"}, {"--realm", "--cpus", "1"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run", "-k", f.toString(),
                    "--max-instructions", "100000000"));
            args.addAll(java.util.List.of(how));
            CliRunner r = run(args.toArray(new String[0]));
            assertEquals(1, r.exit(), r.out() + r.err());
            assertTrue(r.err().contains("ended:        the guest sleeps and nothing can wake it"), r.err());
        }
    }

    // 12
    @Test
    void gzipKernelsThatDecompressBeyond1GiBAreRefused() throws IOException {
        Path f = dir.resolve("bomb.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) {
                o.write(zeros);
            }
            o.write(1);
        }
        assertOneLine(run("run", "-k", f.toString()), 1, "bomb.gz", "decompresses to more than", "1 GiB");
    }

    // 13
    @Test
    void deviceTreeErrorsNameTheDeviceTreeAndCheckItsOffsets() throws IOException {
        Path good = dir.resolve("good.dtb");
        assertEquals(0, run("run", "--dump-dtb", good.toString()).exit());
        byte[] dtb = Files.readAllBytes(good);
        assertEquals(0, run("run", "--dtb", good.toString()).exit(), "the generated tree passes the check");

        Path small = Files.write(dir.resolve("small.dtb"), Arrays.copyOf(dtb, 39));
        assertOneLine(run("run", "--dtb", small.toString()), 1, "device tree '", "small.dtb",
                "truncated: a device tree header needs 40 bytes");
        byte[] strings = dtb.clone();
        ByteBuffer.wrap(strings).putInt(12, 0x7FFF_0000); // off_dt_strings far outside
        Path badStrings = Files.write(dir.resolve("strings.dtb"), strings);
        assertOneLine(run("run", "--dtb", badStrings.toString()), 1, "device tree", "strings block");
        byte[] struct = dtb.clone();
        ByteBuffer.wrap(struct).putInt(36, dtb.length); // size_dt_struct past the end
        Path badStruct = Files.write(dir.resolve("struct.dtb"), struct);
        assertOneLine(run("run", "--dtb", badStruct.toString()), 1, "device tree", "structure block");
        Path notDtb = Files.write(dir.resolve("text.dtb"), "not a tree at all, just some text".repeat(3).getBytes());
        assertOneLine(run("run", "--dtb", notDtb.toString()), 1, "device tree '", "no 0xd00dfeed magic");
    }

    // 14
    @Test
    void tokenVerifyRefusesTrailingBytesAndTagBombsQuickly() throws Exception {
        byte[] token = TokenCommandTest.token(PlatformAttestation.generated());
        Path trailing = Files.write(dir.resolve("trailing.cbor"), Arrays.copyOf(token, token.length + 3));
        assertOneLine(run("token", "verify", trailing.toString()), 1, "trailing.cbor", "3 bytes follow");
        byte[] bomb = new byte[400_000];
        for (int i = 0; i < bomb.length - 1; i += 3) { // tag 399 (0xd9 0x01 0x8f), over and over
            bomb[i] = (byte) 0xd9;
            bomb[i + 1] = 0x01;
            bomb[i + 2] = (byte) 0x8f;
        }
        bomb[bomb.length - 1] = 0;
        Path tags = Files.write(dir.resolve("tags.cbor"), bomb);
        CliRunner r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> CliRunner.run("token", "verify",
                tags.toString()));
        assertOneLine(r, 1, "tags.cbor", "CBOR tags on one item");
        byte[] deep = new byte[100_000];
        Arrays.fill(deep, (byte) 0x81); // arrays of one element, 100,000 deep
        Path nested = Files.write(dir.resolve("nested.cbor"), deep);
        assertOneLine(run("token", "show", nested.toString()), 1, "nested.cbor", "nested more than");
        // Found by InputFuzzTest: a byte string whose 64-bit length has the top bit set.
        byte[] huge = {(byte) 0xd9, 0x01, (byte) 0x8f, 0x5b, -1, -1, -1, -1, -1, -1, -1, -1, 0};
        Path len = Files.write(dir.resolve("length.cbor"), huge);
        assertOneLine(run("token", "show", len.toString()), 1, "length.cbor", "truncated");
    }

    // 15
    @Test
    void impossibleFixturesAreBadScenariosAndHugeMmapsFailWithEnomem() throws IOException {
        Path f = Files.writeString(dir.resolve("fx.json"), "[{\"scenario\": \"vcpus\", \"steps\": "
                + "[{\"fixture\": \"normal\", \"vcpus\": -1}]},"
                + "{\"scenario\": \"mmap\", \"steps\": [{\"mmap\": {\"size\": \"1 << 62\"}, "
                + "\"expect\": {\"errno\": \"ENOMEM\"}}]}]");
        CliRunner r = run("abi-test", f.toString());
        assertTrue(r.out().contains("FAIL  fx.json: vcpus") && r.out().contains("vcpus: must be 1..64, was -1"),
                r.out());
        assertTrue(r.out().contains("PASS  fx.json: mmap"), r.out());
        assertEquals(1, r.exit());
    }

    // 16
    @Test
    void attestationKeyPathsSayWhatIsWrong() throws IOException {
        Path file = Files.writeString(dir.resolve("keys.txt"), "x");
        assertOneLine(run("run", "--attestation-keys", file.toString()), 2, "keys.txt", "is not a directory");
        assertOneLine(run("run", "--attestation-keys", file.resolve("sub").toString()), 2, "keys.txt",
                "not a directory");
        Path keys = Files.createDirectories(dir.resolve("keys"));
        Files.createDirectory(keys.resolve(PlatformAttestation.RAK_FILE));
        Files.writeString(keys.resolve(PlatformAttestation.CPAK_FILE), "x");
        assertOneLine(run("run", "--attestation-keys", keys.toString()), 2, PlatformAttestation.RAK_FILE,
                "is not a regular file");
    }

    private static byte[] le32(int... words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        return b.array();
    }

    private static String rim(String out) {
        Matcher m = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]{64})").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }
}
